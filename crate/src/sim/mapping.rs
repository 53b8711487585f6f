//! Layer -> PEs and crossbars: a pure function of the layer, the bit widths, the
//! hardware and the accounting mode. The result holds integer counts only; the cost
//! model (`model.rs`) turns them into area, latency, power and energy.

use serde::{Deserialize, Serialize};

use super::config::Arch;
use crate::nets::{Layer, Op};
use crate::{Error, Result};

/// How hardware is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum Accounting {
    /// MNSIM 2.0's behaviour-level model, quirks included (reproduces its numbers).
    Mnsim,
    /// The same hardware counted as built (the project's default).
    #[default]
    Physical,
}

impl Accounting {
    /// `mnsim` or `physical`.
    pub fn name(self) -> &'static str {
        match self {
            Accounting::Mnsim => "mnsim",
            Accounting::Physical => "physical",
        }
    }

    /// Parses `mnsim` or `physical`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "mnsim" => Ok(Accounting::Mnsim),
            "physical" => Ok(Accounting::Physical),
            _ => Err(Error::Unknown {
                kind: "accounting".into(),
                name: s.into(),
                known: "mnsim, physical".into(),
            }),
        }
    }
}

/// Integer mapping of one layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerMap {
    /// PEs along the outputs (bit-slice groups x column blocks).
    pub mx: u64,
    /// PEs along the inputs (row blocks).
    pub my: u64,
    /// PEs holding weights (0 for pool and add).
    pub pes: u64,
    /// PE slots the cost model charges (pool: MNSIM's one pseudo-PE).
    pub pe_slots: u64,
    /// Bit-slices per weight.
    pub slices: u64,
    /// Rows used in the busiest crossbar.
    pub max_row: u64,
    /// Columns used in the busiest crossbar.
    pub max_col: u64,
    /// Crossbar groups used in the busiest PE.
    pub max_group: u64,
    /// Cells holding weight bits, both polarities.
    pub used_cells: u64,
    /// Row drives (DAC conversions) per input bit-cycle per event.
    pub row_drives: u64,
    /// Column reads (ADC conversions) per input bit-cycle per event.
    pub col_reads: u64,
    /// Output columns x slices: column reads that need no partial-sum merge.
    pub out_cols: u64,
    /// Sequential crossbar activation rounds per event (1 for dense and pruned layers;
    /// `ceil(patterns / rep)` for an epitome layer; 0 for pool and add).
    pub rounds: u64,
    /// Crossbar-copy activations per event, for energy (1 dense; `patterns` for an
    /// epitome layer, whatever `rep` is).
    pub acts: u64,
    /// Cells that conduct per input bit-cycle per activation (dense: `used_cells`; an
    /// epitome layer drives only the word lines its IFAT lists).
    pub read_cells: u64,
    /// Extra input bits from summing wrapped inputs before the DAC (IFRT).
    pub extra_input_bits: u32,
    /// Lookup tables of the layer: input side (IFAT, or a pruned layer's input index),
    /// reuse (IFRT, or a crossbar-pruning block bitmap) and output side (OFAT, or the
    /// output index). All zero for a dense layer.
    pub tables: [TableUse; 3],
}

/// One lookup table of a layer, stored in a small SRAM.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TableUse {
    /// Stored bits (entries x entry width).
    pub bits: u64,
    /// Bits read per crossbar activation.
    pub read_bits: u64,
}

impl LayerMap {
    /// A weight layer on `mx` x `my` PEs of `slices` bit-slices (`groups` crossbar groups
    /// per PE), `cells` cells holding and reading its weights, one activation per event:
    /// the fields every weight layer derives alike. Callers set the rest with
    /// `LayerMap { max_row, .., ..LayerMap::placed(..) }`.
    pub fn placed(mx: u64, my: u64, slices: u64, groups: u64, cells: u64) -> LayerMap {
        LayerMap {
            mx,
            my,
            pes: mx * my,
            pe_slots: mx * my,
            slices,
            max_group: slices.min(groups),
            used_cells: cells,
            read_cells: cells,
            rounds: 1,
            acts: 1,
            ..LayerMap::default()
        }
    }

