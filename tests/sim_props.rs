//! Property tests: random small networks on random hardware either simulate or fail
//! with an error (never a panic), and the reports keep their invariants.
#![cfg(not(target_arch = "wasm32"))]

use epim::nets::{LayerSpec, NetworkSpec, PoolOp, Shape};
use epim::sim::{simulate, Accounting, ArchConfig, Knobs, Placement, SimOptions};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

fn layer() -> impl Strategy<Value = LayerSpec> {
    prop_oneof![
        (
            1usize..300,
            1usize..6,
            1usize..3,
            0usize..3,
            prop::bool::ANY
        )
            .prop_map(|(c_out, kernel, stride, padding, dw)| LayerSpec::Conv {
                name: None,
                c_out,
                kernel,
                stride: Some(stride),
                padding: Some(padding),
                // Depthwise when asked; build() rejects it unless c_out == c_in.
                groups: dw.then_some(c_out),
                from: None,
            }),
        (2usize..4).prop_map(|k| LayerSpec::Pool {
            name: None,
            kernel: k,
            stride: None,
            padding: None,
            op: PoolOp::Max,
            from: None,
        }),
        Just(LayerSpec::Add {
            name: None,
            from: vec![-1, -2],
        }),
    ]
}

fn network() -> impl Strategy<Value = NetworkSpec> {
    (
        1usize..16,
        4usize..40,
        2u32..10,
        2u32..10,
        prop::collection::vec(layer(), 1..7),
        prop::option::of(1usize..200),
    )
        .prop_map(|(c, hw, w_bits, a_bits, raw, fc)| {
            // Make depthwise convs and adds well-formed: track the channel count.
            let mut layers = Vec::new();
            let mut ch = c;
            for l in raw {
                match l {
                    LayerSpec::Conv {
                        groups: Some(_),
                        kernel,
                        stride,
                        padding,
                        ..
                    } => {
                        layers.push(LayerSpec::Conv {
                            name: None,
                            c_out: ch,
                            kernel,
                            stride,
                            padding,
                            groups: Some(ch),
                            from: None,
                        });
                    }
                    LayerSpec::Conv { c_out, .. } => {
                        ch = c_out;
                        layers.push(l);
                    }
                    LayerSpec::Add { .. } => {
                        // A shape-preserving conv, then the residual add.
                        layers.push(LayerSpec::Conv {
                            name: None,
                            c_out: ch,
                            kernel: 3,
                            stride: None,
                            padding: Some(1),
                            groups: None,
                            from: None,
                        });
                        layers.push(l);
                    }
                    other => layers.push(other),
                }
            }
            if let Some(out) = fc {
                layers.push(LayerSpec::Fc {
                    name: None,
                    out,
                    from: None,
                });
            }
            NetworkSpec {
                name: "random".into(),
                input: Shape { c, h: hw, w: hw },
                w_bits,
                a_bits,
                layers,
            }
        })
}

fn options() -> impl Strategy<Value = (SimOptions, ArchConfig)> {
    (
        prop::sample::select(vec![32u32, 64, 128, 256, 512]),
        1u32..5,
        1u32..10,
        1u32..8,
        prop::sample::select(vec![
            Placement::Spiral,
            Placement::RowMajor,
            Placement::Snake,
            Placement::Zigzag,
        ]),
        (1u32..4, 1u32..4, 1u32..5, 1u32..3),
        prop::bool::ANY,
    )
        .prop_map(
            |(xbar, cell_bits, adc, dac, placement, (px, py, g, pol), mnsim)| {
                let mut cfg = ArchConfig::default();
                cfg.chip.placement = Some(placement);
                cfg.tile.pes_x = Some(px);
                cfg.tile.pes_y = Some(py);
                cfg.pe.groups = Some(g);
                cfg.pe.polarity = Some(pol);
                let opts = SimOptions {
                    accounting: Some(if mnsim {
                        Accounting::Mnsim
                    } else {
                        Accounting::Physical
                    }),
                    knobs: Knobs {
                        crossbar_size: Some(xbar),
                        cell_bits: Some(cell_bits),
                        adc_choice: Some(adc),
                        dac_choice: Some(dac),
                        ..Knobs::default()
                    },
                    ..SimOptions::default()
                };
                (opts, cfg)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_networks_simulate_or_fail_cleanly((opts, cfg) in options(), spec in network()) {
        let Ok(net) = opts.network(&spec) else { return Ok(()); };
        let arch = opts.arch(&cfg).expect("knobs within range give a valid arch");
        let r = match simulate(&net, &arch, opts.accounting()) {
            Ok(r) => r,
            // Only "does not fit" style errors are expected here.
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains("tiles") || msg.contains("rows") || msg.contains("SRAM"), "{msg}");
                return Ok(());
            }
        };
        let t = &r.totals;
        for v in [t.area_um2.value(), t.latency_ns.value(), t.power_mw.value(), t.energy_pj.value()] {
            prop_assert!(v.is_finite() && v >= 0.0);
        }
        prop_assert!(t.tiles <= 64 * 64);
        prop_assert!(t.utilization_0_to_1 <= 1.0 + 1e-12);
        let last = r.layers.iter().map(|l| l.last_finish_ns.value()).fold(0.0, f64::max);
        prop_assert!(t.latency_ns.value() <= last + 1e-9);
        for l in &r.layers {
            prop_assert!(l.first_finish_ns <= l.last_finish_ns);
            prop_assert!(l.occupancy_0_to_1 > 0.0 && l.occupancy_0_to_1 <= 1.0 + 1e-12);
            prop_assert!(l.utilization_0_to_1 <= 1.0 + 1e-12, "{}: {}", l.name, l.utilization_0_to_1);
            if l.kind == "conv" || l.kind == "fc" {
                prop_assert!(l.pes > 0 && l.crossbars >= l.pes);
            }
        }
    }
}

#[test]
fn generator_builds_most_networks() {
    // Guards the generator: the property above must see real networks.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut built = 0;
    for _ in 0..200 {
        let spec = network().new_tree(&mut runner).expect("tree").current();
        built += usize::from(spec.build().is_ok());
    }
    assert!(built >= 100, "only {built}/200 random networks build");
}
