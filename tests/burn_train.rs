//! Training with burn (feature `burn`): deterministic, starts from the native
//! trainer's initial values, learns, exports the crate's model format, and
//! runs from the command line with `--backend burn`.
#![cfg(all(feature = "burn", not(target_arch = "wasm32")))]

#[path = "support/cli.rs"]
mod support;

use std::collections::BTreeMap;

use epim::data::files::{load, DatasetName, Split};
use epim::data::Dataset;
use epim::model::Model;
use epim::train::burn::BurnNet;
use epim::train::{
    apply_design, architecture, epitome_design, parse_prune, Backend, Net, TrainConfig, Trainer,
};
use support::{assert_clean_error, epim, json_out, temp_file};

fn data(n_train: usize, n_test: usize) -> (Dataset, Dataset) {
    let train = load(DatasetName::Mnist, Split::Train)
        .unwrap()
        .take(n_train);
    let test = load(DatasetName::Mnist, Split::Test).unwrap().take(n_test);
    (train, test)
}

fn tiny(epitome: Option<f64>) -> epim::model::ArchSpec {
    let arch = architecture("tiny").unwrap();
    match epitome {
        Some(r) => apply_design(&arch, &epitome_design(&arch, r).unwrap()).unwrap(),
        None => arch,
    }
}

fn cfg(w_bits: Option<u32>, epochs: usize, seed: u64) -> TrainConfig {
    TrainConfig {
        epochs,
        w_bits,
        batch: 32,
        seed,
        ..TrainConfig::default()
    }
}

fn train(cfg: &TrainConfig, epitome: Option<f64>, data: &Dataset) -> Model {
    let mut net = BurnNet::new(&tiny(epitome), cfg.w_bits, cfg.seed).unwrap();
    net.fit(data, cfg, |_, _, _, _, _| {}, |_, _| {}).unwrap();
    net.export(data, 8, BTreeMap::new()).unwrap()
}

#[test]
fn same_seed_gives_identical_models_and_another_seed_does_not() {
    let (tr, _) = data(256, 0);
    let a = train(&cfg(Some(4), 1, 3), Some(2.0), &tr)
        .to_bytes()
        .unwrap();
    let b = train(&cfg(Some(4), 1, 3), Some(2.0), &tr)
        .to_bytes()
        .unwrap();
    assert!(a == b, "two runs with seed 3 differ");
    let c = train(&cfg(Some(4), 1, 4), Some(2.0), &tr)
        .to_bytes()
        .unwrap();
    assert!(a != c, "seeds 3 and 4 gave the same model");
}

#[test]
fn untrained_burn_and_native_networks_export_the_same_model() {
    // Same seeded initialisation, same export and calibration code.
    let (tr, _) = data(300, 0);
    for (epitome, bits) in [(None, None), (Some(2.0), Some(3))] {
        let arch = tiny(epitome);
        let native = Net::new(&arch, bits, 7).unwrap();
        let burn = BurnNet::new(&arch, bits, 7).unwrap();
        let a = native.export(&tr, 8, BTreeMap::new()).unwrap();
        let b = burn.export(&tr, 8, BTreeMap::new()).unwrap();
        assert!(
            a.to_bytes().unwrap() == b.to_bytes().unwrap(),
            "epitome {epitome:?} bits {bits:?}"
        );
    }
}

#[test]
fn epitome_qat_model_learns_as_well_as_the_native_trainer_and_reloads() {
    let (tr, te) = data(1200, 500);
    let c = cfg(Some(3), 2, 3);
    let arch = tiny(Some(2.0));
    let mut net = BurnNet::new(&arch, Some(3), 3).unwrap();
    let mut epochs = Vec::new();
    let report = net
        .fit(
            &tr,
            &c,
            |_, _, _, _, _| {},
            |e, n| epochs.push((e, n.quick_accuracy(&te, 500).unwrap())),
        )
        .unwrap();
    assert_eq!(epochs.len(), 2);
    let m = net.export(&tr, 8, BTreeMap::new()).unwrap();
    let acc = m.accuracy(&te, None).unwrap();
    let mut native = Net::new(&arch, Some(3), 3).unwrap();
    let native_report = native.fit(&tr, &c, |_, _, _, _, _| {}, |_, _| {}).unwrap();
    let native_acc = native
        .export(&tr, 8, BTreeMap::new())
        .unwrap()
        .accuracy(&te, None)
        .unwrap();
    eprintln!(
        "tiny, epitome 2.0, 3-bit, 1200 images x 2 epochs: burn {acc} ({:.2} s, per epoch {epochs:?}), native {native_acc} ({:.2} s)",
        report.seconds, native_report.seconds
    );
    assert!(acc > 0.6, "accuracy {acc}");
    assert!(acc > native_acc - 0.1, "burn {acc} vs native {native_acc}");
    assert!(report.last_train_accuracy > 0.5, "{report:?}");
    // The executor (8-bit activations) agrees with burn's float evaluation.
    let quick = net.quick_accuracy(&te, 500).unwrap();
    assert!((quick - acc).abs() < 0.05, "burn {quick} vs executor {acc}");
    let back = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(back.accuracy(&te, None).unwrap(), acc);
    for (i, l) in back.arch().weight_layers().enumerate() {
        assert_eq!(l.w_bits, Some(3));
        assert_eq!(l.epitome.is_some(), i > 0, "{}", l.name);
    }
    for v in back.values() {
        assert!(v.codes.as_ref().unwrap().codes.iter().all(|c| c.abs() <= 3));
    }
}

#[test]
fn trainer_dispatches_and_burn_rejects_pruning() {
    assert_eq!(Backend::parse("burn").unwrap(), Backend::Burn);
    assert!(Backend::parse("torch")
        .unwrap_err()
        .to_string()
        .contains("native, burn"));
    let (tr, _) = data(64, 0);
    let mut t = Trainer::new(Backend::Burn, &tiny(None), None, 1).unwrap();
    let mut c = cfg(None, 2, 1);
    c.prune = Some(parse_prune("filter:0.5").unwrap());
    let err = t.fit(&tr, &c, |_, _, _, _, _| {}, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("--backend native"), "{err}");
}

#[test]
fn cli_trains_with_the_burn_backend() {
    let out = temp_file("burn-tiny.safetensors", "");
    let out_s = out.display().to_string();
    let args = [
        "train",
        "--arch",
        "tiny",
        "--backend",
        "burn",
        "--epochs",
        "1",
        "--w-bits",
        "4",
        "--epitome",
        "2",
        "--batch",
        "32",
        "--limit",
        "320",
        "--test-limit",
        "200",
        "--out",
        &out_s,
    ];
    let j = json_out(&epim(&args));
    assert_eq!(j["backend"], "burn");
    let acc = j["accuracy"].as_f64().unwrap();
    assert!(acc > 0.3, "accuracy {acc}");
    let m = Model::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    assert!(m.metadata()["epim.train_command"].contains("--backend burn"));
    assert!((m.recorded_accuracy().unwrap() - acc).abs() < 1e-4);
    assert_clean_error(
        &epim(&["train", "--backend", "gpu", "--out", &out_s]),
        "unknown training backend 'gpu'",
    );
}
