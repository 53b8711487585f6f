//! Pruning real weights: masks chosen by magnitude, then the crossbar layout that
//! each method's compaction allows, counted cell by cell. This is the reference
//! for [`super::prune_by_ratio`].

use super::{
    n_pruned, ou_ops, ConvShape, IndexTable, PruneKind, PruneSpec, PrunedLayer, XbarGeometry,
};
use crate::error::Result;
use crate::nn::Tensor4;

/// The weight matrix view of OIHW weights: entry `(row, col)` with
/// `row = i*k_h*k_w + y*k_w + x`, `col = o`.
struct Matrix<'a> {
    data: &'a [f32],
    rows: usize,
}

impl Matrix<'_> {
    fn at(&self, row: usize, col: usize) -> f32 {
        self.data[col * self.rows + row]
    }
}

/// One crossbar block after compaction: the matrix rows it holds (word lines)
/// and the matrix columns (weight columns).
struct Block {
    rows: Vec<usize>,
    cols: Vec<usize>,
}

/// Indices `0..n` sorted by ascending score, ties by index (deterministic).
fn ascending(scores: &[f64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
    idx
}

/// The `n - n_pruned(n, ratio)` strongest of `items` by `score`, in their
/// original order.
fn keep_strongest(items: &[usize], ratio: f64, score: impl Fn(usize) -> f64) -> Vec<usize> {
    let scores: Vec<f64> = items.iter().map(|&i| score(i)).collect();
    let drop = n_pruned(items.len(), ratio);
    let mut kept: Vec<usize> = ascending(&scores)[drop..]
        .iter()
        .map(|&j| items[j])
        .collect();
    kept.sort_unstable();
    kept
}

/// Splits `items` into chunks of at most `size`.
fn chunks(items: &[usize], size: usize) -> Vec<Vec<usize>> {
    items.chunks(size).map(<[usize]>::to_vec).collect()
}

/// The dense layout: channel-granular row blocks x column blocks.
fn dense_blocks(shape: &ConvShape, geom: &XbarGeometry, cols: &[usize]) -> Vec<Block> {
    let kk = shape.k_h * shape.k_w;
    let rows_per_block = geom.channels_per_xbar(shape) * kk;
    let all_rows: Vec<usize> = (0..shape.matrix_rows()).collect();
    let mut out = Vec::new();
    for rows in all_rows.chunks(rows_per_block) {
        for c in cols.chunks(geom.cols) {
            out.push(Block {
                rows: rows.to_vec(),
                cols: c.to_vec(),
            });
        }
    }
    out
}

/// L1 norm of `rows x cols` of the matrix.
fn l1(m: &Matrix, rows: &[usize], cols: &[usize]) -> f64 {
    let mut s = 0.0;
    for &c in cols {
        for &r in rows {
            s += f64::from(m.at(r, c).abs());
        }
    }
    s
}

/// Prunes a layer's real weights (OIHW `[c_out, c_in, k_h, k_w]`) with `spec` and
/// counts what stays on crossbars of `geom`.
pub fn prune_weights(
    weights: &Tensor4,
    geom: &XbarGeometry,
    spec: &PruneSpec,
) -> Result<PrunedLayer> {
    let [c_out, c_in, k_h, k_w] = weights.shape();
    let shape = ConvShape {
        c_out,
        c_in,
        k_h,
        k_w,
    };
    spec.validate()?;
    geom.validate_for(&shape)?;
    let m = Matrix {
        data: weights.data(),
        rows: shape.matrix_rows(),
    };
    let all_rows: Vec<usize> = (0..m.rows).collect();
    let all_cols: Vec<usize> = (0..c_out).collect();
    let dense = dense_blocks(&shape, geom, &all_cols);
    let n_blocks_dense = dense.len() as u64;
    // Ratio 0 prunes nothing: the dense layout, no index tables.
    let kind = if spec.ratio == 0.0 {
        None
    } else {
        Some(spec.kind)
    };

    let mut input_index = IndexTable::default();
    let mut output_index = IndexTable::default();
    let mut block_bitmap_bits = 0;
    let mut kept_out_channels = c_out;
    // `mask(r, c)`: is the weight kept? Defaults to "inside a kept block".
    let mut zeroed: Option<Vec<bool>> = None;

    let blocks: Vec<Block> = match kind {
        None => dense,
        Some(PruneKind::Unstructured) | Some(PruneKind::Sre) => {
            let mags: Vec<f64> = m.data.iter().map(|w| f64::from(w.abs())).collect();
            let drop = n_pruned(mags.len(), spec.ratio);
            let mut z = vec![false; mags.len()];
            for &i in &ascending(&mags)[..drop] {
                z[i] = true;
            }
            let kept = |r: usize, c: usize| !z[c * m.rows + r] && m.at(r, c) != 0.0;
            let blocks = if spec.kind == PruneKind::Unstructured {
                // Zeros stay in their cells; a block is freed only when empty.
                dense
                    .into_iter()
                    .filter(|b| b.cols.iter().any(|&c| b.rows.iter().any(|&r| kept(r, c))))
                    .collect()
            } else {
                return sre(&shape, geom, spec, &m, &z, n_blocks_dense);
            };
            zeroed = Some(z);
            blocks
        }
        Some(PruneKind::Filter) => {
            let kept = keep_strongest(&all_cols, spec.ratio, |c| l1(&m, &all_rows, &[c]));
            kept_out_channels = kept.len();
            dense_blocks(&shape, geom, &kept)
        }
        Some(PruneKind::Crossbar) => {
            let scores: Vec<f64> = dense.iter().map(|b| l1(&m, &b.rows, &b.cols)).collect();
            let ids: Vec<usize> = (0..dense.len()).collect();
            let kept = keep_strongest(&ids, spec.ratio, |i| scores[i]);
            block_bitmap_bits = n_blocks_dense;
            let mut dense: Vec<Option<Block>> = dense.into_iter().map(Some).collect();
            kept.iter().filter_map(|&i| dense[i].take()).collect()
        }
        Some(PruneKind::Xcs) => {
            let rows_per_block = geom.channels_per_xbar(&shape) * k_h * k_w;
            let (out, index) =
                strongest_per_block(&m, geom, spec.ratio, Keep::Cols { rows_per_block }, c_out);
            output_index = index;
            out
        }
        Some(PruneKind::Xrs) => {
            let (out, index) = strongest_per_block(&m, geom, spec.ratio, Keep::Rows, c_out);
            input_index = index;
            out
        }
        Some(PruneKind::PimPrune) => {
            let (out, inputs, outputs) = pim_prune_blocks(&m, geom, spec.ratio, c_out);
            input_index = inputs;
            output_index = outputs;
            out
        }
    };

    let mut layer = PrunedLayer {
        n_blocks: blocks.len() as u64,
        input_index,
        output_index,
        block_bitmap_bits,
        kept_out_channels,
        ..PrunedLayer::empty(spec, &shape, n_blocks_dense)
    };
    count_blocks(&mut layer, &blocks, &m, zeroed.as_deref(), spec);
    Ok(layer)
}

/// The axis crossbar-granular pruning selects within fixed blocks of the other.
#[derive(Clone, Copy)]
enum Keep {
    /// XCS: per channel-granular row block, the strongest columns (an output index).
    Cols { rows_per_block: usize },
    /// XRS: per column block, the strongest rows (an input index).
    Rows,
}

/// XCS / XRS: per block of the fixed axis (`rows_per_block` rows, or `geom.cols`
/// columns), keep the strongest `1 - ratio` of the other axis by L1 norm over the block
/// and compact them into as few crossbars as possible; returns the blocks and the index
/// of the kept entries.
fn strongest_per_block(
    m: &Matrix,
    geom: &XbarGeometry,
    ratio: f64,
    keep: Keep,
    c_out: usize,
) -> (Vec<Block>, IndexTable) {
    let all_rows: Vec<usize> = (0..m.rows).collect();
    let all_cols: Vec<usize> = (0..c_out).collect();
    let (fixed, free, block, pack, width) = match keep {
        Keep::Cols { rows_per_block } => (&all_rows, &all_cols, rows_per_block, geom.cols, c_out),
        Keep::Rows => (&all_cols, &all_rows, geom.cols, geom.rows, m.rows),
    };
    let mut out = Vec::new();
    let mut entries = 0;
    for part in fixed.chunks(block) {
        let kept = keep_strongest(free, ratio, |i| match keep {
            Keep::Cols { .. } => l1(m, part, &[i]),
            Keep::Rows => l1(m, &[i], part),
        });
        entries += kept.len() as u64;
        for packed in chunks(&kept, pack) {
            out.push(match keep {
                Keep::Cols { .. } => Block {
                    rows: part.to_vec(),
                    cols: packed,
                },
                Keep::Rows => Block {
                    rows: packed,
                    cols: part.to_vec(),
                },
            });
        }
    }
    (out, IndexTable::new(entries, width))
}

/// PIM-Prune: per column block, the strongest rows, then of those the strongest
/// columns; returns the blocks, the input index and the output index.
fn pim_prune_blocks(
    m: &Matrix,
    geom: &XbarGeometry,
    ratio: f64,
    c_out: usize,
) -> (Vec<Block>, IndexTable, IndexTable) {
    let all_rows: Vec<usize> = (0..m.rows).collect();
    let all_cols: Vec<usize> = (0..c_out).collect();
    let r1 = pim_prune_step_ratio(ratio);
    let mut out = Vec::new();
    let (mut in_entries, mut out_entries) = (0, 0);
    for cols in all_cols.chunks(geom.cols) {
        let rows = keep_strongest(&all_rows, r1, |r| l1(m, &[r], cols));
        let kept_cols = keep_strongest(cols, r1, |c| l1(m, &rows, &[c]));
        in_entries += rows.len() as u64;
        out_entries += kept_cols.len() as u64;
        for rows in chunks(&rows, geom.rows) {
            out.push(Block {
                rows,
                cols: kept_cols.clone(),
            });
        }
    }
    (
        out,
        IndexTable::new(in_entries, m.rows),
        IndexTable::new(out_entries, c_out),
    )
}

/// Adds the crossbar counts of the kept `blocks` to `layer`; a weight counts as
/// nonzero unless it is zero or masked by `zeroed` (column-major, like `m`).
fn count_blocks(
    layer: &mut PrunedLayer,
    blocks: &[Block],
    m: &Matrix,
    zeroed: Option<&[bool]>,
    spec: &PruneSpec,
) {
    for b in blocks {
        layer.max_block_rows = layer.max_block_rows.max(b.rows.len());
        layer.max_block_cols = layer.max_block_cols.max(b.cols.len());
        layer.n_stored_weights += (b.rows.len() * b.cols.len()) as u64;
        layer.n_ou_ops_per_pixel += ou_ops(b.rows.len(), b.cols.len(), spec);
        layer.n_rows_driven_per_pixel += b.rows.len() as u64;
        layer.n_cols_read_per_pixel += b.cols.len() as u64;
        for &c in &b.cols {
            for &r in &b.rows {
                let pruned = zeroed.is_some_and(|z| z[c * m.rows + r]);
                if !pruned && m.at(r, c) != 0.0 {
                    layer.n_nonzero_weights += 1;
                }
            }
        }
    }
}

/// PIM-Prune's per-step ratio: rows and columns each at `1 - sqrt(1 - ratio)`, so
/// the kept fraction is `1 - ratio`.
pub(crate) fn pim_prune_step_ratio(ratio: f64) -> f64 {
    1.0 - (1.0 - ratio).sqrt()
}

/// SRE: unstructured mask `z`, then per OU column group of every column block the
/// all-zero rows are skipped and the rest compacted.
fn sre(
    shape: &ConvShape,
    geom: &XbarGeometry,
    spec: &PruneSpec,
    m: &Matrix,
    z: &[bool],
    n_blocks_dense: u64,
) -> Result<PrunedLayer> {
    let all_cols: Vec<usize> = (0..shape.c_out).collect();
    let kept = |r: usize, c: usize| !z[c * m.rows + r] && m.at(r, c) != 0.0;
    let mut layer = PrunedLayer::empty(spec, shape, n_blocks_dense);
    let mut entries = 0u64;
    for cols in all_cols.chunks(geom.cols) {
        let mut max_rows = 0;
        for group in cols.chunks(spec.ou_cols) {
            let rows = (0..m.rows)
                .filter(|&r| group.iter().any(|&c| kept(r, c)))
                .count();
            max_rows = max_rows.max(rows);
            entries += rows as u64;
            layer.n_stored_weights += (rows * group.len()) as u64;
            let ops = rows.div_ceil(spec.ou_rows);
            layer.n_ou_ops_per_pixel += ops as u64;
            layer.n_rows_driven_per_pixel += rows as u64;
            layer.n_cols_read_per_pixel += (ops * group.len()) as u64;
            layer.n_nonzero_weights += group
                .iter()
                .map(|&c| (0..m.rows).filter(|&r| kept(r, c)).count() as u64)
                .sum::<u64>();
        }
        // Every column block keeps at least one crossbar (its outputs exist).
        layer.n_blocks += max_rows.div_ceil(geom.rows).max(1) as u64;
        layer.max_block_rows = layer.max_block_rows.max(max_rows.min(geom.rows));
        layer.max_block_cols = layer.max_block_cols.max(cols.len().min(geom.cols));
    }
    layer.input_index = IndexTable::new(entries, m.rows);
    Ok(layer)
}
