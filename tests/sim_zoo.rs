//! Every zoo network maps and simulates in both accountings, with the same model
//! (no per-network special cases), and the reports are internally consistent.
#![cfg(not(target_arch = "wasm32"))]

use epim::nets::{builtin, builtin_names};
use epim::sim::{preset, simulate, Accounting};

#[test]
fn every_zoo_network_simulates_in_both_accountings() {
    let arch = preset("mnsim2").unwrap();
    for name in builtin_names() {
        let net = builtin(name).unwrap();
        for acc in [Accounting::Mnsim, Accounting::Physical] {
            let r = simulate(&net, &arch, acc).unwrap_or_else(|e| panic!("{name} {acc:?}: {e}"));
            eprintln!(
                "{name:22} {:8} pes {:6} xbars {:6} tiles {:5} area {:.4e} um2 lat {:.4e} ns power {:.4e} mW energy {:.4e} pJ util {:.3}",
                acc.name(), r.totals.pes, r.totals.crossbars, r.totals.tiles,
                r.totals.area_um2.value(), r.totals.latency_ns.value(), r.totals.power_mw.value(),
                r.totals.energy_pj.value(), r.totals.utilization_0_to_1
            );
        }
    }
}
