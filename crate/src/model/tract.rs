//! A second executor for [`Model`]s on tract-core (feature `tract`, native
//! only): the one module of the crate that imports tract.
//!
//! [`TractModel::from_model`] turns a validated model into a tract
//! `TypedModel` with a symbolic batch axis `N`, in the crate's NCHW layout:
//!
//! | model layer | tract ops |
//! |---|---|
//! | `conv` | `Conv` (OIHW kernel = the materialized dense weights, explicit zero padding, stride), bias per channel |
//! | `dense` | `Conv` with a 1x1 kernel on the `[N, c, 1, 1]` flattened input (the crate's own representation) |
//! | `act` of a weight layer | `Mul(1 / scale)`, `Round`, `Max(0)`, `Min(2^bits - 1)`, `Mul(scale)` before it; `Max(0)`, `Min(0)` for scale 0 |
//! | `relu` | `Max(0)` |
//! | `max_pool` | `MaxPool`, window and stride `k`, no padding |
//! | `flatten` | `Reshape [c, h, w] -> [c*h*w, 1, 1]` |
//!
//! Weights are the model's materialized dense weights: dequantized codes, epitome layers
//! expanded to `[c_out, c_in, k, k]`, pruned rows stored (and so run) as zeros.
//!
//! The activation fake-quantization is the crate's
//! [`fake_quantize_activations`](crate::model::runtime::fake_quantize_activations),
//! op for op: the same `f32` constants (`1 / scale` computed in `f32`, then
//! `scale`), the same rounding (tract's `Round` is `f32::round`, half away from
//! zero) and the same clamp. Given the same layer input the two engines produce
//! bit-identical quantized activations; the layer inputs themselves differ by
//! float noise because tract sums each convolution in another order (im2col and
//! a packed matrix product, with fused multiply-add where the CPU has it), so a
//! value within that noise of a rounding boundary `k + 0.5` can be quantized one
//! step apart (docs/models.md, "tract cross-check": 0.1 to 1.6 % of the test
//! images of the shipped models).
//!
//! The graph is decluttered and optimized once (`into_optimized`) and run on whole
//! batches. tract's errors become [`Error::Tract`] naming the step that failed.

use std::sync::Arc;

use tract_core::internal::{tvec, TDim, TValue, TVec, TypedOp};
use tract_core::model::{DatumExt, SpecialOps};
use tract_core::ops::binary::TypedBinOp;
use tract_core::ops::change_axes::AxisOp;
use tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_core::ops::math::{max, min, mul, round};
use tract_core::ops::nn::DataFormat;
use tract_core::prelude::{
    IntoRunnable, IntoTValue, OutletId, Tensor, ToDim, TractError, TypedModel, TypedRunnableModel,
};

use crate::error::{check_finite, Error, Result};
use crate::model::runtime::{check_image_len, Engine, BATCH_IMAGES};
use crate::model::{LayerSpec, Model};
use crate::quant::ActivationParams;

/// A [`Model`] compiled to optimized tract-core plans: one for batches of
/// exactly [`BATCH_IMAGES`] images (the batch axis a constant, which lets tract
/// plan memory and kernels for it: about 1.4x faster on the shipped models) and
/// one for any batch size (a symbolic batch axis `N`).
#[derive(Debug, Clone)]
pub struct TractModel {
    full_batch: Arc<TypedRunnableModel>,
    any_batch: Arc<TypedRunnableModel>,
    input: [usize; 3],
    classes: usize,
    op_names: Vec<String>,
}

/// Turns a tract error into [`Error::Tract`], saying what was being done.
fn tract_err(step: impl Into<String>) -> impl Fn(TractError) -> Error {
    let step = step.into();
    move |e| Error::Tract(format!("{step}: {e:#}"))
}

/// Wires one op and returns its (single) output.
fn wire(
    g: &mut TypedModel,
    name: &str,
    op: impl Into<Box<dyn TypedOp>>,
    inputs: &[OutletId],
) -> Result<OutletId> {
    let outlets = g
        .wire_node(name, op, inputs)
        .map_err(tract_err(format!("wiring {name}")))?;
    outlets
        .first()
        .copied()
        .ok_or_else(|| Error::Tract(format!("wiring {name}: the op has no output")))
}

/// Adds a constant tensor of `shape`.
fn constant(g: &mut TypedModel, name: &str, shape: &[usize], data: &[f32]) -> Result<OutletId> {
    let t = Tensor::from_shape(shape, data).map_err(tract_err(format!("building {name}")))?;
    g.add_const(name, t)
        .map_err(tract_err(format!("adding {name}")))
}

/// Wires `op(x, v)` for a binary op and a scalar `v` (a `[1, 1, 1, 1]`
/// constant: tract's binary ops need equal ranks and broadcast the ones).
fn wire_scalar(
    g: &mut TypedModel,
    name: &str,
    op: TypedBinOp,
    x: OutletId,
    v: f32,
) -> Result<OutletId> {
    let c = constant(g, &format!("{name}.value"), &[1, 1, 1, 1], &[v])?;
    wire(g, name, op, &[x, c])
}

