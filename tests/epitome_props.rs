//! Property tests of the epitome operator against its oracles:
//!
//! - the fast epitome convolution equals "materialize, then the reference
//!   convolution" (1e-4 relative);
//! - the table-walking crossbar executor equals the reference convolution of
//!   the dequantized weights and activations when the ADC does not clip;
//! - the epitome gradient equals finite differences of the loss;
//! - dequantization error is at most half a scale per element.
//!
//! Shapes are random and cover e_in < c_in (input wrapping), e_in > c_in,
//! 1x1 kernels on 1x1 maps (fully connected), stride 2, padding, explicit
//! (partial) and default offsets, rep > 1 and partial last groups. The named
//! `regression_*` tests pin one case of each class.
#![cfg(not(target_arch = "wasm32"))]

use epim::epitome::{
    execute, grad_to_epitome, materialize, CrossbarConfig, DatapathTables, Epitome, EpitomeShape,
    EpitomeSpec, LayerGeometry, QuantizedInput,
};
use epim::nn::{conv2d, conv2d_weight_grad, ConvParams, Tensor4};
use epim::quant::{
    calibrate, dequantize_activations, quantize_activations, quantize_epitome, Calibration,
};
use proptest::prelude::*;

/// A random layer, epitome, input and bias.
#[derive(Debug, Clone)]
struct EpitomeProblem {
    spec: EpitomeSpec,
    input_shape: [usize; 4],
    seed: u64,
    with_bias: bool,
}

