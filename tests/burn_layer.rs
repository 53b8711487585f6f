//! The burn epitome layer (feature `burn`): its forward pass equals the crate's
//! reference convolution of the materialized weights, burn's autodiff gives
//! the epitome gradient of `grad_to_epitome`, and the straight-through
//! quantizer equals the crate's per-row quantizer with an identity gradient.
#![cfg(all(feature = "burn", not(target_arch = "wasm32")))]

use burn::tensor::{Device, Tensor, TensorData};
use epim::epitome::{grad_to_epitome, materialize, EpitomeShape, EpitomeSpec, LayerGeometry};
use epim::model::{EpitomeDesc, WeightLayerSpec};
use epim::nn::{conv2d, conv2d_weight_grad, ConvParams, Tensor4};
use epim::quant::quantize_rows;
use epim::train::burn::{
    quantize_rows_forward, quantize_rows_ste, read, train_device, EpitomeConv,
};
use epim::train::Rng;

/// One test layer: geometry, epitome (None: dense weights), offsets (None:
/// the default schedule), input `[n, h, w]`.
struct Case {
    c_out: usize,
    c_in: usize,
    k: usize,
    stride: usize,
    padding: usize,
    epitome: Option<[usize; 4]>,
    offsets: Option<Vec<[usize; 3]>>,
    input: [usize; 3],
}

fn cases() -> Vec<Case> {
    vec![
        // Input wrapping (c_in 5 > e_in 3, a = 2 and 1) and column offsets.
        Case {
            c_out: 6,
            c_in: 5,
            k: 3,
            stride: 1,
            padding: 1,
            epitome: Some([2, 3, 4, 5]),
            offsets: Some(vec![[0, 0, 0], [2, 1, 2], [1, 1, 1]]),
            input: [2, 7, 6],
        },
        // Default schedule, stride 2, no padding.
        Case {
            c_out: 8,
            c_in: 4,
            k: 3,
            stride: 2,
            padding: 0,
            epitome: Some([4, 3, 4, 4]),
            offsets: None,
            input: [3, 9, 9],
        },
        // e_out does not divide c_out (the last group is partial), 2x2 kernel,
        // padding 2.
        Case {
            c_out: 5,
            c_in: 3,
            k: 2,
            stride: 1,
            padding: 2,
            epitome: Some([2, 2, 3, 2]),
            offsets: None,
            input: [1, 5, 4],
        },
        // A dense layer with input wrapping (features i and i + 8 share).
        Case {
            c_out: 10,
            c_in: 20,
            k: 1,
            stride: 1,
            padding: 0,
            epitome: Some([10, 8, 1, 1]),
            offsets: None,
            input: [2, 1, 1],
        },
        // An ordinary convolution (no epitome).
        Case {
            c_out: 4,
            c_in: 2,
            k: 3,
            stride: 1,
            padding: 1,
            epitome: None,
            offsets: None,
            input: [2, 5, 5],
        },
    ]
}

impl Case {
    fn spec(&self) -> WeightLayerSpec {
        let epitome = self.epitome.map(|[e_out, e_in, e_h, e_w]| {
            let mut esp = EpitomeSpec::new(
                LayerGeometry {
                    c_out: self.c_out,
                    c_in: self.c_in,
                    k_h: self.k,
                    k_w: self.k,
                    stride: self.stride,
                    padding: self.padding,
                },
                EpitomeShape {
                    e_out,
                    e_in,
                    e_h,
                    e_w,
                },
            );
            esp.offsets = self.offsets.clone();
            esp.validate().unwrap();
            EpitomeDesc {
                e_out,
                e_in,
                e_h,
                e_w,
                offsets: esp.all_offsets(),
            }
        });
        WeightLayerSpec {
            name: "l".into(),
            c_in: self.c_in,
            c_out: self.c_out,
            k: self.k,
            stride: self.stride,
            padding: self.padding,
            epitome,
            w_bits: None,
            act: None,
            prune: None,
        }
    }

    fn params(&self) -> ConvParams {
        ConvParams {
            stride: self.stride,
            padding: self.padding,
        }
    }

    fn input_shape(&self) -> [usize; 4] {
        let [n, h, w] = self.input;
        [n, self.c_in, h, w]
    }
}

fn random(rng: &mut Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(1.0)).collect()
}

fn to_burn(t: &Tensor4, device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(t.data().to_vec(), t.shape()), device)
}

fn assert_close(got: &[f32], want: &[f32], tol: f32, what: &str) -> f32 {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let mut worst = 0.0f32;
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        let d = (a - b).abs();
        assert!(d <= tol * (1.0 + b.abs()), "{what}[{i}]: {a} vs {b}");
        worst = worst.max(d);
    }
    worst
}

