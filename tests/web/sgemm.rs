//! The trainer's float GEMM (`epim::infer::sgemm`) in wasm: the `simd128`
//! micro-kernel gives the plain loop's sums bit for bit, as the portable one
//! does natively (tests/infer.rs), so training sums the same on both targets.

use epim::infer::sgemm::{gemm_acc, gemm_acc_ref, Mat};
use epim::rng::Rng;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn simd_float_gemm_is_bit_identical_to_the_plain_loop() {
    let mut rng = Rng::new(11);
    // Edge tiles (m, n not multiples of 4 and 8), a reduction over two chunks,
    // both operands transposed or not.
    for (m, n, k) in [
        (1, 1, 1),
        (5, 11, 300),
        (9, 17, 40),
        (4, 8, 256),
        (13, 3, 600),
    ] {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut draw = |len: usize| -> Vec<f32> {
                (0..len)
                    .map(|_| (rng.unit_f64() as f32 - 0.5) * 4.0)
                    .collect()
            };
            let (a, b, c0) = (draw(m * k), draw(k * n), draw(m * (n + 2)));
            let av = if ta {
                Mat::transposed(&a, m, k)
            } else {
                Mat::row_major(&a, m, k)
            }
            .unwrap();
            let bv = if tb {
                Mat::transposed(&b, k, n)
            } else {
                Mat::row_major(&b, k, n)
            }
            .unwrap();
            let (mut fast, mut slow) = (c0.clone(), c0);
            gemm_acc(av, bv, &mut fast, n + 2).unwrap();
            gemm_acc_ref(av, bv, &mut slow, n + 2).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&fast),
                bits(&slow),
                "{m}x{k} times {k}x{n} ({ta}, {tb})"
            );
        }
    }
}
