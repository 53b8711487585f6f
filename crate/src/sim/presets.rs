//! Named hardware presets, each with the source of its numbers.

use super::config::{
    Arch, BufSize, BufferParams, CellType, ChipParams, CrossbarParams, DeviceParams, DigitalParams,
    InterfaceParams, PeParams, Placement, TileParams,
};
use crate::{Error, Result};

/// The preset used when none is named.
pub const DEFAULT: &str = "mnsim2";

/// A preset: name, one-line description with sources, constructor.
pub struct PresetEntry {
    /// Name accepted by `--preset` and `simulate()`.
    pub name: &'static str,
    /// One line: what it models and where the numbers come from.
    pub description: &'static str,
    build: fn() -> Arch,
}

impl PresetEntry {
    /// The preset's hardware description.
    pub fn arch(&self) -> Arch {
        (self.build)()
    }
}

/// Every preset.
pub const PRESETS: &[PresetEntry] = &[
    PresetEntry {
        name: "mnsim2",
        description: "MNSIM 2.0's shipped SimConfig.ini (thu-nics/MNSIM-2.0 ca39ccb): 256x256 \
                      1-bit ReRAM crossbars, 6-bit ADC (choice 6), 1-bit DAC, 2x2 PEs/tile, 64x64 tiles",
        build: mnsim2,
    },
    PresetEntry {
        name: "isaac",
        description: "ISAAC-style (Shafiee et al., ISCA 2016, Table 6): 128x128 2-bit crossbars, \
                      8 per PE, one 8-bit 1.28 GS/s ADC per crossbar, 1-bit DACs, 12 PEs/tile, 32 nm, 1.2 GHz",
        build: isaac,
    },
];

/// Names of the presets.
pub fn preset_names() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|p| p.name)
}

/// The preset `name`.
pub fn preset(name: &str) -> Result<Arch> {
    match PRESETS.iter().find(|p| p.name == name) {
        Some(p) => Ok(p.arch()),
        None => Err(Error::Unknown {
            kind: "preset".into(),
            name: name.into(),
            known: preset_names().collect::<Vec<_>>().join(", "),
        }),
    }
}

/// MNSIM 2.0's shipped `SimConfig.ini` (docs/mnsim-model.md#configuration).
fn mnsim2() -> Arch {
    Arch {
        preset: "mnsim2".into(),
        device: DeviceParams {
            cell_area_um2: 1.44,
            cell_bits: 1,
            read_latency_ns: 3.16,
            read_voltage_min_v: 0.0,
            read_voltage_max_v: 0.15,
            hrs_ohm: 1e6,
            lrs_ohm: 1e4,
            cell_type: CellType::OneT1R,
        },
        crossbar: CrossbarParams {
            rows: 256,
            cols: 256,
            subarray_rows: 256,
            // Crossbar.py: 1150 µm² of driver per row (from the 78.4 TOPS/W RRAM chip).
            row_driver_area_um2: 1150.0,
            transistor_tech_nm: 130.0,
        },
        interface: InterfaceParams {
            adc_choice: 6,
            dac_choice: 1,
        },
        pe: PeParams {
            polarity: 2,
            groups: 1,
            dacs_per_subarray: 128,
            adcs_per_subarray: 128,
            inbuf_kb: BufSize::Auto,
        },
        tile: TileParams {
            pes_x: 2,
            pes_y: 2,
            pool_units: 64,
            pool_window: 9,
            pool_tech_nm: 65.0,
            // Pooling_latency.py: 100 ns per step.
            pool_step_latency_ns: 100.0,
            outbuf_kb: BufSize::Auto,
            inter_tile_bandwidth_gbps: 20.0,
            intra_tile_bandwidth_gbps: 1024.0,
        },
        chip: ChipParams {
            tiles_x: 64,
            tiles_y: 64,
            placement: Placement::Spiral,
        },
        digital: DigitalParams {
            clock_mhz: 500.0,
            adder_tech_nm: 45.0,
            shiftreg_tech_nm: 65.0,
            reg_tech_nm: 45.0,
            jointmodule_tech_nm: 45.0,
            // Model_latency.py: element_sum takes a hard-wired 10 ns.
            add_latency_ns: 10.0,
        },
        buffer: BufferParams {
            tech_nm: 90.0,
            bitwidth_bits: 64,
            // Buffer.py: `self.buf_cycle = 20`, hard-coded.
            cycle_ns: 20.0,
        },
    }
}

/// ISAAC (Shafiee et al., "ISAAC: A Convolutional Neural Network Accelerator with
/// In-Situ Analog Arithmetic in Crossbars", ISCA 2016), Table 6, mapped onto MNSIM's
/// hierarchy: an IMA is a PE (8 crossbars = 4 groups x 2 polarities), 12 IMAs per tile,
/// 128 1-bit DACs per crossbar, one 8-bit 1.28 GS/s ADC per crossbar (MNSIM's ADC
/// choice 2 cites ISAAC), 2-bit cells, 32 nm logic and buffers, 1.2 GHz, 2 KB input
/// registers per IMA, 64 KB tile buffer. Crossbar area: Table 6 gives 0.0002 mm² for
/// the 8 arrays of an IMA, i.e. 25 µm² per 128x128 array, taken as cell area
/// 25 / 16384 µm² with no separate row driver. The read latency and resistances keep
/// MNSIM's values: ISAAC gives only aggregate crossbar numbers.
/// The chip keeps MNSIM's 64x64 grid (ISAAC's 168-tile chip holds no ImageNet net;
/// its node uses 16 chips).
fn isaac() -> Arch {
    let mut a = mnsim2();
    a.preset = "isaac".into();
    a.device.cell_bits = 2;
    a.device.cell_area_um2 = 25.0 / 16384.0;
    a.crossbar.row_driver_area_um2 = 0.0;
    a.crossbar.rows = 128;
    a.crossbar.cols = 128;
    a.crossbar.subarray_rows = 128;
    a.crossbar.transistor_tech_nm = 32.0;
    a.interface.adc_choice = 2;
    a.interface.dac_choice = 1;
    a.pe.groups = 4;
    a.pe.dacs_per_subarray = 128;
    a.pe.adcs_per_subarray = 1;
    a.pe.inbuf_kb = BufSize::Kb(2.0);
    a.tile.pes_x = 3;
    a.tile.pes_y = 4;
    a.tile.pool_tech_nm = 32.0;
    a.tile.outbuf_kb = BufSize::Kb(64.0);
    // c-mesh links: 32 bits per 1.2 GHz cycle.
    a.tile.inter_tile_bandwidth_gbps = 38.4;
    a.digital.clock_mhz = 1200.0;
    a.digital.adder_tech_nm = 32.0;
    a.digital.shiftreg_tech_nm = 32.0;
    a.digital.reg_tech_nm = 32.0;
    a.digital.jointmodule_tech_nm = 32.0;
    a.buffer.tech_nm = 32.0;
    a.buffer.bitwidth_bits = 256;
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_validates() {
        for p in PRESETS {
            p.arch().validate().unwrap();
            assert_eq!(p.arch().preset, p.name);
        }
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let e = preset("isac").unwrap_err();
        assert!(e.to_string().contains("mnsim2, isaac"), "{e}");
    }
}
