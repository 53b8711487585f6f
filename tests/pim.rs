//! The crossbar accuracy model (`epim::pim`): with ideal devices and an ADC
//! that neither rounds nor clips it returns exactly the digital integer
//! executor's logits (every shipped model; the first 2,000 test images, or
//! `PIM_TEST_IMAGES`), and its fast
//! path equals the per-cell, per-bit reference on random small models and
//! random knobs. Needs the datasets (`npm ci`, `scripts/setup.sh --with-datasets`).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use epim::data::files::{load, DatasetName, Split};
use epim::data::Dataset;
use epim::model::{ArchSpec, EpitomeDesc, LayerSpec, Model, WeightLayerSpec};
use epim::pim::eval::images_f32;
use epim::pim::layer::ReadPaths;
use epim::pim::reference::reference_logits;
use epim::pim::{evaluate, layer_errors, PimKnobs, PimModel};
use epim::prune::{PruneKind, PruneSpec};
use epim::quant::ActivationParams;
use epim::rng::Rng;
use proptest::prelude::*;

#[path = "support/models.rs"]
mod models;
use models::shipped;

/// Test images per model for the exactness check: `PIM_TEST_IMAGES` (default
/// 2,000; `PIM_TEST_IMAGES=10000 cargo test --test pim` checks whole test sets,
/// about 15 minutes in the test profile on 2 loaded cores).
fn test_images(test: &Dataset) -> Dataset {
    let n = std::env::var("PIM_TEST_IMAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000usize);
    test.take(n.min(test.len()))
}

/// 4-bit cells, 4-bit DACs, 256-row crossbars and a 16-bit ADC: a column sum
/// is at most 256 * 15 * 15 = 57,600 < 2^16, so the ADC reads it exactly.
fn exact_knobs() -> PimKnobs {
    PimKnobs {
        cell_bits: 4,
        dac_bits: 4,
        adc_bits: 16,
        ..PimKnobs::default()
    }
}

/// Per-layer errors (`layer_error_sums`, `layer_errors`) are each layer's own: with
/// mnsim2's 6-bit ADC at 0.4 of its theoretical full scale, the XRS model's
/// conv1-conv3 blocks (9, 144, 128 rows: a step of at most one level) read
/// exactly and its fc block (256 rows: 1.63 levels) does not, so conv1-conv3 have
/// no error and fc's input is the digital executor's: its error sums are those of
/// the crossbar logits against the digital executor's logits. Ideal knobs give no
/// error anywhere; a layer that reads exactly after one that does not has none;
/// chips of the same cells pool; variation reaches every layer.
#[test]
fn layer_errors_are_each_layers_own() {
    let mnist = load(DatasetName::Mnist, Split::Test).unwrap();
    let models = shipped();
    let (_, m) = models
        .iter()
        .find(|(n, _)| n == "mnist-cnn-xrs0.556-8b.safetensors")
        .unwrap();
    let n = 100;
    let (x, _) = images_f32(&mnist, n);
    let mut k = PimKnobs::default();
    k.set("adc-range", 0.4).unwrap();
    let pm = PimModel::new(m, &k).unwrap();
    let chip = pm.program(1);
    let sums = pm.layer_error_sums(&chip, &x, n).unwrap();
    assert_eq!(sums.len(), 4);
    for (i, e) in sums[..3].iter().enumerate() {
        assert!(e.values > 0, "layer {i}");
        assert_eq!((e.sum_error_sq, e.rel_rms_error()), (0.0, 0.0), "layer {i}");
    }
    let fc = sums[3];
    let ours = pm.logits(&chip, &x, n).unwrap();
    let digital = m.logits(&x, n).unwrap();
    assert_eq!(fc.values, (n * 10) as u64);
    let sq: f64 = ours
        .iter()
        .zip(&digital)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .sum();
    let dsq: f64 = digital.iter().map(|&b| f64::from(b).powi(2)).sum();
    assert!(
        sq > 0.0,
        "the fc block's 1.63-level step must lose something"
    );
    assert!(
        (fc.sum_error_sq - sq).abs() <= 1e-9 * sq,
        "{} vs {sq}",
        fc.sum_error_sq
    );
    assert!((fc.sum_digital_sq - dsq).abs() <= 1e-9 * dsq);
    assert!((fc.rel_rms_error() - (sq / dsq).sqrt()).abs() < 1e-12);
    // At 0.48 conv2 (1.10 levels) loses and conv3 (0.98: one level) does not: conv3's
    // error is its own, not conv2's carried forward.
    k.set("adc-range", 0.48).unwrap();
    let pm48 = PimModel::new(m, &k).unwrap();
    let sums48 = pm48.layer_error_sums(&pm48.program(1), &x, n).unwrap();
    assert!(sums48[1].sum_error_sq > 0.0);
    assert_eq!(sums48[2].sum_error_sq, 0.0);
    k.set("adc-range", 0.4).unwrap();
    // Pooled over chips: without device effects every chip is the first.
    let pooled = layer_errors(m, &k, &mnist, n, 3, 2).unwrap();
    assert_eq!(
        pooled.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
        ["conv1", "conv2", "conv3", "fc"]
    );
    assert_eq!(pooled[3].values, 3 * fc.values);
    assert!((pooled[3].rel_rms_error - fc.rel_rms_error()).abs() < 1e-12);
    assert!((pooled[3].rel_mean_error - fc.rel_mean_error()).abs() < 1e-12);
    assert_eq!(pooled[2].mapping.rows, 128);
    // Ideal knobs: no error; variation: every layer has some.
    for l in layer_errors(m, &exact_knobs(), &mnist, 20, 1, 2).unwrap() {
        assert_eq!(l.rel_rms_error, 0.0, "{}", l.name);
    }
    let varied = PimKnobs {
        variation_sigma: 0.1,
        ..exact_knobs()
    };
    for l in layer_errors(m, &varied, &mnist, 20, 2, 2).unwrap() {
        assert!(l.rel_rms_error > 0.0, "{}", l.name);
    }
}

/// Every shipped model: on its first `PIM_TEST_IMAGES` test images (2,000; all 10,000
/// on request), the crossbar model with an exact
/// ADC gives the digital executor's accuracy, bit-identical logits on the
/// first 500 images, and the `ideal` preset (mnsim2's 1-bit cells and DACs)
/// read bit-serially (no exact shortcut) gives the same logits on the first 30.
#[test]
fn ideal_crossbars_reproduce_the_digital_executor_on_every_shipped_model() {
    let mnist = load(DatasetName::Mnist, Split::Test).unwrap();
    let fashion = load(DatasetName::FashionMnist, Split::Test).unwrap();
    let models = shipped();
    assert_eq!(models.len(), 14, "the 9 MNIST and 5 Fashion-MNIST models");
    for (name, m) in &models {
        let test = &test_images(match m.metadata()["epim.dataset"].as_str() {
            "fashion-mnist" => &fashion,
            _ => &mnist,
        });
        let digital_acc = m.accuracy(test, None).unwrap();
        let r = evaluate(m, &exact_knobs(), test, test.len(), 1, 2).unwrap();
        assert_eq!(
            r.mean_0_to_1, digital_acc,
            "{name}: accuracy on {} images",
            r.images
        );
        // On the whole test set the recorded accuracy (reference executor) is
        // within 2 images of it.
        if test.len() == 10_000 {
            let recorded = m.recorded_accuracy().unwrap();
            assert!(
                (digital_acc - recorded).abs() <= 2.0 / test.len() as f64,
                "{name}"
            );
        }
        let n = 500;
        let (x, _) = images_f32(test, n);
        let digital = m.logits(&x, n).unwrap();
        let pm = PimModel::new(m, &exact_knobs()).unwrap();
        let chip = pm.program(1);
        assert_eq!(
            chip.linear_layers(),
            4,
            "{name}: exact conversions take the shortcut"
        );
        let ours = pm.logits(&chip, &x, n).unwrap();
        let diff = digital
            .iter()
            .zip(&ours)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(
            diff, 0,
            "{name}: {diff} logits differ from the digital executor"
        );
        let ideal = PimModel::new(m, &PimKnobs::preset("ideal").unwrap()).unwrap();
        let chip = ideal.program_with(7, false);
        assert_eq!(chip.linear_layers(), 0);
        assert_eq!(
            chip.table_layers(),
            1,
            "{name}: conv1 (9 rows) by code tables"
        );
        assert_eq!(
            chip.plane_layers(),
            3,
            "{name}: whole levels read by bit-planes"
        );
        let k = 30;
        let got = ideal.logits(&chip, &x[..k * 784], k).unwrap();
        assert_eq!(
            got,
            digital[..k * 10].to_vec(),
            "{name}: ideal preset, bit-serial by bit-planes"
        );
        let rows_only = ideal.program_paths(7, ROWS_ONLY);
        assert_eq!(rows_only.linear_layers() + rows_only.plane_layers(), 0);
        let k = 10;
        let got = ideal.logits(&rows_only, &x[..k * 784], k).unwrap();
        assert_eq!(
            got,
            digital[..k * 10].to_vec(),
            "{name}: ideal preset, bit-serial row by row"
        );
        let narrow = ideal.program_paths(7, ROWS_NARROW);
        assert_eq!(narrow.narrow_layers(), 4, "{name}: u16 conductances");
        let got = ideal.logits(&narrow, &x[..k * 784], k).unwrap();
        assert_eq!(
            got,
            digital[..k * 10].to_vec(),
            "{name}: ideal preset, bit-serial row by row in u16 lanes"
        );
        eprintln!(
            "{name}: accuracy {digital_acc} on {} images, logits bit-identical",
            test.len()
        );
    }
}

/// With variation every layer reads row by row; on the shipped 8-bit MNIST
/// models (mnsim2's array, 6- and 9-bit ADCs, sigma 0.1) the default read (`u16`
/// lanes, multiply-add-shift conversions) gives the logits of the `i32` read.
#[test]
fn u16_lanes_equal_the_i32_read_under_variation_on_shipped_models() {
    let mnist = load(DatasetName::Mnist, Split::Test).unwrap();
    let n = 20;
    let (x, _) = images_f32(&mnist, n);
    let models: Vec<_> = shipped()
        .into_iter()
        .filter(|(name, _)| name.starts_with("mnist") && name.ends_with("-8b.safetensors"))
        .collect();
    assert_eq!(models.len(), 5, "dense, EPIM 2.25x and 4.5x, filter, XRS");
    for (name, m) in models {
        for adc_bits in [6, 9] {
            let knobs = PimKnobs {
                adc_bits,
                variation_sigma: 0.1,
                ..PimKnobs::preset("mnsim2").unwrap()
            };
            let pm = PimModel::new(&m, &knobs).unwrap();
            let fast = pm.program(3);
            assert_eq!(
                fast.table_layers(),
                1,
                "{name}: conv1 (9 rows) by code tables"
            );
            assert_eq!(fast.narrow_layers(), 3, "{name}: u16 conductances");
            let slow = pm.program_paths(3, ROWS_ONLY);
            assert_eq!(slow.narrow_layers(), 0);
            assert_eq!(
                pm.logits(&fast, &x, n).unwrap(),
                pm.logits(&slow, &x, n).unwrap(),
                "{name}, {adc_bits}-bit ADC"
            );
        }
    }
}

/// Under the mnsim2 preset (6-bit ADC) and with faults the accuracy moves, and
/// stays a valid fraction; more stuck cells never help much on average.
#[test]
fn non_idealities_cost_accuracy_on_a_shipped_model() {
    let mnist = load(DatasetName::Mnist, Split::Test).unwrap();
    let models = shipped();
    let (_, m) = models
        .iter()
        .find(|(n, _)| n == "mnist-cnn-dense-8b.safetensors")
        .unwrap();
    let digital = m.accuracy(&mnist, Some(300)).unwrap();
    let ideal = evaluate(m, &exact_knobs(), &mnist, 300, 1, 2).unwrap();
    assert_eq!(ideal.mean_0_to_1, digital);
    let faulty = PimKnobs {
        sa0_0_to_1: 0.05,
        sa1_0_to_1: 0.05,
        variation_sigma: 0.2,
        ..exact_knobs()
    };
    let r = evaluate(m, &faulty, &mnist, 300, 3, 2).unwrap();
    assert_eq!(r.accuracy_per_seed.len(), 3);
    assert!(
        r.mean_0_to_1 < digital - 0.05,
        "{} vs {digital}",
        r.mean_0_to_1
    );
    assert!(r.std_0_to_1 >= 0.0 && r.min_0_to_1 <= r.max_0_to_1);
    // A 2-bit ADC with mnsim2's 256 rows reads every column sum in steps of
    // 85 levels: the model collapses.
    let coarse = PimKnobs {
        adc_bits: 2,
        ..PimKnobs::default()
    };
    let c = evaluate(m, &coarse, &mnist, 300, 1, 2).unwrap();
    assert!(c.mean_0_to_1 < 0.5, "{}", c.mean_0_to_1);
}

/// Every layer read row by row (no exact shortcut, no bit-planes), in `i32`
/// or `i64` lanes, every output pixel read (no reuse of repeated windows).
const ROWS_ONLY: ReadPaths = ReadPaths {
    exact_shortcut: false,
    bit_planes: false,
    byte_rows: false,
    narrow_rows: false,
    code_tables: false,
    repeated_windows: false,
    row_groups: false,
};

/// Code tables where they apply (small row blocks, 1-bit DAC), else row by
/// row in `i32` or `i64` lanes.
const TABLES: ReadPaths = ReadPaths {
    code_tables: true,
    ..ROWS_ONLY
};

/// Every layer read row by row, in `u16` lanes where the sums fit; a window
/// repeating the previous pixel's drives reuses its result.
const ROWS_NARROW: ReadPaths = ReadPaths {
    narrow_rows: true,
    repeated_windows: true,
    ..ROWS_ONLY
};

/// Bit-planes where the cells are whole levels, popcounts only.
const POPCOUNTS: ReadPaths = ReadPaths {
    exact_shortcut: false,
    bit_planes: true,
    byte_rows: false,
    narrow_rows: false,
    code_tables: false,
    repeated_windows: false,
    row_groups: false,
};

/// Bit-planes where the cells are whole levels, with the byte read where it
/// applies, no exact shortcut; repeated windows reuse their result.
const PLANES: ReadPaths = ReadPaths {
    exact_shortcut: false,
    bit_planes: true,
    byte_rows: true,
    narrow_rows: false,
    code_tables: false,
    repeated_windows: true,
    row_groups: false,
};

/// [`ROWS_NARROW`] with grouped cells under a 1-bit DAC.
const GROUPED: ReadPaths = ReadPaths {
    row_groups: true,
    ..ROWS_NARROW
};

/// A random small model: conv (maybe an epitome layer, maybe row-pruned
/// zeros) + ReLU [+ pool] + flatten + dense, with quantized weights and inputs.
#[allow(clippy::too_many_arguments)]
fn random_model(
    seed: u64,
    c_in: usize,
    hw: usize,
    c1: usize,
    k: usize,
    stride: usize,
    pad: usize,
    epitome: Option<(usize, usize, usize)>,
    xrs: bool,
    w_bits: u32,
    a_bits: u32,
    pool: bool,
) -> Option<Model> {
    let mut rng = Rng::new(seed);
    let act = |s: f32| {
        Some(ActivationParams {
            bits: a_bits,
            scale: s,
        })
    };
    let ep = epitome.map(|(e_out, e_in, extra)| {
        let e_out = e_out.min(c1);
        let groups = c1.div_ceil(e_out);
        let offsets = (0..groups)
            .map(|_| [rng.below(e_in), rng.below(extra + 1), rng.below(extra + 1)])
            .collect();
        EpitomeDesc {
            e_out,
            e_in,
            e_h: k + extra,
            e_w: k + extra,
            offsets,
        }
    });
    let prune = (xrs && ep.is_none()).then(|| PruneSpec::new(PruneKind::Xrs, 0.5));
    let conv1 = WeightLayerSpec {
        name: "c1".into(),
        c_in,
        c_out: c1,
        k,
        stride,
        padding: pad,
        epitome: ep,
        w_bits: Some(w_bits),
        act: act(1.0 / 255.0),
        prune,
    };
    let h1 = (hw + 2 * pad).checked_sub(k)? / stride + 1;
    let mut layers = vec![LayerSpec::Conv(conv1.clone()), LayerSpec::Relu];
    let mut h2 = h1;
    if pool && h1 >= 2 {
        layers.push(LayerSpec::MaxPool { k: 2 });
        h2 = h1 / 2;
    }
    let dense = WeightLayerSpec {
        name: "fc".into(),
        c_in: c1 * h2 * h2,
        c_out: 3,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: Some(w_bits),
        act: act(0.02),
        prune,
    };
    layers.extend([LayerSpec::Flatten, LayerSpec::Dense(dense.clone())]);
    let arch = ArchSpec {
        input: [c_in, hw, hw],
        classes: 3,
        layers,
    };
    let mut weights = Vec::new();
    for l in [&conv1, &dense] {
        let n = l.stored_len();
        let rows = n / l.stored_shape()[0];
        let scale = 4.0 / (l.c_in * l.k * l.k) as f32;
        // Row-pruned layers: zero every third matrix row (all columns).
        let w = (0..n)
            .map(|i| {
                if xrs && (i % rows) % 3 == 0 {
                    0.0
                } else {
                    ((rng.unit_f64() as f32) - 0.4) * scale
                }
            })
            .collect();
        let b = (0..l.c_out)
            .map(|_| (rng.unit_f64() as f32) * 0.1 - 0.05)
            .collect();
        weights.push((w, b));
    }
    Model::from_float(arch, weights, BTreeMap::new()).ok()
}

/// `n` random images of `len` values in [0, 1); `flat` ones are uniform but
/// for one pixel (so most windows repeat the previous pixel's drives, and the
/// windows over the odd pixel or the padding do not).
fn test_input(seed: u64, n: usize, len: usize, flat: bool) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    if !flat {
        return (0..n * len).map(|_| rng.unit_f64() as f32).collect();
    }
    let mut x = Vec::with_capacity(n * len);
    for _ in 0..n {
        let v = rng.unit_f64() as f32;
        let odd = rng.below(len);
        let odd_v = rng.unit_f64() as f32;
        x.extend((0..len).map(|i| if i == odd { odd_v } else { v }));
    }
    x
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The fast path equals the per-cell, per-bit reference bit for bit, on
    /// random models and random knobs (faults, variation, on/off ratio, ADC
    /// widths that round and clip, row blocks smaller than the layer).
    #[test]
    fn fast_path_equals_the_per_cell_reference(
        seed in any::<u64>(), c_in in 1usize..4, hw in 2usize..6, c1 in 1usize..6,
        k in 1usize..4, stride in 1usize..3, pad in 0usize..2,
        epitome in proptest::option::of((1usize..5, 1usize..4, 0usize..2)),
        xrs in any::<bool>(), w_bits in 2u32..9, a_bits in 1u32..9, pool in any::<bool>(),
        rows in 1usize..40, cell_bits in 1u32..4, dac_bits in 1u32..4, adc_bits in 1u32..12,
        range in 0.05f64..1.0, sigma in prop_oneof![Just(0.0), 0.0f64..0.5],
        sa0 in prop_oneof![Just(0.0), 0.0f64..0.2], sa1 in prop_oneof![Just(0.0), 0.0f64..0.2],
        on_off in proptest::option::of(2.0f64..1000.0), chip_seed in 0u64..1000,
        flat in any::<bool>(),
    ) {
        let m = random_model(seed, c_in, hw, c1, k, stride, pad, epitome, xrs, w_bits, a_bits, pool);
        prop_assume!(m.is_some());
        let m = m.unwrap();
        let knobs = PimKnobs {
            crossbar_rows: rows, cell_bits, dac_bits, adc_bits, adc_range_0_to_1: range,
            variation_sigma: sigma, sa0_0_to_1: sa0, sa1_0_to_1: sa1, on_off_ratio: on_off,
        };
        let n = 2;
        let x = test_input(seed ^ 1, n, c_in * hw * hw, flat);
        let pm = PimModel::new(&m, &knobs).unwrap();
        let slow = reference_logits(&m, &knobs, chip_seed, &x, n).unwrap();
        let serial = pm.logits(&pm.program_paths(chip_seed, ROWS_ONLY), &x, n).unwrap();
        prop_assert_eq!(&serial, &slow);
        // Row by row in u16 lanes where the conductances and sums fit (every
        // conductance does below sigma 0.15 with an on/off ratio of 20 or more:
        // 7.4 levels x e^(0.15 x 8.6), 8.6 the largest |z| a draw can give).
        let narrow = pm.program_paths(chip_seed, ROWS_NARROW);
        if sigma <= 0.15 && on_off.is_none_or(|r| r >= 20.0) {
            prop_assert_eq!(narrow.narrow_layers(), 2);
        }
        prop_assert_eq!(&pm.logits(&narrow, &x, n).unwrap(), &slow);
        prop_assert_eq!(narrow.grouped_layers(), 0);
        // With grouped cells (subsets of 4 word lines) where the u16 read
        // applies under a 1-bit DAC.
        let grouped = pm.program_paths(chip_seed, GROUPED);
        if dac_bits > 1 {
            prop_assert_eq!(grouped.grouped_layers(), 0);
        } else if sigma <= 0.15 && on_off.is_none_or(|r| r >= 20.0) && cell_bits <= 2 {
            // A subset of 4 cells then sums below u16::MAX (4 x 3.2 levels x
            // e^(0.15 x 8.6) x 1024), and 8-bit inputs' codes fit a u32.
            prop_assert_eq!(grouped.grouped_layers(), 2);
        }
        prop_assert_eq!(&pm.logits(&grouped, &x, n).unwrap(), &slow);
        // By bit-planes where the cells are whole levels (no variation).
        let planes = pm.program_paths(chip_seed, PLANES);
        if sigma == 0.0 && on_off.is_none() {
            prop_assert_eq!(planes.plane_layers(), 2);
        }
        prop_assert_eq!(&pm.logits(&planes, &x, n).unwrap(), &slow);
        // By code tables where the row blocks are small (at most 12 word
        // lines) and the DAC has 1 bit, whatever the conductances.
        let tables = pm.program_paths(chip_seed, TABLES);
        if dac_bits == 1 && rows <= 12 {
            prop_assert!(tables.table_layers() >= 1);
        } else if dac_bits > 1 {
            prop_assert_eq!(tables.table_layers(), 0);
        }
        prop_assert_eq!(&pm.logits(&tables, &x, n).unwrap(), &slow);
        // With the exact shortcut where it applies.
        let fast = pm.logits(&pm.program(chip_seed), &x, n).unwrap();
        prop_assert_eq!(fast, slow);
    }

    /// The bit-plane read equals the reference where it applies: no variation,
    /// with stuck cells, finite on/off ratios, 1..=4-bit cells, 1..=8-bit DACs,
    /// ADCs of 1..=16 bits that round and clip, row blocks of up to 300 rows
    /// (several 64-bit words per bit-plane); every layer reads by bit-planes.
    #[test]
    fn bit_planes_equal_the_per_cell_reference(
        seed in any::<u64>(), c_in in 1usize..4, hw in 2usize..7, c1 in 1usize..6,
        k in 1usize..4, stride in 1usize..3, pad in 0usize..2,
        epitome in proptest::option::of((1usize..5, 1usize..4, 0usize..2)),
        xrs in any::<bool>(), w_bits in 2u32..9, a_bits in 1u32..9, pool in any::<bool>(),
        rows in prop_oneof![1usize..70, 60usize..300], cell_bits in 1u32..5,
        dac_bits in prop_oneof![Just(1u32), 1u32..9], adc_bits in 1u32..17,
        range in prop_oneof![Just(1.0), 0.05f64..1.0],
        sa0 in prop_oneof![Just(0.0), 0.0f64..0.3], sa1 in prop_oneof![Just(0.0), 0.0f64..0.3],
        on_off in proptest::option::of(prop_oneof![2.0f64..20.0, 20.0f64..1e9]),
        chip_seed in 0u64..1000, flat in any::<bool>(),
    ) {
        let m = random_model(seed, c_in, hw, c1, k, stride, pad, epitome, xrs, w_bits, a_bits, pool);
        prop_assume!(m.is_some());
        let m = m.unwrap();
        let knobs = PimKnobs {
            crossbar_rows: rows, cell_bits, dac_bits, adc_bits, adc_range_0_to_1: range,
            variation_sigma: 0.0, sa0_0_to_1: sa0, sa1_0_to_1: sa1, on_off_ratio: on_off,
        };
        let n = 2;
        let x = test_input(seed ^ 2, n, c_in * hw * hw, flat);
        let pm = PimModel::new(&m, &knobs).unwrap();
        let slow = reference_logits(&m, &knobs, chip_seed, &x, n).unwrap();
        let popcounts = pm.program_paths(chip_seed, POPCOUNTS);
        prop_assert_eq!(popcounts.byte_blocks(), 0);
        prop_assert_eq!(&pm.logits(&popcounts, &x, n).unwrap(), &slow);
        let planes = pm.program_paths(chip_seed, PLANES);
        if on_off.is_none() {
            prop_assert_eq!(planes.plane_layers(), 2);
        }
        // The byte read needs a 1-bit DAC and no off-state offset (a huge
        // on/off ratio may round the offset to 0; row pruning may leave a
        // tiny layer no rows).
        if dac_bits > 1 {
            prop_assert_eq!(planes.byte_blocks(), 0);
        } else if on_off.is_none() && !xrs {
            prop_assert!(planes.byte_blocks() > 0);
        }
        prop_assert_eq!(&pm.logits(&planes, &x, n).unwrap(), &slow);
        let tables = pm.program_paths(chip_seed, TABLES);
        prop_assert_eq!(pm.logits(&tables, &x, n).unwrap(), slow);
    }

    /// The grouped read of layers with more than 64 output pixels (inputs of
    /// 9x9 to 13x13), where it goes through the pixels in runs of up to 64
    /// (several runs per image, a repeated window within a run or at a run's
    /// start, the last run short), equals the reference: random models and
    /// knobs under which every layer reads grouped cells (1-bit DAC, u16
    /// sums).
    #[test]
    fn grouped_runs_of_pixels_equal_the_per_cell_reference(
        seed in any::<u64>(), c_in in 1usize..3, hw in 9usize..14, c1 in 1usize..4,
        k in 1usize..4, pad in 0usize..2,
        epitome in proptest::option::of((1usize..4, 1usize..3, 0usize..2)),
        xrs in any::<bool>(), w_bits in 2u32..9, a_bits in 1u32..9, pool in any::<bool>(),
        rows in 1usize..40, cell_bits in 1u32..3, adc_bits in 1u32..12,
        range in 0.05f64..1.0, sigma in 0.0f64..0.15,
        sa0 in prop_oneof![Just(0.0), 0.0f64..0.2], sa1 in prop_oneof![Just(0.0), 0.0f64..0.2],
        on_off in proptest::option::of(20.0f64..1000.0), chip_seed in 0u64..1000,
        flat in any::<bool>(),
    ) {
        let m = random_model(seed, c_in, hw, c1, k, 1, pad, epitome, xrs, w_bits, a_bits, pool);
        prop_assume!(m.is_some());
        let m = m.unwrap();
        let knobs = PimKnobs {
            crossbar_rows: rows, cell_bits, dac_bits: 1, adc_bits, adc_range_0_to_1: range,
            variation_sigma: sigma, sa0_0_to_1: sa0, sa1_0_to_1: sa1, on_off_ratio: on_off,
        };
        let n = 2;
        let x = test_input(seed ^ 3, n, c_in * hw * hw, flat);
        let pm = PimModel::new(&m, &knobs).unwrap();
        let slow = reference_logits(&m, &knobs, chip_seed, &x, n).unwrap();
        let grouped = pm.program_paths(chip_seed, GROUPED);
        prop_assert_eq!(grouped.grouped_layers(), 2);
        prop_assert_eq!(&pm.logits(&grouped, &x, n).unwrap(), &slow);
        prop_assert_eq!(pm.logits(&pm.program(chip_seed), &x, n).unwrap(), slow);
    }
}

