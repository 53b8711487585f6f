//! The results of the four layer-file operations (`epim epitome materialize |
//! tables | conv`, `epim quantize`), shared by the CLI and the wasm API.

use serde::{Deserialize, Serialize};

use crate::epitome::layer::EpitomeLayer;
use crate::epitome::spec::Offset;
use crate::epitome::tables::DatapathTables;
use crate::error::Result;
use crate::quant::{bits_per_weight, quantize_epitome};

/// `{"shape":[c_out,c_in,k_h,k_w],"data":[...],"offsets":[[a,b,c],...],"compression":x}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterializeReport {
    /// `[c_out, c_in, k_h, k_w]`.
    pub shape: [usize; 4],
    /// The sampled weights, row-major OIHW.
    pub data: Vec<f32>,
    /// The offset of every group (listed or default).
    pub offsets: Vec<Offset>,
    /// Parameter compression `weight_count / param_count`.
    pub compression: f64,
}

/// `{"shape":[n,c_out,h_out,w_out],"data":[...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvReport {
    /// `[n, c_out, h_out, w_out]`.
    pub shape: [usize; 4],
    /// The output, row-major NCHW.
    pub data: Vec<f32>,
}

/// `{"bits":B,"scales":[...],"codes":[...],"dequantized":[...],"bits_per_weight":x}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantizeReport {
    /// Weight bits (2..=8).
    pub bits: u32,
    /// One scale per epitome output row.
    pub scales: Vec<f32>,
    /// Integer codes, row-major like the epitome.
    pub codes: Vec<i32>,
    /// `codes * scale`, row-major like the epitome.
    pub dequantized: Vec<f32>,
    /// `(bits*|E| + 32*e_out) / (c_out*c_in*k_h*k_w)`.
    pub bits_per_weight: f64,
}

impl EpitomeLayer {
    /// The sampled weights with the offsets and compression.
    pub fn materialize_report(&self) -> Result<MaterializeReport> {
        let w = self.epitome.materialize()?;
        let spec = self.epitome.spec();
        Ok(MaterializeReport {
            shape: w.shape(),
            data: w.into_data(),
            offsets: spec.all_offsets(),
            compression: spec.compression(),
        })
    }

    /// The datapath tables of the layer.
    pub fn tables(&self) -> Result<DatapathTables> {
        DatapathTables::build(self.epitome.spec())
    }

    /// The layer output on the file's input (fast path); errors if there is
    /// no input.
    pub fn conv_report(&self) -> Result<ConvReport> {
        let y = self
            .epitome
            .conv(self.require_input()?, self.bias.as_deref())?;
        Ok(ConvReport {
            shape: y.shape(),
            data: y.into_data(),
        })
    }

    /// Per-row symmetric quantization of the epitome with `bits` bits.
    pub fn quantize_report(&self, bits: u32) -> Result<QuantizeReport> {
        let q = quantize_epitome(&self.epitome, bits)?;
        Ok(QuantizeReport {
            bits,
            dequantized: q.dequantize(),
            bits_per_weight: bits_per_weight(self.epitome.spec(), bits),
            scales: q.scales,
            codes: q.codes,
        })
    }
}
