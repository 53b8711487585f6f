//! An ONNX CNN as a simulator network (feature `onnx`, native only): what
//! `epim import` and `--net MODEL.onnx` do. docs/import.md is the user's view.
//!
//! Three passes over the graph, in the file's node order (ONNX requires it to be
//! topologically sorted):
//!
//! 1. **Check** (before anything is allocated from the file's numbers): every
//!    operator is one this module knows, every node input is a graph input, an
//!    initializer or an earlier node's output (a cycle or an unsorted graph is an
//!    error naming the node), every constant tensor is float32 / int32 / int64
//!    with in-file data matching its dims, at most [`MAX_TENSOR_VALUES`] values,
//!    and the input's dims are within the simulator's bounds.
//! 2. **Shapes**: tract-onnx parses the checked graph and infers every tensor's
//!    shape from the input shape (its `InferenceModel` analysis).
//! 3. **Layers**: each node becomes a [`LayerSpec`] (conv, fc, pool, add) or is
//!    transparent (activations, batch norm, dropout, flatten/reshape, bias adds,
//!    scalings by a constant: they cost nothing, as the simulator drops them),
//!    with relative `from` offsets. The built network's shapes are then checked
//!    against tract-onnx's, layer by layer (two independent shape inferences).
//!
//! Real weights (OIHW; an fc as `[out, in, 1, 1]`) come along for plain
//! convolutions and fc layers, so pruning methods can take their masks from them.

use std::collections::HashMap;

use prost::Message;
use tract_onnx::pb::{
    self, tensor_proto::DataType, tensor_shape_proto::dimension, type_proto, AttributeProto,
    NodeProto, TensorProto,
};
use tract_onnx::prelude::{DatumType, InferenceFact, InferenceModelExt, OutletId, TVec};

use super::{LayerSpec, NetworkSpec, PoolOp, Shape};
use crate::error::{Error, Result};
use crate::nn::Tensor4;

/// Largest ONNX file read (the protobuf format's own limit is 2 GiB).
pub const MAX_FILE_BYTES: u64 = 1 << 31;
/// Most nodes in the graph.
pub const MAX_NODES: usize = 100_000;
/// Most values in one constant tensor (1 GiB of float32).
pub const MAX_TENSOR_VALUES: u64 = 1 << 28;
/// Most inputs (and outputs) of one node.
pub const MAX_NODE_INPUTS: usize = 1024;
/// Longest node or tensor name echoed in an error.
const MAX_ECHO: usize = 60;

/// What ONNX does not say, and overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The input shape `[1, c, h, w]` (required when the file's input has a
    /// dynamic dimension other than the batch, which is taken as 1).
    pub input_shape: Option<Vec<usize>>,
    /// The network's name (default: the graph's name, else `onnx`).
    pub name: Option<String>,
    /// Weight bits (ONNX float weights say nothing; default 8).
    pub w_bits: u32,
    /// Activation bits (default 8).
    pub a_bits: u32,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            input_shape: None,
            name: None,
            w_bits: 8,
            a_bits: 8,
        }
    }
}

/// An imported network.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The network description (what `epim import` writes).
    pub spec: NetworkSpec,
    /// Real weights per layer of `spec` (OIHW; fc `[out, in, 1, 1]`), `None` for
    /// pooling, add and grouped convolutions.
    pub weights: Vec<Option<Tensor4>>,
    /// Operators that were transparent (cost nothing), with their node counts.
    pub transparent: Vec<(String, usize)>,
}

/// Operators that cost nothing: the simulator drops them (activations, batch
/// norm folded into the convolution, dropout, layout). On a feature map they pass
/// it through unchanged.
const TRANSPARENT: &[&str] = &[
    "Relu",
    "LeakyRelu",
    "PRelu",
    "Clip",
    "Sigmoid",
    "HardSigmoid",
    "HardSwish",
    "Tanh",
    "Elu",
    "Selu",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    "BatchNormalization",
    "Dropout",
    "Identity",
    "Flatten",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
];

/// Operators that only compute on constants and shapes (e.g. a Reshape's target).
const SHAPE_OPS: &[&str] = &[
    "Shape",
    "Gather",
    "Unsqueeze",
    "Squeeze",
    "Concat",
    "Cast",
    "Constant",
];

/// Operators that become layers.
const LAYER_OPS: &[&str] = &[
    "Conv",
    "Gemm",
    "MatMul",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "Add",
    "Sum",
    "Sub",
    "Mul",
    "Div",
];

/// The supported operators, for messages and docs.
pub fn supported_operators() -> Vec<&'static str> {
    let mut v: Vec<&str> = LAYER_OPS
        .iter()
        .chain(TRANSPARENT)
        .chain(SHAPE_OPS)
        .copied()
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn echo(s: &str) -> String {
    if s.chars().count() <= MAX_ECHO {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX_ECHO).collect();
        t.push_str("...");
        t
    }
}

/// `node 'name' (Op)` for errors (the first output's name when unnamed).
fn node_label(i: usize, n: &NodeProto) -> String {
    let name = if !n.name.is_empty() {
        n.name.as_str()
    } else {
        n.output.first().map_or("", String::as_str)
    };
    if name.is_empty() {
        format!("node #{i} ({})", echo(&n.op_type))
    } else {
        format!("node '{}' ({})", echo(name), echo(&n.op_type))
    }
}

