//! Trained models: the architecture ([`ArchSpec`]), the file format (one
//! `.safetensors` file per model, [`safetensors`]), the validated [`Model`], its
//! executor ([`runtime`]), its hardware cost under the simulator ([`cost`]), the
//! trainable architectures as simulator networks ([`network`]) and, with the
//! feature `tract` (native only), a second executor on tract-core (`tract`); the
//! model as plain float layers for other runtimes ([`export`]) and, with the
//! feature `onnx`, as an ONNX file (`onnx`).
//!
//! File layout (docs/models.md): header metadata `epim.format` =
//! [`FORMAT`], `epim.arch` = the [`ArchSpec`] as JSON, and optional
//! `epim.dataset`, `epim.accuracy_0_to_1`, `epim.train_command`,
//! `epim.git_commit`, `epim.license`, ... (all strings). Every weight layer
//! `NAME` has the tensors `NAME.bias` (`F32 [c_out]`) and either `NAME.weight`
//! (`F32`, float weights) or `NAME.codes` (`I8`) with `NAME.scales` (`F32
//! [rows]`, one per epitome row or output channel) when `w_bits` is set. The
//! weight shape is the epitome's `[e_out, e_in, e_h, e_w]` for an epitome layer,
//! else `[c_out, c_in, k, k]`. No other tensors are allowed.

pub mod cost;
pub mod export;
pub(crate) mod frame;
pub mod network;
#[cfg(feature = "onnx")]
pub mod onnx;
pub mod runtime;
pub mod safetensors;
pub mod stored;
#[cfg(feature = "tract")]
pub mod tract;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::epitome::{EpitomeShape, EpitomeSpec, LayerGeometry, Offset};
use crate::error::{check_finite, Error, Result};
use crate::infer::plan::PlanCell;
use crate::nn::Tensor4;
use crate::prune::PruneSpec;
use crate::quant::ActivationParams;
use safetensors::{SafeTensors, Tensor, TensorData};

/// Value of the `epim.format` metadata key.
pub const FORMAT: &str = "epim-model/1";

/// Largest channel count, kernel size, spatial size and layer count accepted
/// (models here are tiny; the bounds keep a hostile file from allocating).
const MAX_CHANNELS: usize = crate::limits::MAX_CHANNELS;
/// Kernel, stride and padding: the crate's one bound (the simulator's networks and
/// the epitome layers take the same).
use crate::limits::MAX_KERNEL;
const MAX_SPATIAL: usize = 1024;
const MAX_LAYERS: usize = 256;

/// The epitome of a weight layer: its shape and one offset per group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct EpitomeDesc {
    /// Epitome output rows.
    pub e_out: usize,
    /// Epitome input channels.
    pub e_in: usize,
    /// Epitome height.
    pub e_h: usize,
    /// Epitome width.
    pub e_w: usize,
    /// One `(a, b, c)` offset per output-channel group (`ceil(c_out / e_out)`).
    pub offsets: Vec<Offset>,
}

/// A convolution or fully connected layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct WeightLayerSpec {
    /// Unique name; its tensors are `NAME.bias`, `NAME.weight` or `NAME.codes`
    /// and `NAME.scales`.
    pub name: String,
    /// Input channels (features for a dense layer).
    pub c_in: usize,
    /// Output channels (features).
    pub c_out: usize,
    /// Square kernel size (1 for dense).
    #[serde(default = "one")]
    pub k: usize,
    /// Stride (1 for dense).
    #[serde(default = "one")]
    pub stride: usize,
    /// Zero padding (0 for dense).
    #[serde(default)]
    pub padding: usize,
    /// The epitome the weights are sampled from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epitome: Option<EpitomeDesc>,
    /// Weight bits (2..=8, per-row symmetric codes); `None`: float weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w_bits: Option<u32>,
    /// Quantization of this layer's input (unsigned, calibrated); `None`: float.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<ActivationParams>,
    /// How the layer was pruned (zeros are stored; used by the cost model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<PruneSpec>,
}

