//! Network descriptions for the simulator: conv, fc, pooling and element-wise add
//! layers, with shapes inferred from the input size, and the built-in zoo.
//!
//! A [`NetworkSpec`] is the deserialisable input (JSON); [`NetworkSpec::build`]
//! validates it and infers every shape into a [`Network`]. Only layers that cost
//! hardware are described: ReLU, batch norm, dropout and flatten are transparent
//! (MNSIM 2.0 drops them too), and an `fc` flattens its input implicitly.
//!
//! Layer inputs are *relative* offsets, as in MNSIM: `from: [-1]` (the default) is the
//! previous layer, `[-1, -3]` adds the previous layer and the one three back. An
//! offset reaching one before layer 0 is the network input. Convolution dimensions
//! use candle's names; in Timeloop's letters `c_in` = C, `c_out` = K, `kernel` = R = S,
//! the output height and width are P and Q, and the batch N is 1.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[cfg(feature = "onnx")]
pub mod onnx;
mod zoo;

pub use zoo::{builtin, builtin_names, ZooEntry, ZOO};

/// Channels, height and width of a feature map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// Channels.
    pub c: usize,
    /// Height.
    pub h: usize,
    /// Width.
    pub w: usize,
}

impl Shape {
    /// Number of elements, c·h·w.
    pub fn numel(&self) -> usize {
        self.c * self.h * self.w
    }
}

/// Pooling operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum PoolOp {
    /// Max pooling.
    #[default]
    Max,
    /// Average pooling.
    Avg,
}

/// One layer of a [`NetworkSpec`] (JSON: `{"kind": "conv", ...}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerSpec {
    /// Square-kernel 2-D convolution (bias-free; batch norm folded away).
    Conv {
        /// Optional name (default `conv<N>`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Output channels.
        c_out: usize,
        /// Kernel height = width.
        kernel: usize,
        /// Stride (default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<usize>,
        /// Zero padding on each side (default 0).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        padding: Option<usize>,
        /// Groups (default 1; `c_in` for a depthwise convolution).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        groups: Option<usize>,
        /// Relative input offsets (default `[-1]`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Vec<i64>>,
    },
    /// Fully connected layer; flattens its input.
    Fc {
        /// Optional name (default `fc<N>`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Output features.
        out: usize,
        /// Relative input offsets (default `[-1]`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Vec<i64>>,
    },
    /// Pooling (no padding by default).
    Pool {
        /// Optional name (default `pool<N>`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Window height = width.
        kernel: usize,
        /// Stride (default = kernel).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stride: Option<usize>,
        /// Padding (default 0).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        padding: Option<usize>,
        /// `max` (default) or `avg`.
        #[serde(default)]
        op: PoolOp,
        /// Relative input offsets (default `[-1]`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Vec<i64>>,
    },
    /// Element-wise sum of two or more equally shaped inputs (a residual add).
    Add {
        /// Optional name (default `add<N>`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Relative input offsets, at least two.
        from: Vec<i64>,
    },
}

/// A network as the user writes it (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Name shown in reports.
    pub name: String,
    /// Input feature map (one image, batch 1).
    pub input: Shape,
    /// Weight bits (signed, including the sign bit).
    pub w_bits: u32,
    /// Activation bits (inputs and outputs of every layer).
    pub a_bits: u32,
    /// The layers in execution order.
    pub layers: Vec<LayerSpec>,
}

/// Geometry of a convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConvGeom {
    /// Input channels.
    pub c_in: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel height = width.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Padding.
    pub padding: usize,
    /// Groups.
    pub groups: usize,
}

/// What a built layer computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Op {
    /// Convolution.
    Conv(ConvGeom),
    /// Fully connected.
    Fc {
        /// Input features (the flattened input).
        in_features: usize,
        /// Output features.
        out_features: usize,
    },
    /// Pooling.
    Pool {
        /// Window.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Padding.
        padding: usize,
        /// Operator.
        op: PoolOp,
    },
    /// Element-wise add of `n_inputs` tensors.
    Add {
        /// Number of summed inputs.
        n_inputs: usize,
    },
}

