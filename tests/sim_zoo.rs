//! Every zoo network maps and simulates in both accountings, with the same model
//! (no per-network special cases), and the reports are internally consistent.
#![cfg(not(target_arch = "wasm32"))]

use epim::nets::{builtin, builtin_names, Op};
use epim::sim::{preset, simulate, Accounting};

#[test]
fn every_zoo_network_simulates_in_both_accountings() {
    let arch = preset("mnsim2").unwrap();
    let (rows, cols) = (arch.crossbar.rows as usize, arch.crossbar.cols as usize);
    let per_pe = u64::from(arch.pe.groups) * u64::from(arch.pe.polarity);
    let chip_tiles = u64::from(arch.chip.tiles_x) * u64::from(arch.chip.tiles_y);
    for name in builtin_names() {
        let net = builtin(name).unwrap();
        // Weight bits per PE column: the sign goes to the second polarity.
        let w_prec = (net.w_bits - 1) as usize;
        for acc in [Accounting::Mnsim, Accounting::Physical] {
            let r = simulate(&net, &arch, acc).unwrap_or_else(|e| panic!("{name} {acc:?}: {e}"));
            let at = format!("{name} {}", acc.name());
            assert_eq!(
                (r.network.as_str(), r.preset.as_str(), r.accounting.as_str()),
                (name, "mnsim2", acc.name()),
                "{at}"
            );
            assert_eq!(
                r.layers.len(),
                net.layers.len(),
                "{at}: one report per layer"
            );
            let t = &r.totals;
            for (what, v) in [
                ("area_um2", t.area_um2.value()),
                ("latency_ns", t.latency_ns.value()),
                ("power_mw", t.power_mw.value()),
                ("energy_pj", t.energy_pj.value()),
            ] {
                assert!(v.is_finite() && v > 0.0, "{at}: totals.{what} = {v}");
            }
            assert!(
                t.pes > 0 && t.crossbars == t.pes * per_pe,
                "{at}: {} PEs, {} crossbars",
                t.pes,
                t.crossbars
            );
            assert!(
                t.tiles > 0 && t.tiles <= chip_tiles,
                "{at}: {} tiles",
                t.tiles
            );
            assert!(
                t.utilization_0_to_1 > 0.0 && t.utilization_0_to_1 <= 1.0,
                "{at}: utilization {}",
                t.utilization_0_to_1
            );
            // The network is done when its last layer (an fc in every zoo network) is.
            let last = r.layers.last().unwrap();
            assert_eq!(last.kind, "fc", "{at}");
            assert_eq!(t.latency_ns, last.last_finish_ns, "{at}");
            for (l, (rep, layer)) in r.layers.iter().zip(&net.layers).enumerate() {
                let at = format!("{at} layer {l} ({})", layer.name);
                assert_eq!((rep.index, rep.kind.as_str()), (l, layer.op.kind()), "{at}");
                assert!(rep.last_finish_ns <= t.latency_ns, "{at}");
                // The mapping, recomputed from the layer's shape (docs/mnsim-model.md#mapping,
                // docs/simulator.md's physical differences 1 and 2; 1-bit cells, so one slice
                // per magnitude bit in both accountings).
                let (c_in, c_out, k, groups) = match layer.op {
                    Op::Conv(g) => (g.c_in, g.c_out, g.kernel, g.groups),
                    Op::Fc {
                        in_features,
                        out_features,
                    } => (in_features, out_features, 1, 1),
                    _ => continue,
                };
                let mx = w_prec * c_out.div_ceil(cols);
                let my = match (acc, &layer.op) {
                    (_, Op::Fc { .. }) => c_in.div_ceil(rows),
                    (Accounting::Mnsim, _) => c_in.div_ceil(rows / (k * k)),
                    (Accounting::Physical, _) if groups == 1 => (c_in * k * k).div_ceil(rows),
                    // Grouped convolutions are packed block-diagonally in physical.
                    _ => {
                        assert!(
                            rep.pes > 0 && rep.pes <= (mx * c_in.div_ceil(rows / (k * k))) as u64,
                            "{at}"
                        );
                        continue;
                    }
                };
                assert_eq!(
                    (rep.mapping.mx, rep.mapping.my, rep.pes, rep.crossbars),
                    (
                        mx as u64,
                        my as u64,
                        (mx * my) as u64,
                        (mx * my) as u64 * per_pe
                    ),
                    "{at}"
                );
            }
        }
    }
}