fn one() -> usize {
    1
}

/// One layer of a model (JSON: `{"kind": "conv", ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
// `ModelLayerSpec` in TypeScript: the simulator's network layers are `LayerSpec` there
// (the prefix would apply to the types it names too, hence the variants' own types).
#[cfg_attr(target_arch = "wasm32", tsify(type_prefix = "Model"))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LayerSpec {
    /// 2-D convolution (square kernel), bias per output channel.
    Conv(#[cfg_attr(target_arch = "wasm32", tsify(type = "WeightLayerSpec"))] WeightLayerSpec),
    /// Fully connected layer on a flattened input (`k = 1`).
    Dense(#[cfg_attr(target_arch = "wasm32", tsify(type = "WeightLayerSpec"))] WeightLayerSpec),
    /// `max(x, 0)`.
    Relu,
    /// Max pooling, window and stride `k`, no padding (the remainder is dropped).
    MaxPool {
        /// Window and stride.
        k: usize,
    },
    /// `[n, c, h, w] -> [n, c*h*w, 1, 1]`.
    Flatten,
}

/// A model's architecture: input shape, layers, number of classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ArchSpec {
    /// Input `[c, h, w]`.
    pub input: [usize; 3],
    /// Classes (the last layer's outputs).
    pub classes: usize,
    /// Layers in order.
    #[cfg_attr(target_arch = "wasm32", tsify(type = "ModelLayerSpec[]"))]
    pub layers: Vec<LayerSpec>,
}

impl WeightLayerSpec {
    /// The epitome spec of the layer (an epitome equal to the weight shape with
    /// one group when the layer is dense).
    pub fn epitome_spec(&self) -> EpitomeSpec {
        let layer = LayerGeometry {
            c_out: self.c_out,
            c_in: self.c_in,
            k_h: self.k,
            k_w: self.k,
            stride: self.stride,
            padding: self.padding,
        };
        match &self.epitome {
            Some(e) => EpitomeSpec {
                layer,
                epitome: EpitomeShape {
                    e_out: e.e_out,
                    e_in: e.e_in,
                    e_h: e.e_h,
                    e_w: e.e_w,
                },
                offsets: Some(e.offsets.clone()),
                rep: 1,
            },
            None => EpitomeSpec {
                layer,
                epitome: EpitomeShape {
                    e_out: self.c_out,
                    e_in: self.c_in,
                    e_h: self.k,
                    e_w: self.k,
                },
                offsets: None,
                rep: 1,
            },
        }
    }

    /// Shape of the stored weights: the epitome's or `[c_out, c_in, k, k]`.
    pub fn stored_shape(&self) -> [usize; 4] {
        let e = self.epitome_spec().epitome;
        [e.e_out, e.e_in, e.e_h, e.e_w]
    }

    /// Stored weight values.
    pub fn stored_len(&self) -> usize {
        self.stored_shape().iter().product()
    }

    /// Dense weights `c_out*c_in*k*k`.
    pub fn dense_len(&self) -> usize {
        self.c_out * self.c_in * self.k * self.k
    }