impl Op {
    /// `conv`, `fc`, `pool` or `add`.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Conv(_) => "conv",
            Op::Fc { .. } => "fc",
            Op::Pool { .. } => "pool",
            Op::Add { .. } => "add",
        }
    }
}

/// A validated layer with inferred shapes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layer {
    /// Name.
    pub name: String,
    /// The operation.
    pub op: Op,
    /// Relative input offsets (negative); `index + offset == -1` is the network input.
    pub inputs: Vec<i64>,
    /// Relative offsets (positive) of the layers that read this one, ascending.
    pub outputs: Vec<usize>,
    /// Shape of the (first) input.
    pub in_shape: Shape,
    /// Output shape (`[out, 1, 1]` for fc).
    pub out_shape: Shape,
}

impl Layer {
    /// Stored weights (0 for pool and add).
    pub fn params(&self) -> u64 {
        match self.op {
            Op::Conv(g) => (g.c_out * (g.c_in / g.groups) * g.kernel * g.kernel) as u64,
            Op::Fc {
                in_features,
                out_features,
            } => (in_features * out_features) as u64,
            _ => 0,
        }
    }

    /// Multiply-accumulates for one image (0 for pool and add).
    pub fn macs(&self) -> u64 {
        match self.op {
            Op::Conv(_) => self.params() * (self.out_shape.h * self.out_shape.w) as u64,
            Op::Fc { .. } => self.params(),
            _ => 0,
        }
    }
}

/// A validated network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    /// Name.
    pub name: String,
    /// Input shape.
    pub input: Shape,
    /// Weight bits.
    pub w_bits: u32,
    /// Activation bits.
    pub a_bits: u32,
    /// Layers in order.
    pub layers: Vec<Layer>,
}

impl Network {
    /// Total stored weights.
    pub fn params(&self) -> u64 {
        self.layers.iter().map(Layer::params).sum()
    }

    /// Total multiply-accumulates per image.
    pub fn macs(&self) -> u64 {
        self.layers.iter().map(Layer::macs).sum()
    }

    /// Absolute index of the producer at relative `offset` from layer `l`, or `None`
    /// for the network input.
    pub fn producer(&self, l: usize, offset: i64) -> Option<usize> {
        let p = l as i64 + offset;
        (p >= 0).then_some(p as usize)
    }
}

const MAX_DIM: usize = 1 << 20;
/// Largest input height or width (the simulator keeps one finish time per pixel).
const MAX_SPATIAL: usize = 4096;
/// Largest kernel (and pooling window) height = width: the crate's one bound.
use crate::limits::MAX_KERNEL;
/// Most weights in one layer (keeps every count far from u64 overflow).
const MAX_LAYER_WEIGHTS: u64 = 1 << 40;

fn positive(field: String, v: usize) -> Result<usize> {
    if v == 0 || v > MAX_DIM {
        return Err(Error::invalid(
            field,
            format!("must be in 1..={MAX_DIM}, got {v}"),
        ));
    }
    Ok(v)
}

fn kernel_size(field: String, k: usize) -> Result<usize> {
    if k == 0 || k > MAX_KERNEL {
        return Err(Error::invalid(
            field,
            format!("must be in 1..={MAX_KERNEL}, got {k}"),
        ));
    }
    Ok(k)
}

/// Output size along one axis: the crate's one formula ([`crate::nn::output_len`]).
fn out_size(field: &str, size: usize, k: usize, s: usize, p: usize) -> Result<usize> {
    crate::nn::output_len(field, size, k, s, p)
}

