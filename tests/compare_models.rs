//! Trained models in a comparison: the shipped models costed as stored, pruning
//! masks from real weights, the accuracy column, and `epim compare --model`.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/cli.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use epim::compare::{compare, compare_models, model_network, CompareRequest, ModelEntry};
use epim::model::{ArchSpec, LayerSpec, Model, WeightLayerSpec};
use epim::prune::PruneKind;
use epim::sim::NetworkRef;
use support::{epim, json_out};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

fn shipped(name: &str) -> (PathBuf, Model) {
    let path = models_dir().join(format!("{name}.safetensors"));
    let bytes = std::fs::read(&path).unwrap();
    (path, Model::from_bytes(&bytes).unwrap())
}

const MNIST: [&str; 7] = [
    "mnist-cnn-dense-8b",
    "mnist-cnn-epim2.25-8b",
    "mnist-cnn-epim4.5-8b",
    "mnist-cnn-epim2.25-3b",
    "mnist-cnn-epim4.5-3b",
    "mnist-cnn-filter0.5625-8b",
    "mnist-cnn-xrs0.556-8b",
];

fn request(network: NetworkRef, methods: &[&str]) -> CompareRequest {
    CompareRequest {
        network: Some(network),
        preset: Some("mnsim2".into()),
        accounting: None,
        config: None,
        knobs: Default::default(),
        baseline: "dense:bits=32".into(),
        methods: methods.iter().map(|m| m.to_string()).collect(),
        designs: BTreeMap::new(),
    }
}

/// The comparison's crossbar counts of every shipped model equal the per-layer
/// cost model of `epim eval --cost` (an independent path: one-layer networks
/// and the ratio model), and the accuracy column is the recorded accuracy.
#[test]
fn shipped_models_cost_what_the_model_cost_says_and_carry_their_accuracy() {
    let models: Vec<(String, Model)> = MNIST
        .iter()
        .map(|n| (format!("model:{n}"), shipped(n).1))
        .collect();
    let spec = model_network(models[0].1.arch(), "mnist-cnn").unwrap();
    let entries: Vec<ModelEntry> = models
        .iter()
        .map(|(label, model)| ModelEntry { label, model })
        .collect();
    let report = compare_models(&request(NetworkRef::Spec(spec), &[]), &entries).unwrap();
    assert_eq!(report.rows.len(), MNIST.len());
    for ((label, model), row) in models.iter().zip(&report.rows) {
        assert_eq!(&row.method, label);
        let cost = epim::model::cost::model_cost(model.arch(), "mnsim2").unwrap();
        assert_eq!(row.crossbars, cost.crossbars, "{label}");
        let acc = model.recorded_accuracy().unwrap();
        assert_eq!(row.accuracy_pct, Some(100.0 * acc), "{label}");
        assert!(row.area_ratio > 1.0, "{label}: smaller than dense 32-bit");
    }
    // The baseline and method rows of a comparison without models have none.
    assert_eq!(report.baseline.accuracy_pct, None);
    let by = |n: &str| {
        report
            .rows
            .iter()
            .find(|r| r.method == format!("model:{n}"))
            .unwrap()
    };
    // 98 crossbars dense, 56 for EPIM and the matched pruned models at 8 bits,
    // 16 for EPIM at 3 bits (models/README.md).
    assert_eq!(by("mnist-cnn-dense-8b").crossbars, 98);
    assert_eq!(by("mnist-cnn-epim2.25-8b").crossbars, 56);
    assert_eq!(by("mnist-cnn-xrs0.556-8b").crossbars, 56);
    assert_eq!(by("mnist-cnn-epim2.25-3b").crossbars, 16);
    // The 8-bit dense model costs exactly what dense:bits=8 costs on its network.
    let spec = model_network(models[0].1.arch(), "mnist-cnn").unwrap();
    let dense8 = compare(&request(NetworkRef::Spec(spec), &["dense:bits=8"])).unwrap();
    let d = &dense8.rows[0];
    let m = by("mnist-cnn-dense-8b");
    assert_eq!(
        (d.crossbars, d.area_um2, d.latency_ns, d.energy_pj),
        (m.crossbars, m.area_um2, m.latency_ns, m.energy_pj)
    );
}