/// The model protobuf of a non-empty file of at most [`MAX_FILE_BYTES`].
fn decode_model(bytes: &[u8]) -> Result<pb::ModelProto> {
    if bytes.is_empty() {
        return Err(Error::parse("ONNX file", "the file is empty (0 bytes)"));
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::parse(
            "ONNX file",
            format!("{} bytes, more than the limit of 2 GiB", bytes.len()),
        ));
    }
    pb::ModelProto::decode(bytes).map_err(|e| {
        Error::parse(
            "ONNX file",
            format!("not an ONNX protobuf (truncated or another format): {e}"),
        )
    })
}

/// Parses ONNX bytes into a network with weights.
pub fn import_onnx(bytes: &[u8], options: &ImportOptions) -> Result<Imported> {
    let proto = decode_model(bytes)?;
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| Error::parse("ONNX file", "the model has no graph"))?;
    let checked = check(graph, options)?;
    let facts = infer_shapes(&proto, &checked)?;
    let name = options
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| (!graph.name.trim().is_empty()).then(|| echo(graph.name.trim())))
        .unwrap_or_else(|| "onnx".to_string());
    convert(graph, &checked, &facts, name, options)
}

/// What pass 1 learned.
struct Checked<'a> {
    /// The graph input (name) that carries the image.
    input: String,
    /// `[1, c, h, w]`.
    input_dims: [usize; 4],
    /// Constant tensors by name (initializers and `Constant` outputs).
    consts: HashMap<&'a str, &'a TensorProto>,
}

fn attr<'a>(n: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

fn attr_i(n: &NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name).map_or(default, |a| a.i)
}

fn attr_ints<'a>(n: &'a NodeProto, name: &str) -> Option<&'a [i64]> {
    attr(n, name).map(|a| a.ints.as_slice())
}

/// A constant tensor this module can read: float32, int32 or int64, dims >= 0,
/// at most [`MAX_TENSOR_VALUES`] values, its data in the file and as long as its
/// dims say.
fn check_tensor(what: &str, t: &TensorProto) -> Result<()> {
    let field = || format!("{what}: tensor '{}'", echo(&t.name));
    if t.data_location == Some(pb::tensor_proto::DataLocation::External as i32) {
        return Err(Error::invalid(
            field(),
            "external data files are not supported (save the model with its weights inside)",
        ));
    }
    if t.dims.len() > 8 {
        return Err(Error::invalid(
            field(),
            format!("rank {} > 8", t.dims.len()),
        ));
    }
    let mut n: u64 = 1;
    for &d in &t.dims {
        if d < 0 {
            return Err(Error::invalid(field(), format!("negative dimension {d}")));
        }
        n = n.saturating_mul(d as u64);
    }
    if n > MAX_TENSOR_VALUES {
        return Err(Error::invalid(
            field(),
            format!(
                "dims {:?}: more than 2^28 values",
                &t.dims[..t.dims.len().min(8)]
            ),
        ));
    }
    let (width, typed_len) = match DataType::try_from(t.data_type) {
        Ok(DataType::Float) => (4, t.float_data.len()),
        Ok(DataType::Int32) => (4, t.int32_data.len()),
        Ok(DataType::Int64) => (8, t.int64_data.len()),
        _ => {
            return Err(Error::invalid(
                field(),
                format!(
                    "data type {} is not supported (float32, int32 or int64)",
                    t.data_type
                ),
            ))
        }
    };
    let ok = if !t.raw_data.is_empty() {
        t.raw_data.len() as u64 == n * width
    } else {
        typed_len as u64 == n
    };
    if !ok {
        return Err(Error::invalid(
            field(),
            format!(
                "its data does not hold the {n} values its dims {:?} say",
                t.dims
            ),
        ));
    }
    Ok(())
}

