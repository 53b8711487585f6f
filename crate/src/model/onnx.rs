//! A trained [`Model`] as an ONNX file (feature `onnx`, native only): what
//! `epim export --format onnx` writes, so onnxruntime, tract-onnx and other
//! runtimes can run an EPIM model. The protobuf messages are tract-onnx's
//! generated ONNX types, encoded with prost; this is the one module that
//! imports them.
//!
//! The graph (opset 13, input `images` `[N, c, h, w]` float, output `logits`
//! `[N, classes]`) is the [`ExportedModel`] of the model, layer for layer:
//!
//! | model layer | ONNX nodes |
//! |---|---|
//! | `act` of a weight layer | `Mul(1 / scale)`, then round half away from zero as `Floor`, `Sub`, `GreaterOrEqual(0.5)`, `Cast`, `Add` (ONNX's `Round` rounds half to even, the crate half away from zero), `Clip(0, 2^bits - 1)`, `Mul(scale)`; `Clip(0, 0)` for scale 0 |
//! | `conv` | `Conv` (OIHW kernel = the materialized, dequantized weights, explicit pads, strides), bias |
//! | `dense` | `Gemm` with `transB = 1` on the flattened input |
//! | `relu` | `Relu` |
//! | `max_pool` | `MaxPool`, window and stride `k`, no padding |
//! | `flatten` | `Flatten(axis = 1)` |
//!
//! With `activation_quant = false` the fake-quantization nodes are left out
//! (the float network the quantized one was trained from, with quantized
//! weights).

use prost::Message;
use tract_onnx::pb::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto::dimension,
    tensor_shape_proto::Dimension, type_proto, AttributeProto, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto,
};

use crate::error::{Error, Result};
use crate::model::export::{ExportedLayer, ExportedModel, ExportedWeights};
use crate::model::Model;
use crate::quant::ActivationParams;

/// The ONNX operator set the graph uses.
pub const OPSET: i64 = 13;
/// The IR version that goes with [`OPSET`].
const IR_VERSION: i64 = 7;

/// What to put in the ONNX graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnnxOptions {
    /// Keep each weight layer's input fake-quantization (the model as the crate
    /// runs it); `false` leaves it out.
    pub activation_quant: bool,
}

impl Default for OnnxOptions {
    fn default() -> Self {
        OnnxOptions {
            activation_quant: true,
        }
    }
}

/// The ONNX file (protobuf bytes) of `model`.
pub fn to_onnx(model: &Model, options: OnnxOptions) -> Result<Vec<u8>> {
    let exported = ExportedModel::from_model(model)?;
    let graph = Graph::build(&exported, options)?;
    let mut metadata = vec![StringStringEntryProto {
        key: "epim.format".into(),
        value: crate::model::FORMAT.into(),
    }];
    for (k, v) in model.metadata() {
        metadata.push(StringStringEntryProto {
            key: k.clone(),
            value: v.clone(),
        });
    }
    let proto = ModelProto {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "epim".into(),
        producer_version: crate::VERSION.into(),
        doc_string: "An EPIM playground model (weights dequantized, epitomes materialized)".into(),
        graph: Some(graph.proto),
        metadata_props: metadata,
        ..Default::default()
    };
    Ok(proto.encode_to_vec())
}

/// The graph under construction: its nodes and initializers, with a counter
/// for fresh value names.
struct Graph {
    proto: GraphProto,
    next_id: usize,
}

fn attr_int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Int as i32,
        i,
        ..Default::default()
    }
}

fn attr_ints(name: &str, ints: Vec<i64>) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints,
        ..Default::default()
    }
}

