//! The knobs of the crossbar model, their units, bounds and presets.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::limits;

/// Every knob of the crossbar model. Fractions are `_0_to_1`; conductances are
/// in units of one cell level (the conductance step between two adjacent
/// programmed levels).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct PimKnobs {
    /// Word lines per crossbar (rows of one column sum), 1..=[`limits::MAX_PIM_CROSSBAR_ROWS`].
    pub crossbar_rows: usize,
    /// Bits per cell, 1..=[`limits::MAX_PIM_CELL_BITS`].
    pub cell_bits: u32,
    /// Input bits applied per cycle, 1..=[`limits::MAX_PIM_DAC_BITS`].
    pub dac_bits: u32,
    /// ADC resolution, bits, 1..=[`limits::MAX_PIM_ADC_BITS`].
    pub adc_bits: u32,
    /// ADC full scale as a fraction of the theoretical maximum column sum, in
    /// (0, 1] (1: never clips without faults or variation; smaller: finer steps,
    /// larger sums clip).
    pub adc_range_0_to_1: f64,
    /// Lognormal conductance variation: each cell's conductance is multiplied by
    /// `exp(sigma * N(0, 1))`, sigma in 0..=[`limits::MAX_PIM_VARIATION_SIGMA`].
    pub variation_sigma: f64,
    /// Fraction of cells stuck at the lowest conductance (high-resistance state).
    pub sa0_0_to_1: f64,
    /// Fraction of cells stuck at the highest conductance (low-resistance state).
    pub sa1_0_to_1: f64,
    /// `G_on / G_off`; `None`: infinite (a cell at level 0 conducts nothing).
    #[serde(default)]
    pub on_off_ratio: Option<f64>,
}

impl Default for PimKnobs {
    /// The `mnsim2` preset ([`PimKnobs::preset`]): ideal devices.
    fn default() -> Self {
        PimKnobs {
            crossbar_rows: 256,
            cell_bits: 1,
            dac_bits: 1,
            adc_bits: 6,
            adc_range_0_to_1: 1.0,
            variation_sigma: 0.0,
            sa0_0_to_1: 0.0,
            sa1_0_to_1: 0.0,
            on_off_ratio: None,
        }
    }
}

/// Presets: the simulator's presets (crossbar rows, cell bits, the DAC and ADC
/// resolutions of their converter choices) with ideal devices, and `ideal`
/// (mnsim2's array with an ADC wide enough never to round or clip).
pub const PIM_PRESETS: [&str; 3] = ["mnsim2", "isaac", "ideal"];

impl PimKnobs {
    /// The knobs of a preset ([`PIM_PRESETS`]): `mnsim2` and `isaac` take
    /// `crossbar.rows`, `device.cell_bits` and the bits of
    /// `interface.dac_choice` / `adc_choice` from the simulator preset of that
    /// name (mnsim2: 256 rows, 1-bit cells, 1-bit DAC, 6-bit ADC; isaac: 128
    /// rows, 2-bit cells, 1-bit DAC, 8-bit ADC); `ideal` is mnsim2 with a
    /// 16-bit ADC.
    pub fn preset(name: &str) -> Result<Self> {
        let sim = match name {
            "ideal" => {
                return Ok(PimKnobs {
                    adc_bits: 16,
                    ..Self::preset("mnsim2")?
                })
            }
            "mnsim2" | "isaac" => crate::sim::preset(name)?,
            _ => {
                return Err(Error::Unknown {
                    kind: "PIM preset".into(),
                    name: name.to_string(),
                    known: PIM_PRESETS.join(", "),
                })
            }
        };
        Ok(PimKnobs {
            crossbar_rows: sim.crossbar.subarray_rows as usize,
            cell_bits: sim.device.cell_bits,
            dac_bits: crate::sim::tech::dac(sim.interface.dac_choice)?.bits,
            adc_bits: crate::sim::tech::adc(sim.interface.adc_choice)?.bits,
            ..PimKnobs::default()
        })
    }