    fn validate(&self, at: &str, dense: bool) -> Result<()> {
        let f = |x: &str| format!("{at}.{x}");
        if self.name.is_empty() || self.name.contains('.') {
            return Err(Error::invalid(f("name"), "must be non-empty without '.'"));
        }
        for (n, v, max) in [
            ("c_in", self.c_in, MAX_CHANNELS),
            ("c_out", self.c_out, MAX_CHANNELS),
            ("k", self.k, MAX_KERNEL),
            ("stride", self.stride, MAX_KERNEL),
        ] {
            if v == 0 || v > max {
                return Err(Error::invalid(
                    f(n),
                    format!("must be in 1..={max}, got {v}"),
                ));
            }
        }
        if self.padding > MAX_KERNEL {
            return Err(Error::invalid(
                f("padding"),
                format!("must be at most {MAX_KERNEL}, got {}", self.padding),
            ));
        }
        if dense && (self.k != 1 || self.stride != 1 || self.padding != 0) {
            return Err(Error::invalid(
                at,
                "a dense layer has k = 1, stride = 1, padding = 0",
            ));
        }
        if let Some(b) = self.w_bits {
            crate::quant::weights::check_weight_bits(b)
                .map_err(|_| Error::invalid(f("w_bits"), format!("must be in 2..=8, got {b}")))?;
        }
        if let Some(a) = &self.act {
            if !(1..=16).contains(&a.bits) {
                return Err(Error::invalid(
                    f("act.bits"),
                    format!("must be in 1..=16, got {}", a.bits),
                ));
            }
            // Scale 0 maps every activation to 0 (the layers after it see a
            // constant: the model predicts the same thing for every image); NaN,
            // infinite and negative scales are meaningless.
            if !(a.scale.is_finite() && a.scale > 0.0) {
                return Err(Error::invalid(
                    f("act.scale"),
                    format!("must be a finite number > 0, got {}", a.scale),
                ));
            }
        }
        if let Some(p) = &self.prune {
            p.validate().map_err(|e| Error::invalid(f("prune"), e))?;
        }
        if let Some(e) = &self.epitome {
            let spec = self.epitome_spec();
            if e.offsets.len() != spec.groups() {
                return Err(Error::invalid(
                    f("epitome.offsets"),
                    format!(
                        "must list one offset per group ({}), got {}",
                        spec.groups(),
                        e.offsets.len()
                    ),
                ));
            }
        }
        self.epitome_spec()
            .validate()
            .map_err(|e| Error::invalid(at, e))
    }
}

/// Walks the layers, checking every shape; returns the `[c, h, w]` after each.
impl ArchSpec {
    /// Validates every layer and the shapes between them; returns the input
    /// shape `[c, h, w]` of every layer.
    pub fn validate(&self) -> Result<Vec<[usize; 3]>> {
        let [c, h, w] = self.input;
        for (n, v) in [("input[0]", c), ("input[1]", h), ("input[2]", w)] {
            if v == 0 || v > MAX_SPATIAL {
                return Err(Error::invalid(
                    format!("arch.{n}"),
                    format!("must be in 1..={MAX_SPATIAL}, got {v}"),
                ));
            }
        }
        if self.layers.is_empty() || self.layers.len() > MAX_LAYERS {
            return Err(Error::invalid(
                "arch.layers",
                format!(
                    "must have 1..={MAX_LAYERS} layers, got {}",
                    self.layers.len()
                ),
            ));
        }
        let mut names: Vec<&str> = Vec::new();
        let mut shape = self.input;
        let mut shapes = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let at = format!("arch.layers[{i}]");
            shapes.push(shape);
            let [c, h, w] = shape;
            shape = match layer {
                LayerSpec::Conv(l) | LayerSpec::Dense(l) => {
                    let dense = matches!(layer, LayerSpec::Dense(_));
                    l.validate(&at, dense)?;
                    if names.contains(&l.name.as_str()) {
                        return Err(Error::invalid(
                            format!("{at}.name"),
                            format!("'{}' is used twice", l.name),
                        ));
                    }
                    names.push(&l.name);
                    if dense && (h != 1 || w != 1) {
                        return Err(Error::invalid(
                            &at,
                            format!("a dense layer needs a flattened input, got [{c}, {h}, {w}] (add a flatten layer)"),
                        ));
                    }
                    if l.c_in != c {
                        return Err(Error::shape(
                            format!("{at}.c_in"),
                            format!("{c} (the previous layer's output channels)"),
                            l.c_in,
                        ));
                    }
                    let ho = crate::nn::output_len(
                        &format!("{at} input height"),
                        h,
                        l.k,
                        l.stride,
                        l.padding,
                    )?;
                    let wo = crate::nn::output_len(
                        &format!("{at} input width"),
                        w,
                        l.k,
                        l.stride,
                        l.padding,
                    )?;
                    [l.c_out, ho, wo]
                }
                LayerSpec::Relu => shape,
                LayerSpec::MaxPool { k } => {
                    if *k == 0 || *k > h || *k > w {
                        return Err(Error::invalid(
                            format!("{at}.k"),
                            format!("must be in 1..=min(h, w) = {}, got {k}", h.min(w)),
                        ));
                    }
                    [c, h / k, w / k]
                }
                LayerSpec::Flatten => [c * h * w, 1, 1],
            };
            crate::nn::check_elements(&at, &[shape[0], shape[1], shape[2]])?;
        }
        if shape != [self.classes, 1, 1] {
            return Err(Error::shape(
                "arch output",
                format!("[{}, 1, 1] (classes)", self.classes),
                format!("{shape:?}"),
            ));
        }
        Ok(shapes)
    }

    /// The weight layers in order.
    pub fn weight_layers(&self) -> impl Iterator<Item = &WeightLayerSpec> {
        self.layers.iter().filter_map(|l| match l {
            LayerSpec::Conv(w) | LayerSpec::Dense(w) => Some(w),
            _ => None,
        })
    }
}

