//! Unsigned activation quantization with max or percentile calibration.

use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};

/// How the activation range is calibrated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calibration {
    /// The largest value seen.
    Max,
    /// The `p`-th percentile (0 < p <= 100, nearest rank) of the values seen;
    /// larger values saturate.
    Percentile(f64),
}

/// Scale and bit width of one layer input: code `q` in `0..=2^bits - 1` stands
/// for `q * scale`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct ActivationParams {
    /// Bits per activation (1..=16; default 8, docs/epitome.md#quantization).
    pub bits: u32,
    /// `range / (2^bits - 1)`; 0 when the calibrated range is 0.
    pub scale: f32,
}

impl ActivationParams {
    /// Largest code, `2^bits - 1`.
    pub fn q_max(&self) -> u32 {
        (1u32 << self.bits) - 1
    }
}

fn check_bits(bits: u32) -> Result<()> {
    if (1..=16).contains(&bits) {
        Ok(())
    } else {
        Err(Error::invalid(
            "activation bits",
            format!("must be in 1..=16, got {bits}"),
        ))
    }
}

/// Calibrates the activation scale on `data`. Negative values count as 0 (the
/// activations are unsigned, after ReLU).
///
/// Errors: bits outside 1..=16, a percentile outside (0, 100], empty data or a
/// non-finite value.
pub fn calibrate(data: &[f32], bits: u32, method: Calibration) -> Result<ActivationParams> {
    check_bits(bits)?;
    check_finite("activations", data)?;
    if data.is_empty() {
        return Err(Error::invalid(
            "activations",
            "calibration needs at least one value",
        ));
    }
    let range = match method {
        Calibration::Max => data.iter().fold(0.0f32, |m, v| m.max(*v)),
        Calibration::Percentile(p) => {
            if !(p > 0.0 && p <= 100.0) {
                return Err(Error::invalid(
                    "percentile",
                    format!("must be in (0, 100], got {p}"),
                ));
            }
            let mut v: Vec<f32> = data.iter().map(|x| x.max(0.0)).collect();
            v.sort_unstable_by(f32::total_cmp);
            // Nearest rank: the ceil(p/100 * n)-th smallest value (1-based).
            let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
            v[rank.clamp(1, v.len()) - 1]
        }
    };
    let params = ActivationParams { bits, scale: 0.0 };
    let scale = range / params.q_max() as f32;
    // A layer whose activations are all <= 0 (a dead ReLU) or so small that the scale
    // underflows: every value quantizes to code 0 under any positive scale, so take the
    // scale of a unit range rather than 0, which a model file may not hold (a zero scale
    // would make the dequantized layer meaningless and the model fail to load).
    let scale = if scale.is_normal() {
        scale
    } else {
        1.0 / params.q_max() as f32
    };
    Ok(ActivationParams { scale, ..params })
}

/// `q = clamp(round(x / scale), 0, 2^bits - 1)`; all zeros when the scale is 0.
pub fn quantize_activations(data: &[f32], params: &ActivationParams) -> Result<Vec<u32>> {
    check_bits(params.bits)?;
    check_finite("activations", data)?;
    if !(params.scale.is_finite() && params.scale >= 0.0) {
        return Err(Error::invalid(
            "activation scale",
            format!("must be finite and >= 0, got {}", params.scale),
        ));
    }
    let qm = params.q_max();
    if params.scale == 0.0 {
        return Ok(vec![0; data.len()]);
    }
    Ok(data
        .iter()
        .map(|x| ((x / params.scale).round().max(0.0) as u32).min(qm))
        .collect())
}

/// `q * scale`.
pub fn dequantize_activations(codes: &[u32], params: &ActivationParams) -> Vec<f32> {
    codes.iter().map(|&q| q as f32 * params.scale).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_all_zero_layer_gets_a_positive_scale_and_quantizes_to_zero() {
        for method in [Calibration::Max, Calibration::Percentile(99.0)] {
            for data in [&[0.0f32, 0.0][..], &[-1.0, -2.0], &[1e-44, 0.0]] {
                let p = calibrate(data, 4, method).unwrap();
                assert!(
                    p.scale.is_normal() && p.scale > 0.0,
                    "{data:?}: {}",
                    p.scale
                );
                assert_eq!(quantize_activations(data, &p).unwrap(), vec![0; data.len()]);
            }
        }
    }

    #[test]
    fn max_calibration_maps_the_maximum_to_the_top_code() {
        let p = calibrate(&[0.0, 1.0, 2.55, -3.0], 8, Calibration::Max).unwrap();
        assert!((p.scale - 0.01).abs() < 1e-7);
        let q = quantize_activations(&[2.55, -1.0, 0.5], &p).unwrap();
        assert_eq!(q, vec![255, 0, 50]);
    }

    #[test]
    fn percentile_calibration_ignores_outliers_and_saturates_them() {
        let mut data: Vec<f32> = (1..=99).map(|v| v as f32).collect();
        data.push(1000.0);
        let p = calibrate(&data, 4, Calibration::Percentile(99.0)).unwrap();
        // 99th nearest-rank value is 99; scale 99/15.
        assert!((p.scale - 99.0 / 15.0).abs() < 1e-5);
        let q = quantize_activations(&[1000.0], &p).unwrap();
        assert_eq!(q, vec![15]);
    }

    #[test]
    fn zero_range_gives_a_unit_range_scale_and_bad_input_is_an_error() {
        let p = calibrate(&[0.0, -1.0], 8, Calibration::Max).unwrap();
        assert_eq!(p.scale, 1.0 / 255.0);
        assert_eq!(quantize_activations(&[0.0, 3.0], &p).unwrap(), vec![0, 255]);
        assert!(calibrate(&[f32::NAN], 8, Calibration::Max).is_err());
        assert!(calibrate(&[], 8, Calibration::Max).is_err());
        assert!(calibrate(&[1.0], 0, Calibration::Max).is_err());
        assert!(calibrate(&[1.0], 8, Calibration::Percentile(0.0)).is_err());
        assert!(calibrate(&[1.0], 8, Calibration::Percentile(f64::NAN)).is_err());
        assert!(quantize_activations(&[f32::INFINITY], &p).is_err());
    }
}
