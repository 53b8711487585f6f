//! Fast epitome convolution vs "materialize W, then the reference convolution"
//! on a 64->64, 3x3, 32x32 layer (padding 1) at 4x parameter compression
//! (epitome 16x16x6x6: 4 groups, 4 patterns, input wrapping 4x).
//!
//! `cargo bench --bench epitome_conv` runs criterion on both paths, then times
//! each path itself and prints the speed ratio on one line.

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use criterion::Criterion;
    use epim::epitome::{Epitome, EpitomeShape, EpitomeSpec, LayerGeometry};
    use epim::nn::{conv2d, ConvParams, Tensor4};

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|k| {
                ((k as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 8) as f32
                    / (1u32 << 24) as f32
                    - 0.5
            })
            .collect()
    }

    fn setup() -> (Epitome, Tensor4, Vec<f32>, ConvParams) {
        let spec = EpitomeSpec::new(
            LayerGeometry {
                c_out: 64,
                c_in: 64,
                k_h: 3,
                k_w: 3,
                stride: 1,
                padding: 1,
            },
            EpitomeShape {
                e_out: 16,
                e_in: 16,
                e_h: 6,
                e_w: 6,
            },
        );
        assert!((spec.compression() - 4.0).abs() < 1e-12);
        let e = Epitome::new(spec.clone(), values(spec.param_count(), 1)).expect("valid");
        let x = Tensor4::new("x", [1, 64, 32, 32], values(64 * 32 * 32, 7)).expect("valid");
        let bias = values(64, 3);
        (
            e,
            x,
            bias,
            ConvParams {
                stride: 1,
                padding: 1,
            },
        )
    }

    fn fast(e: &Epitome, x: &Tensor4, b: &[f32]) -> Tensor4 {
        e.conv(x, Some(b)).expect("fast conv")
    }

    fn slow(e: &Epitome, x: &Tensor4, b: &[f32], p: ConvParams) -> Tensor4 {
        let w = e.materialize().expect("materialize");
        conv2d(x, &w, Some(b), p).expect("reference conv")
    }

    /// The same loops as the fast path on the materialized weights: an epitome
    /// whose shape equals the weight shape is an ordinary convolution (one
    /// group, one pattern, no wrapping). This separates the epitome's saving
    /// from the reference's deliberate naivety.
    fn dense_fast_loops(e: &Epitome, x: &Tensor4, b: &[f32]) -> Tensor4 {
        let w = e.materialize().expect("materialize");
        let [c_out, c_in, k_h, k_w] = w.shape();
        let mut spec = EpitomeSpec::new(
            e.spec().layer,
            EpitomeShape {
                e_out: c_out,
                e_in: c_in,
                e_h: k_h,
                e_w: k_w,
            },
        );
        spec.offsets = None;
        let dense = Epitome::new(spec, w.into_data()).expect("valid");
        dense.conv(x, Some(b)).expect("dense conv")
    }

    fn time(mut f: impl FnMut(), budget: Duration) -> f64 {
        f();
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < budget || n < 3 {
            f();
            n += 1;
        }
        start.elapsed().as_secs_f64() / f64::from(n)
    }

    pub fn run() {
        let (e, x, b, p) = setup();
        // The two paths agree before anything is timed.
        let (yf, ys) = (fast(&e, &x, &b), slow(&e, &x, &b, p));
        let yd = dense_fast_loops(&e, &x, &b);
        assert_eq!(yd.shape(), ys.shape());
        let max_err = yf
            .data()
            .iter()
            .zip(ys.data())
            .map(|(a, c)| (a - c).abs() / c.abs().max(1.0))
            .fold(0.0f32, f32::max);
        assert!(
            max_err < 1e-4,
            "fast path differs from the reference: {max_err}"
        );

        let mut c = Criterion::default().configure_from_args().sample_size(10);
        let mut g = c.benchmark_group("epitome_conv_64x64_3x3_32x32_4x");
        g.bench_function("fast_epitome_conv", |bn| {
            bn.iter(|| fast(black_box(&e), black_box(&x), &b))
        });
        g.bench_function("materialize_plus_reference_conv", |bn| {
            bn.iter(|| slow(black_box(&e), black_box(&x), &b, p))
        });
        g.bench_function("materialize_plus_dense_fast_loops", |bn| {
            bn.iter(|| dense_fast_loops(black_box(&e), black_box(&x), &b))
        });
        g.finish();
        c.final_summary();

        let tf = time(|| drop(black_box(fast(&e, &x, &b))), Duration::from_secs(2));
        let ts = time(
            || drop(black_box(slow(&e, &x, &b, p))),
            Duration::from_secs(2),
        );
        let td = time(
            || drop(black_box(dense_fast_loops(&e, &x, &b))),
            Duration::from_secs(2),
        );
        println!(
            "epitome conv 64->64 3x3 32x32 at 4x compression: fast {:.3} ms, materialize+reference {:.3} ms, ratio {:.1}x",
            tf * 1e3,
            ts * 1e3,
            ts / tf
        );
        println!(
            "  (materialize + the fast path's own loops as a dense conv: {:.3} ms, ratio {:.1}x)",
            td * 1e3,
            td / tf
        );
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    bench::run();
}
