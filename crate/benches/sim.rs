//! The whole zoo (every built-in network) simulated on the mnsim2 preset, in each
//! accounting. Networks and hardware are built once; the timed part is mapping,
//! placement, the event pipeline and the cost model.
//!
//! `cargo bench --bench sim` runs criterion (`zoo/mnsim`, `zoo/physical`, and one
//! benchmark per network), then times each zoo pass itself and prints one line per
//! accounting: "whole zoo (N networks), <accounting>: X ms".

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::hint::black_box;
    use std::time::Instant;

    use criterion::Criterion;
    use epim::nets::{builtin, builtin_names, Network};
    use epim::sim::{preset, simulate, Accounting, Arch};

    fn zoo() -> Vec<Network> {
        builtin_names()
            .map(|n| builtin(n).expect("zoo network builds"))
            .collect()
    }

    fn run_zoo(nets: &[Network], arch: &Arch, acc: Accounting) -> f64 {
        nets.iter()
            .map(|n| {
                simulate(n, arch, acc)
                    .expect("zoo network simulates")
                    .totals
                    .energy_pj
                    .value()
            })
            .sum()
    }

    pub fn main() {
        let nets = zoo();
        let arch = preset("mnsim2").expect("preset");
        let mut c = Criterion::default().configure_from_args();
        for acc in [Accounting::Mnsim, Accounting::Physical] {
            c.bench_function(&format!("zoo/{}", acc.name()), |b| {
                b.iter(|| run_zoo(black_box(&nets), &arch, acc))
            });
            for n in &nets {
                c.bench_function(&format!("{}/{}", acc.name(), n.name), |b| {
                    b.iter(|| simulate(black_box(n), &arch, acc).expect("simulates"))
                });
            }
        }
        c.final_summary();
        for acc in [Accounting::Mnsim, Accounting::Physical] {
            let reps = 20;
            let t = Instant::now();
            for _ in 0..reps {
                black_box(run_zoo(&nets, &arch, acc));
            }
            let ms = t.elapsed().as_secs_f64() * 1e3 / f64::from(reps);
            println!(
                "whole zoo ({} networks), {}: {ms:.2} ms",
                nets.len(),
                acc.name()
            );
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    bench::main();
}