impl NetworkSpec {
    /// Validates the spec and infers every layer's shapes: the header, then each
    /// layer's inputs, operation and size, then the reverse (output) links.
    pub fn build(&self) -> Result<Network> {
        self.check_header()?;
        let mut layers: Vec<Layer> = Vec::with_capacity(self.layers.len());
        let mut counters = [0usize; 4];
        for (l, spec) in self.layers.iter().enumerate() {
            let (from, kind_idx, prefix, name) = match spec {
                LayerSpec::Conv { from, name, .. } => (from.clone(), 0, "conv", name),
                LayerSpec::Fc { from, name, .. } => (from.clone(), 1, "fc", name),
                LayerSpec::Pool { from, name, .. } => (from.clone(), 2, "pool", name),
                LayerSpec::Add { from, name } => (Some(from.clone()), 3, "add", name),
            };
            counters[kind_idx] += 1;
            let inputs = from.unwrap_or_else(|| vec![-1]);
            let shapes = self.input_shapes(l, &inputs, &layers)?;
            let (op, out_shape) = layer_op(spec, l, &inputs, &shapes)?;
            check_weight_count(l, &op)?;
            layers.push(Layer {
                name: name
                    .clone()
                    .unwrap_or_else(|| format!("{prefix}{}", counters[kind_idx])),
                op,
                inputs,
                outputs: Vec::new(),
                in_shape: shapes[0],
                out_shape,
            });
        }
        link_outputs(&mut layers);
        Ok(Network {
            name: self.name.clone(),
            input: self.input,
            w_bits: self.w_bits,
            a_bits: self.a_bits,
            layers,
        })
    }

    /// The name, input shape, bit widths and layer list are in bounds.
    fn check_header(&self) -> Result<()> {
        if self.name.trim().is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        positive("input.c".into(), self.input.c)?;
        for (f, v) in [("input.h", self.input.h), ("input.w", self.input.w)] {
            if v == 0 || v > MAX_SPATIAL {
                return Err(Error::invalid(
                    f,
                    format!("must be in 1..={MAX_SPATIAL}, got {v}"),
                ));
            }
        }
        for (f, b) in [("w_bits", self.w_bits), ("a_bits", self.a_bits)] {
            if !(2..=32).contains(&b) {
                return Err(Error::invalid(f, format!("must be in 2..=32, got {b}")));
            }
        }
        if self.layers.is_empty() {
            return Err(Error::invalid("layers", "must not be empty"));
        }
        Ok(())
    }

    /// The shapes of layer `l`'s inputs (relative offsets into `built`, the layers
    /// before it, or the network input); errors name `layers[l].from[j]`.
    fn input_shapes(&self, l: usize, inputs: &[i64], built: &[Layer]) -> Result<Vec<Shape>> {
        if inputs.is_empty() {
            return Err(Error::invalid(
                format!("layers[{l}].from"),
                "must name at least one input",
            ));
        }
        let mut shapes = Vec::with_capacity(inputs.len());
        for (j, &o) in inputs.iter().enumerate() {
            if o >= 0 || (l as i64) + o < -1 {
                return Err(Error::invalid(
                    format!("layers[{l}].from[{j}]"),
                    format!(
                        "must be in -{}..=-1 (an earlier layer or the input), got {o}",
                        l + 1
                    ),
                ));
            }
            let p = l as i64 + o;
            shapes.push(if p < 0 {
                self.input
            } else {
                built[p as usize].out_shape
            });
        }
        Ok(shapes)
    }
}

/// Layer `l`'s operation and output shape from its spec and input shapes
/// (`shapes[0]` is the first input's).
fn layer_op(spec: &LayerSpec, l: usize, inputs: &[i64], shapes: &[Shape]) -> Result<(Op, Shape)> {
    let at = |f: &str| format!("layers[{l}].{f}");
    let in_shape = shapes[0];
    match spec {
        LayerSpec::Conv {
            c_out,
            kernel,
            stride,
            padding,
            groups,
            ..
        } => {
            one_input(inputs, &at("from"))?;
            conv_op(&at, in_shape, *c_out, *kernel, (*stride, *padding, *groups))
        }
        LayerSpec::Fc { out, .. } => {
            one_input(inputs, &at("from"))?;
            let out = positive(at("out"), *out)?;
            let op = Op::Fc {
                in_features: in_shape.numel(),
                out_features: out,
            };
            Ok((op, Shape { c: out, h: 1, w: 1 }))
        }
        LayerSpec::Pool {
            kernel,
            stride,
            padding,
            op,
            ..
        } => {
            one_input(inputs, &at("from"))?;
            pool_op(&at, in_shape, *kernel, (*stride, *padding), *op)
        }
        LayerSpec::Add { .. } => add_op(l, inputs, shapes),
    }
}