fn float_tensor(name: &str, dims: &[usize], data: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: DataType::Float as i32,
        raw_data: data.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[Option<usize>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(v) => dimension::Value::DimValue(*v as i64),
                None => dimension::Value::DimParam("N".into()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn usize_i64(v: usize, field: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::invalid(field, format!("{v} does not fit ONNX's int64")))
}

impl Graph {
    fn build(m: &ExportedModel, options: OnnxOptions) -> Result<Graph> {
        let mut g = Graph {
            proto: GraphProto {
                name: "epim".into(),
                ..Default::default()
            },
            next_id: 0,
        };
        let [c, h, w] = m.input;
        g.proto
            .input
            .push(value_info("images", &[None, Some(c), Some(h), Some(w)]));
        let mut x = "images".to_string();
        let mut rank = 4;
        for (i, layer) in m.layers.iter().enumerate() {
            let at = format!("layers[{i}]");
            match layer {
                ExportedLayer::Conv(l) => {
                    if rank != 4 {
                        return Err(Error::invalid(at, "a conv layer after a flatten"));
                    }
                    x = g.act(&x, l, options)?;
                    x = g.conv(&x, l)?;
                }
                ExportedLayer::Dense(l) => {
                    if rank == 4 {
                        x = g.node("Flatten", &[&x], vec![attr_int("axis", 1)]);
                        rank = 2;
                    }
                    x = g.act(&x, l, options)?;
                    x = g.gemm(&x, l);
                }
                ExportedLayer::Relu => x = g.node("Relu", &[&x], vec![]),
                ExportedLayer::MaxPool { k } => {
                    if rank != 4 {
                        return Err(Error::invalid(at, "a max pool after a flatten"));
                    }
                    let k = usize_i64(*k, &format!("{at}.k"))?;
                    x = g.node(
                        "MaxPool",
                        &[&x],
                        vec![
                            attr_ints("kernel_shape", vec![k, k]),
                            attr_ints("strides", vec![k, k]),
                        ],
                    );
                }
                ExportedLayer::Flatten => {
                    if rank == 4 {
                        x = g.node("Flatten", &[&x], vec![attr_int("axis", 1)]);
                        rank = 2;
                    }
                }
            }
        }
        if rank == 4 {
            x = g.node("Flatten", &[&x], vec![attr_int("axis", 1)]);
        }
        // Name the last value `logits` with an Identity (node outputs are
        // generated names).
        g.proto.node.push(NodeProto {
            input: vec![x],
            output: vec!["logits".into()],
            name: "logits".into(),
            op_type: "Identity".into(),
            ..Default::default()
        });
        g.proto
            .output
            .push(value_info("logits", &[None, Some(m.classes)]));
        Ok(g)
    }

    /// A fresh value name.
    fn fresh(&mut self, what: &str) -> String {
        self.next_id += 1;
        format!("{what}_{}", self.next_id)
    }

    /// Adds a node of `op` on `inputs` and returns its output's name.
    fn node(&mut self, op: &str, inputs: &[&str], attribute: Vec<AttributeProto>) -> String {
        let out = self.fresh(&op.to_ascii_lowercase());
        self.proto.node.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.clone()],
            name: out.clone(),
            op_type: op.into(),
            attribute,
            ..Default::default()
        });
        out
    }

    /// Adds a float initializer and returns its name.
    fn constant(&mut self, what: &str, dims: &[usize], data: &[f32]) -> String {
        let name = self.fresh(what);
        self.proto.initializer.push(float_tensor(&name, dims, data));
        name
    }

    /// The fake-quantization of a weight layer's input (module docs).
    fn act(&mut self, x: &str, l: &ExportedWeights, options: OnnxOptions) -> Result<String> {
        let Some(act) = l.act.filter(|_| options.activation_quant) else {
            return Ok(x.to_string());
        };
        let ActivationParams { scale, .. } = act;
        let zero = self.constant(&format!("{}_zero", l.name), &[], &[0.0]);
        if scale <= 0.0 {
            return Ok(self.node("Clip", &[x, &zero, &zero], vec![]));
        }
        let inv = self.constant(&format!("{}_inv_scale", l.name), &[], &[1.0 / scale]);
        let half = self.constant(&format!("{}_half", l.name), &[], &[0.5]);
        let q_max = self.constant(&format!("{}_q_max", l.name), &[], &[act.q_max() as f32]);
        let s = self.constant(&format!("{}_scale", l.name), &[], &[scale]);
        let y = self.node("Mul", &[x, &inv], vec![]);
        let t = self.node("Floor", &[&y], vec![]);
        let frac = self.node("Sub", &[&y, &t], vec![]);
        let up = self.node("GreaterOrEqual", &[&frac, &half], vec![]);
        let up = self.node("Cast", &[&up], vec![attr_int("to", DataType::Float as i64)]);
        let r = self.node("Add", &[&t, &up], vec![]);
        let r = self.node("Clip", &[&r, &zero, &q_max], vec![]);
        Ok(self.node("Mul", &[&r, &s], vec![]))
    }

    fn conv(&mut self, x: &str, l: &ExportedWeights) -> Result<String> {
        let wname = self.constant(
            &format!("{}_weight", l.name),
            &[l.c_out, l.c_in, l.k, l.k],
            &l.weight,
        );
        let bname = self.constant(&format!("{}_bias", l.name), &[l.c_out], &l.bias);
        let k = usize_i64(l.k, &format!("{}.k", l.name))?;
        let s = usize_i64(l.stride, &format!("{}.stride", l.name))?;
        let p = usize_i64(l.padding, &format!("{}.padding", l.name))?;
        Ok(self.node(
            "Conv",
            &[x, &wname, &bname],
            vec![
                attr_ints("kernel_shape", vec![k, k]),
                attr_ints("strides", vec![s, s]),
                attr_ints("pads", vec![p, p, p, p]),
            ],
        ))
    }

    fn gemm(&mut self, x: &str, l: &ExportedWeights) -> String {
        let wname = self.constant(&format!("{}_weight", l.name), &[l.c_out, l.c_in], &l.weight);
        let bname = self.constant(&format!("{}_bias", l.name), &[l.c_out], &l.bias);
        self.node("Gemm", &[x, &wname, &bname], vec![attr_int("transB", 1)])
    }
}