/// The float32 values of a checked constant tensor.
fn floats(t: &TensorProto) -> Option<Vec<f32>> {
    if t.data_type != DataType::Float as i32 {
        return None;
    }
    if t.raw_data.is_empty() {
        return Some(t.float_data.clone());
    }
    Some(
        t.raw_data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// Pass 1: operators, order, constants, input.
fn check<'a>(graph: &'a pb::GraphProto, options: &ImportOptions) -> Result<Checked<'a>> {
    if graph.node.is_empty() {
        return Err(Error::parse("ONNX file", "the graph has no nodes"));
    }
    if graph.node.len() > MAX_NODES {
        return Err(Error::parse(
            "ONNX file",
            format!("{} nodes, more than {MAX_NODES}", graph.node.len()),
        ));
    }
    let mut consts: HashMap<&str, &TensorProto> = HashMap::new();
    for t in &graph.initializer {
        check_tensor("initializer", t)?;
        consts.insert(t.name.as_str(), t);
    }
    let inputs: Vec<&pb::ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !consts.contains_key(i.name.as_str()))
        .collect();
    let input = match inputs.as_slice() {
        [one] => *one,
        [] => {
            return Err(Error::parse(
                "ONNX file",
                "the graph has no (non-constant) input",
            ))
        }
        many => {
            return Err(Error::invalid(
                "graph.input",
                format!(
                    "the simulator takes one image input, the graph has {} ('{}', '{}', ...)",
                    many.len(),
                    echo(&many[0].name),
                    echo(&many[1].name)
                ),
            ))
        }
    };
    let input_dims = input_dims(input, options)?;
    let mut defined: std::collections::HashSet<&str> = consts.keys().copied().collect();
    defined.insert(input.name.as_str());
    for (i, n) in graph.node.iter().enumerate() {
        let label = || node_label(i, n);
        if !(n.domain.is_empty() || n.domain == "ai.onnx") {
            return Err(Error::invalid(
                label(),
                format!(
                    "operator domain '{}' cannot be placed on the simulator",
                    echo(&n.domain)
                ),
            ));
        }
        let op = n.op_type.as_str();
        if !(LAYER_OPS.contains(&op) || TRANSPARENT.contains(&op) || SHAPE_OPS.contains(&op)) {
            return Err(Error::invalid(
                label(),
                format!(
                    "operator '{}' cannot be placed on the simulator (supported: {})",
                    echo(op),
                    supported_operators().join(", ")
                ),
            ));
        }
        if let Some(sub) = n
            .attribute
            .iter()
            .find(|a| a.g.is_some() || !a.graphs.is_empty())
        {
            return Err(Error::invalid(
                label(),
                format!("subgraph attribute '{}' is not supported", echo(&sub.name)),
            ));
        }
        if n.input.len() > MAX_NODE_INPUTS || n.output.len() > MAX_NODE_INPUTS {
            return Err(Error::invalid(
                label(),
                format!(
                    "{} inputs and {} outputs, more than {MAX_NODE_INPUTS}",
                    n.input.len(),
                    n.output.len()
                ),
            ));
        }
        for v in n.input.iter().filter(|v| !v.is_empty()) {
            if !defined.contains(v.as_str()) {
                return Err(Error::invalid(
                    label(),
                    format!(
                        "input '{}' is not a graph input, an initializer or an earlier node's \
                         output (a cycle, or nodes not in topological order)",
                        echo(v)
                    ),
                ));
            }
        }
        if op == "Constant" {
            let t = attr(n, "value").and_then(|a| a.t.as_ref()).ok_or_else(|| {
                Error::invalid(
                    label(),
                    "only a Constant with a 'value' tensor is supported",
                )
            })?;
            check_tensor(&label(), t)?;
            if let Some(out) = n.output.first() {
                consts.insert(out.as_str(), t);
            }
        }
        for a in &n.attribute {
            if let Some(t) = &a.t {
                check_tensor(&label(), t)?;
            }
        }
        check_window(n, &consts, &label)?;
        for v in n.output.iter().filter(|v| !v.is_empty()) {
            if !defined.insert(v.as_str()) {
                return Err(Error::invalid(
                    label(),
                    format!("output '{}' is produced twice", echo(v)),
                ));
            }
        }
    }
    for o in &graph.output {
        if !defined.contains(o.name.as_str()) {
            return Err(Error::invalid(
                "graph.output",
                format!("'{}' is produced by no node", echo(&o.name)),
            ));
        }
    }
    Ok(Checked {
        input: input.name.clone(),
        input_dims,
        consts,
    })
}

/// The checks of [`import_onnx`] that guard tract-onnx's parser, for a file that is
/// run rather than imported (the page's ONNX classifier, any operator): a non-empty
/// protobuf of at most [`MAX_FILE_BYTES`] with a graph of at most [`MAX_NODES`] nodes,
/// no subgraphs, every constant tensor as [`import_onnx`] checks it, and the window
/// attributes of convolutions and poolings well-formed.
pub fn check_runnable(bytes: &[u8]) -> Result<()> {
    let proto = decode_model(bytes)?;
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| Error::parse("ONNX file", "the model has no graph"))?;
    if graph.node.is_empty() || graph.node.len() > MAX_NODES {
        return Err(Error::parse(
            "ONNX file",
            format!("{} nodes, not in 1..={MAX_NODES}", graph.node.len()),
        ));
    }
    let mut consts: HashMap<&str, &TensorProto> = HashMap::new();
    for t in &graph.initializer {
        check_tensor("initializer", t)?;
        consts.insert(t.name.as_str(), t);
    }
    let mut defined: std::collections::HashSet<&str> = consts.keys().copied().collect();
    defined.extend(graph.input.iter().map(|i| i.name.as_str()));
    for (i, n) in graph.node.iter().enumerate() {
        let label = || node_label(i, n);
        for a in &n.attribute {
            if a.g.is_some() || !a.graphs.is_empty() {
                return Err(Error::invalid(
                    label(),
                    format!("subgraph attribute '{}' is not supported", echo(&a.name)),
                ));
            }
            if let Some(t) = &a.t {
                check_tensor(&label(), t)?;
            }
        }
        if n.op_type == "Constant" {
            if let (Some(t), Some(out)) = (
                attr(n, "value").and_then(|a| a.t.as_ref()),
                n.output.first(),
            ) {
                consts.insert(out.as_str(), t);
            }
        }
        check_window(n, &consts, &label)?;
        // tract-onnx looks every input up by name unchecked (an unknown one panicked).
        if let Some(v) = n
            .input
            .iter()
            .find(|v| !v.is_empty() && !defined.contains(v.as_str()))
        {
            return Err(Error::invalid(
                label(),
                format!(
                    "input '{}' is not a graph input, an initializer or an earlier node's output",
                    echo(v)
                ),
            ));
        }
        defined.extend(n.output.iter().map(String::as_str));
    }
    if let Some(o) = graph
        .output
        .iter()
        .find(|o| !defined.contains(o.name.as_str()))
    {
        return Err(Error::invalid(
            "graph.output",
            format!("'{}' is produced by no node", echo(&o.name)),
        ));
    }
    Ok(())
}

/// Largest kernel, stride, dilation or padding of a window attribute.
const MAX_WINDOW: i64 = 4096;

