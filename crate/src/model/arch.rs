//! The architecture of a trained model ([`ArchSpec`]): its layers as the file's
//! `epim.arch` JSON, bounded and validated before anything is allocated.

use serde::{Deserialize, Serialize};

use crate::epitome::{EpitomeShape, EpitomeSpec, LayerGeometry, Offset};
use crate::error::{Error, Result};
use crate::prune::PruneSpec;
use crate::quant::ActivationParams;

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
