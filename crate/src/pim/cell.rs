//! The seeded cell model and the ADC.
//!
//! A cell programmed to level `l` in `0..=L` (`L = 2^cell_bits - 1`) conducts
//! `l + g_off` level units, `g_off = L / (on_off_ratio - 1)` (0 for an infinite
//! ratio). A stuck-at-0 cell conducts `g_off` whatever its level, a stuck-at-1
//! cell `L + g_off`. Every cell's conductance is then multiplied by
//! `exp(sigma * z)`, `z ~ N(0, 1)`: the programmed value drifts once, it does
//! not change between reads. Each cell draws its fault and its `z` from a hash
//! of the seed and the cell's address (layer, matrix row, column, slice,
//! polarity), so a cell's fate does not depend on the order cells are visited
//! and the fast path and the reference see the same chip.
//!
//! Conductances are fixed point, [`CONDUCTANCE_FRACTION_BITS`] fraction bits
//! (1/1024 of a level): column sums are exact integers, so no summation order
//! can change an ADC code.

use crate::pim::PimKnobs;
use crate::rng::splitmix64;

/// Fraction bits of the fixed-point conductances.
pub const CONDUCTANCE_FRACTION_BITS: u32 = 10;

/// One conductance unit is `2^-CONDUCTANCE_FRACTION_BITS` levels.
const ONE: f64 = (1u64 << CONDUCTANCE_FRACTION_BITS) as f64;

/// The address of a cell: weight layer (0-based), matrix row (after row
/// compaction), column (stored output row), slice (0: least significant),
/// polarity (0: positive, 1: negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellAddr {
    /// Weight layer index.
    pub layer: usize,
    /// Matrix row (word line).
    pub row: usize,
    /// Column (stored output row).
    pub col: usize,
    /// Slice.
    pub slice: usize,
    /// Polarity.
    pub pol: usize,
}

fn mix(h: u64, v: u64) -> u64 {
    let mut s = h ^ v.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    splitmix64(&mut s)
}

fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The conductance of the cell at `addr` programmed to `level`, in fixed
/// point (see the module docs), for the chip drawn with `seed`.
pub fn cell_conductance(knobs: &PimKnobs, seed: u64, addr: CellAddr, level: u32) -> i64 {
    let top = f64::from(knobs.max_level());
    let off = knobs.off_level();
    let mut g = f64::from(level) + off;
    let faulty = knobs.sa0_0_to_1 > 0.0 || knobs.sa1_0_to_1 > 0.0;
    // Without faults a cell that conducts nothing (level 0, infinite on/off
    // ratio) conducts nothing after variation too: no draw needed.
    if faulty || (knobs.variation_sigma > 0.0 && g != 0.0) {
        let mut h = mix(seed, addr.layer as u64);
        h = mix(h, addr.row as u64);
        h = mix(h, addr.col as u64);
        h = mix(h, (addr.slice as u64) << 1 | addr.pol as u64);
        if faulty {
            let u = unit(h);
            if u < knobs.sa0_0_to_1 {
                g = off;
            } else if u < knobs.sa0_0_to_1 + knobs.sa1_0_to_1 {
                g = top + off;
            }
        }
        if knobs.variation_sigma > 0.0 {
            // Box-Muller from two further draws; u1 in (0, 1].
            let h1 = mix(h, 1);
            let h2 = mix(h, 2);
            let u1 = 1.0 - unit(h1);
            let u2 = unit(h2);
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            g *= (knobs.variation_sigma * z).exp();
        }
    }
    (g * ONE).round() as i64
}

/// The ADC step of a block of `rows` word lines, in fixed-point conductance
/// units times input levels: the full scale is the largest column sum the
/// block can produce, `rows * (L + g_off) * (2^dac_bits - 1)`, times
/// `adc_range_0_to_1`; the step is that over `2^adc_bits - 1` codes, but never
/// below one level (an ADC with more codes than the sum has levels reads the
/// sum exactly). Returns `1 / step` in fixed-point units.
pub fn adc_inv_step(knobs: &PimKnobs, rows: usize) -> f64 {
    let dmax = f64::from((1u32 << knobs.dac_bits) - 1);
    let full_scale = rows as f64
        * (f64::from(knobs.max_level()) + knobs.off_level())
        * dmax
        * knobs.adc_range_0_to_1;
    let codes = f64::from(max_code(knobs) as u32);
    let step = (full_scale / codes).max(1.0);
    1.0 / (step * ONE)
}