/// The window attributes of a 2-D `Conv` / `MaxPool` / `AveragePool` (`kernel_shape`,
/// `strides`, `dilations`: 2 values; `pads`: 4; each in `0..=4096`, kernel, stride and
/// dilation at least 1) and a constant `Conv` weight of rank 4, checked before tract
/// parses the node: tract-core 0.23.9 indexes these per spatial axis and panics on a
/// shorter list (found by scripts/fuzz.mjs).
fn check_window(
    n: &NodeProto,
    consts: &HashMap<&str, &TensorProto>,
    label: &dyn Fn() -> String,
) -> Result<()> {
    // tract-hir takes a node's first output (and most ops their first input) unchecked.
    if n.output.iter().all(String::is_empty)
        || (n.op_type != "Constant" && n.input.iter().all(String::is_empty))
    {
        return Err(Error::invalid(
            label(),
            format!(
                "{} inputs and {} outputs: every node needs both (a Constant no input)",
                n.input.len(),
                n.output.len()
            ),
        ));
    }
    // tract indexes shapes with an `axis` unchecked (a Flatten of axis 45 panicked):
    // every tensor here has at most 4 dims.
    if let Some(a) = attr(n, "axis").filter(|a| !(-4..=4).contains(&a.i)) {
        return Err(Error::invalid(
            format!("{}: axis", label()),
            format!("must be in -4..=4 (tensors of at most 4 dims), got {}", a.i),
        ));
    }
    if !matches!(n.op_type.as_str(), "Conv" | "MaxPool" | "AveragePool") {
        return Ok(());
    }
    for (name, len, min) in [
        ("kernel_shape", 2, 1),
        ("strides", 2, 1),
        ("dilations", 2, 1),
        ("pads", 4, 0),
    ] {
        let Some(a) = attr(n, name) else { continue };
        if a.ints.len() != len || a.ints.iter().any(|&v| !(min..=MAX_WINDOW).contains(&v)) {
            return Err(Error::invalid(
                format!("{}: {name}", label()),
                format!("must be {len} integers in {min}..={MAX_WINDOW} (2-D windows only)"),
            ));
        }
    }
    if n.op_type == "Conv" {
        let w = n.input.get(1).and_then(|w| consts.get(w.as_str()));
        if let Some(w) = w.filter(|w| w.dims.len() != 4) {
            return Err(Error::invalid(
                format!("{}: weights", label()),
                format!("must have 4 dims (2-D convolution), got {}", w.dims.len()),
            ));
        }
    }
    Ok(())
}

/// `[1, c, h, w]` from `--input-shape` or the file, bounded as the simulator's input.
fn input_dims(input: &pb::ValueInfoProto, options: &ImportOptions) -> Result<[usize; 4]> {
    let field = format!("graph input '{}'", echo(&input.name));
    let dims: Vec<usize> = match &options.input_shape {
        Some(d) => d.clone(),
        None => {
            let shape = match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                Some(type_proto::Value::TensorType(t)) => t.shape.as_ref(),
                _ => None,
            };
            let shape = shape.ok_or_else(|| {
                Error::invalid(
                    field.clone(),
                    "the file gives no shape; give --input-shape 1,C,H,W",
                )
            })?;
            let mut d = Vec::with_capacity(shape.dim.len().min(8));
            for (j, dim) in shape.dim.iter().enumerate().take(8) {
                match &dim.value {
                    Some(dimension::Value::DimValue(v)) if *v > 0 => d.push(*v as u64 as usize),
                    // A symbolic batch is taken as 1 (the simulator runs one image).
                    _ if j == 0 => d.push(1),
                    other => {
                        let what = match other {
                            Some(dimension::Value::DimParam(p)) => format!("'{}'", echo(p)),
                            Some(dimension::Value::DimValue(v)) => v.to_string(),
                            None => "unknown".to_string(),
                        };
                        return Err(Error::invalid(
                            field,
                            format!(
                                "dimension {j} is dynamic ({what}); give --input-shape 1,C,H,W"
                            ),
                        ));
                    }
                }
            }
            if shape.dim.len() > 8 {
                return Err(Error::invalid(field, "rank > 8"));
            }
            d
        }
    };
    let [n, c, h, w] = dims[..] else {
        return Err(Error::invalid(
            field,
            format!(
                "the simulator takes an NCHW image, rank 4; got rank {}",
                dims.len()
            ),
        ));
    };
    if n != 1 {
        return Err(Error::invalid(
            field,
            format!("batch must be 1 (the simulator runs one image), got {n}"),
        ));
    }
    if c == 0 || c > 1 << 20 {
        return Err(Error::invalid(
            field,
            format!("channels must be in 1..=2^20, got {c}"),
        ));
    }
    for v in [h, w] {
        if v == 0 || v > 4096 {
            return Err(Error::invalid(
                field,
                format!("height and width must be in 1..=4096, got {h}x{w}"),
            ));
        }
    }
    Ok([1, c, h, w])
}

