//! Training (feature `train`): deterministic, learns, exports loadable models
//! whose executor output matches the trainer, prunes as asked.
#![cfg(all(feature = "train", not(target_arch = "wasm32")))]

use std::collections::BTreeMap;

use epim::data::files::{load, DatasetName, Split};
use epim::data::Dataset;
use epim::model::{LayerSpec, Model};
use epim::train::{apply_design, architecture, epitome_design, parse_prune, Fit, Net, TrainConfig};

fn data() -> (Dataset, Dataset) {
    let train = load(DatasetName::Mnist, Split::Train).unwrap().take(1200);
    let test = load(DatasetName::Mnist, Split::Test).unwrap().take(300);
    (train, test)
}

fn train(cfg: &TrainConfig, epitome: Option<f64>, train: &Dataset) -> Model {
    let mut arch = architecture("tiny").unwrap();
    if let Some(r) = epitome {
        arch = apply_design(&arch, &epitome_design(&arch, r).unwrap()).unwrap();
    }
    let mut net = Net::new(&arch, cfg.w_bits, cfg.seed).unwrap();
    net.fit(train, cfg, |_, _, _, _, _| {}, |_, _| {}).unwrap();
    net.export(train, 8, BTreeMap::new()).unwrap()
}

fn cfg(w_bits: Option<u32>, epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        w_bits,
        batch: 32,
        seed: 3,
        ..TrainConfig::default()
    }
}

#[test]
fn same_seed_gives_bit_identical_models_with_one_or_two_threads() {
    let (tr, _) = data();
    let tr = tr.take(256);
    let a = train(&cfg(Some(4), 1), Some(2.0), &tr).to_bytes().unwrap();
    let mut c2 = cfg(Some(4), 1);
    c2.threads = 2;
    let b = train(&c2, Some(2.0), &tr).to_bytes().unwrap();
    assert_eq!(a, b);
    let mut c3 = cfg(Some(4), 1);
    c3.seed = 4;
    assert_ne!(a, train(&c3, Some(2.0), &tr).to_bytes().unwrap());
}

#[test]
fn stepping_a_fit_batch_by_batch_gives_fits_model_even_across_a_pause() {
    // The page's worker drives `Fit::step` between messages; resuming a copy of a run
    // (and pruning at the last epoch) must change nothing.
    let (tr, _) = data();
    let tr = tr.take(320);
    let mut c = cfg(Some(4), 2);
    c.prune = Some(parse_prune("filter:0.25").unwrap());
    let arch = apply_design(
        &architecture("tiny").unwrap(),
        &epitome_design(&architecture("tiny").unwrap(), 2.0).unwrap(),
    )
    .unwrap();
    let mut by_fit = Net::new(&arch, c.w_bits, c.seed).unwrap();
    let mut epochs = Vec::new();
    let report = by_fit
        .fit(&tr, &c, |_, _, _, _, _| {}, |e, _| epochs.push(e))
        .unwrap();
    assert_eq!(epochs, vec![0, 1]);

    let mut net = Net::new(&arch, c.w_bits, c.seed).unwrap();
    let mut run = Fit::new(&tr, &c).unwrap();
    assert_eq!(run.total_steps(), 2 * (320 / 32));
    for _ in 0..7 {
        assert!(!run.step(&mut net).unwrap().done);
    }
    // A pause: the run and the network are set aside and resumed from copies.
    let (mut run, mut net) = (run.clone(), net.clone());
    let mut last = None;
    while !run.is_done() {
        last = Some(run.step(&mut net).unwrap());
    }
    let last = last.unwrap();
    assert!(last.done && last.epoch_done && last.epoch == 1 && last.step == 9);
    assert_eq!(
        run.last_epoch(),
        Some((report.last_loss, report.last_train_accuracy))
    );
    assert!(
        run.step(&mut net).is_err(),
        "a finished run takes no more steps"
    );
    let export = |n: &Net| {
        n.export(&tr, 8, BTreeMap::new())
            .unwrap()
            .to_bytes()
            .unwrap()
    };
    assert_eq!(export(&net), export(&by_fit));
}

#[test]
fn epitome_qat_model_learns_and_reloads_identically() {
    let (tr, te) = data();
    let m = train(&cfg(Some(3), 2), Some(2.0), &tr);
    let acc = m.accuracy(&te, None).unwrap();
    assert!(acc > 0.7, "accuracy {acc}");
    let back = Model::from_bytes(&m.to_bytes().unwrap()).unwrap();
    assert_eq!(back.accuracy(&te, None).unwrap(), acc);
    // 3-bit codes are within +-3 and every layer but the first is an epitome.
    for (i, l) in back.arch().weight_layers().enumerate() {
        assert_eq!(l.w_bits, Some(3));
        assert_eq!(l.epitome.is_some(), i > 0, "{}", l.name);
    }
    for v in back.values() {
        assert!(v.codes.as_ref().unwrap().codes.iter().all(|c| c.abs() <= 3));
    }
}

