//! The EPIM paper's headline figure and how close a ratio of ours comes to it
//! (the page's "paper's setting" table marks the near cells from these).

use serde::{Deserialize, Serialize};

/// The crossbar-area reduction the EPIM paper reports for a 3-bit EPIM-ResNet50
/// (the paper's number; its baseline is not stated, docs/compare.md).
pub const PAPER_AREA_RATIO: f64 = 30.65;

/// Relative distance from [`PAPER_AREA_RATIO`] within which an area ratio counts
/// as near the paper's: 15 %, this project's choice for marking cells, not the
/// paper's.
pub const NEAR_PAPER_TOLERANCE: f64 = 0.15;

/// Whether `area_ratio` is within [`NEAR_PAPER_TOLERANCE`] of [`PAPER_AREA_RATIO`]
/// (`|x / 30.65 - 1| <= 0.15`; false for a non-finite ratio).
pub fn near_paper_area_ratio(area_ratio: f64) -> bool {
    area_ratio.is_finite() && (area_ratio / PAPER_AREA_RATIO - 1.0).abs() <= NEAR_PAPER_TOLERANCE
}

/// The paper's figure and our tolerance, carried in every [`super::CompareReport`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct PaperReference {
    /// [`PAPER_AREA_RATIO`].
    pub area_ratio: f64,
    /// [`NEAR_PAPER_TOLERANCE`] (our choice).
    pub tolerance_0_to_1: f64,
}

impl Default for PaperReference {
    fn default() -> Self {
        PaperReference {
            area_ratio: PAPER_AREA_RATIO,
            tolerance_0_to_1: NEAR_PAPER_TOLERANCE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_means_within_15_percent_of_30_65() {
        assert!(near_paper_area_ratio(30.65));
        assert!(near_paper_area_ratio(30.65 * 1.149));
        assert!(near_paper_area_ratio(30.65 * 0.851));
        assert!(!near_paper_area_ratio(30.65 * 1.151));
        assert!(!near_paper_area_ratio(30.65 * 0.849));
        assert!(!near_paper_area_ratio(f64::NAN));
        assert!(!near_paper_area_ratio(f64::INFINITY));
    }
}