#[test]
fn resnet18_global_accumulator_matches_the_documented_values() {
    // docs/mnsim-model.md: 7.5 KB, 1920 adders of 9 bits (global accumulator);
    // 4898.88 + 156974.886 µm² (area); 0.01026342 W (power); 8.64e-08 nJ of adder
    // energy in the breakdown lines (energy).
    let r = simulate(
        &builtin("resnet18").unwrap(),
        &preset("mnsim2").unwrap(),
        Accounting::Mnsim,
    )
    .unwrap();
    let a = &r.totals.accumulator;
    assert_eq!(a.adders, 1920);
    assert_eq!(a.buffer_kb, 7.5);
    assert!(!a.in_totals);
    let close = |x: f64, y: f64| ((x - y) / y).abs() < 1e-6;
    assert!(close(a.adders_area_um2.value(), 4898.88), "{a:?}");
    assert!(close(a.area_um2.value(), 161873.766), "{a:?}");
    assert!(close(a.power_mw.value() * 1e-3, 0.01026342), "{a:?}");
    assert!(close(a.adders_energy_pj.value() * 1e-3, 8.64e-08), "{a:?}");
    // Element-wise adds own no tiles and cost nothing in the mnsim totals.
    for l in r.layers.iter().filter(|l| l.kind == "add") {
        assert_eq!(
            (l.tiles, l.area_um2.value(), l.energy_pj.value()),
            (0, 0.0, 0.0)
        );
    }
}

#[test]
fn physical_never_needs_more_hardware_than_mnsim_with_one_bit_cells() {
    let arch = preset("mnsim2").unwrap();
    for name in builtin_names() {
        let net = builtin(name).unwrap();
        let m = simulate(&net, &arch, Accounting::Mnsim).unwrap();
        let p = simulate(&net, &arch, Accounting::Physical).unwrap();
        assert!(p.totals.crossbars <= m.totals.crossbars, "{name}");
        assert!(p.totals.tiles <= m.totals.tiles, "{name}");
        assert!(p.totals.area_um2 <= m.totals.area_um2, "{name}");
    }
}

#[test]
fn totals_are_the_sum_of_layers_and_physical_power_is_energy_over_latency() {
    let arch = preset("isaac").unwrap();
    for name in builtin_names() {
        let net = builtin(name).unwrap();
        for acc in [Accounting::Mnsim, Accounting::Physical] {
            let r = simulate(&net, &arch, acc).unwrap();
            let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
            let e: f64 = r.layers.iter().map(|l| l.energy_pj.value()).sum();
            let a: f64 = r.layers.iter().map(|l| l.area_um2.value()).sum();
            assert!(close(e, r.totals.energy_pj.value()), "{name}");
            assert!(close(a, r.totals.area_um2.value()), "{name}");
            let parts = r.totals.detail.energy_pj.total().value();
            assert!(close(parts, r.totals.energy_pj.value()), "{name} {acc:?}");
            if acc == Accounting::Physical {
                let p = r.totals.energy_pj.value() / r.totals.latency_ns.value();
                assert!(close(p, r.totals.power_mw.value()), "{name}");
                let tiles_area = r.totals.tiles as f64 * r.totals.tile_area_um2.value()
                    + r.totals.accumulator.area_um2.value();
                assert!(close(tiles_area, r.totals.area_um2.value()), "{name}");
            }
            for l in &r.layers {
                assert!(l.first_finish_ns <= l.last_finish_ns, "{name} {}", l.name);
                assert!(l.occupancy_0_to_1 > 0.0 && l.occupancy_0_to_1 <= 1.0 + 1e-12);
                assert!((0.0..=1.0).contains(&l.utilization_0_to_1));
            }
        }
    }
}

#[test]
fn networks_with_too_many_pixels_are_refused_cleanly() {
    let spec = epim::nets::NetworkSpec::from_json(
        r#"{"name":"huge","input":{"c":1,"h":4096,"w":4096},"w_bits":8,"a_bits":8,
            "layers":[{"kind":"conv","c_out":1,"kernel":1},{"kind":"conv","c_out":1,"kernel":1},
                      {"kind":"conv","c_out":1,"kernel":1},{"kind":"conv","c_out":1,"kernel":1},
                      {"kind":"conv","c_out":1,"kernel":1}]}"#,
    )
    .unwrap();
    let e = simulate(
        &spec.build().unwrap(),
        &preset("mnsim2").unwrap(),
        Accounting::Physical,
    )
    .unwrap_err();
    assert!(e.to_string().contains("output pixels"), "{e}");
}

#[test]
fn mnsim_accounting_ignores_cell_bits_as_mnsim_does() {
    // docs/mnsim-model.md#mapping: MNSIM's hardware count ignores cell bits.
    let one = preset("mnsim2").unwrap();
    let mut two = one.clone();
    two.device.cell_bits = 2;
    for name in ["vgg8", "resnet18"] {
        let net = builtin(name).unwrap();
        let a = simulate(&net, &one, Accounting::Mnsim).unwrap();
        let b = simulate(&net, &two, Accounting::Mnsim).unwrap();
        assert_eq!(a, b, "{name}");
        // ...while the physical count halves the slices.
        let pa = simulate(&net, &one, Accounting::Physical).unwrap();
        let pb = simulate(&net, &two, Accounting::Physical).unwrap();
        assert!(pb.totals.crossbars < pa.totals.crossbars, "{name}");
    }
}