/// A weight layer's values, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightValues {
    /// Stored weights as floats (dequantized when `codes` is set).
    pub stored: Vec<f32>,
    /// The integer codes and per-row scales when the layer is quantized.
    pub codes: Option<crate::quant::QuantizedEpitome>,
    /// Bias, `c_out` values.
    pub bias: Vec<f32>,
    /// The materialized dense weights `[c_out, c_in, k, k]`.
    pub dense: Tensor4,
}

/// A validated model: architecture, weights, metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    arch: ArchSpec,
    shapes: Vec<[usize; 3]>,
    values: Vec<WeightValues>,
    metadata: BTreeMap<String, String>,
    /// The compiled plan (built from the fields above; `None` inside when the
    /// model is outside the integer path).
    plan: PlanCell,
}

impl Model {
    /// Builds a model from an architecture and, per weight layer in order, its
    /// stored float weights (stored shape) and bias. Quantizes the weights when
    /// the layer has `w_bits`. `metadata` is kept as is (`epim.format` and
    /// `epim.arch` are set when saving).
    pub fn from_float(
        arch: ArchSpec,
        weights: Vec<(Vec<f32>, Vec<f32>)>,
        metadata: BTreeMap<String, String>,
    ) -> Result<Self> {
        let shapes = arch.validate()?;
        let layers: Vec<WeightLayerSpec> = arch.weight_layers().cloned().collect();
        if layers.len() != weights.len() {
            return Err(Error::shape(
                "weights",
                format!("{} weight layers", layers.len()),
                weights.len(),
            ));
        }
        let mut values = Vec::with_capacity(layers.len());
        for (l, (w, b)) in layers.iter().zip(weights) {
            let codes = match l.w_bits {
                Some(bits) => Some(crate::quant::quantize_rows(&w, l.stored_shape()[0], bits)?),
                None => None,
            };
            // A quantized layer stores (and runs) its dequantized codes.
            let stored = codes.as_ref().map_or(w, |q| q.dequantize());
            values.push(build_values(l, stored, codes, b)?);
        }
        Model::assemble(arch, shapes, values, metadata)
    }