    /// Checks every knob against its bounds; the error names the knob.
    pub fn validate(&self) -> Result<()> {
        let int = |name: &str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(
                    name,
                    format!("must be an integer in {lo}..={hi}, got {v}"),
                ))
            }
        };
        int(
            "crossbar_rows",
            self.crossbar_rows as u64,
            1,
            limits::MAX_PIM_CROSSBAR_ROWS as u64,
        )?;
        int(
            "cell_bits",
            u64::from(self.cell_bits),
            1,
            u64::from(limits::MAX_PIM_CELL_BITS),
        )?;
        int(
            "dac_bits",
            u64::from(self.dac_bits),
            1,
            u64::from(limits::MAX_PIM_DAC_BITS),
        )?;
        int(
            "adc_bits",
            u64::from(self.adc_bits),
            1,
            u64::from(limits::MAX_PIM_ADC_BITS),
        )?;
        let real = |name: &str, v: f64, lo: f64, hi: f64, open_lo: bool| {
            let ok = v.is_finite() && if open_lo { v > lo } else { v >= lo } && v <= hi;
            if ok {
                Ok(())
            } else {
                let lo_b = if open_lo { "(" } else { "[" };
                Err(Error::invalid(
                    name,
                    format!("must be a number in {lo_b}{lo}, {hi}], got {v}"),
                ))
            }
        };
        real("adc_range_0_to_1", self.adc_range_0_to_1, 0.0, 1.0, true)?;
        real(
            "variation_sigma",
            self.variation_sigma,
            0.0,
            limits::MAX_PIM_VARIATION_SIGMA,
            false,
        )?;
        real(
            "sa0_0_to_1",
            self.sa0_0_to_1,
            0.0,
            limits::MAX_PIM_FAULT_FRACTION,
            false,
        )?;
        real(
            "sa1_0_to_1",
            self.sa1_0_to_1,
            0.0,
            limits::MAX_PIM_FAULT_FRACTION,
            false,
        )?;
        if let Some(r) = self.on_off_ratio {
            real(
                "on_off_ratio",
                r,
                limits::MIN_PIM_ON_OFF_RATIO,
                limits::MAX_PIM_ON_OFF_RATIO,
                false,
            )?;
        }
        Ok(())
    }

    /// Highest level of one cell, `2^cell_bits - 1`.
    pub fn max_level(&self) -> u32 {
        (1u32 << self.cell_bits) - 1
    }

    /// Conductance of a cell at level 0, in level units: `L / (ratio - 1)` with
    /// `L` = [`PimKnobs::max_level`] (so `G_on / G_off = (L + g_off) / g_off =
    /// ratio`); 0 for an infinite ratio.
    pub fn off_level(&self) -> f64 {
        match self.on_off_ratio {
            Some(r) => f64::from(self.max_level()) / (r - 1.0),
            None => 0.0,
        }
    }

    /// The value of a knob by its CLI name (for sweeps).
    pub fn set(&mut self, knob: &str, value: f64) -> Result<()> {
        let as_int = |v: f64| -> Result<u32> {
            if v.fract() == 0.0 && (0.0..=1e6).contains(&v) {
                Ok(v as u32)
            } else {
                Err(Error::invalid(
                    knob,
                    format!("must be a whole number, got {v}"),
                ))
            }
        };
        match knob {
            "crossbar-size" => self.crossbar_rows = as_int(value)? as usize,
            "cell-bits" => self.cell_bits = as_int(value)?,
            "dac-bits" => self.dac_bits = as_int(value)?,
            "adc-bits" => self.adc_bits = as_int(value)?,
            "adc-range" => self.adc_range_0_to_1 = value,
            "variation" => self.variation_sigma = value,
            "sa0" => self.sa0_0_to_1 = value,
            "sa1" => self.sa1_0_to_1 = value,
            "stuck" => {
                self.sa0_0_to_1 = value / 2.0;
                self.sa1_0_to_1 = value / 2.0;
            }
            "on-off" => self.on_off_ratio = Some(value),
            _ => {
                return Err(Error::Unknown {
                    kind: "knob".into(),
                    name: knob.to_string(),
                    known: KNOB_NAMES.join(", "),
                })
            }
        }
        Ok(())
    }
}

/// The simulator's ADC choices (1-based rows of MNSIM's ADC table,
/// [`crate::sim::tech::ADC_TABLE`]) whose resolution is `bits`, in table order;
/// empty when the table has no ADC of that resolution. Joins the `adc_bits`
/// knob to the simulator's area and energy (the page's PIM accuracy section).
pub fn adc_choices(bits: u32) -> Vec<u32> {
    rows_of(bits, crate::sim::tech::ADC_TABLE.iter().map(|row| row.0))
}

/// The simulator's DAC choices (1-based rows of MNSIM's DAC table,
/// [`crate::sim::tech::DAC_TABLE`]) whose resolution is `bits`, in table
/// order; empty when the table has no DAC of that resolution. Joins the
/// `dac_bits` knob to the simulator's area, latency and energy, as
/// [`adc_choices`] does for the ADC.
pub fn dac_choices(bits: u32) -> Vec<u32> {
    rows_of(bits, crate::sim::tech::DAC_TABLE.iter().map(|row| row.0))
}