/// Pass 2: tract-onnx's shapes of every node output, by value name.
fn infer_shapes(
    proto: &pb::ModelProto,
    checked: &Checked<'_>,
) -> Result<HashMap<String, Vec<usize>>> {
    let tract_err = |e: String| {
        Error::parse(
            "ONNX file",
            format!("tract-onnx shape inference failed: {}", echo_long(&e)),
        )
    };
    let run = || -> std::result::Result<HashMap<String, Vec<usize>>, String> {
        let onnx = tract_onnx::onnx();
        let parsed = onnx.parse(proto, None).map_err(|e| format!("{e:#}"))?;
        if !parsed.unresolved_inputs.is_empty() {
            return Err(format!(
                "unresolved inputs {:?}",
                &parsed.unresolved_inputs[..parsed.unresolved_inputs.len().min(3)]
            ));
        }
        let mut model = parsed.model;
        let src = *parsed
            .outlets_by_name
            .get(&checked.input)
            .ok_or("the input is not in the parsed model")?;
        let ix = model
            .input_outlets()
            .map_err(|e| format!("{e:#}"))?
            .iter()
            .position(|o| *o == src)
            .ok_or("the input is not a source of the parsed model")?;
        let dims: TVec<usize> = checked.input_dims.iter().copied().collect();
        model
            .set_input_fact(ix, InferenceFact::dt_shape(DatumType::F32, dims))
            .map_err(|e| format!("{e:#}"))?;
        model.analyse(false).map_err(|e| format!("{e:#}"))?;
        let mut out = HashMap::with_capacity(parsed.outlets_by_name.len());
        for (name, outlet) in &parsed.outlets_by_name {
            let o: OutletId = *outlet;
            let fact = model.outlet_fact(o).map_err(|e| format!("{e:#}"))?;
            if let Ok(Some(d)) = fact.shape.as_concrete_finite() {
                out.insert(name.clone(), d.to_vec());
            }
        }
        Ok(out)
    };
    // tract-onnx has a few `unimplemented!` paths; a panic there is an error here.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(r) => r.map_err(tract_err),
        Err(_) => Err(tract_err("tract-onnx panicked on this graph".into())),
    }
}

/// Errors from tract can be long (debug dumps of nodes): first line, bounded.
fn echo_long(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() <= 300 {
        line.to_string()
    } else {
        line.chars().take(300).collect::<String>() + "..."
    }
}

/// A tensor during conversion.
#[derive(Clone)]
enum Val {
    /// A feature map produced by layer `Some(l)` or the network input (`None`),
    /// with the producer's own output dims (to detect reshapes a conv cannot follow).
    Feature {
        layer: Option<usize>,
        origin: Vec<usize>,
    },
    /// A constant or a shape computation: costs nothing.
    Aux,
}

/// One node being converted: its inputs, and how to name its errors and read the
/// shapes tract-onnx inferred.
struct Node<'g, 'f> {
    n: &'g NodeProto,
    label: String,
    /// The non-empty inputs with what they carry.
    ins: Vec<(&'g str, Val)>,
    /// The feature-map inputs: (input index, producing layer, producer's dims).
    features: Vec<(usize, Option<usize>, Vec<usize>)>,
    facts: &'f HashMap<String, Vec<usize>>,
}

impl<'g, 'f> Node<'g, 'f> {
    fn new(
        i: usize,
        n: &'g NodeProto,
        vals: &HashMap<&'g str, Val>,
        facts: &'f HashMap<String, Vec<usize>>,
    ) -> Self {
        let ins: Vec<(&str, Val)> = n
            .input
            .iter()
            .filter(|v| !v.is_empty())
            .map(|v| {
                (
                    v.as_str(),
                    vals.get(v.as_str()).cloned().unwrap_or(Val::Aux),
                )
            })
            .collect();
        let features = ins
            .iter()
            .enumerate()
            .filter_map(|(j, (_, v))| match v {
                Val::Feature { layer, origin } => Some((j, *layer, origin.clone())),
                Val::Aux => None,
            })
            .collect();
        Node {
            n,
            label: node_label(i, n),
            ins,
            features,
            facts,
        }
    }

    fn err(&self, reason: String) -> Error {
        Error::invalid(self.label.clone(), reason)
    }

    fn op(&self) -> &'g str {
        self.n.op_type.as_str()
    }

    /// The node's name for its layer (none: the layer gets a default name).
    fn layer_name(&self) -> Option<String> {
        (!self.n.name.is_empty()).then(|| echo(&self.n.name))
    }

    fn out_name(&self) -> &'g str {
        self.n.output.first().map(String::as_str).unwrap_or("")
    }

    fn out_dims(&self) -> Result<Vec<usize>> {
        let out_name = self.out_name();
        self.facts.get(out_name).cloned().ok_or_else(|| {
            self.err(format!(
                "tract-onnx could not infer the shape of its output '{}'",
                echo(out_name)
            ))
        })
    }

    fn in_dims(&self, v: &str) -> Result<Vec<usize>> {
        self.facts.get(v).cloned().ok_or_else(|| {
            self.err(format!(
                "tract-onnx could not infer the shape of '{}'",
                echo(v)
            ))
        })
    }

    /// The image (4-D) a conv or pool reads at input `j`: its producer's output as is.
    fn image_in(&self, j: usize) -> Result<(Option<usize>, [usize; 3])> {
        let (_, layer, origin) = self
            .features
            .iter()
            .find(|f| f.0 == j)
            .ok_or_else(|| self.err(format!("input {j} must be a feature map")))?;
        let d = self.in_dims(self.ins[j].0)?;
        if d.len() != 4 || d[0] != 1 || *origin != d {
            return Err(self.err(format!(
                "reads a feature map of shape {:?} that is a reshaped {:?}; the \
                 simulator follows only NCHW maps as their layer produced them",
                &d[..d.len().min(8)],
                &origin[..origin.len().min(8)]
            )));
        }
        Ok((*layer, [d[1], d[2], d[3]]))
    }

    /// The constant (an initializer) at input `j`: a layer's weights.
    fn weights<'c>(&self, checked: &'c Checked<'g>, j: usize) -> Result<&'c TensorProto> {
        self.ins
            .get(j)
            .and_then(|(v, _)| checked.consts.get(v).copied())
            .ok_or_else(|| self.err("its weights must be a constant (an initializer)".into()))
    }

    /// `auto_pad` is absent, NOTSET or VALID; `what` says what is not supported.
    fn check_auto_pad(&self, what: &str) -> Result<()> {
        let auto_pad = attr(self.n, "auto_pad")
            .map(|a| a.s.as_slice())
            .unwrap_or(b"NOTSET");
        if !(auto_pad == b"NOTSET" || auto_pad == b"VALID" || auto_pad.is_empty()) {
            return Err(self.err(what.into()));
        }
        Ok(())
    }

    /// The `dilations` attribute is 1 (or absent).
    fn check_no_dilation(&self) -> Result<()> {
        let err = |r: String| self.err(r);
        let dil = equal_pair(&err, "dilations", attr_ints(self.n, "dilations"), 1)?;
        if dil != 1 {
            return Err(self.err(format!("dilation {dil} is not supported (1 only)")));
        }
        Ok(())
    }
}

