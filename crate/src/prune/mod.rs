//! Pruning baselines on crossbars: what each method leaves on the crossbars.
//!
//! Every method is a function from a layer (its real weights, or only its shape and
//! a pruning ratio) to a [`PrunedLayer`]: the weight blocks that still occupy
//! crossbars, the rows and columns they use, the operation-unit (OU) activations per
//! output pixel, and the index tables the method needs. The simulator charges these
//! counts with the same per-action costs as dense and epitome layers.
//!
//! The layer is viewed as the crossbar weight matrix: row `i*k_h*k_w + y*k_w + x`
//! (a word line), column `o` (a bit line group). A *block* is what one crossbar holds
//! of that matrix for one bit slice and one polarity; the simulator multiplies blocks
//! by `slices * 2` to get physical crossbars. Dense rows are packed by whole input
//! channels (`floor(R / (k_h*k_w))` channels per crossbar, the MNSIM 2.0 convention);
//! methods that compact rows pack row by row.
//!
//! The methods and how we model them (docs/compare.md cites each source):
//! - [`PruneKind::Unstructured`]: magnitude pruning of single weights. Zeros still
//!   occupy their cells; only blocks that become entirely zero are freed.
//! - [`PruneKind::Filter`]: whole output channels (smallest L1 norm) removed; the
//!   next layer's input channels shrink too (see [`PrunedLayer::kept_out_channels`]).
//! - [`PruneKind::Crossbar`]: whole blocks (smallest L1 norm) removed.
//! - [`PruneKind::Xcs`]: column-grain structured pruning: in every crossbar row
//!   block, the weakest columns are removed and the kept columns compacted; an output
//!   index table says where each kept column's result goes.
//! - [`PruneKind::Xrs`]: row-grain structured pruning: in every crossbar column
//!   block, the weakest rows are removed and the kept rows compacted; an input index
//!   table says which input drives each kept word line.
//! - [`PruneKind::PimPrune`]: row compaction (as XRS) then column pruning (as XCS)
//!   inside each column block, each at `1 - sqrt(1 - ratio)` so that the kept
//!   fraction of weights is `1 - ratio`; both index tables. Columns of different
//!   column blocks cannot share a crossbar after row compaction (their kept rows
//!   differ), so only the row step frees crossbars; the column step frees cells,
//!   ADC conversions and index entries.
//! - [`PruneKind::Sre`]: SRE-style OU row compression: unstructured magnitude
//!   pruning, then, per OU column group (`ou_cols` bit lines), all-zero rows are
//!   skipped and the rest compacted, so fewer OUs fire per pixel; an input index per
//!   kept row and group.
//!
//! These are this project's models of the published methods, not their authors' code.

mod kinds;
mod ratio;

pub use kinds::prune_weights;
pub use ratio::prune_by_ratio;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The pruning methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(rename_all = "kebab-case")]
pub enum PruneKind {
    /// Unstructured magnitude pruning.
    Unstructured,
    /// Filter (output channel) pruning.
    Filter,
    /// Whole-crossbar (block) pruning.
    Crossbar,
    /// Column-grain structured pruning with compaction (XCS).
    Xcs,
    /// Row-grain structured pruning with compaction (XRS).
    Xrs,
    /// PIM-Prune style: row compaction, then column pruning.
    PimPrune,
    /// SRE-style operation-unit row compression.
    Sre,
}

impl PruneKind {
    /// Every kind, in a stable order.
    pub const ALL: [PruneKind; 7] = [
        PruneKind::Unstructured,
        PruneKind::Filter,
        PruneKind::Crossbar,
        PruneKind::Xcs,
        PruneKind::Xrs,
        PruneKind::PimPrune,
        PruneKind::Sre,
    ];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            PruneKind::Unstructured => "unstructured",
            PruneKind::Filter => "filter",
            PruneKind::Crossbar => "crossbar",
            PruneKind::Xcs => "xcs",
            PruneKind::Xrs => "xrs",
            PruneKind::PimPrune => "pim-prune",
            PruneKind::Sre => "sre",
        }
    }

    /// Parses a name as printed by [`PruneKind::name`].
    pub fn parse(name: &str) -> Result<Self> {
        PruneKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| Error::Unknown {
                kind: "pruning kind".into(),
                name: name.into(),
                known: PruneKind::ALL.map(PruneKind::name).join(", "),
            })
    }
}

/// A pruning method with its settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct PruneSpec {
    /// The method.
    pub kind: PruneKind,
    /// Fraction of the layer's weights (or of its units: channels, blocks, rows,
    /// columns) removed, in `[0, 1)`.
    pub ratio: f64,
    /// Word lines of one operation unit (OU); SRE's default is 9.
    #[serde(default = "default_ou_rows")]
    pub ou_rows: usize,
    /// Bit lines of one operation unit (OU); SRE's default is 8.
    #[serde(default = "default_ou_cols")]
    pub ou_cols: usize,
}

