//! The compiled inference plan (`epim::infer`) against its oracles: the packed
//! integer GEMM against plain `i64` sums, the trainer's float GEMM
//! (`epim::infer::sgemm`) against the plain triple loop, bit for bit, whole random models (convolutions,
//! epitome layers, strides, padding, bit widths) against the reference
//! executor `Model::forward`, and every shipped model on its test set.
//!
//! The plan sums `q_x * q_w` exactly in `i32` while the reference executor
//! sums dequantized `f32` products, so logits differ by `f32` rounding, and an
//! activation that lands within that rounding of a code boundary `k + 0.5`
//! can be quantized one code apart in the next layer. Agreement is therefore
//! checked layer by layer: where every activation code agrees the logits must
//! agree within `TOL`; where one differs, it must differ by one code and the
//! reference's value must sit within `TIE` code units of the boundary (a
//! rounding tie, not a bug).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;

use epim::data::files::{load, DatasetName, Split};
use epim::infer::kernel::{gemm, gemm_ref, pack_cols, pack_rows, LANES};
use epim::infer::sgemm::{self, Mat};
use epim::infer::{EpitomeMode, Plan};
use epim::model::runtime::argmax;
use epim::model::{ArchSpec, EpitomeDesc, LayerSpec, Model, WeightLayerSpec};
use epim::quant::ActivationParams;
use epim::rng::Rng;
use proptest::prelude::*;

#[path = "support/models.rs"]
mod models;
use models::shipped;

/// Logit tolerance, relative to `max(1, |logit|)`, where all codes agree.
const TOL: f32 = 1e-5;
/// Largest distance from `k + 0.5` (code units) of a value whose code may flip.
const TIE: f64 = 1e-3;

/// Outcome of comparing the plan with the reference executor on a batch.
#[derive(Debug, Default)]
struct Agreement {
    /// Largest relative logit difference over images whose codes all agree.
    max_rel_diff: f32,
    /// Images with a (proven) rounding flip.
    flips: usize,
}