/// A fully connected layer of 512 inputs and 8 outputs whose second half of
/// inputs (rows 256..511) carries tiny weights.
fn half_tiny_model() -> Model {
    let fc = WeightLayerSpec {
        name: "fc".into(),
        c_in: 512,
        c_out: 8,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: Some(8),
        act: None,
        prune: None,
    };
    let arch = ArchSpec {
        input: [512, 1, 1],
        classes: 8,
        layers: vec![LayerSpec::Flatten, LayerSpec::Dense(fc)],
    };
    let mut w = vec![0.0f32; 8 * 512];
    for o in 0..8 {
        for i in 0..512 {
            let sign = if (o + i) % 2 == 0 { 1.0 } else { -1.0 };
            let mag = if i < 256 {
                0.5 + (i % 7) as f32 * 0.05
            } else {
                0.01
            };
            w[o * 512 + i] = sign * mag;
        }
    }
    Model::from_float(arch, vec![(w, vec![0.0; 8])], BTreeMap::new()).unwrap()
}

/// Unstructured pruning frees a crossbar only where a whole block empties. On
/// these weights, magnitude pruning at 0.5 removes exactly rows 256..511 (the
/// 2,048 smallest of 4,096 weights), which is the second of the two 256-row
/// blocks of a 256x256 crossbar (physical accounting): 1 block x 7 slices (8-bit
/// signed on 1-bit cells) x 2 polarities = 14 crossbars instead of 28. The ratio
/// model, which knows no weights, frees none (and the area rule keeps it dense).
#[test]
fn pruning_masks_come_from_the_first_models_real_weights() {
    let model = half_tiny_model();
    let spec = model_network(model.arch(), "half-tiny").unwrap();
    let method = "prune:kind=unstructured,ratio=0.5,bits=8";
    let entries = [ModelEntry {
        label: "model:half-tiny",
        model: &model,
    }];
    let with = compare_models(
        &request(NetworkRef::Spec(spec.clone()), &[method]),
        &entries,
    )
    .unwrap();
    let without = compare(&request(NetworkRef::Spec(spec), &[method])).unwrap();
    assert_eq!(with.rows[0].crossbars, 14);
    assert_eq!(without.rows[0].crossbars, 28);
    assert!(with.rows[0].area_um2 < without.rows[0].area_um2);
    // The model row itself is the dense 8-bit layer.
    assert_eq!(with.rows[1].crossbars, 28);
    assert_eq!(with.rows[1].accuracy_pct, None, "no accuracy recorded");
}

/// A pruned model is costed from its stored zeros: the XRS model's layers hold
/// exactly the rows its masks kept, so the measured counts equal the ratio
/// model's for the same method and ratio (structured kinds agree by the prune
/// property tests).
#[test]
fn a_pruned_model_is_costed_from_its_stored_zeros() {
    let (_, xrs) = shipped("mnist-cnn-xrs0.556-8b");
    let spec = model_network(xrs.arch(), "mnist-cnn").unwrap();
    let entries = [ModelEntry {
        label: "model:xrs",
        model: &xrs,
    }];
    let report = compare_models(
        &request(
            NetworkRef::Spec(spec),
            &["prune:kind=xrs,ratio=0.556,bits=8"],
        ),
        &entries,
    )
    .unwrap();
    let (method, model) = (&report.rows[0], &report.rows[1]);
    assert_eq!(model.crossbars, method.crossbars);
    assert!((model.bits_per_weight - method.bits_per_weight).abs() < 1e-12);
    // Recorded kind and ratio are those of the file.
    let conv3 = xrs.arch().weight_layers().nth(2).unwrap();
    assert_eq!(
        conv3.prune.map(|p| (p.kind, p.ratio)),
        Some((PruneKind::Xrs, 0.556))
    );
}