fn default_ou_rows() -> usize {
    9
}
fn default_ou_cols() -> usize {
    8
}

impl PruneSpec {
    /// A spec with the default OU size (9 word lines x 8 bit lines).
    pub fn new(kind: PruneKind, ratio: f64) -> Self {
        PruneSpec {
            kind,
            ratio,
            ou_rows: default_ou_rows(),
            ou_cols: default_ou_cols(),
        }
    }

    /// Checks the ratio and the OU size.
    pub fn validate(&self) -> Result<()> {
        if !self.ratio.is_finite() || !(0.0..1.0).contains(&self.ratio) {
            return Err(Error::invalid(
                "prune.ratio",
                format!("must be in [0, 1), got {}", self.ratio),
            ));
        }
        if self.ou_rows == 0 || self.ou_cols == 0 {
            return Err(Error::invalid(
                "prune.ou_rows/ou_cols",
                "the operation unit must be at least 1x1",
            ));
        }
        Ok(())
    }
}

/// Shape of a convolution (or, with `k_h = k_w = 1`, fully connected) layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvShape {
    /// Output channels.
    pub c_out: usize,
    /// Input channels.
    pub c_in: usize,
    /// Kernel height.
    pub k_h: usize,
    /// Kernel width.
    pub k_w: usize,
}

impl ConvShape {
    /// Rows of the crossbar weight matrix, `c_in*k_h*k_w`.
    pub fn matrix_rows(&self) -> usize {
        self.c_in * self.k_h * self.k_w
    }

    /// Number of weights.
    pub fn weights(&self) -> usize {
        self.c_out * self.matrix_rows()
    }

    fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("layer.c_out", self.c_out),
            ("layer.c_in", self.c_in),
            ("layer.k_h", self.k_h),
            ("layer.k_w", self.k_w),
        ] {
            if v == 0 {
                return Err(Error::invalid(field, "must be at least 1, got 0"));
            }
        }
        Ok(())
    }
}

/// The crossbar a layer is mapped onto: word lines and weight columns of one
/// block (one bit slice, one polarity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XbarGeometry {
    /// Word lines per crossbar.
    pub rows: usize,
    /// Weight columns per crossbar (bit lines / slices).
    pub cols: usize,
}

impl XbarGeometry {
    /// Checks the sizes against the layer: both at least 1, and at least one whole
    /// input channel (`k_h*k_w` rows) must fit for channel-granular packing.
    pub fn validate_for(&self, shape: &ConvShape) -> Result<()> {
        shape.validate()?;
        if self.rows == 0 || self.cols == 0 {
            return Err(Error::invalid(
                "crossbar size",
                format!("must be at least 1x1, got {}x{}", self.rows, self.cols),
            ));
        }
        let kk = shape.k_h * shape.k_w;
        if self.rows < kk {
            return Err(Error::invalid(
                "crossbar rows",
                format!(
                    "{} rows cannot hold one {}x{} input channel ({kk} rows)",
                    self.rows, shape.k_h, shape.k_w
                ),
            ));
        }
        Ok(())
    }

    /// Input channels per crossbar with channel-granular packing.
    pub fn channels_per_xbar(&self, shape: &ConvShape) -> usize {
        self.rows / (shape.k_h * shape.k_w)
    }

    /// Row blocks of the dense layer (channel-granular packing).
    pub fn dense_row_blocks(&self, shape: &ConvShape) -> usize {
        shape.c_in.div_ceil(self.channels_per_xbar(shape))
    }

    /// Column blocks for `c_out` output channels.
    pub fn col_blocks(&self, c_out: usize) -> usize {
        c_out.div_ceil(self.cols)
    }
}

/// What a pruned layer leaves on the crossbars (per bit slice and polarity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrunedLayer {
    /// The method and its settings.
    pub spec: PruneSpec,
    /// The layer before pruning.
    pub shape: ConvShape,
    /// Weight blocks that occupy a crossbar (times `slices * 2` = crossbars).
    pub n_blocks: u64,
    /// The dense layer's blocks, for comparison.
    pub n_blocks_dense: u64,
    /// Matrix entries still stored on crossbars (zeros in kept blocks included).
    pub n_stored_weights: u64,
    /// Non-zero weights after pruning.
    pub n_nonzero_weights: u64,
    /// OU activations per output pixel (each OU is `ou_rows x ou_cols`).
    pub n_ou_ops_per_pixel: u64,
    /// Word lines driven per output pixel, summed over blocks.
    pub n_rows_driven_per_pixel: u64,
    /// Weight columns read (ADC conversions per slice) per output pixel.
    pub n_cols_read_per_pixel: u64,
    /// Input index table: entries and bits per entry.
    pub input_index: IndexTable,
    /// Output index table: entries and bits per entry.
    pub output_index: IndexTable,
    /// Block bitmap bits (which blocks survive), for crossbar-grain pruning.
    pub block_bitmap_bits: u64,
    /// Output channels that remain (filter pruning shrinks the next layer's input).
    pub kept_out_channels: usize,
    /// Word lines used in the fullest crossbar (the simulator's `max_row`).
    pub max_block_rows: usize,
    /// Weight columns used in the fullest crossbar (the simulator's `max_col`).
    pub max_block_cols: usize,
}