/// Deterministic values in [-1, 1) from a seed (xorshift64*).
fn values(seed: u64, len: usize) -> Vec<f32> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let v = s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
            (v as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

impl EpitomeProblem {
    fn epitome(&self) -> Epitome {
        Epitome::new(
            self.spec.clone(),
            values(self.seed, self.spec.param_count()),
        )
        .unwrap()
    }
    fn input(&self) -> Tensor4 {
        let len = self.input_shape.iter().product();
        Tensor4::new("input", self.input_shape, values(self.seed ^ 0x5555, len)).unwrap()
    }
    fn bias(&self) -> Option<Vec<f32>> {
        self.with_bias
            .then(|| values(self.seed ^ 0xB1A5, self.spec.layer.c_out))
    }
    fn params(&self) -> ConvParams {
        ConvParams {
            stride: self.spec.layer.stride,
            padding: self.spec.layer.padding,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn problem(
    c_out: usize,
    c_in: usize,
    k: (usize, usize),
    stride: usize,
    padding: usize,
    e: [usize; 4],
    offsets: Option<Vec<[usize; 3]>>,
    rep: usize,
    input_shape: [usize; 4],
    seed: u64,
) -> EpitomeProblem {
    let spec = EpitomeSpec {
        layer: LayerGeometry {
            c_out,
            c_in,
            k_h: k.0,
            k_w: k.1,
            stride,
            padding,
        },
        epitome: EpitomeShape {
            e_out: e[0],
            e_in: e[1],
            e_h: e[2],
            e_w: e[3],
        },
        offsets,
        rep,
    };
    spec.validate().unwrap();
    EpitomeProblem {
        spec,
        input_shape,
        seed,
        with_bias: seed % 3 != 0,
    }
}

impl Arbitrary for EpitomeProblem {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with(_: ()) -> Self::Strategy {
        (
            1usize..=8,
            1usize..=8,
            1usize..=3,
            1usize..=3,
            1usize..=2,
            0usize..=2,
        )
            .prop_flat_map(|(c_out, c_in, k_h, k_w, stride, padding)| {
                (
                    Just((c_out, c_in, k_h, k_w, stride, padding)),
                    (1..=c_out, 1usize..=8, 0usize..=2, 0usize..=2),
                    prop::option::of(prop::collection::vec(any::<[u16; 3]>(), 0..=8)),
                    (1usize..=3, 1usize..=2, 1usize..=6, 1usize..=6),
                    any::<u64>(),
                )
            })
            .prop_map(|(geom, ep, offs, (rep, n, h, w), seed)| {
                let (c_out, c_in, k_h, k_w, stride, padding) = geom;
                let (e_out, e_in, dh, dw) = ep;
                let (e_h, e_w) = (k_h + dh, k_w + dw);
                let groups = c_out.div_ceil(e_out);
                // Explicit offsets: any count up to the number of groups (the
                // rest use the default schedule), each inside its bound.
                let offsets = offs.map(|v| {
                    v.into_iter()
                        .take(groups)
                        .map(|[a, b, c]| {
                            [
                                a as usize % e_in,
                                b as usize % (dh + 1),
                                c as usize % (dw + 1),
                            ]
                        })
                        .collect()
                });
                let h = h.max(k_h.saturating_sub(2 * padding)).max(1);
                let w = w.max(k_w.saturating_sub(2 * padding)).max(1);
                problem(
                    c_out,
                    c_in,
                    (k_h, k_w),
                    stride,
                    padding,
                    [e_out, e_in, e_h, e_w],
                    offsets,
                    rep,
                    [n, c_in, h, w],
                    seed,
                )
            })
            .boxed()
    }
}

fn assert_close(got: &[f32], want: &[f32], rel: f32) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        prop_assert!(
            (g - w).abs() <= rel * w.abs().max(1.0),
            "element {}: got {}, want {}",
            k,
            g,
            w
        );
    }
    Ok(())
}

/// Fast epitome conv == materialize + reference conv.
fn check_fast_path(p: &EpitomeProblem) -> Result<(), TestCaseError> {
    let e = p.epitome();
    let x = p.input();
    let bias = p.bias();
    let fast = e.conv(&x, bias.as_deref()).unwrap();
    let w = e.materialize().unwrap();
    let reference = conv2d(&x, &w, bias.as_deref(), p.params()).unwrap();
    prop_assert_eq!(fast.shape(), reference.shape());
    assert_close(fast.data(), reference.data(), 1e-4)
}

/// Table executor == reference conv of the dequantized operands (lossless ADC).
fn check_executor(
    p: &EpitomeProblem,
    w_bits: u32,
    a_bits: u32,
    xbar: (usize, usize, u32, u32),
) -> Result<(), TestCaseError> {
    let spec = &p.spec;
    let e = p.epitome();
    let qw = quantize_epitome(&e, w_bits).unwrap();
    // Activations are unsigned (after ReLU).
    let x: Vec<f32> = p.input().data().iter().map(|v| v.max(0.0)).collect();
    let ap = calibrate(&x, a_bits, Calibration::Max).unwrap();
    let codes = quantize_activations(&x, &ap).unwrap();
    let ehw = spec.epitome.e_h * spec.epitome.e_w;
    let mut cfg = CrossbarConfig {
        rows: ehw * xbar.0,
        cols: xbar.1,
        cell_bits: xbar.2,
        dac_bits: xbar.3,
        adc_bits: None,
    };
    cfg.adc_bits = Some(cfg.lossless_adc_bits(spec));
    let tables = DatapathTables::build(spec).unwrap();
    let bias = p.bias();
    let input = QuantizedInput {
        shape: p.input_shape,
        codes: &codes,
        params: ap,
    };
    let rep = execute(spec, &tables, &qw, &input, bias.as_deref(), &cfg).unwrap();
    prop_assert_eq!(rep.n_adc_clipped, 0);
    prop_assert_eq!(
        rep.activations_per_pixel,
        spec.distinct_patterns().div_ceil(spec.rep)
    );
    let wq = materialize(spec, &qw.dequantize()).unwrap();
    let xq = Tensor4::new("xq", p.input_shape, dequantize_activations(&codes, &ap)).unwrap();
    let reference = conv2d(&xq, &wq, bias.as_deref(), p.params()).unwrap();
    assert_close(rep.output.data(), reference.data(), 1e-4)
}

/// `sum_{n,o,y,x} g * conv(W, x)` in f64 (the loss whose gradient is checked).
fn loss_f64(w: &Tensor4, x: &Tensor4, g: &Tensor4, p: ConvParams) -> f64 {
    let [n, c_in, h, wd] = x.shape();
    let [c_out, _, k_h, k_w] = w.shape();
    let [_, _, h_out, w_out] = g.shape();
    let mut l = 0.0;
    for b in 0..n {
        for o in 0..c_out {
            for oy in 0..h_out {
                for ox in 0..w_out {
                    let mut acc = 0.0f64;
                    for i in 0..c_in {
                        for y in 0..k_h {
                            for xx in 0..k_w {
                                let iy = (oy * p.stride + y) as isize - p.padding as isize;
                                let ix = (ox * p.stride + xx) as isize - p.padding as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                acc += f64::from(w.data()[w.index(o, i, y, xx)])
                                    * f64::from(x.data()[x.index(b, i, iy as usize, ix as usize)]);
                            }
                        }
                    }
                    l += acc * f64::from(g.data()[g.index(b, o, oy, ox)]);
                }
            }
        }
    }
    l
}

/// dL/dE from the helper == central finite differences of L(E).
fn check_gradient(p: &EpitomeProblem) -> Result<(), TestCaseError> {
    let spec = &p.spec;
    let e = p.epitome();
    let x = p.input();
    let w = e.materialize().unwrap();
    let y = conv2d(&x, &w, None, p.params()).unwrap();
    let g = Tensor4::new("g", y.shape(), values(p.seed ^ 0x6789, y.data().len())).unwrap();
    let l = &spec.layer;
    let gw = conv2d_weight_grad(&x, &g, l.k_h, l.k_w, p.params()).unwrap();
    let ge = grad_to_epitome(spec, gw.data()).unwrap();
    // Up to 6 probed epitome elements (spread over the tensor).
    let len = spec.param_count();
    let probes: Vec<usize> = (0..6.min(len))
        .map(|k| (k * 7919 + p.seed as usize % 97) % len)
        .collect();
    let h = 0.25f32;
    for k in probes {
        let mut up = e.data().to_vec();
        let mut dn = e.data().to_vec();
        up[k] += h;
        dn[k] -= h;
        let wu = materialize(spec, &up).unwrap();
        let wd = materialize(spec, &dn).unwrap();
        let fd = (loss_f64(&wu, &x, &g, p.params()) - loss_f64(&wd, &x, &g, p.params()))
            / (f64::from(up[k]) - f64::from(dn[k]));
        prop_assert!(
            (fd - f64::from(ge[k])).abs() <= 1e-4 * fd.abs().max(1.0),
            "dL/dE[{}]: helper {}, finite difference {}",
            k,
            ge[k],
            fd
        );
    }
    Ok(())
}

/// |E - dequantize(quantize(E))| <= s_r / 2 per element.
fn check_dequant_error(p: &EpitomeProblem, bits: u32) -> Result<(), TestCaseError> {
    let e = p.epitome();
    let q = quantize_epitome(&e, bits).unwrap();
    let d = q.dequantize();
    let row_len = q.row_len();
    for (k, (orig, deq)) in e.data().iter().zip(&d).enumerate() {
        let s = q.scales[k / row_len];
        prop_assert!(
            (orig - deq).abs() <= s / 2.0 * (1.0 + 1e-5) + f32::EPSILON * orig.abs(),
            "element {}: {} -> {} with scale {}",
            k,
            orig,
            deq,
            s
        );
        prop_assert!(q.codes[k].abs() <= q.q_max());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_matches_materialized_reference(p in any::<EpitomeProblem>()) {
        check_fast_path(&p)?;
    }

    #[test]
    fn table_executor_matches_reference_without_adc_clipping(
        p in any::<EpitomeProblem>(),
        w_bits in 2u32..=8,
        a_bits in 1u32..=8,
        xbar in (1usize..=3, 1usize..=4, 1u32..=3, 1u32..=2),
    ) {
        check_executor(&p, w_bits, a_bits, xbar)?;
    }

    #[test]
    fn gradient_matches_finite_differences(p in any::<EpitomeProblem>()) {
        check_gradient(&p)?;
    }

    #[test]
    fn dequantization_error_is_at_most_half_a_scale(p in any::<EpitomeProblem>(), bits in 2u32..=8) {
        check_dequant_error(&p, bits)?;
    }
}

/// Runs every property on one pinned problem.
fn check_all(p: &EpitomeProblem) {
    check_fast_path(p).unwrap();
    check_executor(p, 3, 4, (1, 2, 1, 1)).unwrap();
    check_executor(p, 8, 8, (2, 3, 2, 2)).unwrap();
    check_gradient(p).unwrap();
    check_dequant_error(p, 2).unwrap();
}

#[test]
fn regression_input_wrapping_e_in_less_than_c_in() {
    check_all(&problem(
        8,
        6,
        (3, 3),
        1,
        1,
        [4, 2, 4, 4],
        None,
        1,
        [1, 6, 5, 5],
        11,
    ));
}

#[test]
fn regression_e_in_greater_than_c_in() {
    check_all(&problem(
        4,
        2,
        (3, 3),
        1,
        0,
        [2, 5, 3, 4],
        None,
        1,
        [2, 2, 4, 4],
        12,
    ));
}

#[test]
fn regression_fully_connected_1x1_on_1x1_map() {
    check_all(&problem(
        6,
        5,
        (1, 1),
        1,
        0,
        [4, 3, 1, 1],
        None,
        1,
        [2, 5, 1, 1],
        13,
    ));
}

#[test]
fn regression_stride2_padding2_rect_kernel() {
    check_all(&problem(
        5,
        3,
        (2, 3),
        2,
        2,
        [2, 2, 3, 5],
        None,
        1,
        [1, 3, 5, 4],
        14,
    ));
}

#[test]
fn regression_partial_explicit_offsets_share_a_pattern() {
    // 3 groups; groups 0 and 1 listed with the same offset (one pattern),
    // group 2 from the default schedule.
    let offsets = Some(vec![[1, 1, 0], [1, 1, 0]]);
    let p = problem(
        6,
        4,
        (2, 2),
        1,
        1,
        [2, 3, 3, 3],
        offsets,
        1,
        [1, 4, 3, 3],
        15,
    );
    assert_eq!(p.spec.distinct_patterns(), 2);
    check_all(&p);
}

#[test]
fn regression_rep3_partial_last_group() {
    // c_out 7 from e_out 3: the last group has one channel.
    check_all(&problem(
        7,
        3,
        (3, 3),
        1,
        1,
        [3, 2, 5, 5],
        None,
        3,
        [1, 3, 4, 4],
        16,
    ));
}

#[test]
fn regression_kernel_larger_than_map_with_padding() {
    check_all(&problem(
        3,
        2,
        (3, 3),
        2,
        1,
        [1, 1, 3, 3],
        None,
        1,
        [1, 2, 1, 2],
        17,
    ));
}

#[test]
fn adc_narrower_than_lossless_clips_and_is_counted() {
    let p = problem(4, 4, (3, 3), 1, 1, [2, 4, 3, 3], None, 1, [1, 4, 4, 4], 21);
    let e = p.epitome();
    let qw = quantize_epitome(&e, 8).unwrap();
    let x: Vec<f32> = p.input().data().iter().map(|v| v.abs() + 0.5).collect();
    let ap = calibrate(&x, 8, Calibration::Max).unwrap();
    let codes = quantize_activations(&x, &ap).unwrap();
    let tables = DatapathTables::build(&p.spec).unwrap();
    let input = QuantizedInput {
        shape: p.input_shape,
        codes: &codes,
        params: ap,
    };
    let cfg = CrossbarConfig {
        rows: 64,
        cols: 2,
        cell_bits: 2,
        dac_bits: 2,
        adc_bits: Some(2),
    };
    let rep = execute(&p.spec, &tables, &qw, &input, None, &cfg).unwrap();
    assert!(rep.n_adc_clipped > 0);
    assert!(rep.n_adc_clipped <= rep.n_adc_conversions);
}

#[test]
fn executor_rejects_foreign_tables_and_bad_config() {
    let p = problem(4, 4, (3, 3), 1, 1, [2, 4, 3, 3], None, 1, [1, 4, 4, 4], 22);
    let other = problem(4, 4, (3, 3), 1, 1, [2, 4, 4, 4], None, 1, [1, 4, 4, 4], 22);
    let qw = quantize_epitome(&p.epitome(), 4).unwrap();
    let codes = vec![1u32; 64];
    let ap = calibrate(&[1.0], 4, Calibration::Max).unwrap();
    let input = QuantizedInput {
        shape: p.input_shape,
        codes: &codes,
        params: ap,
    };
    let foreign = DatapathTables::build(&other.spec).unwrap();
    let cfg = CrossbarConfig::default();
    assert!(execute(&p.spec, &foreign, &qw, &input, None, &cfg).is_err());
    let tables = DatapathTables::build(&p.spec).unwrap();
    let small = CrossbarConfig { rows: 8, ..cfg };
    let e = execute(&p.spec, &tables, &qw, &input, None, &small).unwrap_err();
    assert!(e.to_string().contains("crossbar.rows"), "{e}");
    let too_big = vec![16u32; 64];
    let input = QuantizedInput {
        codes: &too_big,
        ..input
    };
    assert!(execute(&p.spec, &tables, &qw, &input, None, &cfg).is_err());
}