    /// Parses and validates a model file; every error says what is wrong where.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let max = crate::limits::MAX_MODEL_BYTES;
        if bytes.len() > max {
            return Err(Error::parse(
                "model file",
                format!("{} bytes; a model file has at most {max}", bytes.len()),
            ));
        }
        let st = SafeTensors::from_bytes(bytes)?;
        let meta = &st.metadata;
        match meta.get("epim.format") {
            Some(f) if f == FORMAT => {}
            Some(f) => {
                return Err(Error::parse(
                    "model metadata epim.format",
                    format!("expected {FORMAT}, got {f}"),
                ))
            }
            None => {
                return Err(Error::parse(
                    "model metadata",
                    "missing epim.format (not an EPIM model file)",
                ))
            }
        }
        let arch_text = meta
            .get("epim.arch")
            .ok_or_else(|| Error::parse("model metadata", "missing epim.arch"))?;
        let arch: ArchSpec = crate::error::from_json_str("model metadata epim.arch", arch_text)?;
        if let Some(a) = meta.get("epim.accuracy_0_to_1") {
            match a.parse::<f64>() {
                Ok(v) if (0.0..=1.0).contains(&v) => {}
                _ => {
                    return Err(Error::parse(
                        "model metadata epim.accuracy_0_to_1",
                        format!("must be a number in [0, 1], got '{a}'"),
                    ))
                }
            }
        }
        let shapes = arch.validate()?;
        let mut used = 0usize;
        let mut values = Vec::new();
        for l in arch.weight_layers() {
            let get = |suffix: &str| {
                st.tensors
                    .get(&format!("{}.{suffix}", l.name))
                    .ok_or_else(|| {
                        Error::parse(
                            "model tensors",
                            format!("missing tensor {}.{suffix}", l.name),
                        )
                    })
            };
            let shape = l.stored_shape().to_vec();
            let bias = f32_tensor(get("bias")?, &format!("{}.bias", l.name), &[l.c_out])?;
            let (stored, codes) = match l.w_bits {
                None => {
                    used += 2;
                    (
                        f32_tensor(get("weight")?, &format!("{}.weight", l.name), &shape)?,
                        None,
                    )
                }
                Some(bits) => {
                    used += 3;
                    let name = format!("{}.codes", l.name);
                    let t = get("codes")?;
                    check_shape(t, &name, &shape)?;
                    let TensorData::I8(c) = &t.data else {
                        return Err(Error::parse("model tensors", format!("{name} must be I8")));
                    };
                    let qm = (1i32 << (bits - 1)) - 1;
                    if let Some(k) = c.iter().position(|&v| i32::from(v).abs() > qm) {
                        return Err(Error::invalid(
                            format!("{name}[{k}]"),
                            format!("code {} exceeds +-{qm} for {bits} bits", c[k]),
                        ));
                    }
                    let sname = format!("{}.scales", l.name);
                    let scales = f32_tensor(get("scales")?, &sname, &[shape[0]])?;
                    if let Some(k) = scales.iter().position(|s| *s < 0.0) {
                        return Err(Error::invalid(format!("{sname}[{k}]"), "must be >= 0"));
                    }
                    let q = crate::quant::QuantizedEpitome {
                        bits,
                        scales,
                        codes: c.iter().map(|&v| i32::from(v)).collect(),
                    };
                    (q.dequantize(), Some(q))
                }
            };
            values.push(build_values(l, stored, codes, bias)?);
        }
        if used != st.tensors.len() {
            let expected: Vec<String> = arch
                .weight_layers()
                .flat_map(|l| {
                    let kinds: &[&str] = match l.w_bits {
                        None => &["bias", "weight"],
                        Some(_) => &["bias", "codes", "scales"],
                    };
                    kinds.iter().map(move |k| format!("{}.{k}", l.name))
                })
                .collect();
            let extra = st
                .tensors
                .keys()
                .find(|k| !expected.contains(k))
                .cloned()
                .unwrap_or_default();
            return Err(Error::parse(
                "model tensors",
                format!("unexpected tensor '{extra}' (not used by the architecture)"),
            ));
        }
        let mut metadata = st.metadata;
        metadata.remove("epim.format");
        metadata.remove("epim.arch");
        Model::assemble(arch, shapes, values, metadata)
    }

    /// The file bytes (safetensors with the metadata of the module docs).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut st = SafeTensors {
            metadata: self.metadata.clone(),
            ..Default::default()
        };
        st.metadata.insert("epim.format".into(), FORMAT.into());
        st.metadata.insert(
            "epim.arch".into(),
            serde_json::to_string(&self.arch).map_err(|e| Error::parse("arch", e))?,
        );
        for (l, v) in self.arch.weight_layers().zip(&self.values) {
            let shape = l.stored_shape().to_vec();
            st.tensors.insert(
                format!("{}.bias", l.name),
                Tensor {
                    shape: vec![l.c_out],
                    data: TensorData::F32(v.bias.clone()),
                },
            );
            match &v.codes {
                None => {
                    st.tensors.insert(
                        format!("{}.weight", l.name),
                        Tensor {
                            shape,
                            data: TensorData::F32(v.stored.clone()),
                        },
                    );
                }
                Some(q) => {
                    st.tensors.insert(
                        format!("{}.codes", l.name),
                        Tensor {
                            shape,
                            data: TensorData::I8(q.codes.iter().map(|&c| c as i8).collect()),
                        },
                    );
                    st.tensors.insert(
                        format!("{}.scales", l.name),
                        Tensor {
                            shape: vec![q.scales.len()],
                            data: TensorData::F32(q.scales.clone()),
                        },
                    );
                }
            }
        }
        st.to_bytes()
    }

    /// The architecture.
    pub fn arch(&self) -> &ArchSpec {
        &self.arch
    }

    /// Input shape `[c, h, w]` of every layer.
    pub fn shapes(&self) -> &[[usize; 3]] {
        &self.shapes
    }

    /// Values of every weight layer, in order.
    pub fn values(&self) -> &[WeightValues] {
        &self.values
    }

    /// The metadata (string map).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// Sets a metadata entry.
    pub fn set_metadata(&mut self, key: &str, value: impl Into<String>) {
        self.metadata.insert(key.into(), value.into());
    }

    /// The recorded test accuracy (`epim.accuracy_0_to_1`), if any.
    pub fn recorded_accuracy(&self) -> Option<f64> {
        self.metadata
            .get("epim.accuracy_0_to_1")
            .and_then(|a| a.parse().ok())
    }

    /// Sets the input activation parameters of weight layer `i`.
    pub fn set_activation(&mut self, i: usize, act: ActivationParams) -> Result<()> {
        let layer = self
            .arch
            .layers
            .iter_mut()
            .filter_map(|l| match l {
                LayerSpec::Conv(w) | LayerSpec::Dense(w) => Some(w),
                _ => None,
            })
            .nth(i)
            .ok_or_else(|| Error::invalid("layer", format!("no weight layer {i}")))?;
        layer.act = Some(act);
        self.arch.validate()?;
        self.plan = PlanCell::build(self)?;
        Ok(())
    }

    /// Stored parameters: weight values (epitome entries or weights) plus biases.
    pub fn param_count(&self) -> usize {
        self.arch
            .weight_layers()
            .map(|l| l.stored_len() + l.c_out)
            .sum()
    }
}