/// A convolution's geometry and output shape; `at` names a field of the layer.
fn conv_op(
    at: &dyn Fn(&str) -> String,
    in_shape: Shape,
    c_out: usize,
    kernel: usize,
    (stride, padding, groups): (Option<usize>, Option<usize>, Option<usize>),
) -> Result<(Op, Shape)> {
    let c_out = positive(at("c_out"), c_out)?;
    let k = kernel_size(at("kernel"), kernel)?;
    let s = positive(at("stride"), stride.unwrap_or(1))?;
    let p = padding.unwrap_or(0);
    if p >= k {
        return Err(Error::invalid(
            at("padding"),
            format!("must be < kernel = {k}, got {p}"),
        ));
    }
    let g = positive(at("groups"), groups.unwrap_or(1))?;
    if in_shape.c % g != 0 || c_out % g != 0 {
        return Err(Error::invalid(
            at("groups"),
            format!(
                "must divide c_in = {} and c_out = {c_out}, got {g}",
                in_shape.c
            ),
        ));
    }
    let h = out_size(&at("kernel"), in_shape.h, k, s, p)?;
    let w = out_size(&at("kernel"), in_shape.w, k, s, p)?;
    let geom = ConvGeom {
        c_in: in_shape.c,
        c_out,
        kernel: k,
        stride: s,
        padding: p,
        groups: g,
    };
    Ok((Op::Conv(geom), Shape { c: c_out, h, w }))
}

/// A pooling window and its output shape; `at` names a field of the layer.
fn pool_op(
    at: &dyn Fn(&str) -> String,
    in_shape: Shape,
    kernel: usize,
    (stride, padding): (Option<usize>, Option<usize>),
    op: PoolOp,
) -> Result<(Op, Shape)> {
    let k = kernel_size(at("kernel"), kernel)?;
    let s = positive(at("stride"), stride.unwrap_or(k))?;
    let p = padding.unwrap_or(0);
    if 2 * p > k {
        return Err(Error::invalid(
            at("padding"),
            format!("must be <= kernel / 2 = {}, got {p}", k / 2),
        ));
    }
    let h = out_size(&at("kernel"), in_shape.h, k, s, p)?;
    let w = out_size(&at("kernel"), in_shape.w, k, s, p)?;
    let op = Op::Pool {
        kernel: k,
        stride: s,
        padding: p,
        op,
    };
    let out = Shape {
        c: in_shape.c,
        h,
        w,
    };
    Ok((op, out))
}

/// An element-wise add of layer `l`: two or more inputs of one shape.
fn add_op(l: usize, inputs: &[i64], shapes: &[Shape]) -> Result<(Op, Shape)> {
    let in_shape = shapes[0];
    if inputs.len() < 2 {
        return Err(Error::invalid(
            format!("layers[{l}].from"),
            "an add needs at least two inputs",
        ));
    }
    if let Some((j, s)) = shapes.iter().enumerate().find(|(_, s)| **s != in_shape) {
        return Err(Error::invalid(
            format!("layers[{l}].from[{j}]"),
            format!(
                "shape {}x{}x{} differs from the first input's {}x{}x{}",
                s.c, s.h, s.w, in_shape.c, in_shape.h, in_shape.w
            ),
        ));
    }
    let op = Op::Add {
        n_inputs: inputs.len(),
    };
    Ok((op, in_shape))
}

/// At most [`MAX_LAYER_WEIGHTS`] weights in layer `l`.
fn check_weight_count(l: usize, op: &Op) -> Result<()> {
    let weights = match *op {
        Op::Conv(g) => (g.c_out as u64)
            .checked_mul((g.c_in / g.groups) as u64)
            .and_then(|v| v.checked_mul((g.kernel * g.kernel) as u64)),
        Op::Fc {
            in_features,
            out_features,
        } => (in_features as u64).checked_mul(out_features as u64),
        _ => Some(0),
    };
    if weights.is_none_or(|w| w > MAX_LAYER_WEIGHTS) {
        return Err(Error::invalid(
            format!("layers[{l}]"),
            "more than 2^40 weights in one layer",
        ));
    }
    Ok(())
}