/// A layer the simulator places, with the weights it was imported with (if any).
type Placed = (LayerSpec, Option<Tensor4>);

/// The conversion's state: what each value carries, and the layers so far.
struct Conversion<'g> {
    vals: HashMap<&'g str, Val>,
    layers: Vec<LayerSpec>,
    weights: Vec<Option<Tensor4>>,
    /// tract-onnx's output dims of each layer, for the final check.
    layer_dims: Vec<Vec<usize>>,
    /// The node label of each layer, to name it in errors.
    layer_node: Vec<String>,
    /// Transparent operators passed through, with their counts.
    transparent: std::collections::BTreeMap<String, usize>,
}

/// Pass 3: layers. Each node is placed as a layer, passed through (transparent
/// operators, bias adds, scalings) or rejected; then the simulator's shapes are
/// checked against tract-onnx's.
fn convert(
    graph: &pb::GraphProto,
    checked: &Checked<'_>,
    facts: &HashMap<String, Vec<usize>>,
    name: String,
    options: &ImportOptions,
) -> Result<Imported> {
    let mut conv = Conversion {
        vals: checked.consts.keys().map(|&k| (k, Val::Aux)).collect(),
        layers: Vec::new(),
        weights: Vec::new(),
        layer_dims: Vec::new(),
        layer_node: Vec::new(),
        transparent: Default::default(),
    };
    conv.vals.insert(
        checked.input.as_str(),
        Val::Feature {
            layer: None,
            origin: checked.input_dims.to_vec(),
        },
    );
    for (i, n) in graph.node.iter().enumerate() {
        let node = Node::new(i, n, &conv.vals, facts);
        conv.node(&node, checked)?;
    }
    conv.finish(checked, name, options)
}

impl<'g> Conversion<'g> {
    /// Converts one node.
    fn node(&mut self, node: &Node<'g, '_>, checked: &Checked<'g>) -> Result<()> {
        let n = node.n;
        if node.features.is_empty() || node.op() == "Shape" {
            // Constants and shape computations.
            for o in n.output.iter().filter(|o| !o.is_empty()) {
                self.vals.insert(o, Val::Aux);
            }
            return Ok(());
        }
        match place(node, checked, self.layers.len())? {
            None => {
                *self.transparent.entry(node.op().to_string()).or_default() += 1;
                let (_, layer, origin) = node.features[0].clone();
                if let Some(o) = n.output.first().filter(|o| !o.is_empty()) {
                    self.vals.insert(o, Val::Feature { layer, origin });
                }
                for o in n.output.iter().skip(1).filter(|o| !o.is_empty()) {
                    self.vals.insert(o, Val::Aux);
                }
            }
            Some((spec, w)) => {
                let d = node.out_dims()?;
                if n.output.len() != 1 {
                    return Err(node.err(format!("{} outputs (one expected)", n.output.len())));
                }
                self.vals.insert(
                    node.out_name(),
                    Val::Feature {
                        layer: Some(self.layers.len()),
                        origin: d.clone(),
                    },
                );
                self.layers.push(spec);
                self.weights.push(w);
                self.layer_dims.push(d);
                self.layer_node.push(node.label.clone());
            }
        }
        Ok(())
    }

    /// The network: built, and its shapes checked against tract-onnx's.
    fn finish(
        self,
        checked: &Checked<'_>,
        name: String,
        options: &ImportOptions,
    ) -> Result<Imported> {
        if self.layers.is_empty() {
            return Err(Error::invalid(
                "graph",
                "no node costs hardware (no Conv, Gemm, MatMul, pooling or Add on the input)",
            ));
        }
        let [_, c, h, w] = checked.input_dims;
        let spec = NetworkSpec {
            name,
            input: Shape { c, h, w },
            w_bits: options.w_bits,
            a_bits: options.a_bits,
            layers: self.layers,
        };
        let net = spec.build()?;
        // The oracle: the simulator's own shape inference against tract-onnx's.
        for (l, layer) in net.layers.iter().enumerate() {
            let s = layer.out_shape;
            let want: Vec<usize> = match layer.op {
                super::Op::Fc { .. } => vec![1, s.c],
                _ => vec![1, s.c, s.h, s.w],
            };
            if self.layer_dims[l] != want {
                return Err(Error::invalid(
                    self.layer_node[l].clone(),
                    format!(
                        "tract-onnx infers output {:?}, the simulator's layer {want:?} (ceil_mode \
                         or asymmetric padding?)",
                        self.layer_dims[l]
                    ),
                ));
            }
        }
        Ok(Imported {
            spec,
            weights: self.weights,
            transparent: self.transparent.into_iter().collect(),
        })
    }
}