#[test]
fn cli_compares_model_files_with_an_accuracy_column() {
    let dir = models_dir();
    let a = dir.join("mnist-cnn-dense-8b.safetensors");
    let b = dir.join("mnist-cnn-epim2.25-3b.safetensors");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = epim(&[
        "compare",
        "--model",
        a,
        "--model",
        b,
        "--method",
        "dense:bits=3",
        "--json",
    ]);
    let v = json_out(&out);
    assert_eq!(v["network"], "mnist-cnn-dense-8b");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["method"], "dense:bits=3");
    assert!(rows[0].get("accuracy_pct").is_none());
    assert_eq!(rows[1]["method"], "model:mnist-cnn-dense-8b");
    assert_eq!(rows[1]["accuracy_pct"], 99.14);
    assert_eq!(rows[2]["method"], "model:mnist-cnn-epim2.25-3b");
    assert_eq!(rows[2]["accuracy_pct"], 98.52);
    assert_eq!(rows[2]["crossbars"], 16);

    let out = epim(&["compare", "--model", a, "--model", b, "--csv"]);
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(",accuracy_pct"), "{}", lines[0]);
    assert!(lines[1].starts_with("\"dense:bits=32\"") && lines[1].ends_with(','));
    assert!(lines[2].ends_with(",99.14"), "{}", lines[2]);

    let svg_dir = support::temp_file("probe", "").with_file_name("svg-models");
    let out = epim(&[
        "compare",
        "--model",
        a,
        "--model",
        b,
        "--svg",
        svg_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("acc %"), "{table}");
    let svg = std::fs::read_to_string(svg_dir.join("area-vs-accuracy.svg")).unwrap();
    assert!(svg.contains("accuracy (%)"), "the y axis is accuracy");
    assert!(svg.contains("model:mnist-cnn-epim2.25-3b"));
}

