//! A trained [`Model`] as plain layers of float weights, for other runtimes:
//! the dequantized, materialized weights (epitome layers expanded to their
//! `[c_out, c_in, k, k]` kernels, pruned weights as stored zeros), each weight
//! layer's activation quantization, and the shape-only layers between them.
//!
//! [`ExportedModel`] is what `epim export --format json` writes and what the
//! side-by-side benchmark (`npm run bench`) builds its TensorFlow.js network
//! from; the ONNX export (`model::onnx`, feature `onnx`) is built from the same
//! description, so both peers run exactly the weights the crate's executor runs.

use serde::Serialize;

use crate::error::Result;
use crate::model::{LayerSpec, Model};
use crate::quant::ActivationParams;

/// One layer of an exported model.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExportedLayer {
    /// A convolution (NCHW, OIHW kernel, square, zero padding) or a dense layer
    /// (`k = 1`, on the flattened input), with its input's fake-quantization.
    Conv(ExportedWeights),
    /// A dense layer: `y = W x + b` with `W` as `[c_out, c_in]` (row-major).
    Dense(ExportedWeights),
    /// `max(x, 0)`.
    Relu,
    /// Max pooling, window and stride `k`, no padding.
    MaxPool {
        /// Window and stride.
        k: usize,
    },
    /// `[n, c, h, w] -> [n, c*h*w]` (channel-major, the crate's order).
    Flatten,
}

/// The weights of one conv or dense layer, as floats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedWeights {
    /// The layer's name in the model file.
    pub name: String,
    /// Input channels (features).
    pub c_in: usize,
    /// Output channels (features).
    pub c_out: usize,
    /// Square kernel size (1 for dense).
    pub k: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
    /// The materialized, dequantized weights `[c_out, c_in, k, k]`, row-major.
    pub weight: Vec<f32>,
    /// Bias, `c_out` values.
    pub bias: Vec<f32>,
    /// The fake-quantization of this layer's input: `clamp(round(x * (1 /
    /// scale)), 0, 2^bits - 1) * scale`, rounding half away from zero; `None`:
    /// the input is used as is.
    pub act: Option<ActivationParams>,
}

/// A model as plain layers (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedModel {
    /// Input `[c, h, w]` of one image.
    pub input: [usize; 3],
    /// Classes (logits per image).
    pub classes: usize,
    /// Layers in order.
    pub layers: Vec<ExportedLayer>,
}

impl ExportedModel {
    /// The layers of `model` with materialized float weights.
    pub fn from_model(model: &Model) -> Result<Self> {
        let arch = model.arch();
        let mut values = model.values().iter();
        let mut layers = Vec::with_capacity(arch.layers.len());
        for (i, layer) in arch.layers.iter().enumerate() {
            layers.push(match layer {
                LayerSpec::Conv(l) | LayerSpec::Dense(l) => {
                    let v = values.next().ok_or_else(|| {
                        crate::Error::invalid(
                            format!("layers[{i}]"),
                            "the model has fewer weight tensors than weight layers",
                        )
                    })?;
                    let w = ExportedWeights {
                        name: l.name.clone(),
                        c_in: l.c_in,
                        c_out: l.c_out,
                        k: l.k,
                        stride: l.stride,
                        padding: l.padding,
                        weight: v.dense.data().to_vec(),
                        bias: v.bias.clone(),
                        act: l.act,
                    };
                    if matches!(layer, LayerSpec::Dense(_)) {
                        ExportedLayer::Dense(w)
                    } else {
                        ExportedLayer::Conv(w)
                    }
                }
                LayerSpec::Relu => ExportedLayer::Relu,
                LayerSpec::MaxPool { k } => ExportedLayer::MaxPool { k: *k },
                LayerSpec::Flatten => ExportedLayer::Flatten,
            });
        }
        Ok(ExportedModel {
            input: arch.input,
            classes: arch.classes,
            layers,
        })
    }
}