fn agreement(model: &Model, plan: &Plan, x: &[f32], n: usize) -> Agreement {
    let classes = model.arch().classes;
    let ours = plan.logits(x, n).unwrap();
    let theirs = model.reference_logits(x, n).unwrap();
    let [c, h, w] = model.arch().input;
    let t = epim::nn::Tensor4::new("x", [n, c, h, w], x.to_vec()).unwrap();
    let ref_in = model.layer_inputs(&t).unwrap();
    let plan_in = plan.layer_inputs(x, n).unwrap();
    assert_eq!(ref_in.len(), plan_in.len());
    let mut out = Agreement::default();
    'image: for k in 0..n {
        for ((a, b), spec) in ref_in
            .iter()
            .zip(&plan_in)
            .zip(model.arch().weight_layers())
        {
            let act = spec.act.unwrap();
            if act.scale == 0.0 {
                continue;
            }
            let per = a.len() / n;
            let inv = 1.0 / act.scale;
            let code = |v: f32| (v * inv).round().clamp(0.0, act.q_max() as f32) as i64;
            let mut flipped = false;
            for (&va, &vb) in a[k * per..][..per].iter().zip(&b[k * per..][..per]) {
                let (ca, cb) = (code(va), code(vb));
                if ca != cb {
                    let u = f64::from(va * inv);
                    let tie = (u - u.floor() - 0.5).abs();
                    assert!(
                        (ca - cb).abs() == 1 && tie <= TIE,
                        "{}: image {k}: code {ca} vs {cb}, {tie} from the boundary",
                        spec.name
                    );
                    flipped = true;
                }
            }
            if flipped {
                out.flips += 1;
                continue 'image;
            }
        }
        for (a, b) in ours[k * classes..][..classes]
            .iter()
            .zip(&theirs[k * classes..][..classes])
        {
            let rel = (a - b).abs() / b.abs().max(1.0);
            assert!(rel <= TOL, "image {k}: logit {a} vs reference {b}");
            out.max_rel_diff = out.max_rel_diff.max(rel);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The packed GEMM is exact on any shape, extreme codes included.
    #[test]
    fn packed_gemm_is_exact(rows in 1usize..11, pixels in 1usize..9, k in 1usize..70, seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let w: Vec<i16> = (0..rows * k).map(|_| (rng.below(255) as i16) - 127).collect();
        let x: Vec<i16> = (0..pixels * k).map(|_| if rng.below(4) == 0 { 255 } else { rng.below(256) as i16 }).collect();
        let (wp, rp) = pack_rows(&w, rows, k);
        let (xp, pp) = pack_cols(&x, pixels, k);
        let mut out = vec![0; rp * pp];
        gemm(&wp, &xp, k.div_ceil(LANES), rp, pp, &mut out);
        let want = gemm_ref(&w, &x, k, rows, pixels);
        for r in 0..rows {
            for p in 0..pixels {
                prop_assert_eq!(i64::from(out[r * pp + p]), want[r * pixels + p]);
            }
        }
    }
}

/// A random `rows x cols` view: row-major, or the transpose of a row-major
/// `cols x rows` buffer.
fn view(data: &[f32], rows: usize, cols: usize, transposed: bool) -> Mat<'_> {
    if transposed {
        Mat::transposed(data, rows, cols).unwrap()
    } else {
        Mat::row_major(data, rows, cols).unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The register-blocked float GEMM gives the plain loop's sums bit for bit
    /// (same order, no fused multiply-add) on any shape: edges that are not a
    /// multiple of the 4x8 tile, reductions longer than one packed chunk,
    /// either operand transposed, an output row stride wider than the output.
    #[test]
    fn float_gemm_is_bit_identical_to_the_plain_loop(
        m in 1usize..14, n in 1usize..21, k in prop_oneof![1usize..40, 250usize..600],
        ta in any::<bool>(), tb in any::<bool>(), pad in 0usize..3, seed in any::<u64>(),
    ) {
        let mut rng = Rng::new(seed);
        let mut draw = |len: usize| -> Vec<f32> {
            (0..len).map(|_| (rng.unit_f64() as f32 - 0.5) * 4.0).collect()
        };
        let a = draw(m * k);
        let b = draw(k * n);
        let ldc = n + pad;
        let c0 = draw(m * ldc);
        let (av, bv) = (view(&a, m, k, ta), view(&b, k, n, tb));
        let mut fast = c0.clone();
        let mut slow = c0.clone();
        sgemm::gemm_acc(av, bv, &mut fast, ldc).unwrap();
        sgemm::gemm_acc_ref(av, bv, &mut slow, ldc).unwrap();
        prop_assert_eq!(fast.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        slow.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        // The padding columns of C are untouched.
        for i in 0..m {
            for j in n..ldc {
                prop_assert_eq!(fast[i * ldc + j].to_bits(), c0[i * ldc + j].to_bits());
            }
        }
        // And the oracle is the product: within f32 rounding of an f64 sum.
        for i in 0..m {
            for j in 0..n {
                let want: f64 = f64::from(c0[i * ldc + j])
                    + (0..k).map(|t| f64::from(av_at(&a, m, k, ta, i, t)) * f64::from(av_at(&b, k, n, tb, t, j))).sum::<f64>();
                prop_assert!((f64::from(slow[i * ldc + j]) - want).abs() < 1e-4 * (k as f64 + 1.0));
            }
        }
    }
}

/// Element `(i, j)` of [`view`]`(data, rows, cols, transposed)`, computed apart.
fn av_at(data: &[f32], rows: usize, cols: usize, transposed: bool, i: usize, j: usize) -> f32 {
    if transposed {
        data[j * rows + i]
    } else {
        data[i * cols + j]
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The plan's libcall-free input quantization is bit-identical to the
    /// reference's `clamp(round(x / s), 0, q_max)` (with `x * (1/s)`), ties,
    /// negatives, values above `q_max` and bit widths 1..8 included.
    #[test]
    fn quantize_equals_round_then_clamp(
        code in -300i32..600,
        frac in prop_oneof![Just(0.5f32), Just(0.0f32), Just(0.49999997f32), Just(0.50000006f32), 0.0f32..1.0],
        scale in prop_oneof![Just(1.0f32), Just(1.0 / 255.0), 1e-4f32..2.0],
        bits in 1u32..9,
    ) {
        let inv = 1.0 / scale;
        let qm = ((1u32 << bits) - 1) as f32;
        for x in [(code as f32 + frac) * scale, code as f32 + frac] {
            let want = (x * inv).round().clamp(0.0, qm) as i16;
            prop_assert_eq!(epim::infer::plan::quantize(x, inv, qm), want, "x {}", x);
        }
    }
}

/// A random conv (maybe an epitome layer) + ReLU [+ pool] + conv + flatten +
/// dense model with quantized weights and inputs.
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
        let e_in = e_in.min(c_in);
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
        prune: None,
    };
    let h1 = (hw + 2 * pad).checked_sub(k)? / stride + 1;
    let mut layers = vec![LayerSpec::Conv(conv1.clone()), LayerSpec::Relu];
    let mut h2 = h1;
    if pool && h1 >= 2 {
        layers.push(LayerSpec::MaxPool { k: 2 });
        h2 = h1 / 2;
    }
    let conv2 = WeightLayerSpec {
        name: "c2".into(),
        c_in: c1,
        c_out: 3,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: Some(w_bits),
        act: act(0.02),
        prune: None,
    };
    let dense = WeightLayerSpec {
        name: "fc".into(),
        c_in: 3 * h2 * h2,
        c_out: 4,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: Some(w_bits),
        act: act(0.03),
        prune: None,
    };
    layers.extend([
        LayerSpec::Conv(conv2.clone()),
        LayerSpec::Flatten,
        LayerSpec::Dense(dense.clone()),
    ]);
    let arch = ArchSpec {
        input: [c_in, hw, hw],
        classes: 4,
        layers,
    };
    let mut weights = Vec::new();
    for l in [&conv1, &conv2, &dense] {
        let n = l.stored_len();
        let scale = 1.0 / (l.c_in * l.k * l.k) as f32;
        let w = (0..n)
            .map(|_| ((rng.unit_f64() as f32) - 0.4) * scale * 4.0)
            .collect();
        let b = (0..l.c_out)
            .map(|_| (rng.unit_f64() as f32) * 0.1 - 0.05)
            .collect();
        weights.push((w, b));
    }
    Model::from_float(arch, weights, BTreeMap::new()).ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random models: the plan (both epitome layouts) agrees with the
    /// reference executor, and the two layouts give identical logits.
    #[test]
    fn plan_agrees_with_the_reference_executor(
        // 8 and 16 (virtual) input channels take the channel-last im2col.
        seed in any::<u64>(), c_in in prop_oneof![1usize..6, Just(8usize), Just(16usize)],
        hw in 3usize..10, c1 in prop_oneof![1usize..10, Just(16usize)],
        k in 1usize..4, stride in 1usize..3, pad in 0usize..2,
        epitome in proptest::option::of((1usize..6, prop_oneof![1usize..5, Just(8usize)], 0usize..3)),
        w_bits in 2u32..9, a_bits in 1u32..9, pool in any::<bool>(),
    ) {
        let m = random_model(seed, c_in, hw, c1, k, stride, pad, epitome, w_bits, a_bits, pool);
        prop_assume!(m.is_some());
        let m = m.unwrap();
        let plan = m.plan().expect("quantized model has a plan");
        let mat = Plan::with_mode(&m, EpitomeMode::Materialize).unwrap().unwrap();
        let mut rng = Rng::new(seed ^ 1);
        let n = 3;
        let x: Vec<f32> = (0..n * c_in * hw * hw).map(|_| rng.unit_f64() as f32).collect();
        agreement(&m, plan, &x, n);
        prop_assert_eq!(plan.logits(&x, n).unwrap(), mat.logits(&x, n).unwrap());
    }
}

/// The channel-last im2col (8 or 16 virtual input channels) on fixed shapes,
/// so it runs whatever the proptest draws: dense and epitome (e_in 8) first
/// layers, strides 1 and 2, kernels 1 to 3, against the reference executor
/// and between reuse and materialized weights.
#[test]
fn channel_last_im2col_agrees_with_the_reference() {
    let mut ran = 0;
    for (seed, c_in, k, stride, epitome) in [
        (1, 16, 3, 1, None),
        (2, 8, 3, 2, None),
        (3, 16, 1, 1, None),
        (4, 16, 3, 1, Some((4, 8, 1))),
        (5, 16, 2, 1, Some((6, 8, 2))),
    ] {
        let Some(m) = random_model(seed, c_in, 7, 16, k, stride, 1, epitome, 8, 8, true) else {
            continue;
        };
        let plan = m.plan().expect("quantized model has a plan");
        let mat = Plan::with_mode(&m, EpitomeMode::Materialize)
            .unwrap()
            .unwrap();
        let mut rng = Rng::new(seed ^ 7);
        let n = 4;
        let x: Vec<f32> = (0..n * c_in * 49).map(|_| rng.unit_f64() as f32).collect();
        agreement(&m, plan, &x, n);
        assert_eq!(plan.logits(&x, n).unwrap(), mat.logits(&x, n).unwrap());
        ran += 1;
    }
    assert!(ran >= 4, "only {ran} of the fixed models could be built");
}

/// Every shipped model runs on the plan, reaches exactly its recorded accuracy
/// on its whole test set, and agrees with the reference executor on the first
/// 100 test images (rounding flips proven as ties).
#[test]
fn shipped_models_keep_their_accuracy_and_agree_with_the_reference() {
    let mnist = load(DatasetName::Mnist, Split::Test).unwrap();
    let fashion = load(DatasetName::FashionMnist, Split::Test).unwrap();
    let models = shipped();
    assert!(models.len() >= 7);
    let (a, b) = models.split_at(models.len() / 2);
    let check = |part: &[(String, Model)]| {
        for (name, m) in part {
            let test = match m.metadata()["epim.dataset"].as_str() {
                "fashion-mnist" => &fashion,
                _ => &mnist,
            };
            let plan = m.plan().unwrap_or_else(|| panic!("{name}: no plan"));
            let all: Vec<f32> = (0..test.len()).flat_map(|i| test.image_f32(i)).collect();
            let logits = plan.logits(&all, test.len()).unwrap();
            let mut correct = 0usize;
            // Images near a decision boundary: the reference executor decides
            // them (a rounding flip moves logits by far less than 0.25).
            let mut near = Vec::new();
            for (i, l) in logits.chunks(m.arch().classes).enumerate() {
                let mut s = l.to_vec();
                s.sort_by(|a, b| b.total_cmp(a));
                if s[0] - s[1] < 0.25 {
                    near.push(i);
                } else if argmax(l) == usize::from(test.labels()[i]) {
                    correct += 1;
                }
            }
            let mut changed = 0;
            for &i in &near {
                let x = test.image_f32(i);
                let ours = argmax(&plan.logits(&x, 1).unwrap());
                let theirs = argmax(&m.reference_logits(&x, 1).unwrap());
                if ours != theirs {
                    changed += 1;
                    let ag = agreement(m, plan, &x, 1);
                    assert_eq!(
                        ag.flips, 1,
                        "{name}: image {i} changes class without a flip"
                    );
                }
                if theirs == usize::from(test.labels()[i]) {
                    correct += 1;
                }
            }
            let recorded = m.recorded_accuracy().unwrap();
            assert_eq!(
                correct as f64,
                (recorded * test.len() as f64).round(),
                "{name}: reference accuracy vs recorded {recorded}"
            );
            assert!(
                changed <= 2,
                "{name}: {changed} class changes (all proven ties)"
            );
            eprintln!(
                "{name}: {} near images, {changed} class changes (proven rounding ties)",
                near.len()
            );
            let n = 100;
            let x: Vec<f32> = (0..n).flat_map(|i| test.image_f32(i)).collect();
            let ag = agreement(m, plan, &x, n);
            assert!(
                ag.flips <= 5,
                "{name}: {} images with rounding flips",
                ag.flips
            );
            let mat = Plan::with_mode(m, EpitomeMode::Materialize)
                .unwrap()
                .unwrap();
            assert_eq!(
                plan.logits(&x[..784 * 10], 10).unwrap(),
                mat.logits(&x[..784 * 10], 10).unwrap(),
                "{name}"
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
fn bad_input_is_an_error_not_a_panic() {
    let (_, m) = shipped().into_iter().next().unwrap();
    let plan = m.plan().unwrap();
    assert!(plan.logits(&[0.5; 783], 1).is_err());
    assert!(plan.logits(&[0.5; 784], 2).is_err());
    assert!(plan.logits(&[], usize::MAX).is_err());
    let mut x = vec![0.5; 784];
    x[7] = f32::NAN;
    assert!(plan
        .logits(&x, 1)
        .unwrap_err()
        .to_string()
        .contains("images"));
    assert_eq!(plan.logits(&[], 0).unwrap(), Vec::<f32>::new());
    assert!(m.predict(&[0.5; 10]).is_err());
    let p = m.predict(&[0.5; 784]).unwrap();
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
}

/// A model outside the integer path (float weights) has no plan and runs on
/// the reference executor through the same API.
#[test]
fn float_models_fall_back_to_the_reference_executor() {
    let arch = epim::model::network::architecture("tiny").unwrap();
    let mut rng = Rng::new(3);
    let weights = arch
        .weight_layers()
        .map(|l| {
            let w = (0..l.stored_len())
                .map(|_| (rng.unit_f64() as f32) - 0.5)
                .collect();
            (w, vec![0.0; l.c_out])
        })
        .collect();
    let m = Model::from_float(arch, weights, BTreeMap::new()).unwrap();
    assert!(m.plan().is_none());
    let x = vec![0.25; 784];
    assert_eq!(m.logits(&x, 1).unwrap(), m.reference_logits(&x, 1).unwrap());
}