    /// Whether the layer has any table.
    pub fn has_tables(&self) -> bool {
        self.tables.iter().any(|t| t.bits > 0)
    }
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

fn layer_err(index: usize, layer: &Layer, reason: String) -> Error {
    Error::Sim {
        layer: Some((index, layer.name.clone())),
        reason,
    }
}

/// Bit-slices of a `w_bits` weight: MNSIM drops the sign bit with two polarities and
/// ignores the cell bits; physically each slice holds `cell_bits` bits.
pub fn slices(arch: &Arch, w_bits: u32, accounting: Accounting) -> u64 {
    let magnitude = if arch.pe.polarity == 2 {
        u64::from(w_bits.saturating_sub(1)).max(1)
    } else {
        u64::from(w_bits)
    };
    match accounting {
        Accounting::Mnsim => magnitude,
        Accounting::Physical => ceil_div(magnitude, u64::from(arch.device.cell_bits)),
    }
}

/// Maps layer `index` onto PEs.
pub fn map_layer(
    index: usize,
    layer: &Layer,
    w_bits: u32,
    arch: &Arch,
    accounting: Accounting,
) -> Result<LayerMap> {
    let r = u64::from(arch.crossbar.rows);
    let c = u64::from(arch.crossbar.cols);
    let g = u64::from(arch.pe.groups);
    let p = u64::from(arch.pe.polarity);
    let s = slices(arch, w_bits, accounting);
    let sg = ceil_div(s, g);
    match layer.op {
        Op::Conv(geom) => {
            let k2 = (geom.kernel * geom.kernel) as u64;
            let c_in = geom.c_in as u64;
            let c_out = geom.c_out as u64;
            let groups = geom.groups as u64;
            match accounting {
                Accounting::Mnsim => {
                    // Whole input channels per crossbar; groups ignored (MNSIM has none).
                    let cpx = r / k2;
                    if cpx == 0 {
                        return Err(layer_err(
                            index,
                            layer,
                            format!(
                                "a {0}x{0} kernel needs {k2} rows, the crossbar has {r}",
                                geom.kernel
                            ),
                        ));
                    }
                    let mx = sg * ceil_div(c_out, c);
                    let my = ceil_div(c_in, cpx);
                    let max_row = cpx.min(c_in) * k2;
                    let params = c_in * k2 * c_out;
                    Ok(LayerMap {
                        max_row,
                        max_col: c_out.min(c),
                        row_drives: c_in * k2 * ceil_div(c_out, c) * s,
                        col_reads: c_out * my * s,
                        out_cols: c_out * s,
                        ..LayerMap::placed(mx, my, s, g, params * s * p)
                    })
                }
                Accounting::Physical => {
                    let rows_g = c_in / groups * k2;
                    let cols_g = c_out / groups;
                    let params = rows_g * c_out;
                    let (mx, my, max_row, max_col, row_drives, col_reads) =
                        if groups > 1 && rows_g <= r && cols_g <= c {
                            // Block-diagonal packing: q groups share a crossbar.
                            let q = (r / rows_g).min(c / cols_g).min(groups);
                            let blocks = ceil_div(groups, q);
                            (sg, blocks, q * rows_g, q * cols_g, c_in * k2 * s, c_out * s)
                        } else {
                            let rb = ceil_div(rows_g, r);
                            let cb = ceil_div(cols_g, c);
                            (
                                sg * cb,
                                groups * rb,
                                rows_g.min(r),
                                cols_g.min(c),
                                groups * rows_g * cb * s,
                                groups * cols_g * rb * s,
                            )
                        };
                    Ok(LayerMap {
                        max_row,
                        max_col,
                        row_drives,
                        col_reads,
                        out_cols: c_out * s,
                        ..LayerMap::placed(mx, my, s, g, params * s * p)
                    })
                }
            }
        }
        Op::Fc {
            in_features,
            out_features,
        } => {
            let i = in_features as u64;
            let o = out_features as u64;
            let mx = sg * ceil_div(o, c);
            let my = ceil_div(i, r);
            Ok(LayerMap {
                max_row: i.min(r),
                max_col: o.min(c),
                row_drives: i * ceil_div(o, c) * s,
                col_reads: o * my * s,
                out_cols: o * s,
                ..LayerMap::placed(mx, my, s, g, i * o * s * p)
            })
        }
        Op::Pool { .. } => Ok(LayerMap {
            mx: 1,
            my: 1,
            pe_slots: match accounting {
                Accounting::Mnsim => 1,
                Accounting::Physical => 0,
            },
            ..LayerMap::default()
        }),
        Op::Add { .. } => Ok(LayerMap::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::builtin;
    use crate::sim::presets::preset;

    #[test]
    fn vgg8_layer7_is_the_documented_worked_example() {
        // docs/mnsim-model.md#mapping, worked example: conv 3x3 512->512: cpx 28, my 19,
        // mx 16, 304 PEs, 608 crossbars.
        let net = builtin("vgg8").unwrap();
        let arch = preset("mnsim2").unwrap();
        let m = map_layer(7, &net.layers[7], 9, &arch, Accounting::Mnsim).unwrap();
        assert_eq!((m.mx, m.my, m.pes), (16, 19, 304));
        assert_eq!(m.pes * 2, 608);
        assert_eq!((m.max_row, m.max_col), (252, 256));
    }

    #[test]
    fn physical_slices_use_the_cell_bits_and_mnsim_ignores_them() {
        let mut arch = preset("mnsim2").unwrap();
        arch.device.cell_bits = 2;
        assert_eq!(slices(&arch, 9, Accounting::Mnsim), 8);
        assert_eq!(slices(&arch, 9, Accounting::Physical), 4);
        arch.pe.polarity = 1;
        assert_eq!(slices(&arch, 9, Accounting::Physical), 5);
    }

    #[test]
    fn physical_packs_rows_by_element_not_channel() {
        // 512 channels x 9 = 4608 rows: 18 crossbars of 256 rows, not 19 (MNSIM's 28/xbar).
        let net = builtin("vgg8").unwrap();
        let arch = preset("mnsim2").unwrap();
        let m = map_layer(7, &net.layers[7], 9, &arch, Accounting::Physical).unwrap();
        assert_eq!(m.my, 18);
    }
}