/// `layers` of each row: the layers' energies and areas add up to the row's,
/// and the conversions behind the ADC energy follow from the models' shapes.
/// conv2 (16 -> 32 channels, 3x3): the EPIM 2.25x epitome (8 input channels)
/// converts as many columns per pixel as the dense layer (two patterns of 16
/// outputs) over one more input cycle (16 inputs wrapped onto 8: one extra
/// input bit, 9 cycles for 8), so 9/8 of its ADC energy; filter pruning at
/// 0.5625 keeps 14 of the 32 outputs, so 14/32. conv3 (288 rows: two row
/// blocks of 256 when dense): the epitome's 256 rows are one block (9/8 x 1/2),
/// filter pruning's 126 rows one block with 28 of 64 outputs (1/2 x 28/64).
/// `--layers` prints the same numbers as a table.
#[test]
fn rows_break_down_by_layer_and_adc_energy_follows_the_conversions() {
    let dir = models_dir();
    let names = [
        "mnist-cnn-dense-8b",
        "mnist-cnn-epim2.25-8b",
        "mnist-cnn-filter0.5625-8b",
    ];
    let paths: Vec<String> = names
        .iter()
        .map(|n| dir.join(format!("{n}.safetensors")).display().to_string())
        .collect();
    let mut args = vec!["compare"];
    for p in &paths {
        args.extend(["--model", p.as_str()]);
    }
    let v = json_out(&epim(&[&args[..], &["--json"]].concat()));
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for r in rows.iter().chain([&v["baseline"]]) {
        let layers = r["layers"].as_array().unwrap();
        let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "fc"],
            "{}",
            r["method"]
        );
        // A chain of layers: the latencies they add (MNSIM's layer latency) add up
        // to the row's latency too.
        for key in ["energy_pj", "area_um2", "latency_ns"] {
            let total = r[key].as_f64().unwrap();
            let sum: f64 = layers.iter().map(|l| l[key].as_f64().unwrap()).sum();
            assert!(
                (sum - total).abs() <= 1e-9 * total,
                "{} {key}: {sum} vs {total}",
                r["method"]
            );
        }
        let xbars: u64 = layers
            .iter()
            .map(|l| l["crossbars"].as_u64().unwrap())
            .sum();
        assert_eq!(xbars, r["crossbars"].as_u64().unwrap(), "{}", r["method"]);
    }
    let energy = |row: usize, layer: usize, part: &str| {
        rows[row]["layers"][layer]["breakdown"]["energy_pj"][part]
            .as_f64()
            .unwrap()
    };
    let adc = |row: usize, layer: usize| energy(row, layer, "adc");
    // (row, layer, its ADC energy / the dense model's at that layer)
    for (row, layer, ratio) in [
        (1, 2, 9.0 / 8.0),
        (2, 2, 14.0 / 32.0),
        (1, 4, 9.0 / 16.0),
        (2, 4, 7.0 / 32.0),
    ] {
        let (got, dense) = (adc(row, layer), adc(0, layer));
        assert!(dense > 0.0);
        let want = dense * ratio;
        assert!(
            (got - want).abs() <= 1e-9 * want,
            "row {row} layer {layer}: {got} vs {want}"
        );
    }
    // Only the epitome layers read lookup tables.
    let tables = |row: usize, layer: usize| energy(row, layer, "tables");
    for layer in [2, 4, 6] {
        assert!(tables(1, layer) > 0.0 && tables(0, layer) == 0.0 && tables(2, layer) == 0.0);
    }

    let out = epim(&[&args[..], &["--layers"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let block = text
        .split("\nmodel:mnist-cnn-epim2.25-8b\n")
        .nth(1)
        .unwrap();
    let conv2 = block
        .lines()
        .find(|l| l.trim_start().starts_with("conv2"))
        .unwrap();
    let fields: Vec<&str> = conv2.split_whitespace().collect();
    // layer kind crossbars area latency energy crossbar adc ...
    let num = |i: usize| fields[i].parse::<f64>().unwrap();
    let layer = &rows[1]["layers"][2];
    assert!(
        (num(4) - layer["latency_ns"].as_f64().unwrap() / 1e3).abs() < 1e-3,
        "{conv2}"
    );
    assert!((num(7) - adc(1, 2) / 1e6).abs() < 1e-3, "{conv2}");
    let out = epim(&[&args[..], &["--layers", "--csv"]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("'--layers' cannot be used with '--csv'"),
        "{stderr}"
    );
}

#[test]
fn cli_rejects_a_bad_model_file_and_a_missing_network() {
    let bad = support::temp_file("bad.safetensors", "not a model");
    let out = epim(&["compare", "--model", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.safetensors"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let out = epim(&["compare", "--method", "dense:bits=8"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--net"), "{err}");
}

/// Without a network the core takes the first model's own network, named after
/// its label without `model:` (one rule for the CLI and `compareModels`): the
/// same report as naming that network; without a network or a model it is an
/// error naming `network`.
#[test]
fn a_request_without_a_network_takes_the_first_models() {
    let (_, dense) = shipped("mnist-cnn-dense-8b");
    let (_, epim2) = shipped("mnist-cnn-epim2.25-8b");
    let entries = [
        ModelEntry {
            label: "model:mnist-cnn-dense-8b",
            model: &dense,
        },
        ModelEntry {
            label: "model:mnist-cnn-epim2.25-8b",
            model: &epim2,
        },
    ];
    let mut req = request(
        NetworkRef::Spec(model_network(dense.arch(), "mnist-cnn-dense-8b").unwrap()),
        &["dense:bits=8", "prune:kind=xrs,ratio=0.5,bits=8"],
    );
    let named = compare_models(&req, &entries).unwrap();
    req.network = None;
    let implied = compare_models(&req, &entries).unwrap();
    assert_eq!(implied, named);
    assert_eq!(implied.network, "mnist-cnn-dense-8b");
    let e = compare(&req).unwrap_err().to_string();
    assert!(
        e.contains("network") && e.contains("at least one model"),
        "{e}"
    );
}