/// An index table's size: `entries x entry_bits`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexTable {
    /// Entries.
    pub entries: u64,
    /// Bits per entry.
    pub entry_bits: u32,
}

impl IndexTable {
    fn new(entries: u64, range: usize) -> Self {
        if entries == 0 {
            return IndexTable::default();
        }
        IndexTable {
            entries,
            entry_bits: address_bits(range),
        }
    }

    /// Total bits.
    pub fn bits(&self) -> u64 {
        self.entries * u64::from(self.entry_bits)
    }
}

/// Bits to address `n` distinct values (at least 1).
pub fn address_bits(n: usize) -> u32 {
    if n <= 2 {
        1
    } else {
        usize::BITS - (n - 1).leading_zeros()
    }
}

impl PrunedLayer {
    /// A layer with nothing counted yet: no blocks, no index tables, every output
    /// channel kept. The methods fill it in.
    pub(crate) fn empty(spec: &PruneSpec, shape: &ConvShape, n_blocks_dense: u64) -> Self {
        PrunedLayer {
            spec: *spec,
            shape: *shape,
            n_blocks: 0,
            n_blocks_dense,
            n_stored_weights: 0,
            n_nonzero_weights: 0,
            n_ou_ops_per_pixel: 0,
            n_rows_driven_per_pixel: 0,
            n_cols_read_per_pixel: 0,
            input_index: IndexTable::default(),
            output_index: IndexTable::default(),
            block_bitmap_bits: 0,
            kept_out_channels: shape.c_out,
            max_block_rows: 0,
            max_block_cols: 0,
        }
    }

    /// Storage per dense weight, including index tables, block bitmap and one
    /// 32-bit scale per kept output channel: `(w_bits * stored + index bits +
    /// bitmap + 32 * kept_out_channels) / weights`.
    pub fn bits_per_weight(&self, w_bits: u32) -> f64 {
        let bits = u64::from(w_bits) * self.n_stored_weights
            + self.input_index.bits()
            + self.output_index.bits()
            + self.block_bitmap_bits
            + 32 * self.kept_out_channels as u64;
        bits as f64 / self.shape.weights() as f64
    }

    /// Fraction of weights that are zero or removed, in `[0, 1]`.
    pub fn sparsity_0_to_1(&self) -> f64 {
        1.0 - self.n_nonzero_weights as f64 / self.shape.weights() as f64
    }
}

/// Units removed out of `n` at `ratio`: `round(ratio * n)`, keeping at least one.
pub(crate) fn n_pruned(n: usize, ratio: f64) -> usize {
    let k = (ratio * n as f64).round() as usize;
    k.min(n.saturating_sub(1))
}

/// OU activations for a block of `rows x cols` used cells.
pub(crate) fn ou_ops(rows: usize, cols: usize, spec: &PruneSpec) -> u64 {
    (rows.div_ceil(spec.ou_rows) * cols.div_ceil(spec.ou_cols)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip_and_unknown_is_listed() {
        for k in PruneKind::ALL {
            assert_eq!(PruneKind::parse(k.name()).unwrap(), k);
        }
        let e = PruneKind::parse("magic").unwrap_err().to_string();
        assert!(
            e.contains("unknown pruning kind 'magic'") && e.contains("pim-prune"),
            "{e}"
        );
    }

    #[test]
    fn ratio_outside_unit_interval_is_error() {
        for r in [-0.1, 1.0, f64::NAN] {
            assert!(
                PruneSpec::new(PruneKind::Filter, r).validate().is_err(),
                "{r}"
            );
        }
        assert!(PruneSpec::new(PruneKind::Filter, 0.0).validate().is_ok());
    }

    #[test]
    fn address_bits_cover_the_range() {
        assert_eq!(address_bits(1), 1);
        assert_eq!(address_bits(2), 1);
        assert_eq!(address_bits(3), 2);
        assert_eq!(address_bits(256), 8);
        assert_eq!(address_bits(257), 9);
    }

    #[test]
    fn n_pruned_rounds_and_keeps_one() {
        assert_eq!(n_pruned(10, 0.0), 0);
        assert_eq!(n_pruned(10, 0.25), 3); // 2.5 rounds away from zero
        assert_eq!(n_pruned(10, 0.99), 9);
        assert_eq!(n_pruned(1, 0.9), 0);
    }
}