/// Largest ADC code, `2^adc_bits - 1`.
pub fn max_code(knobs: &PimKnobs) -> i64 {
    (1i64 << knobs.adc_bits) - 1
}

/// One ADC conversion of a (non-negative) column sum: the nearest code,
/// halves rounded up, `min(trunc(sum * inv_step + 0.5), max_code)`, computed
/// in `f64` (exact when the step is one level: `inv_step` is then a power of
/// two and the sum a multiple of its inverse).
#[inline]
pub fn adc_code(sum: i64, inv_step: f64, max_code: i64) -> i64 {
    ((sum as f64 * inv_step + 0.5) as i64).clamp(0, max_code)
}

/// The step in level units (what one ADC code is worth): `1 / (inv_step * 2^F)`.
pub fn step_levels(inv_step: f64) -> f64 {
    1.0 / (inv_step * ONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(i: usize) -> CellAddr {
        CellAddr {
            layer: 1,
            row: i,
            col: 3,
            slice: 0,
            pol: 1,
        }
    }

    #[test]
    fn ideal_cells_conduct_their_level_exactly() {
        let k = PimKnobs::default();
        assert_eq!(cell_conductance(&k, 9, addr(0), 1), ONE as i64);
        assert_eq!(cell_conductance(&k, 9, addr(0), 0), 0);
    }

    #[test]
    fn fault_fractions_and_variation_have_the_asked_statistics() {
        let k = PimKnobs {
            sa0_0_to_1: 0.1,
            sa1_0_to_1: 0.05,
            ..PimKnobs::default()
        };
        let n = 20_000;
        let stuck0 = (0..n)
            .filter(|&i| cell_conductance(&k, 1, addr(i), 1) == 0)
            .count();
        let stuck1 = (0..n)
            .filter(|&i| cell_conductance(&k, 1, addr(i), 0) == ONE as i64)
            .count();
        assert!((stuck0 as f64 / n as f64 - 0.1).abs() < 0.01, "{stuck0}");
        assert!((stuck1 as f64 / n as f64 - 0.05).abs() < 0.01, "{stuck1}");
        let k = PimKnobs {
            variation_sigma: 0.2,
            ..PimKnobs::default()
        };
        let logs: Vec<f64> = (0..n)
            .map(|i| (cell_conductance(&k, 2, addr(i), 1) as f64 / ONE).ln())
            .collect();
        let mean = logs.iter().sum::<f64>() / n as f64;
        let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        assert!(mean.abs() < 0.01 && (sd - 0.2).abs() < 0.01, "{mean} {sd}");
        // Other seeds draw other chips.
        assert_ne!(
            cell_conductance(&k, 2, addr(0), 1),
            cell_conductance(&k, 3, addr(0), 1)
        );
    }

    #[test]
    fn the_adc_is_exact_when_wide_and_coarse_when_narrow() {
        let wide = PimKnobs {
            adc_bits: 9,
            ..PimKnobs::default()
        };
        let inv = adc_inv_step(&wide, 256);
        assert_eq!(step_levels(inv), 1.0);
        assert_eq!(adc_code(200 * ONE as i64, inv, max_code(&wide)), 200);
        let narrow = PimKnobs::default(); // 6 bits: 256 / 63 levels per code
        let inv = adc_inv_step(&narrow, 256);
        assert!((step_levels(inv) - 256.0 / 63.0).abs() < 1e-12);
        assert_eq!(adc_code(2 * ONE as i64, inv, 63), 0);
        assert_eq!(adc_code(3 * ONE as i64, inv, 63), 1);
        let clipped = PimKnobs {
            adc_range_0_to_1: 0.25,
            ..PimKnobs::default()
        };
        let inv = adc_inv_step(&clipped, 256);
        assert_eq!(adc_code(200 * ONE as i64, inv, 63), 63);
    }
}