/// The crate's activation fake-quantization, `clamp(round(x * (1 / scale)), 0,
/// q_max) * scale` (all zeros for scale 0), as tract ops.
fn wire_fake_quant(
    g: &mut TypedModel,
    name: &str,
    x: OutletId,
    act: &ActivationParams,
) -> Result<OutletId> {
    if act.scale <= 0.0 {
        // Zeros of the input's shape: every input is finite (checked), and
        // clamp(x, 0, 0) = 0. (`Mul(x, 0)` would be the obvious op, but
        // tract-core 0.23.9's declutter then fails on a following 1x1 Conv:
        // "EinSum: Condition failed: ... fact.len() == self.axes.rank(..)".)
        let x = wire_scalar(g, &format!("{name}.zero_low"), max(), x, 0.0)?;
        return wire_scalar(g, &format!("{name}.zero_high"), min(), x, 0.0);
    }
    let qm = act.q_max() as f32;
    let inv = 1.0 / act.scale;
    let x = wire_scalar(g, &format!("{name}.mul_inv_scale"), mul(), x, inv)?;
    let x = wire(g, &format!("{name}.round"), round(), &[x])?;
    let x = wire_scalar(g, &format!("{name}.clamp_low"), max(), x, 0.0)?;
    let x = wire_scalar(g, &format!("{name}.clamp_high"), min(), x, qm)?;
    wire_scalar(g, &format!("{name}.mul_scale"), mul(), x, act.scale)
}

impl TractModel {
    /// Builds, declutters and optimizes the tract graph of `model` (see the
    /// module docs for the op mapping). Errors: [`Error::Tract`] if tract rejects
    /// a step (a bug here, not bad input: the model is validated).
    pub fn from_model(model: &Model) -> Result<Self> {
        let (g, logits, _) = build_graph(model, Some(BATCH_IMAGES))?;
        let (full_batch, op_names) = optimize(g, &[logits])?;
        let (g, logits, _) = build_graph(model, None)?;
        let (any_batch, _) = optimize(g, &[logits])?;
        Ok(TractModel {
            full_batch,
            any_batch,
            input: model.arch().input,
            classes: model.arch().classes,
            op_names,
        })
    }

    /// The input of every weight layer (after the previous layers, before the
    /// layer's own activation quantization) for the batch `images` of `n`
    /// images, as tract computes it: the counterpart of
    /// [`Model::layer_inputs`], for locating where the two engines part. Builds
    /// and optimizes a graph with these extra outputs on every call.
    pub fn layer_inputs(model: &Model, images: &[f32], n: usize) -> Result<Vec<Vec<f32>>> {
        let (g, _, taps) = build_graph(model, None)?;
        if taps.is_empty() {
            return Ok(Vec::new());
        }
        let (plan, _) = optimize(g, &taps)?;
        run(&plan, model.arch().input, images, n)?
            .iter()
            .map(|t| read_f32(t, "reading a layer input"))
            .collect()
    }

    /// Names of the ops of the optimized graph, in order (what tract will run).
    pub fn op_names(&self) -> &[String] {
        &self.op_names
    }
}

/// The tract graph of `model` before optimization, for batches of `batch`
/// images (`None`: any number, a symbolic axis `N`): its logits (`[N, classes,
/// 1, 1]`) and the input of every weight layer before its fake-quantization.
fn build_graph(
    model: &Model,
    batch: Option<usize>,
) -> Result<(TypedModel, OutletId, Vec<OutletId>)> {
    let arch = model.arch();
    let [c0, h0, w0] = arch.input;
    let mut g = TypedModel::default();
    let n = match batch {
        Some(b) => b.to_dim(),
        None => g.symbols.sym("N").to_dim(),
    };
    let fact = f32::fact([n, c0.to_dim(), h0.to_dim(), w0.to_dim()]);
    let mut x = g
        .add_source("images", fact)
        .map_err(tract_err("adding the input"))?;
    let mut weights = model.values().iter();
    let mut taps = Vec::new();
    for (i, (layer, &[c, h, w])) in arch.layers.iter().zip(model.shapes()).enumerate() {
        x = match layer {
            LayerSpec::Conv(l) | LayerSpec::Dense(l) => {
                let name = l.name.as_str();
                let v = weights.next().ok_or_else(|| {
                    Error::Tract(format!("wiring layer {i} ({name}): no weight values"))
                })?;
                taps.push(x);
                if let Some(act) = &l.act {
                    x = wire_fake_quant(&mut g, &format!("{name}.act"), x, act)?;
                }
                let kernel = constant(
                    &mut g,
                    &format!("{name}.weight"),
                    &v.dense.shape(),
                    v.dense.data(),
                )?;
                let bias = constant(&mut g, &format!("{name}.bias"), &[l.c_out], &v.bias)?;
                let p = l.padding;
                let pool_spec = PoolSpec {
                    data_format: DataFormat::NCHW,
                    kernel_shape: tvec!(l.k, l.k),
                    padding: PaddingSpec::Explicit(tvec!(p, p), tvec!(p, p)),
                    dilations: None,
                    strides: Some(tvec!(l.stride, l.stride)),
                    input_channels: l.c_in,
                    output_channels: l.c_out,
                };
                let conv = Conv {
                    pool_spec,
                    kernel_fmt: KernelFormat::OIHW,
                    group: 1,
                    q_params: None,
                };
                wire(&mut g, name, conv, &[x, kernel, bias])?
            }
            LayerSpec::Relu => wire_scalar(&mut g, &format!("relu{i}"), max(), x, 0.0)?,
            LayerSpec::MaxPool { k } => {
                let pool_spec = PoolSpec {
                    data_format: DataFormat::NCHW,
                    kernel_shape: tvec!(*k, *k),
                    padding: PaddingSpec::Valid,
                    dilations: None,
                    strides: Some(tvec!(*k, *k)),
                    input_channels: c,
                    output_channels: c,
                };
                let op = MaxPool::new(pool_spec, None);
                wire(&mut g, &format!("max_pool{i}"), op, &[x])?
            }
            LayerSpec::Flatten => {
                let from: TVec<TDim> = tvec!(c.to_dim(), h.to_dim(), w.to_dim());
                let to: TVec<TDim> = tvec!((c * h * w).to_dim(), 1usize.to_dim(), 1usize.to_dim());
                wire(
                    &mut g,
                    &format!("flatten{i}"),
                    AxisOp::Reshape(1, from, to),
                    &[x],
                )?
            }
        };
    }
    Ok((g, x, taps))
}