/// `m` with every weight at its largest code (1.0 before quantization), and
/// the first layer's bias set to `first_bias` where given.
fn largest_weights(m: &Model, first_bias: Option<f32>) -> Model {
    let weights = m
        .values()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let bias = match first_bias {
                Some(b) if i == 0 => vec![b; v.bias.len()],
                _ => v.bias.clone(),
            };
            (vec![1.0; v.stored.len()], bias)
        })
        .collect();
    Model::from_float(m.arch().clone(), weights, BTreeMap::new()).unwrap()
}

/// Cycles whose column sums pass `u16::MAX`: every weight at its largest code,
/// every input at its largest (all word lines driven in every cycle), wide
/// conductances (2-bit cells, sigma 0.3): about 108 levels per column, past
/// the 64 levels (65,535 units) of a `u16` lane. Every cycle first sums in
/// saturating `u16` lanes; with the ADC's full scale above 64 levels (range 1)
/// a saturated cycle sums again in passes (the grouped read a quarter as many
/// groups per pass as the row read sums rows), below it (range 0.25) a
/// saturated lane takes the top code. Both reads equal the reference either way.
#[test]
fn long_cycles_saturate_and_sum_again_or_clip_without_overflow() {
    let m = largest_weights(
        &random_model(7, 4, 6, 4, 3, 1, 0, None, false, 8, 8, false).unwrap(),
        None,
    );
    let x = vec![1.0f32; 2 * 4 * 6 * 6];
    for range in [1.0, 0.25] {
        let knobs = PimKnobs {
            crossbar_rows: 36,
            cell_bits: 2,
            adc_bits: 10,
            adc_range_0_to_1: range,
            variation_sigma: 0.3,
            ..PimKnobs::default()
        };
        let pm = PimModel::new(&m, &knobs).unwrap();
        let slow = reference_logits(&m, &knobs, 3, &x, 2).unwrap();
        let rows = pm.program_paths(3, ROWS_NARROW);
        assert_eq!(rows.narrow_layers(), 2, "range {range}");
        assert_eq!(pm.logits(&rows, &x, 2).unwrap(), slow, "range {range}");
        let grouped = pm.program_paths(3, GROUPED);
        assert_eq!(grouped.grouped_layers(), 2, "range {range}");
        assert_eq!(pm.logits(&grouped, &x, 2).unwrap(), slow, "range {range}");
    }
}