fn build_values(
    l: &WeightLayerSpec,
    stored: Vec<f32>,
    codes: Option<crate::quant::QuantizedEpitome>,
    bias: Vec<f32>,
) -> Result<WeightValues> {
    let what = format!("{}.weights", l.name);
    if stored.len() != l.stored_len() {
        return Err(Error::shape(&what, l.stored_len(), stored.len()));
    }
    if bias.len() != l.c_out {
        return Err(Error::shape(
            format!("{}.bias", l.name),
            l.c_out,
            bias.len(),
        ));
    }
    check_finite(&what, &stored)?;
    check_finite(&format!("{}.bias", l.name), &bias)?;
    let dense = crate::epitome::materialize(&l.epitome_spec(), &stored)?;
    Ok(WeightValues {
        stored,
        codes,
        bias,
        dense,
    })
}

fn check_shape(t: &Tensor, name: &str, shape: &[usize]) -> Result<()> {
    if t.shape != shape {
        return Err(Error::shape(
            name,
            format!("{shape:?}"),
            format!("{:?}", t.shape),
        ));
    }
    Ok(())
}

fn f32_tensor(t: &Tensor, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    check_shape(t, name, shape)?;
    match &t.data {
        TensorData::F32(v) => {
            check_finite(name, v)?;
            Ok(v.clone())
        }
        TensorData::I8(_) => Err(Error::parse("model tensors", format!("{name} must be F32"))),
    }
}
