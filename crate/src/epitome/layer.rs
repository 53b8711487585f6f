//! The built [`Epitome`] (spec + data) and the JSON layer file shared by the CLI
//! and the wasm API ([`EpitomeLayerSpec`]).

use serde::{Deserialize, Serialize};

use crate::epitome::materialize::{check_len, materialize};
use crate::epitome::spec::{EpitomeShape, EpitomeSpec, LayerGeometry, Offset};
use crate::error::{check_finite, Error, Result};
use crate::nn::{Tensor4, TensorSpec};

/// A validated epitome: its spec and its `e_out*e_in*e_h*e_w` finite values.
#[derive(Debug, Clone, PartialEq)]
pub struct Epitome {
    spec: EpitomeSpec,
    data: Vec<f32>,
}

impl Epitome {
    /// Validates the spec, the data length and that every value is finite.
    pub fn new(spec: EpitomeSpec, data: Vec<f32>) -> Result<Self> {
        spec.validate()?;
        check_len("epitome.data", data.len(), spec.param_count())?;
        check_finite("epitome.data", &data)?;
        Ok(Epitome { spec, data })
    }

    /// The spec.
    pub fn spec(&self) -> &EpitomeSpec {
        &self.spec
    }

    /// The flat row-major epitome `[e_out][e_in][e_h][e_w]`.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The sampled dense weights (reference path).
    pub fn materialize(&self) -> Result<Tensor4> {
        materialize(&self.spec, &self.data)
    }

    /// The epitome convolution (fast path, [`crate::epitome::conv()`]).
    pub fn conv(&self, input: &Tensor4, bias: Option<&[f32]>) -> Result<Tensor4> {
        crate::epitome::conv::conv(self, input, bias)
    }
}

fn one() -> usize {
    1
}

/// The layer file of `epim epitome ...` and `epim quantize`, and the object the
/// wasm API takes:
///
/// ```json
/// {"layer": {"c_out":8,"c_in":4,"k_h":3,"k_w":3,"stride":1,"padding":1},
///  "epitome": {"shape":[4,2,4,4], "data":[... 128 numbers ...]},
///  "offsets": [[0,0,0],[1,1,1]],
///  "rep": 1,
///  "input": {"shape":[1,4,5,5], "data":[...]},
///  "bias": [...]}
/// ```
///
/// `offsets`, `rep`, `input` and `bias` are optional; unknown keys are errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct EpitomeLayerSpec {
    /// The layer geometry.
    pub layer: LayerGeometry,
    /// The epitome tensor, shape `[e_out, e_in, e_h, e_w]`.
    pub epitome: TensorSpec,
    /// Per-group offsets (default schedule for groups not listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offsets: Option<Vec<Offset>>,
    /// Replication factor (default 1).
    #[serde(default = "one")]
    pub rep: usize,
    /// Input feature map `[n, c_in, h, w]` (needed by `conv` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<TensorSpec>,
    /// Bias, one value per output channel (default zeros).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(target_arch = "wasm32", tsify(type = "number[] | Float32Array"))]
    pub bias: Option<Vec<f32>>,
}

/// A validated [`EpitomeLayerSpec`].
#[derive(Debug, Clone, PartialEq)]
pub struct EpitomeLayer {
    /// The epitome with its spec.
    pub epitome: Epitome,
    /// The input, if the file has one.
    pub input: Option<Tensor4>,
    /// The bias, if the file has one (`c_out` finite values).
    pub bias: Option<Vec<f32>>,
}

impl EpitomeLayerSpec {
    /// Validates every part; errors name the field (`epitome.shape`,
    /// `input.shape[1]`, `bias`, `offsets[1][0]`, ...).
    pub fn build(self) -> Result<EpitomeLayer> {
        let e = self.epitome.build("epitome")?;
        let [e_out, e_in, e_h, e_w] = e.shape();
        let spec = EpitomeSpec {
            layer: self.layer,
            epitome: EpitomeShape {
                e_out,
                e_in,
                e_h,
                e_w,
            },
            offsets: self.offsets,
            rep: self.rep,
        };
        let epitome = Epitome::new(spec, e.into_data())?;
        let input = match self.input {
            Some(t) => {
                let t = t.build("input")?;
                if t.shape()[1] != self.layer.c_in {
                    return Err(Error::shape(
                        "input.shape[1] (channels)",
                        format!("c_in = {}", self.layer.c_in),
                        t.shape()[1],
                    ));
                }
                epitome.spec().output_size(t.shape()[2], t.shape()[3])?;
                Some(t)
            }
            None => None,
        };
        if let Some(b) = &self.bias {
            check_len("bias", b.len(), self.layer.c_out)?;
            check_finite("bias", b)?;
        }
        Ok(EpitomeLayer {
            epitome,
            input,
            bias: self.bias,
        })
    }
}

impl EpitomeLayer {
    /// The input, or an error saying the file needs one.
    pub fn require_input(&self) -> Result<&Tensor4> {
        self.input.as_ref().ok_or_else(|| {
            Error::invalid(
                "input",
                "is required for conv: {\"shape\":[n,c_in,h,w],\"data\":[...]}",
            )
        })
    }
}