#[test]
fn filter_pruning_removes_channels_and_shrinks_the_next_layer() {
    let (tr, te) = data();
    let mut c = cfg(Some(8), 2);
    c.prune = Some(parse_prune("filter:0.5").unwrap());
    let m = train(&c, None, &tr);
    let convs: Vec<_> = m.arch().weight_layers().collect();
    assert_eq!(convs[0].c_out, 4, "the first layer is not pruned");
    assert_eq!(convs[1].c_out, 4, "8 channels at ratio 0.5 keep 4");
    assert_eq!(convs[2].c_in, 4 * 7 * 7);
    assert!(m.accuracy(&te, None).unwrap() > 0.5);
}

#[test]
fn xrs_pruning_zeroes_whole_rows_of_multi_crossbar_layers() {
    let (tr, _) = data();
    let mut c = cfg(None, 2);
    c.prune = Some(parse_prune("xrs:0.5").unwrap());
    let m = train(&c, None, &tr);
    // Only the dense layer (392 rows) spans two 256-row crossbars.
    let layers: Vec<_> = m.arch().weight_layers().collect();
    assert!(layers[0].prune.is_none() && layers[1].prune.is_none());
    assert!(layers[2].prune.is_some());
    let w = &m.values()[2].dense;
    let zero_rows = (0..392)
        .filter(|&r| (0..10).all(|o| w.data()[o * 392 + r] == 0.0))
        .count();
    assert_eq!(zero_rows, 196);
    let cost = epim::model::cost::model_cost(m.arch(), "mnsim2").unwrap();
    let dense = epim::model::cost::model_cost(&architecture("tiny").unwrap(), "mnsim2").unwrap();
    assert!(
        cost.crossbars < dense.crossbars,
        "{} vs {}",
        cost.crossbars,
        dense.crossbars
    );
}

#[test]
fn bad_settings_are_errors() {
    let mut c = cfg(Some(8), 1);
    c.prune = Some(parse_prune("filter:0.5").unwrap());
    assert!(c
        .validate()
        .unwrap_err()
        .to_string()
        .contains("at least 2 epochs"));
    assert!(parse_prune("filter").is_err());
    assert!(parse_prune("magic:0.5").is_err());
    assert!(parse_prune("xrs:1.5").is_err());
    assert!(cfg(Some(9), 1).validate().is_err());
    assert!(architecture("resnet")
        .unwrap_err()
        .to_string()
        .contains("cnn, tiny"));
    let arch = architecture("tiny").unwrap();
    assert!(epitome_design(&arch, 0.5).is_err());
    let mut d = epitome_design(&arch, 2.0).unwrap();
    let mut extra = d.layers[0].clone();
    extra.layer = epim::design::LayerRef::Name("nope".into());
    d.layers.push(extra);
    let e = apply_design(&arch, &d).unwrap_err().to_string();
    assert!(
        e.contains("design.layers[2].layer") && e.contains("no layer named 'nope'"),
        "{e}"
    );
    assert!(matches!(arch.layers[0], LayerSpec::Conv(_)));
}

/// The page trains with this code compiled to wasm (`TrainRun`, docs/training.md).
/// This writes the model the native trainer makes for the settings that
/// tests/wasm-node/train.test.mjs trains in wasm (to
/// `test-results/native-tiny-epim.safetensors`); that test compares the two
/// models' logits (within 1e-5) and classes.
#[test]
fn native_reference_of_the_wasm_training_test() {
    use epim::train::TrainSettings;
    let settings = TrainSettings {
        dataset: "mnist".into(),
        arch: "tiny".into(),
        epochs: 1,
        w_bits: Some(8),
        epitome: Some(2.25),
        seed: 5,
        batch: 32,
        lr: 0.01,
        limit: Some(512),
        ..TrainSettings::default()
    };
    let plan = settings.plan(1).unwrap();
    let train = load(DatasetName::Mnist, Split::Train).unwrap();
    let (_, test) = data();
    let mut net = Net::new(&plan.arch, plan.config.w_bits, plan.config.seed).unwrap();
    net.fit(&train, &plan.config, |_, _, _, _, _| {}, |_, _| {})
        .unwrap();
    let model = net
        .export(&train.take(256), plan.config.a_bits, plan.metadata())
        .unwrap();
    assert!(model.accuracy(&test, None).unwrap() > 0.5);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-results");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("native-tiny-epim.safetensors"),
        model.to_bytes().unwrap(),
    )
    .unwrap();
}
