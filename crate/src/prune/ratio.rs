//! Pruning a layer known only by its shape (the zoo networks have no weights):
//! the same layouts as [`super::prune_weights`], counted from the pruning ratio.
//!
//! Structured methods prune a fixed number of units per group, so their counts do
//! not depend on which units go: for them this equals the weight-based result
//! exactly (a property test checks it on random weights), except crossbar-grain
//! pruning, where the blocks removed may differ in size at the layer's edges and
//! the stored cells are scaled by the kept fraction of blocks. For unstructured and
//! SRE pruning the model assumes independent, identically distributed weight
//! magnitudes: a group of `n` weights is entirely pruned with probability
//! `ratio^n`.

use super::kinds::pim_prune_step_ratio;
use super::{
    n_pruned, ou_ops, ConvShape, IndexTable, PruneKind, PruneSpec, PrunedLayer, XbarGeometry,
};
use crate::error::Result;

/// Sizes of consecutive chunks of `n` items in chunks of `size`.
fn chunk_sizes(n: usize, size: usize) -> impl Iterator<Item = usize> {
    (0..n.div_ceil(size)).map(move |i| size.min(n - i * size))
}

/// Accumulates full-block reads of a `rows x cols` block.
fn add_block(layer: &mut PrunedLayer, rows: usize, cols: usize) {
    layer.n_blocks += 1;
    layer.n_stored_weights += (rows * cols) as u64;
    layer.n_nonzero_weights += (rows * cols) as u64;
    layer.n_ou_ops_per_pixel += ou_ops(rows, cols, &layer.spec);
    layer.n_rows_driven_per_pixel += rows as u64;
    layer.n_cols_read_per_pixel += cols as u64;
    layer.max_block_rows = layer.max_block_rows.max(rows);
    layer.max_block_cols = layer.max_block_cols.max(cols);
}

