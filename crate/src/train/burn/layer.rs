//! The epitome convolution as a burn module, and the straight-through
//! per-row weight quantizer.
//!
//! Forward: `W = E.reshape([|E|]).select(0, index_map).reshape([c_out, c_in,
//! k, k])`, then `conv2d(x, W, b)`. burn's autodiff differentiates `select` by
//! a scatter-add, so `dL/dE` is the backward pass of
//! docs/epitome.md#forward-and-backward-pass with no code of ours.

use burn::module::{Module, Param};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::epitome::Sampler;
use crate::error::{Error, Result};
use crate::model::WeightLayerSpec;
use crate::quant::weights::check_weight_bits;

/// One convolution or dense layer whose trainable weight is its epitome `E`
/// (an epitome equal to the weight shape for a dense layer). A dense layer
/// runs as a 1x1 convolution on a `[n, features, 1, 1]` input.
#[derive(Module, Debug)]
pub struct EpitomeConv {
    /// The epitome `[e_out, e_in, e_h, e_w]` (the dense weights when the layer
    /// has no epitome).
    pub epitome: Param<Tensor<4>>,
    /// Bias `[c_out]`.
    pub bias: Param<Tensor<1>>,
    /// The flat index map ([`Sampler::index_map`]), one entry per dense weight.
    index: Tensor<1, Int>,
    /// `[c_out, c_in, k, k]`.
    #[module(skip)]
    weight_shape: [usize; 4],
    #[module(skip)]
    stride: usize,
    #[module(skip)]
    padding: usize,
    /// Weight bits of quantization-aware training, or float weights.
    #[module(skip)]
    w_bits: Option<u32>,
}

impl EpitomeConv {
    /// The layer `spec` with stored weights `epitome` (flat, row-major, the
    /// stored shape) and `bias` on `device` (use an autodiff device to train).
    /// With `w_bits` the forward pass uses `E` quantized per epitome row with
    /// the straight-through estimator ([`quantize_rows_ste`]).
    ///
    /// Errors: an invalid epitome, values of the wrong length or non-finite,
    /// bits outside 2..=8.
    pub fn new(
        spec: &WeightLayerSpec,
        epitome: &[f32],
        bias: &[f32],
        w_bits: Option<u32>,
        device: &Device,
    ) -> Result<Self> {
        let esp = spec.epitome_spec();
        let index_map = Sampler::new(&esp)?.index_map();
        let shape = spec.stored_shape();
        check_values(
            &format!("{}.epitome", spec.name),
            epitome,
            esp.param_count(),
        )?;
        check_values(&format!("{}.bias", spec.name), bias, spec.c_out)?;
        if let Some(b) = w_bits {
            check_weight_bits(b)?;
        }
        let index: Vec<i64> = index_map
            .iter()
            .map(|&k| i64::try_from(k))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::invalid(&spec.name, "epitome too large to index"))?;
        let n = index.len();
        Ok(EpitomeConv {
            epitome: Param::from_tensor(Tensor::from_data(
                TensorData::new(epitome.to_vec(), shape),
                device,
            )),
            bias: Param::from_tensor(Tensor::from_data(
                TensorData::new(bias.to_vec(), [spec.c_out]),
                device,
            )),
            index: Tensor::from_data(TensorData::new(index, [n]), device),
            weight_shape: [spec.c_out, spec.c_in, spec.k, spec.k],
            stride: spec.stride,
            padding: spec.padding,
            w_bits,
        })
    }

    /// The sampled weights `[c_out, c_in, k, k]`: `E` (quantized with the
    /// straight-through estimator when the layer has weight bits) read through
    /// the index map.
    pub fn weights(&self) -> Tensor<4> {
        let e = self.epitome.val();
        let [e_out, e_in, e_h, e_w] = e.dims();
        let rows = e.reshape([e_out, e_in * e_h * e_w]);
        let rows = match self.w_bits {
            Some(bits) => quantize_rows_ste(rows, bits),
            None => rows,
        };
        rows.reshape([e_out * e_in * e_h * e_w])
            .select(0, self.index.clone())
            .reshape(self.weight_shape)
    }

    /// `conv2d(x, W, b)` with the layer's stride and padding; `x` is `[n,
    /// c_in, h, w]` (`[n, features, 1, 1]` for a dense layer).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (s, p) = (self.stride, self.padding);
        conv2d(
            x,
            self.weights(),
            Some(self.bias.val()),
            ConvOptions::new([s, s], [p, p], [1, 1], 1),
        )
    }

    /// The float epitome and bias as flat vectors (the stored layout).
    pub fn values(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        Ok((read(self.epitome.val())?, read(self.bias.val())?))
    }
}

/// Per-row symmetric quantization of `rows` (`[rows, len]`), forward only:
/// docs/epitome.md#quantization, the same numbers as [`crate::quant::quantize_rows`]
/// dequantized: `s_r = max|E[r]| / (2^(b-1) - 1)`, `q = clamp(round(E / s_r),
/// -qmax, qmax) * s_r`, rounding half away from zero (burn's `round` rounds
/// half to even), an all-zero row (scale 0) to zeros.
///
/// `bits` must be in 2..=8 (checked by the callers that build layers).
pub fn quantize_rows_forward(rows: Tensor<2>, bits: u32) -> Tensor<2> {
    let qm = ((1i32 << (bits.clamp(2, 8) - 1)) - 1) as f32;
    let scale = rows.clone().abs().max_dim(1).div_scalar(qm);
    let zero = scale.clone().equal_elem(0.0);
    let safe = scale.clone().mask_fill(zero, 1.0);
    let v = rows.div(safe);
    // round half away from zero: floor(|v|) + (frac(|v|) >= 0.5), with the sign
    // of v (|v| - floor(|v|) is exact in floating point).
    let a = v.clone().abs();
    let f = a.clone().floor();
    let up = a.sub(f.clone()).greater_equal_elem(0.5).float();
    f.add(up).clamp_max(qm).mul(v.sign()).mul(scale)
}

/// The straight-through estimator of [`quantize_rows_forward`]: the forward
/// value is the quantized `rows` exactly, the gradient passes through to the
/// float `rows` unchanged (`q.detach() + (rows - rows.detach())`).
pub fn quantize_rows_ste(rows: Tensor<2>, bits: u32) -> Tensor<2> {
    let q = quantize_rows_forward(rows.clone().detach(), bits);
    q.detach().add(rows.clone().sub(rows.detach()))
}

/// The values of a tensor as a flat `Vec<f32>`.
pub fn read<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.try_into_data()
        .map_err(|e| Error::invalid("burn tensor", format!("cannot read the values: {e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| Error::invalid("burn tensor", format!("not f32 values: {e:?}")))
}

fn check_values(what: &str, v: &[f32], n: usize) -> Result<()> {
    if v.len() != n {
        return Err(Error::shape(
            what,
            format!("{n} values"),
            format!("{} values", v.len()),
        ));
    }
    crate::error::check_finite(what, v)
}
