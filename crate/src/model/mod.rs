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

pub mod arch;
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

pub use arch::{ArchSpec, EpitomeDesc, LayerSpec, WeightLayerSpec};

use crate::error::{check_finite, Error, Result};
use crate::infer::plan::PlanCell;
use crate::nn::Tensor4;
use crate::quant::ActivationParams;
use safetensors::{SafeTensors, Tensor, TensorData};

/// Value of the `epim.format` metadata key.
pub const FORMAT: &str = "epim-model/1";

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
