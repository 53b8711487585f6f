//! `epim import` (feature `onnx`): ONNX files of the zoo's own architectures,
//! written at test time by scripts/onnx-fixtures.py (PyPI's `onnx`, random
//! weights), import to networks that simulate exactly like the zoo networks in
//! both accountings; real weights come along; hostile files get one-line errors
//! naming the node.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::Command;

use epim::nets::onnx::{import_onnx, ImportOptions, Imported};
use epim::nets::{builtin, LayerSpec, Op};
use epim::sim::{preset, simulate, Accounting};
use prost::Message;
use tract_onnx::pb::{
    tensor_proto::DataType, tensor_shape_proto::dimension, tensor_shape_proto::Dimension,
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// (fixture, zoo network, bits): the CIFAR-10 networks are 9-bit in the zoo.
const FIXTURES: &[(&str, &str, u32)] = &[
    ("lenet", "lenet", 9),
    ("vgg16", "vgg16", 9),
    ("resnet18", "resnet18", 9),
    ("resnet18-imagenet", "resnet18-imagenet", 8),
    ("resnet50-imagenet", "resnet50-imagenet", 8),
    ("mobilenetv2-imagenet", "mobilenetv2-imagenet", 8),
];

const SCRIPT: &[u8] = include_bytes!("../scripts/onnx-fixtures.py");

/// The fixtures' directory (in the target dir, keyed by the script's hash so an
/// edited script regenerates them); runs the script when a file is missing.
fn fixtures() -> PathBuf {
    // The tests run in parallel threads: one generates, the others wait.
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(generate).clone()
}

fn generate() -> PathBuf {
    let hash = SCRIPT.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("onnx-fixtures-{hash:016x}"));
    if FIXTURES
        .iter()
        .all(|(f, _, _)| dir.join(format!("{f}.onnx")).is_file())
    {
        return dir;
    }
    let python = std::env::var("EPIM_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/onnx-fixtures.py");
    let out = Command::new(&python).arg(&script).arg(&dir).output();
    match out {
        Ok(o) if o.status.success() => dir,
        Ok(o) => panic!(
            "scripts/onnx-fixtures.py failed ({}): {}\nInstall the pinned onnx package: \
             scripts/setup.sh --with-onnx (pip install --user onnx==1.17.0)",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "cannot run {python} for scripts/onnx-fixtures.py: {e}\nInstall Python 3 and the \
             pinned onnx package: scripts/setup.sh --with-onnx (or set EPIM_PYTHON)"
        ),
    }
}