/// Selects `outputs`, declutters and optimizes the graph and makes it runnable;
/// also returns the names of the optimized ops.
fn optimize(
    mut g: TypedModel,
    outputs: &[OutletId],
) -> Result<(Arc<TypedRunnableModel>, Vec<String>)> {
    g.select_output_outlets(outputs)
        .map_err(tract_err("selecting the outputs"))?;
    let g = g
        .into_optimized()
        .map_err(tract_err("optimizing the graph"))?;
    let op_names = g.nodes.iter().map(|n| n.op.name().to_string()).collect();
    let plan = g
        .into_runnable()
        .map_err(tract_err("building the run plan"))?;
    Ok((plan, op_names))
}

/// Checks `n` images of shape `input` and runs them through `plan` as one batch.
fn run(
    plan: &Arc<TypedRunnableModel>,
    input: [usize; 3],
    images: &[f32],
    n: usize,
) -> Result<TVec<TValue>> {
    let [c, h, w] = input;
    check_image_len(images, n, input)?;
    if n == 0 {
        return Err(Error::invalid("images", "at least one image is needed"));
    }
    check_finite("images", images)?;
    let x = Tensor::from_shape(&[n, c, h, w], images)
        .map_err(tract_err("building the input tensor"))?;
    plan.run(tvec!(x.into_tvalue()))
        .map_err(tract_err("running the model"))
}

/// The values of an output tensor.
fn read_f32(t: &TValue, step: &str) -> Result<Vec<f32>> {
    let view = t.try_as_plain_ram().map_err(tract_err(step))?;
    Ok(view.as_slice::<f32>().map_err(tract_err(step))?.to_vec())
}

impl Engine for TractModel {
    fn input_shape(&self) -> [usize; 3] {
        self.input
    }

    fn classes(&self) -> usize {
        self.classes
    }

    /// Logits `[n, classes]` (flat, row-major) of `n` images `[n, c, h, w]`
    /// (flat): each run of [`BATCH_IMAGES`] images on the full-batch plan, the
    /// rest as one batch on the any-size plan (both give the same bits for an
    /// image, tested). Errors: a length other than `n * c * h * w`, a NaN or
    /// infinite pixel, or [`Error::Tract`] if tract fails.
    fn logits(&self, images: &[f32], n: usize) -> Result<Vec<f32>> {
        if n == 0 && images.is_empty() {
            return Ok(Vec::new());
        }
        let [c, h, w] = self.input;
        check_image_len(images, n, self.input)?;
        let mut out = Vec::with_capacity(n * self.classes);
        let mut start = 0;
        while start < n {
            let (plan, m) = if n - start >= BATCH_IMAGES {
                (&self.full_batch, BATCH_IMAGES)
            } else {
                (&self.any_batch, n - start)
            };
            let chunk = &images[start * c * h * w..(start + m) * c * h * w];
            out.extend(self.run_logits(plan, chunk, m)?);
            start += m;
        }
        Ok(out)
    }
}

impl TractModel {
    /// Logits of one batch of `n` images on `plan`.
    fn run_logits(
        &self,
        plan: &Arc<TypedRunnableModel>,
        images: &[f32],
        n: usize,
    ) -> Result<Vec<f32>> {
        let out = run(plan, self.input, images, n)?;
        let logits = out
            .first()
            .ok_or_else(|| Error::Tract("running the model: no output".into()))?;
        let data = read_f32(logits, "reading the logits")?;
        if data.len() != n * self.classes {
            return Err(Error::shape(
                "tract logits",
                format!("{n} x {} values", self.classes),
                data.len(),
            ));
        }
        Ok(data)
    }
}