/// The reference: materialize `W` from `e` (dequantized per row when `bits`),
/// then the crate's nested-loop convolution.
fn reference(case: &Case, e: &[f32], b: &[f32], x: &Tensor4, bits: Option<u32>) -> Tensor4 {
    let spec = case.spec();
    let esp = spec.epitome_spec();
    let e = match bits {
        Some(bits) => quantize_rows(e, spec.stored_shape()[0], bits)
            .unwrap()
            .dequantize(),
        None => e.to_vec(),
    };
    let w = materialize(&esp, &e).unwrap();
    conv2d(x, &w, Some(b), case.params()).unwrap()
}

#[test]
fn forward_equals_the_reference_convolution_float_and_quantized() {
    let device = Device::flex();
    let mut rng = Rng::new(11);
    let mut worst = 0.0f32;
    for (ci, case) in cases().iter().enumerate() {
        let spec = case.spec();
        let e = random(&mut rng, spec.stored_len());
        let b = random(&mut rng, case.c_out);
        let shape = case.input_shape();
        let x = Tensor4::new("x", shape, random(&mut rng, shape.iter().product())).unwrap();
        for bits in [None, Some(2), Some(3), Some(8)] {
            let layer = EpitomeConv::new(&spec, &e, &b, bits, &device).unwrap();
            let y = layer.forward(to_burn(&x, &device));
            let want = reference(case, &e, &b, &x, bits);
            assert_eq!(y.dims(), want.shape(), "case {ci}");
            let got = read(y).unwrap();
            worst = worst.max(assert_close(
                &got,
                want.data(),
                1e-4,
                &format!("case {ci} bits {bits:?}"),
            ));
        }
    }
    eprintln!("largest forward difference: {worst:e}");
}

#[test]
fn autodiff_epitome_gradient_equals_grad_to_epitome() {
    let device = train_device();
    let mut rng = Rng::new(5);
    let mut worst = 0.0f32;
    for (ci, case) in cases().iter().enumerate() {
        let spec = case.spec();
        let esp = spec.epitome_spec();
        let e = random(&mut rng, spec.stored_len());
        let b = random(&mut rng, case.c_out);
        let shape = case.input_shape();
        let x = Tensor4::new("x", shape, random(&mut rng, shape.iter().product())).unwrap();
        let (ho, wo) = esp.output_size(shape[2], shape[3]).unwrap();
        let r_shape = [shape[0], case.c_out, ho, wo];
        let r = Tensor4::new("r", r_shape, random(&mut rng, r_shape.iter().product())).unwrap();
        // L = sum(y * R): dL/dy = R, dL/dW = conv2d_weight_grad(x, R),
        // dL/dE = grad_to_epitome(dL/dW), dL/db = sum of R per channel.
        let dw = conv2d_weight_grad(&x, &r, case.k, case.k, case.params()).unwrap();
        let want_de = grad_to_epitome(&esp, dw.data()).unwrap();
        let want_db: Vec<f32> = (0..case.c_out)
            .map(|o| {
                let mut s = 0.0f64;
                for n in 0..shape[0] {
                    for p in 0..ho * wo {
                        s += f64::from(r.data()[(n * case.c_out + o) * ho * wo + p]);
                    }
                }
                s as f32
            })
            .collect();
        // With QAT the straight-through estimator passes the same gradient.
        for bits in [None, Some(4)] {
            let layer = EpitomeConv::new(&spec, &e, &b, bits, &device).unwrap();
            let y = layer.forward(to_burn(&x, &device));
            let loss = y.mul(to_burn(&r, &device)).sum();
            let grads = loss.backward();
            let de = read(layer.epitome.val().grad(&grads).unwrap()).unwrap();
            let db = read(layer.bias.val().grad(&grads).unwrap()).unwrap();
            let what = format!("case {ci} bits {bits:?}");
            worst = worst.max(assert_close(&de, &want_de, 1e-4, &format!("{what} dE")));
            assert_close(&db, &want_db, 1e-4, &format!("{what} db"));
        }
        // Epitome elements no weight samples get no gradient.
        let mut used = vec![false; spec.stored_len()];
        for k in epim::epitome::Sampler::new(&esp).unwrap().index_map() {
            used[k] = true;
        }
        for (k, u) in used.iter().enumerate() {
            if !u {
                assert_eq!(want_de[k], 0.0, "case {ci}");
            }
        }
    }
    eprintln!("largest dE difference: {worst:e}");
}