fn import_file(path: &Path, bits: u32) -> Imported {
    let bytes = std::fs::read(path).unwrap();
    let options = ImportOptions {
        w_bits: bits,
        a_bits: bits,
        ..ImportOptions::default()
    };
    import_onnx(&bytes, &options).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The spec with default layer names (the zoo's) and the zoo's network name.
fn unnamed(mut imported: Imported, name: &str) -> epim::nets::NetworkSpec {
    imported.spec.name = name.to_string();
    for l in &mut imported.spec.layers {
        match l {
            LayerSpec::Conv { name, .. }
            | LayerSpec::Fc { name, .. }
            | LayerSpec::Pool { name, .. }
            | LayerSpec::Add { name, .. } => *name = None,
        }
    }
    imported.spec
}

#[test]
fn zoo_architectures_import_to_the_zoo_networks_and_simulate_identically() {
    let dir = fixtures();
    let arch = preset("mnsim2").unwrap();
    for &(file, zoo, bits) in FIXTURES {
        let imported = import_file(&dir.join(format!("{file}.onnx")), bits);
        let net = unnamed(imported, zoo).build().unwrap();
        let want = builtin(zoo).unwrap();
        assert_eq!(net.layers.len(), want.layers.len(), "{file}");
        for (l, (a, b)) in net.layers.iter().zip(&want.layers).enumerate() {
            assert_eq!(a, b, "{file}: layer {l}");
        }
        assert_eq!(net, want, "{file}");
        for acc in [Accounting::Mnsim, Accounting::Physical] {
            let got = simulate(&net, &arch, acc).unwrap();
            let exp = simulate(&want, &arch, acc).unwrap();
            assert_eq!(got.totals.pes, exp.totals.pes, "{file} {acc:?}");
            assert_eq!(got.totals.area_um2, exp.totals.area_um2, "{file} {acc:?}");
            assert_eq!(
                got.totals.latency_ns, exp.totals.latency_ns,
                "{file} {acc:?}"
            );
            assert_eq!(got.totals.energy_pj, exp.totals.energy_pj, "{file} {acc:?}");
            assert_eq!(
                serde_json::to_value(&got).unwrap(),
                serde_json::to_value(&exp).unwrap(),
                "{file} {acc:?}: whole report"
            );
        }
    }
}

/// The decoded file and the float values of initializer `name`.
fn initializer(path: &Path, pick: impl Fn(&GraphProto) -> String) -> (Vec<i64>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let m = ModelProto::decode(&bytes[..]).unwrap();
    let g = m.graph.unwrap();
    let name = pick(&g);
    let t = g.initializer.iter().find(|t| t.name == name).unwrap();
    let data = t
        .raw_data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    (t.dims.clone(), data)
}

#[test]
fn real_weights_come_along_in_layer_layout() {
    let dir = fixtures();
    for &(file, _, bits) in FIXTURES {
        let imported = import_file(&dir.join(format!("{file}.onnx")), bits);
        let net = imported.spec.build().unwrap();
        assert_eq!(imported.weights.len(), net.layers.len());
        for (layer, w) in net.layers.iter().zip(&imported.weights) {
            match layer.op {
                Op::Conv(g) if g.groups == 1 => {
                    let w = w
                        .as_ref()
                        .unwrap_or_else(|| panic!("{file} {}", layer.name));
                    assert_eq!(w.shape(), [g.c_out, g.c_in, g.kernel, g.kernel]);
                }
                Op::Fc {
                    in_features,
                    out_features,
                } => {
                    let w = w.as_ref().unwrap();
                    assert_eq!(w.shape(), [out_features, in_features, 1, 1]);
                }
                _ => assert!(w.is_none(), "{file} {}", layer.name),
            }
        }
    }
    // The classifier's weights, value for value: Gemm(transB = 1) as stored,
    // MatMul's [in, out] transposed.
    for (file, op) in [
        ("resnet50-imagenet", "Gemm"),
        ("mobilenetv2-imagenet", "MatMul"),
    ] {
        let path = dir.join(format!("{file}.onnx"));
        let imported = import_file(&path, 8);
        let (dims, data) = initializer(&path, |g| {
            g.node.iter().rfind(|n| n.op_type == op).unwrap().input[1].clone()
        });
        let w = imported.weights.last().unwrap().as_ref().unwrap();
        let [o, i, _, _] = w.shape();
        if op == "Gemm" {
            assert_eq!(dims, [o as i64, i as i64]);
            assert_eq!(w.data(), &data[..]);
        } else {
            assert_eq!(dims, [i as i64, o as i64]);
            for r in [0, 7, o - 1] {
                for c in [0, 5, i - 1] {
                    assert_eq!(w.data()[r * i + c], data[c * o + r], "{file} [{r},{c}]");
                }
            }
        }
    }
}

#[test]
fn the_cli_imports_and_simulates_an_onnx_file() {
    let dir = fixtures();
    let exe = env!("CARGO_BIN_EXE_epim");
    let model = dir.join("resnet18-imagenet.onnx");
    let out = dir.join("resnet18-imagenet.cli.json");
    let o = Command::new(exe)
        .args(["import"])
        .arg(&model)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["layers"], 31);
    let run = |net: &Path| {
        let o = Command::new(exe)
            .args(["simulate", "--json", "--accounting", "mnsim", "--net"])
            .arg(net)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["totals"].clone()
    };
    let from_onnx = run(&model);
    let from_json = run(&out);
    assert_eq!(from_onnx, from_json);
    let zoo = Command::new(exe)
        .args([
            "simulate",
            "--json",
            "--accounting",
            "mnsim",
            "--net",
            "resnet18-imagenet",
        ])
        .output()
        .unwrap();
    let zoo: serde_json::Value = serde_json::from_slice(&zoo.stdout).unwrap();
    assert_eq!(from_onnx, zoo["totals"]);
    // compare --net MODEL.onnx: crossbar pruning takes its masks from the file's
    // weights (measured: which rows stay active changes the energy), the same
    // network as JSON (no weights) uses the ratio model.
    let prune = |net: &Path| {
        let o = Command::new(exe)
            .args(["compare", "--json", "--net"])
            .arg(net)
            .args(["--method", "prune:kind=crossbar,ratio=0.5,bits=8"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (v["baseline"].clone(), v["rows"][0].clone())
    };
    let (base_measured, measured) = prune(&model);
    let (base_modelled, modelled) = prune(&out);
    assert_eq!(
        base_measured, base_modelled,
        "the dense baseline is the same"
    );
    assert_eq!(measured["crossbars"], modelled["crossbars"]);
    assert_ne!(
        measured["energy_pj"], modelled["energy_pj"],
        "masks from the file's weights"
    );
}

// ---- hostile files -------------------------------------------------------------

fn vi(name: &str, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(v) => dimension::Value::DimValue(*v),
                None => dimension::Value::DimParam("H".into()),
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

fn floats(name: &str, dims: &[i64]) -> TensorProto {
    let n: i64 = dims.iter().product();
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: vec![0.5; n as usize],
        ..Default::default()
    }
}

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.to_vec(),
        r#type: 7,
        ..Default::default()
    }
}

fn node(name: &str, op: &str, ins: &[&str], outs: &[&str]) -> NodeProto {
    NodeProto {
        name: name.into(),
        op_type: op.into(),
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: outs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// x [1,3,8,8] -> Conv 4x3x3x3 pad 1 ("c1") -> Relu -> `extra` nodes.
fn model(input: ValueInfoProto, extra: Vec<NodeProto>, out: &str) -> Vec<u8> {
    let mut conv = node("c1", "Conv", &["x", "w1"], &["y1"]);
    conv.attribute = vec![ints("pads", &[1, 1, 1, 1]), ints("kernel_shape", &[3, 3])];
    let mut nodes = vec![conv, node("r1", "Relu", &["y1"], &["y2"])];
    nodes.extend(extra);
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(GraphProto {
            name: "hostile".into(),
            node: nodes,
            initializer: vec![floats("w1", &[4, 3, 3, 3])],
            input: vec![input],
            output: vec![vi(out, &[])],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

fn x() -> ValueInfoProto {
    vi("x", &[Some(1), Some(3), Some(8), Some(8)])
}

fn err(bytes: &[u8], options: &ImportOptions) -> String {
    let e = import_onnx(bytes, options)
        .err()
        .unwrap_or_else(|| panic!("imported a hostile file"))
        .to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    assert!(e.len() < 600, "short: {e}");
    e
}

#[test]
fn a_small_valid_graph_imports_and_its_hostile_variants_fail_naming_the_node() {
    let o = ImportOptions::default();
    let ok = import_onnx(&model(x(), vec![], "y2"), &o).unwrap();
    assert_eq!(ok.spec.layers.len(), 1);
    assert_eq!(ok.spec.name, "hostile");

    let e = err(&[], &o);
    assert!(e.contains("empty"), "{e}");

    let full = model(x(), vec![], "y2");
    let e = err(&full[..full.len() / 2], &o);
    assert!(e.contains("truncated"), "{e}");

    let e = err(
        &model(
            x(),
            vec![node("weird", "NonMaxSuppression", &["y2"], &["z"])],
            "z",
        ),
        &o,
    );
    assert!(e.contains("node 'weird' (NonMaxSuppression)"), "{e}");
    assert!(e.contains("cannot be placed"), "{e}");

    // A cycle: a reads b, b reads a.
    let e = err(
        &model(
            x(),
            vec![
                node("a", "Add", &["y2", "b_out"], &["a_out"]),
                node("b", "Relu", &["a_out"], &["b_out"]),
            ],
            "b_out",
        ),
        &o,
    );
    assert!(e.contains("node 'a' (Add)") && e.contains("cycle"), "{e}");

    let dynamic = vi("x", &[Some(1), Some(3), None, Some(8)]);
    let e = err(&model(dynamic.clone(), vec![], "y2"), &o);
    assert!(
        e.contains("graph input 'x'") && e.contains("--input-shape"),
        "{e}"
    );
    let given = ImportOptions {
        input_shape: Some(vec![1, 3, 8, 8]),
        ..ImportOptions::default()
    };
    assert!(import_onnx(&model(dynamic, vec![], "y2"), &given).is_ok());

    let huge = vi("x", &[Some(1), Some(3), Some(1 << 40), Some(8)]);
    let e = err(&model(huge, vec![], "y2"), &o);
    assert!(e.contains("1..=4096"), "{e}");

    // An initializer whose dims claim 2^62 values (no data behind them).
    let mut bytes = ModelProto::decode(&full[..]).unwrap();
    let g = bytes.graph.as_mut().unwrap();
    g.initializer[0].dims = vec![1 << 31, 1 << 31, 1, 1];
    let e = err(&bytes.encode_to_vec(), &o);
    assert!(e.contains("tensor 'w1'") && e.contains("2^28"), "{e}");

    // Data shorter than the dims say.
    let g = bytes.graph.as_mut().unwrap();
    g.initializer[0].dims = vec![4, 3, 3, 4];
    let e = err(&bytes.encode_to_vec(), &o);
    assert!(e.contains("tensor 'w1'"), "{e}");

    // Concat of feature maps and a non-square kernel name their node.
    let e = err(
        &model(
            x(),
            vec![{
                let mut n = node("cat", "Concat", &["y1", "y2"], &["z"]);
                n.attribute = vec![AttributeProto {
                    name: "axis".into(),
                    i: 1,
                    r#type: 2,
                    ..Default::default()
                }];
                n
            }],
            "z",
        ),
        &o,
    );
    assert!(e.contains("node 'cat' (Concat)"), "{e}");

    let mut rect = ModelProto::decode(&full[..]).unwrap();
    let g = rect.graph.as_mut().unwrap();
    g.initializer[0] = floats("w1", &[4, 3, 3, 1]);
    g.node[0].attribute = vec![ints("pads", &[1, 0, 1, 0])];
    let e = err(&rect.encode_to_vec(), &o);
    assert!(
        e.contains("node 'c1' (Conv)") && e.contains("square"),
        "{e}"
    );

    // ceil_mode changes the output size: tract-onnx's shape and the simulator's
    // disagree, and the import names the node.
    let mut pool = node("p1", "MaxPool", &["y2"], &["z"]);
    pool.attribute = vec![
        ints("kernel_shape", &[3, 3]),
        ints("strides", &[2, 2]),
        AttributeProto {
            name: "ceil_mode".into(),
            i: 1,
            r#type: 2,
            ..Default::default()
        },
    ];
    let e = err(&model(x(), vec![pool.clone()], "z"), &o);
    assert!(
        e.contains("node 'p1' (MaxPool)") && e.contains("tract-onnx infers"),
        "{e}"
    );
    // Without ceil_mode the same pool imports.
    pool.attribute.pop();
    assert_eq!(
        import_onnx(&model(x(), vec![pool], "z"), &o)
            .unwrap()
            .spec
            .layers
            .len(),
        2
    );

    // A pool reading a map reshaped away from its conv's NCHW output.
    let mut bytes = ModelProto::decode(
        &model(
            x(),
            vec![node("rs", "Reshape", &["y2", "shape"], &["y3"]), {
                let mut p = node("p2", "MaxPool", &["y3"], &["z"]);
                p.attribute = vec![ints("kernel_shape", &[2, 2])];
                p
            }],
            "z",
        )[..],
    )
    .unwrap();
    bytes.graph.as_mut().unwrap().initializer.push(TensorProto {
        name: "shape".into(),
        dims: vec![4],
        data_type: DataType::Int64 as i32,
        int64_data: vec![1, 8, 4, 8],
        ..Default::default()
    });
    let e = err(&bytes.encode_to_vec(), &o);
    assert!(
        e.contains("node 'p2' (MaxPool)") && e.contains("reshaped"),
        "{e}"
    );

    // A long hostile name is echoed truncated.
    let long = "n".repeat(10_000);
    let e = err(
        &model(x(), vec![node(&long, "Unknown", &["y2"], &["z"])], "z"),
        &o,
    );
    assert!(e.contains("...") && e.len() < 600, "{e}");
}

/// Window attributes of the wrong length made tract-core 0.23.9 panic (index out of
/// bounds in its padding code; found by scripts/fuzz.mjs on the page's module): they are
/// refused by the check pass, naming the node and the attribute, in the import and in
/// `check_runnable` (the page's ONNX classifier).
#[test]
fn short_window_attributes_are_refused_before_tract_parses_them() {
    use epim::nets::onnx::check_runnable;
    let o = ImportOptions::default();
    let good = model(x(), vec![], "y2");
    assert!(check_runnable(&good).is_ok());
    for (name, v) in [
        ("kernel_shape", vec![3]),
        ("strides", vec![1]),
        ("dilations", vec![1, 1, 1]),
        ("pads", vec![1, 1]),
        ("strides", vec![0, 1]),
        ("pads", vec![1, 1, 1, 5000]),
    ] {
        let mut m = ModelProto::decode(&good[..]).unwrap();
        let n = &mut m.graph.as_mut().unwrap().node[0];
        n.attribute.retain(|a| a.name != name);
        n.attribute.push(ints(name, &v));
        let bytes = m.encode_to_vec();
        let e = err(&bytes, &o);
        assert!(e.contains(&format!("node 'c1' (Conv): {name}")), "{e}");
        let e = check_runnable(&bytes).unwrap_err().to_string();
        assert!(e.contains(&format!("node 'c1' (Conv): {name}")), "{e}");
    }
    let mut m = ModelProto::decode(&good[..]).unwrap();
    m.graph.as_mut().unwrap().initializer[0] = floats("w1", &[4, 3, 9]);
    let e = err(&m.encode_to_vec(), &o);
    assert!(
        e.contains("node 'c1' (Conv): weights") && e.contains("4 dims"),
        "{e}"
    );
    assert!(check_runnable(&[]).is_err());
    assert!(check_runnable(&good[..good.len() / 2]).is_err());
    // An axis beyond 4 dims (a Flatten of axis 45 panicked in tract-hir) and an input
    // nobody produces (tract-onnx looked it up unchecked).
    let mut flat = node("f1", "Flatten", &["y2"], &["z"]);
    flat.attribute = vec![AttributeProto {
        name: "axis".into(),
        i: 45,
        r#type: 2,
        ..Default::default()
    }];
    let bytes = model(x(), vec![flat], "z");
    assert!(err(&bytes, &o).contains("node 'f1' (Flatten): axis"));
    let e = check_runnable(&bytes).unwrap_err().to_string();
    assert!(e.contains("node 'f1' (Flatten): axis"), "{e}");
    let bytes = model(x(), vec![node("a1", "Add", &["y2", "ghost"], &["z"])], "z");
    let e = check_runnable(&bytes).unwrap_err().to_string();
    assert!(
        e.contains("node 'a1' (Add)") && e.contains("'ghost'"),
        "{e}"
    );
    // A node without outputs (a Flatten of none panicked in tract-hir).
    let bytes = model(x(), vec![node("f2", "Flatten", &["y2"], &[])], "y2");
    assert!(err(&bytes, &o).contains("node 'f2' (Flatten)"));
    let e = check_runnable(&bytes).unwrap_err().to_string();
    assert!(
        e.contains("node 'f2' (Flatten)") && e.contains("0 outputs"),
        "{e}"
    );
}