/// Prunes a layer of `shape` at `spec.ratio` without weights and counts what
/// stays on crossbars of `geom`.
pub fn prune_by_ratio(
    shape: &ConvShape,
    geom: &XbarGeometry,
    spec: &PruneSpec,
) -> Result<PrunedLayer> {
    spec.validate()?;
    geom.validate_for(shape)?;
    let rw = shape.matrix_rows();
    let rpb = geom.channels_per_xbar(shape) * shape.k_h * shape.k_w;
    let n_blocks_dense = (rw.div_ceil(rpb) * shape.c_out.div_ceil(geom.cols)) as u64;
    let mut layer = PrunedLayer::empty(spec, shape, n_blocks_dense);
    let dense_grid = |layer: &mut PrunedLayer, c_out: usize| {
        for rows in chunk_sizes(rw, rpb) {
            for cols in chunk_sizes(c_out, geom.cols) {
                add_block(layer, rows, cols);
            }
        }
    };
    let r = spec.ratio;
    // Ratio 0 prunes nothing: the dense layout, no index tables.
    let kind = if r == 0.0 { None } else { Some(spec.kind) };
    match kind {
        None => dense_grid(&mut layer, shape.c_out),
        Some(PruneKind::Filter) => {
            let kept = shape.c_out - n_pruned(shape.c_out, r);
            layer.kept_out_channels = kept;
            dense_grid(&mut layer, kept);
        }
        Some(PruneKind::Crossbar) => {
            dense_grid(&mut layer, shape.c_out);
            let nb = layer.n_blocks as usize;
            let kept = nb - n_pruned(nb, r);
            let scale = |v: u64| (v as f64 * kept as f64 / nb as f64).round() as u64;
            layer.n_blocks = kept as u64;
            layer.n_stored_weights = scale(layer.n_stored_weights);
            layer.n_nonzero_weights = layer.n_stored_weights;
            layer.n_ou_ops_per_pixel = scale(layer.n_ou_ops_per_pixel);
            layer.n_rows_driven_per_pixel = scale(layer.n_rows_driven_per_pixel);
            layer.n_cols_read_per_pixel = scale(layer.n_cols_read_per_pixel);
            layer.block_bitmap_bits = n_blocks_dense;
        }
        Some(PruneKind::Xcs) => {
            let kept = shape.c_out - n_pruned(shape.c_out, r);
            let mut entries = 0;
            for rows in chunk_sizes(rw, rpb) {
                entries += kept as u64;
                for cols in chunk_sizes(kept, geom.cols) {
                    add_block(&mut layer, rows, cols);
                }
            }
            layer.output_index = IndexTable::new(entries, shape.c_out);
        }
        Some(PruneKind::Xrs) => {
            let kept = rw - n_pruned(rw, r);
            let mut entries = 0;
            for cols in chunk_sizes(shape.c_out, geom.cols) {
                entries += kept as u64;
                for rows in chunk_sizes(kept, geom.rows) {
                    add_block(&mut layer, rows, cols);
                }
            }
            layer.input_index = IndexTable::new(entries, rw);
        }
        Some(PruneKind::PimPrune) => {
            let r1 = pim_prune_step_ratio(r);
            let kept_rows = rw - n_pruned(rw, r1);
            let (mut in_entries, mut out_entries) = (0, 0);
            for cols in chunk_sizes(shape.c_out, geom.cols) {
                let kept_cols = cols - n_pruned(cols, r1);
                in_entries += kept_rows as u64;
                out_entries += kept_cols as u64;
                for rows in chunk_sizes(kept_rows, geom.rows) {
                    add_block(&mut layer, rows, kept_cols);
                }
            }
            layer.input_index = IndexTable::new(in_entries, rw);
            layer.output_index = IndexTable::new(out_entries, shape.c_out);
        }
        Some(PruneKind::Unstructured) => {
            let n = shape.weights();
            let p = n_pruned(n, r) as f64 / n as f64;
            dense_grid(&mut layer, shape.c_out);
            // Expected number of blocks whose cells are all pruned.
            let mut empty = 0.0;
            for rows in chunk_sizes(rw, rpb) {
                for cols in chunk_sizes(shape.c_out, geom.cols) {
                    empty += p.powi((rows * cols) as i32);
                }
            }
            let empty = (empty.floor() as u64).min(layer.n_blocks - 1);
            if empty > 0 {
                let nb = layer.n_blocks;
                let scale = |v: u64| v - (v as f64 * empty as f64 / nb as f64).round() as u64;
                layer.n_stored_weights = scale(layer.n_stored_weights);
                layer.n_ou_ops_per_pixel = scale(layer.n_ou_ops_per_pixel);
                layer.n_rows_driven_per_pixel = scale(layer.n_rows_driven_per_pixel);
                layer.n_cols_read_per_pixel = scale(layer.n_cols_read_per_pixel);
                layer.n_blocks = nb - empty;
            }
            layer.n_nonzero_weights = (n - n_pruned(n, r)) as u64;
        }
        Some(PruneKind::Sre) => {
            let n = shape.weights();
            let p = n_pruned(n, r) as f64 / n as f64;
            let mut entries = 0u64;
            for cols in chunk_sizes(shape.c_out, geom.cols) {
                let mut max_rows = 0;
                for group in chunk_sizes(cols, spec.ou_cols) {
                    // A row of the group is skipped when all its `group` weights are pruned.
                    let rows = (rw as f64 * (1.0 - p.powi(group as i32))).round() as usize;
                    max_rows = max_rows.max(rows);
                    entries += rows as u64;
                    layer.n_stored_weights += (rows * group) as u64;
                    let ops = rows.div_ceil(spec.ou_rows);
                    layer.n_ou_ops_per_pixel += ops as u64;
                    layer.n_rows_driven_per_pixel += rows as u64;
                    layer.n_cols_read_per_pixel += (ops * group) as u64;
                }
                layer.n_blocks += max_rows.div_ceil(geom.rows).max(1) as u64;
                layer.max_block_rows = layer.max_block_rows.max(max_rows.min(geom.rows));
                layer.max_block_cols = layer.max_block_cols.max(cols.min(geom.cols));
            }
            layer.input_index = IndexTable::new(entries, rw);
            layer.n_nonzero_weights = (n - n_pruned(n, r)) as u64;
        }
    }
    Ok(layer)
}
