//! Per-row symmetric weight quantization of the epitome.

use serde::{Deserialize, Serialize};

use crate::epitome::{Epitome, EpitomeSpec};
use crate::error::{check_finite, Error, Result};

/// Smallest and largest supported weight bit width (sign included).
pub const WEIGHT_BITS: std::ops::RangeInclusive<u32> = 2..=8;

/// A quantized epitome: integer codes and one scale per row.
///
/// Row `r` holds `data.len() / scales.len()` consecutive values (for an epitome,
/// `e_in*e_h*e_w`); value `k` of row `r` dequantizes to `codes[k] * scales[r]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantizedEpitome {
    /// Bits per code, sign included (2..=8).
    pub bits: u32,
    /// `s_r = max|E[r]| / (2^(bits-1) - 1)`; 0 for an all-zero row.
    pub scales: Vec<f32>,
    /// `q = clamp(round(E / s_r), -(2^(bits-1)-1), 2^(bits-1)-1)`, row-major.
    pub codes: Vec<i32>,
}

impl QuantizedEpitome {
    /// Largest code magnitude, `2^(bits-1) - 1`.
    pub fn q_max(&self) -> i32 {
        q_max(self.bits)
    }

    /// Values per row.
    pub fn row_len(&self) -> usize {
        self.codes.len().checked_div(self.scales.len()).unwrap_or(0)
    }

    /// `codes[k] * scales[row of k]`, row-major.
    pub fn dequantize(&self) -> Vec<f32> {
        let row_len = self.row_len().max(1);
        self.codes
            .iter()
            .enumerate()
            .map(|(k, &q)| q as f32 * self.scales[k / row_len])
            .collect()
    }
}

fn q_max(bits: u32) -> i32 {
    (1i32 << (bits - 1)) - 1
}

/// Checks `bits` is in 2..=8.
pub fn check_weight_bits(bits: u32) -> Result<()> {
    if WEIGHT_BITS.contains(&bits) {
        Ok(())
    } else {
        Err(Error::invalid(
            "bits",
            format!("weight bits must be in 2..=8, got {bits}"),
        ))
    }
}

/// Quantizes `data` as `rows` equal rows with one symmetric scale each.
///
/// Errors: `bits` outside 2..=8, `rows == 0` or not dividing `data.len()`, a
/// NaN or infinite value. An all-zero row gets scale 0 and zero codes.
pub fn quantize_rows(data: &[f32], rows: usize, bits: u32) -> Result<QuantizedEpitome> {
    check_weight_bits(bits)?;
    if rows == 0 || data.len() % rows != 0 {
        return Err(Error::shape(
            "weights",
            format!("a multiple of {rows} rows"),
            format!("{} values", data.len()),
        ));
    }
    check_finite("weights", data)?;
    let qm = q_max(bits);
    let row_len = data.len() / rows;
    let mut scales = Vec::with_capacity(rows);
    let mut codes = Vec::with_capacity(data.len());
    for row in data.chunks(row_len.max(1)).take(rows) {
        let max_abs = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = max_abs / qm as f32;
        scales.push(scale);
        if scale == 0.0 {
            // All-zero row, or a maximum so small that the scale underflows:
            // zeros with scale 0, never NaN.
            codes.extend(std::iter::repeat_n(0, row.len()));
            continue;
        }
        codes.extend(
            row.iter()
                .map(|v| ((v / scale).round() as i32).clamp(-qm, qm)),
        );
    }
    Ok(QuantizedEpitome {
        bits,
        scales,
        codes,
    })
}

/// Quantizes an epitome with one scale per epitome output row.
pub fn quantize_epitome(epitome: &Epitome, bits: u32) -> Result<QuantizedEpitome> {
    quantize_rows(epitome.data(), epitome.spec().epitome.e_out, bits)
}

/// Storage per dense weight, scales included:
/// `(bits * |E| + 32 * e_out) / (c_out*c_in*k_h*k_w)` (32-bit scales).
pub fn bits_per_weight(spec: &EpitomeSpec, bits: u32) -> f64 {
    (f64::from(bits) * spec.param_count() as f64 + 32.0 * spec.epitome.e_out as f64)
        / spec.weight_count() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_symmetric_and_bounded_per_row() {
        let q = quantize_rows(&[1.0, 3.0, 1.0, -4.0], 2, 3).unwrap();
        // Row 0: s = 3/3 = 1, codes 1, 3. Row 1: s = 4/3, 1/(4/3) = 0.75 -> 1, -4 -> -3.
        assert_eq!(q.scales, vec![1.0, 4.0 / 3.0]);
        assert_eq!(q.codes, vec![1, 3, 1, -3]);
        let d = q.dequantize();
        assert!((d[2] - 4.0 / 3.0).abs() < 1e-6 && d[3] == -4.0);
    }

    #[test]
    fn all_zero_row_quantizes_to_zeros_not_nan() {
        let q = quantize_rows(&[0.0, 0.0, 0.5, -0.25], 2, 4).unwrap();
        assert_eq!(q.scales[0], 0.0);
        assert_eq!(&q.codes[..2], &[0, 0]);
        assert!(q.dequantize().iter().all(|v| v.is_finite()));
        assert_eq!(&q.dequantize()[..2], &[0.0, 0.0]);
    }

    #[test]
    fn subnormal_row_does_not_produce_nan() {
        let q = quantize_rows(&[1e-45, -1e-45], 1, 8).unwrap();
        assert!(q.dequantize().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bad_bits_nan_and_bad_rows_are_errors() {
        assert!(quantize_rows(&[1.0], 1, 1).is_err());
        assert!(quantize_rows(&[1.0], 1, 9).is_err());
        assert!(quantize_rows(&[1.0, f32::NAN], 1, 4).is_err());
        assert!(quantize_rows(&[1.0, f32::INFINITY], 2, 4).is_err());
        assert!(quantize_rows(&[1.0, 2.0, 3.0], 2, 4).is_err());
        assert!(quantize_rows(&[1.0], 0, 4).is_err());
    }
}