#[test]
fn epitome_gradient_matches_finite_differences() {
    // Independent of grad_to_epitome: central differences of a scalar loss.
    let case = &cases()[0];
    let spec = case.spec();
    let device = train_device();
    let mut rng = Rng::new(21);
    let e = random(&mut rng, spec.stored_len());
    let b = random(&mut rng, case.c_out);
    let shape = case.input_shape();
    let x = Tensor4::new("x", shape, random(&mut rng, shape.iter().product())).unwrap();
    let loss_of = |e: &[f32]| -> f64 {
        let y = reference(case, e, &b, &x, None);
        y.data()
            .iter()
            .enumerate()
            .map(|(i, v)| f64::from(*v) * ((i % 7) as f64 - 3.0))
            .sum()
    };
    let layer = EpitomeConv::new(&spec, &e, &b, None, &device).unwrap();
    let y = layer.forward(to_burn(&x, &device));
    let dims = y.dims();
    let n = dims.iter().product::<usize>();
    let weights: Vec<f32> = (0..n).map(|i| (i % 7) as f32 - 3.0).collect();
    let loss = y
        .mul(Tensor::<4>::from_data(
            TensorData::new(weights, dims),
            &device,
        ))
        .sum();
    let de = read(layer.epitome.val().grad(&loss.backward()).unwrap()).unwrap();
    for k in (0..e.len()).step_by(7) {
        let h = 1e-2f32;
        let mut ep = e.clone();
        ep[k] += h;
        let lp = loss_of(&ep);
        ep[k] -= 2.0 * h;
        let lm = loss_of(&ep);
        let fd = (lp - lm) / (2.0 * f64::from(h));
        let an = f64::from(de[k]);
        assert!(
            (fd - an).abs() < 1e-2 * (1.0 + an.abs()),
            "dE[{k}]: finite differences {fd} vs autodiff {an}"
        );
    }
}

#[test]
fn ste_quantizer_equals_the_crate_quantizer_with_identity_gradient() {
    let device = train_device();
    let mut rng = Rng::new(3);
    let (rows, len) = (5usize, 24usize);
    let mut e = random(&mut rng, rows * len);
    // An all-zero row, and a row whose values land exactly on .5 codes at 3
    // bits (scale 1): ties round away from zero, as f32::round does.
    e[len..2 * len].iter_mut().for_each(|v| *v = 0.0);
    let ties = [3.0, 1.5, -1.5, 2.5, -2.5, 0.5, -0.5, 0.0];
    for (j, v) in e[2 * len..3 * len].iter_mut().enumerate() {
        *v = ties[j % ties.len()];
    }
    for bits in 2..=8u32 {
        let want = quantize_rows(&e, rows, bits).unwrap().dequantize();
        let t = Tensor::<2>::from_data(TensorData::new(e.clone(), [rows, len]), &device);
        let fwd = read(quantize_rows_forward(t.clone(), bits)).unwrap();
        assert_eq!(fwd, want, "forward, {bits} bits");
        // STE: same value, gradient = upstream gradient.
        let t = t.require_grad();
        let q = quantize_rows_ste(t.clone(), bits);
        let c: Vec<f32> = (0..rows * len).map(|i| (i % 5) as f32 - 2.0).collect();
        let loss = q
            .clone()
            .mul(Tensor::<2>::from_data(
                TensorData::new(c.clone(), [rows, len]),
                &device,
            ))
            .sum();
        let g = read(t.grad(&loss.backward()).unwrap()).unwrap();
        assert_eq!(read(q.detach()).unwrap(), want, "STE forward, {bits} bits");
        assert_eq!(g, c, "STE gradient, {bits} bits");
    }
    // 3 bits on the tie row: scale 3/3 = 1, codes 3, 2, -2, 3, -3, 1, -1, 0.
    let q = quantize_rows(&e, rows, 3).unwrap();
    assert_eq!(&q.codes[2 * len..2 * len + 8], &[3, 2, -2, 3, -3, 1, -1, 0]);
}

#[test]
fn bad_layer_values_are_errors() {
    let device = Device::flex();
    let spec = cases()[0].spec();
    let n = spec.stored_len();
    let err = EpitomeConv::new(&spec, &vec![0.0; n - 1], &[0.0; 6], None, &device).unwrap_err();
    assert!(err.to_string().contains("l.epitome"), "{err}");
    let mut e = vec![0.0; n];
    e[3] = f32::NAN;
    assert!(EpitomeConv::new(&spec, &e, &[0.0; 6], None, &device).is_err());
    let err = EpitomeConv::new(&spec, &vec![0.0; n], &[0.0; 6], Some(9), &device).unwrap_err();
    assert!(err.to_string().contains("2..=8"), "{err}");
}