/// The exact shortcut's product in `i32` and in `i64`: with 16-bit
/// activations (drives up to 65,535) and every weight at its largest code, the
/// dense layer's 605 rows could add past `i32::MAX` (605 x 127 x 65,535) and
/// compute in `i64`, the convolution's 36 rows cannot and compute in `i32`;
/// both equal the per-cell reference on the ideal preset. The convolution's
/// bias drives every dense input to its largest code, so that a product in
/// `i32` would overflow.
#[test]
fn exact_shortcut_in_i32_and_i64_equals_the_reference() {
    let m = largest_weights(
        &random_model(11, 4, 13, 5, 3, 1, 0, None, false, 8, 16, false).unwrap(),
        Some(2000.0),
    );
    let x = test_input(5, 2, 4 * 13 * 13, false);
    let knobs = PimKnobs::preset("ideal").unwrap();
    let pm = PimModel::new(&m, &knobs).unwrap();
    let chip = pm.program(1);
    let slow = reference_logits(&m, &knobs, 1, &x, 2).unwrap();
    assert_eq!(pm.logits(&chip, &x, 2).unwrap(), slow);
    assert_eq!(chip.linear_layers(), 2);
    assert_eq!(chip.narrow_linear_layers(), 1);
    // With 8-bit activations both layers compute in i32, with the same result.
    let m8 = random_model(11, 4, 13, 5, 3, 1, 0, None, false, 8, 8, false).unwrap();
    let pm8 = PimModel::new(&m8, &knobs).unwrap();
    let chip8 = pm8.program(1);
    assert_eq!(chip8.narrow_linear_layers(), 2);
    assert_eq!(
        pm8.logits(&chip8, &x, 2).unwrap(),
        reference_logits(&m8, &knobs, 1, &x, 2).unwrap()
    );
}

#[test]
fn bad_knobs_are_named_and_float_models_are_refused() {
    let (_, m) = shipped().into_iter().next().unwrap();
    let e = PimModel::new(
        &m,
        &PimKnobs {
            adc_bits: 0,
            ..PimKnobs::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("adc_bits"), "{e}");
    let mut arch = m.arch().clone();
    for l in &mut arch.layers {
        if let LayerSpec::Conv(w) | LayerSpec::Dense(w) = l {
            w.w_bits = None;
        }
    }
    let weights = m
        .values()
        .iter()
        .map(|v| (v.stored.clone(), v.bias.clone()))
        .collect();
    let float = Model::from_float(arch, weights, BTreeMap::new()).unwrap();
    let e = PimModel::new(&float, &PimKnobs::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("w_bits"), "{e}");
}
