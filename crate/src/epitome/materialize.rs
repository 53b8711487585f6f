//! Expanding an epitome into full OIHW weights (the reference path), and the
//! matching backward step: scatter-adding `dL/dW` into `dL/dE`.

use crate::epitome::sampler::Sampler;
use crate::epitome::spec::EpitomeSpec;
use crate::error::{check_finite, Error, Result};
use crate::nn::Tensor4;

/// Samples the full weight tensor `W[c_out][c_in][k_h][k_w]` from the epitome
/// data `e` (flat, row-major `[e_out][e_in][e_h][e_w]`).
///
/// Errors: invalid spec, `e.len() != param_count`, or a non-finite value.
pub fn materialize(spec: &EpitomeSpec, e: &[f32]) -> Result<Tensor4> {
    spec.check_expandable("materializing")?;
    let sampler = Sampler::new(spec)?;
    check_len("epitome.data", e.len(), spec.param_count())?;
    check_finite("epitome.data", e)?;
    let l = &spec.layer;
    let data = sampler.index_map().into_iter().map(|k| e[k]).collect();
    Tensor4::new("weights", [l.c_out, l.c_in, l.k_h, l.k_w], data)
}

/// The gradient of the loss with respect to the epitome, given its gradient
/// with respect to the sampled weights (flat OIHW, `weight_count` values):
/// `dL/dE[k] = sum of dL/dW[o][i][y][x] over every (o, i, y, x) that samples k`.
/// Epitome elements that no weight samples get 0.
pub fn grad_to_epitome(spec: &EpitomeSpec, grad_w: &[f32]) -> Result<Vec<f32>> {
    let sampler = Sampler::new(spec)?;
    check_len("grad_w", grad_w.len(), spec.weight_count())?;
    check_finite("grad_w", grad_w)?;
    let mut acc = vec![0.0f64; spec.param_count()];
    for (k, g) in sampler.index_map().into_iter().zip(grad_w) {
        acc[k] += f64::from(*g);
    }
    Ok(acc.into_iter().map(|v| v as f32).collect())
}

pub(crate) fn check_len(what: &str, got: usize, expected: usize) -> Result<()> {
    if got == expected {
        Ok(())
    } else {
        Err(Error::shape(
            what,
            format!("{expected} values"),
            format!("{got} values"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> EpitomeSpec {
        EpitomeSpec::unit_stride([2, 1, 3, 3], [1, 1, 4, 4])
    }

    #[test]
    fn materialize_reads_shifted_windows() {
        // groups 2, default offsets (0,0,0) and (0,1,0): rows 0..3 then 1..4.
        let e: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let w = materialize(&spec(), &e).unwrap();
        assert_eq!(
            &w.data()[..9],
            &[0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 8.0, 9.0, 10.0]
        );
        assert_eq!(
            &w.data()[9..],
            &[4.0, 5.0, 6.0, 8.0, 9.0, 10.0, 12.0, 13.0, 14.0]
        );
    }

    #[test]
    fn grad_counts_how_often_each_element_is_sampled() {
        let g = grad_to_epitome(&spec(), &[1.0; 18]).unwrap();
        // Rows 1-2 are in both windows, row 0 and 3 in one; column 3 in none.
        assert_eq!(&g[..4], &[1.0, 1.0, 1.0, 0.0]);
        assert_eq!(&g[4..8], &[2.0, 2.0, 2.0, 0.0]);
        assert_eq!(&g[12..], &[1.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn wrong_lengths_and_nan_are_errors() {
        assert!(materialize(&spec(), &[0.0; 15]).is_err());
        let mut e = vec![0.0; 16];
        e[3] = f32::INFINITY;
        assert!(matches!(
            materialize(&spec(), &e),
            Err(Error::NonFinite { index: 3, .. })
        ));
        assert!(grad_to_epitome(&spec(), &[0.0; 17]).is_err());
    }
}