/// What a node on a feature map becomes: a layer (`Some`) placed at index `at`,
/// passed through (`None`), or an error saying why it cannot be placed.
fn place(node: &Node<'_, '_>, checked: &Checked<'_>, at: usize) -> Result<Option<Placed>> {
    let op = node.op();
    let two_maps = node.features.len() >= 2;
    let placed = match op {
        "Conv" => conv_layer(node, checked, at)?,
        "Gemm" | "MatMul" => fc_layer(node, checked, at)?,
        "MaxPool" | "AveragePool" => pool_layer(node, at)?,
        "GlobalAveragePool" | "GlobalMaxPool" => global_pool_layer(node, at)?,
        "Add" | "Sum" if two_maps => add_layer(node, at)?,
        "Sub" | "Mul" | "Div" if two_maps => {
            return Err(node.err(format!(
                "{op} of two feature maps cannot be placed on the simulator (only Add is)"
            )));
        }
        "Concat" => {
            return Err(node.err(
                "Concat of feature maps cannot be placed: the simulator's network \
                 description has no concatenation layer"
                    .into(),
            ));
        }
        // A bias add or a scaling by a constant, or a transparent operator.
        "Add" | "Sum" | "Sub" | "Mul" | "Div" => return Ok(None),
        _ if TRANSPARENT.contains(&op) => {
            if node.features.len() != 1 || node.features[0].0 != 0 {
                return Err(node.err("its first input must be the only feature map".into()));
            }
            return Ok(None);
        }
        _ => {
            return Err(node.err(format!(
                "operator '{}' on a feature map cannot be placed on the simulator",
                echo(op)
            )))
        }
    };
    Ok(Some(placed))
}

/// `Conv`: a conv layer (weights kept for ungrouped convolutions).
fn conv_layer(node: &Node<'_, '_>, checked: &Checked<'_>, at: usize) -> Result<Placed> {
    let (n, err) = (node.n, |r: String| node.err(r));
    let (from, [c_in, _, _]) = node.image_in(0)?;
    if node.features.len() != 1 {
        return Err(err("its weights must be a constant (an initializer)".into()));
    }
    let wt = node.weights(checked, 1)?;
    let [m, cg, kh, kw] = wt.dims[..] else {
        return Err(err(format!(
            "2-D convolutions only (weights of rank 4), got dims {:?}",
            wt.dims
        )));
    };
    let (m, cg, kh, kw) = (m as usize, cg as usize, kh as usize, kw as usize);
    if kh != kw {
        return Err(err(format!("square kernels only, got {kh}x{kw}")));
    }
    let group = attr_i(n, "group", 1);
    node.check_auto_pad(
        "auto_pad SAME_UPPER/SAME_LOWER is not supported; export with explicit pads",
    )?;
    let stride = equal_pair(&err, "strides", attr_ints(n, "strides"), 1)?;
    let pad = symmetric_pads(&err, attr_ints(n, "pads"))?;
    node.check_no_dilation()?;
    if group < 1 || cg.checked_mul(group as usize) != Some(c_in) {
        return Err(err(format!(
            "group {group} with {cg} input channels per group does not match \
             the {c_in} input channels"
        )));
    }
    let g = group as usize;
    let w = if g == 1 {
        let data = floats(wt).ok_or_else(|| err("weights must be float32".into()))?;
        Some(Tensor4::new(
            &format!("{}.weights", node.label),
            [m, cg, kh, kw],
            data,
        )?)
    } else {
        None
    };
    let spec = LayerSpec::Conv {
        name: node.layer_name(),
        c_out: m,
        kernel: kh,
        stride: (stride != 1).then_some(stride),
        padding: (pad != 0).then_some(pad),
        groups: (g != 1).then_some(g),
        from: offset(from, at),
    };
    Ok((spec, w))
}

/// `Gemm` / `MatMul` on a flattened map: an fc layer, weights as `[out, in]`.
fn fc_layer(node: &Node<'_, '_>, checked: &Checked<'_>, at: usize) -> Result<Placed> {
    let (n, err, op) = (node.n, |r: String| node.err(r), node.op());
    if node.features.len() != 1 || node.features[0].0 != 0 {
        return Err(err(
            "the first input must be the feature map and the second a constant".into(),
        ));
    }
    let d = node.in_dims(node.ins[0].0)?;
    let [1, k] = d[..] else {
        return Err(err(format!(
            "an fc reads a flattened [1, features] input, got {:?} (add a Flatten)",
            &d[..d.len().min(8)]
        )));
    };
    let bt = node.weights(checked, 1)?;
    let trans_b = op == "Gemm" && attr_i(n, "transB", 0) != 0;
    if op == "Gemm" && attr_i(n, "transA", 0) != 0 {
        return Err(err("transA = 1 is not supported".into()));
    }
    let [r, c] = bt.dims[..] else {
        return Err(err(format!("weights must be 2-D, got dims {:?}", bt.dims)));
    };
    let (r, c) = (r as usize, c as usize);
    let (out, inn) = if trans_b { (r, c) } else { (c, r) };
    if inn != k {
        return Err(err(format!(
            "weights {:?} do not match the {k} input features",
            bt.dims
        )));
    }
    let data = floats(bt).ok_or_else(|| err("weights must be float32".into()))?;
    let data = if trans_b {
        data
    } else {
        let mut t = vec![0f32; data.len()];
        for a in 0..r {
            for b in 0..c {
                t[b * r + a] = data[a * c + b];
            }
        }
        t
    };
    let w = Tensor4::new(&format!("{}.weights", node.label), [out, inn, 1, 1], data)?;
    let spec = LayerSpec::Fc {
        name: node.layer_name(),
        out,
        from: offset(node.features[0].1, at),
    };
    Ok((spec, Some(w)))
}