/// Fills every layer's `outputs` (the readers' relative offsets, ascending) from
/// the readers' `inputs`.
fn link_outputs(layers: &mut [Layer]) {
    for l in 0..layers.len() {
        let ins = layers[l].inputs.clone();
        for o in ins {
            let p = l as i64 + o;
            if p >= 0 {
                let rel = l - p as usize;
                let outs = &mut layers[p as usize].outputs;
                if !outs.contains(&rel) {
                    outs.push(rel);
                }
            }
        }
    }
    for layer in layers.iter_mut() {
        layer.outputs.sort_unstable();
    }
}

impl NetworkSpec {
    /// Parses a network from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        crate::error::from_json_str("network JSON", text)
    }
}

fn one_input(inputs: &[i64], field: &str) -> Result<()> {
    if inputs.len() != 1 {
        return Err(Error::invalid(
            field.to_string(),
            format!("this layer takes exactly one input, got {}", inputs.len()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(layers: Vec<LayerSpec>) -> NetworkSpec {
        NetworkSpec {
            name: "t".into(),
            input: Shape { c: 3, h: 8, w: 8 },
            w_bits: 8,
            a_bits: 8,
            layers,
        }
    }

    #[test]
    fn conv_output_size_follows_floor_formula() {
        let n = spec(vec![LayerSpec::Conv {
            name: None,
            c_out: 4,
            kernel: 3,
            stride: Some(2),
            padding: Some(1),
            groups: None,
            from: None,
        }])
        .build()
        .unwrap();
        // floor((8 + 2 - 3) / 2) + 1 = 4
        assert_eq!(n.layers[0].out_shape, Shape { c: 4, h: 4, w: 4 });
        assert_eq!(n.layers[0].name, "conv1");
    }

    #[test]
    fn add_of_mismatched_shapes_is_error() {
        let e = spec(vec![
            LayerSpec::Conv {
                name: None,
                c_out: 4,
                kernel: 1,
                stride: None,
                padding: None,
                groups: None,
                from: None,
            },
            LayerSpec::Add {
                name: None,
                from: vec![-1, -2],
            },
        ])
        .build()
        .unwrap_err();
        assert!(e.to_string().contains("layers[1].from[1]"), "{e}");
    }

    #[test]
    fn oversized_layers_are_errors_not_overflows() {
        let big_kernel = spec(vec![LayerSpec::Conv {
            name: None,
            c_out: 4,
            kernel: 65,
            stride: None,
            padding: Some(40),
            groups: None,
            from: None,
        }]);
        let e = big_kernel.build().unwrap_err();
        assert!(e.to_string().contains("layers[0].kernel"), "{e}");
        let mut huge_fc = spec(vec![LayerSpec::Fc {
            name: None,
            out: 1 << 20,
            from: None,
        }]);
        huge_fc.input = Shape {
            c: 1 << 20,
            h: 4096,
            w: 4096,
        };
        let e = huge_fc.build().unwrap_err();
        assert!(e.to_string().contains("2^40"), "{e}");
    }

    #[test]
    fn unknown_json_field_is_rejected() {
        let e = NetworkSpec::from_json(
            r#"{"name":"x","input":{"c":1,"h":4,"w":4},"w_bits":8,"a_bits":8,
                "layers":[{"kind":"fc","out":2,"bias":true}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("bias"), "{e}");
    }

    #[test]
    fn outputs_are_the_inverse_of_inputs() {
        for name in builtin_names() {
            let n = builtin(name).unwrap();
            for (l, layer) in n.layers.iter().enumerate() {
                for &o in &layer.outputs {
                    assert!(n.layers[l + o].inputs.contains(&-(o as i64)));
                }
                for &i in &layer.inputs {
                    if let Some(p) = n.producer(l, i) {
                        assert!(n.layers[p].outputs.contains(&(l - p)));
                    }
                }
            }
        }
    }
}