/// The 1-based rows of a converter table (its resolutions in order) of `bits` bits.
fn rows_of(bits: u32, resolutions: impl Iterator<Item = u32>) -> Vec<u32> {
    resolutions
        .zip(1u32..)
        .filter(|&(b, _)| b == bits)
        .map(|(_, choice)| choice)
        .collect()
}

/// Names accepted by [`PimKnobs::set`] (`stuck` sets half of the fraction as
/// stuck-at-0 and half as stuck-at-1).
pub const KNOB_NAMES: [&str; 10] = [
    "adc-bits",
    "dac-bits",
    "cell-bits",
    "crossbar-size",
    "adc-range",
    "variation",
    "sa0",
    "sa1",
    "stuck",
    "on-off",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converter_choices_are_the_table_rows_of_that_resolution() {
        use crate::sim::tech::{adc, dac, ADC_TABLE, DAC_TABLE};
        for bits in 0..=16 {
            let got = adc_choices(bits);
            for &c in &got {
                assert_eq!(adc(c).unwrap().bits, bits);
            }
            let all = (1..=ADC_TABLE.len() as u32)
                .filter(|&c| adc(c).unwrap().bits == bits)
                .count();
            assert_eq!(got.len(), all, "{bits}-bit ADC");
            let got = dac_choices(bits);
            for &c in &got {
                assert_eq!(dac(c).unwrap().bits, bits);
            }
            let all = (1..=DAC_TABLE.len() as u32)
                .filter(|&c| dac(c).unwrap().bits == bits)
                .count();
            assert_eq!(got.len(), all, "{bits}-bit DAC");
        }
        // mnsim2's own 6-bit ADC is one of the 6-bit rows; no 5-bit ADC.
        assert!(!adc_choices(6).is_empty());
        assert!(adc_choices(5).is_empty());
        // mnsim2's own 1-bit DAC is the first row; the table has no 5- or 7-bit DAC.
        assert_eq!(dac_choices(1)[0], 1);
        assert_eq!(dac_choices(8), vec![6]);
        assert!(dac_choices(5).is_empty() && dac_choices(7).is_empty());
    }

    #[test]
    fn presets_follow_the_simulator_and_validate() {
        let m = PimKnobs::preset("mnsim2").unwrap();
        assert_eq!(
            (m.crossbar_rows, m.cell_bits, m.dac_bits, m.adc_bits),
            (256, 1, 1, 6)
        );
        let i = PimKnobs::preset("isaac").unwrap();
        assert_eq!(
            (i.crossbar_rows, i.cell_bits, i.dac_bits, i.adc_bits),
            (128, 2, 1, 8)
        );
        for p in PIM_PRESETS {
            PimKnobs::preset(p).unwrap().validate().unwrap();
        }
        assert!(PimKnobs::preset("nope")
            .unwrap_err()
            .to_string()
            .contains("mnsim2"));
    }

    #[test]
    fn every_bad_knob_is_named() {
        let bad: [(&str, PimKnobs); 8] = [
            (
                "crossbar_rows",
                PimKnobs {
                    crossbar_rows: 0,
                    ..Default::default()
                },
            ),
            (
                "cell_bits",
                PimKnobs {
                    cell_bits: 9,
                    ..Default::default()
                },
            ),
            (
                "dac_bits",
                PimKnobs {
                    dac_bits: 0,
                    ..Default::default()
                },
            ),
            (
                "adc_bits",
                PimKnobs {
                    adc_bits: 40,
                    ..Default::default()
                },
            ),
            (
                "adc_range_0_to_1",
                PimKnobs {
                    adc_range_0_to_1: 0.0,
                    ..Default::default()
                },
            ),
            (
                "variation_sigma",
                PimKnobs {
                    variation_sigma: f64::NAN,
                    ..Default::default()
                },
            ),
            (
                "sa1_0_to_1",
                PimKnobs {
                    sa1_0_to_1: 0.9,
                    ..Default::default()
                },
            ),
            (
                "on_off_ratio",
                PimKnobs {
                    on_off_ratio: Some(1.0),
                    ..Default::default()
                },
            ),
        ];
        for (name, k) in bad {
            let e = k.validate().unwrap_err().to_string();
            assert!(e.contains(name), "{name}: {e}");
        }
        let mut k = PimKnobs::default();
        assert!(k
            .set("adc-bits", 3.5)
            .unwrap_err()
            .to_string()
            .contains("adc-bits"));
        assert!(k
            .set("bogus", 1.0)
            .unwrap_err()
            .to_string()
            .contains("variation"));
        k.set("stuck", 0.04).unwrap();
        assert_eq!((k.sa0_0_to_1, k.sa1_0_to_1), (0.02, 0.02));
    }
}
