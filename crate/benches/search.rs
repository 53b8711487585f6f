//! The search on resnet50-imagenet under 1/30 of the dense 32-bit crossbars.
//!
//! `cargo bench --bench search` runs criterion on one generation (50 candidates)
//! with a warm per-layer cache and on a whole cold 50 x 50 search (2,500
//! evaluations, cache filled as it goes), then times three cold 50 x 50 searches
//! itself and prints "search 50x50 resnet50-imagenet: X ms, N evaluations/s".

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::hint::black_box;
    use std::time::Instant;

    use criterion::Criterion;
    use epim::search::{SearchRequest, SearchRun};

    fn request(generations: usize) -> SearchRequest {
        let mut r = SearchRequest::for_network("resnet50-imagenet");
        r.budget_fraction_of_dense32 = Some(1.0 / 30.0);
        r.search.population = 50;
        r.search.generations = generations;
        r.search.seed = 1;
        r
    }

    pub fn main() {
        let mut c = Criterion::default().configure_from_args().sample_size(10);
        let full = request(50);
        c.bench_function("search/50x50 cold", |b| {
            b.iter(|| {
                let mut run = SearchRun::new(black_box(&full)).expect("run");
                run.step(usize::MAX).expect("steps");
                run.search().evaluations()
            })
        });
        // One generation with the cache warmed by 20 earlier ones.
        let mut warm = SearchRun::new(&request(1000)).expect("run");
        warm.step(20).expect("steps");
        c.bench_function("search/one generation warm", |b| {
            b.iter_batched(
                || warm.clone(),
                |mut run| run.step(1).expect("steps"),
                criterion::BatchSize::LargeInput,
            )
        });
        c.final_summary();
        let mut best = f64::INFINITY;
        let mut evals = 0;
        for _ in 0..3 {
            let t0 = Instant::now();
            let mut run = SearchRun::new(&full).expect("run");
            run.step(usize::MAX).expect("steps");
            evals = run.search().evaluations();
            best = best.min(t0.elapsed().as_secs_f64());
        }
        println!(
            "search 50x50 resnet50-imagenet: {:.1} ms, {:.0} evaluations/s (best of 3, cold cache)",
            best * 1e3,
            evals as f64 / best
        );
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    bench::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}