/// `MaxPool` / `AveragePool`: a pool layer.
fn pool_layer(node: &Node<'_, '_>, at: usize) -> Result<Placed> {
    let (n, err) = (node.n, |r: String| node.err(r));
    let (from, _) = node.image_in(0)?;
    let k = equal_pair(&err, "kernel_shape", attr_ints(n, "kernel_shape"), 0)?;
    let s = equal_pair(&err, "strides", attr_ints(n, "strides"), 1)?;
    let p = symmetric_pads(&err, attr_ints(n, "pads"))?;
    node.check_no_dilation()?;
    node.check_auto_pad("auto_pad SAME_* is not supported")?;
    Ok(pool_spec(node, "MaxPool", [k, s, p], offset(from, at)))
}

/// The pool layer of `node`: a `kernel`-wide window at `stride` with `padding`
/// (`[kernel, stride, padding]`), max when the node's op is `max_op`, else average.
fn pool_spec(
    node: &Node<'_, '_>,
    max_op: &str,
    window: [usize; 3],
    from: Option<Vec<i64>>,
) -> Placed {
    let [kernel, stride, padding] = window;
    let op = if node.op() == max_op {
        PoolOp::Max
    } else {
        PoolOp::Avg
    };
    let spec = LayerSpec::Pool {
        name: node.layer_name(),
        kernel,
        stride: Some(stride),
        padding: (padding != 0).then_some(padding),
        op,
        from,
    };
    (spec, None)
}

/// `GlobalAveragePool` / `GlobalMaxPool` of a square map: a pool over the whole map.
fn global_pool_layer(node: &Node<'_, '_>, at: usize) -> Result<Placed> {
    let (from, [_, h, w]) = node.image_in(0)?;
    if h != w {
        return Err(node.err(format!(
            "global pooling over a {h}x{w} map: square maps only"
        )));
    }
    Ok(pool_spec(
        node,
        "GlobalMaxPool",
        [h, 1, 0],
        offset(from, at),
    ))
}

/// `Add` / `Sum` of two or more equally shaped feature maps: an add layer.
fn add_layer(node: &Node<'_, '_>, at: usize) -> Result<Placed> {
    let ins = &node.ins;
    let mut from = Vec::with_capacity(node.features.len());
    let first = node.in_dims(ins[node.features[0].0].0)?;
    for (j, layer, _) in &node.features {
        let (l, _) = node.image_in(*j).or_else(|e| {
            // An add of flat (fc) outputs: same dims, not NCHW.
            let d = node.in_dims(ins[*j].0)?;
            if d == first && d.len() == 2 {
                Ok((*layer, [0, 0, 0]))
            } else {
                Err(e)
            }
        })?;
        if node.in_dims(ins[*j].0)? != first {
            return Err(node.err(format!(
                "adds maps of different shapes {first:?} and {:?} (broadcasting \
                 between feature maps is not supported)",
                node.in_dims(ins[*j].0)?
            )));
        }
        from.push(match l {
            Some(p) => p as i64 - at as i64,
            None => -(at as i64) - 1,
        });
    }
    let spec = LayerSpec::Add {
        name: node.layer_name(),
        from,
    };
    Ok((spec, None))
}

/// Relative `from` of a single-input layer at index `at` reading `producer`.
fn offset(producer: Option<usize>, at: usize) -> Option<Vec<i64>> {
    let o = match producer {
        Some(p) => p as i64 - at as i64,
        None => -(at as i64) - 1,
    };
    (o != -1).then(|| vec![o])
}

/// Both entries of a 2-D attribute, which must be equal (default `default` when
/// absent; 0 = required).
fn equal_pair(
    err: &dyn Fn(String) -> Error,
    name: &str,
    v: Option<&[i64]>,
    default: usize,
) -> Result<usize> {
    match v {
        None | Some([]) if default > 0 => Ok(default),
        None | Some([]) => Err(err(format!("{name} is required"))),
        Some([a, b]) if a == b && *a > 0 && *a <= 1 << 20 => Ok(*a as usize),
        Some(v) => Err(err(format!(
            "{name} {:?}: 2-D with equal entries only",
            &v[..v.len().min(4)]
        ))),
    }
}

/// The one padding of symmetric 2-D `pads` `[top, left, bottom, right]`.
fn symmetric_pads(err: &dyn Fn(String) -> Error, v: Option<&[i64]>) -> Result<usize> {
    match v {
        None | Some([]) => Ok(0),
        Some([a, b, c, d]) if a == b && b == c && c == d && *a >= 0 && *a <= 64 => Ok(*a as usize),
        Some(v) => Err(err(format!(
            "pads {:?}: equal padding on every side only",
            &v[..v.len().min(4)]
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_truncate_long_names() {
        let n = NodeProto {
            name: "x".repeat(1000),
            op_type: "Conv".into(),
            ..Default::default()
        };
        let l = node_label(0, &n);
        assert!(l.len() < 100, "{l}");
        assert!(l.ends_with("...' (Conv)"), "{l}");
    }
}
