//! The bit-plane read: column sums as popcounts, for layers whose conductances
//! are whole levels.
//!
//! When every cell of a layer conducts `ONE * l + g0` fixed-point units, with
//! `l` a whole number of levels and `g0` one constant for the layer (no
//! variation; stuck cells are whole levels; a finite on/off ratio adds the same
//! `g0` to every cell), the column sum of one input cycle is
//! `ONE * sum_r d_r l_r + g0 * sum_r d_r`. With the word lines of a row block
//! packed into 64-bit words, per input cycle one bit-plane per DAC bit `b`
//! (`P_b`: the rows whose drive has bit `b` set) and per column one bit-plane
//! per level bit `k` (`B_k`: the cells whose `l` has bit `k` set),
//! `sum_r d_r l_r = sum_b sum_k 2^(b+k) popcount(P_b & B_k)` and
//! `sum_r d_r = sum_b 2^b popcount(P_b)`: the exact integer the per-cell
//! reference adds up, so the ADC code is the same. With `g0 = 0` the code of
//! every possible sum is looked up in a table per row block (shared by blocks
//! of the same size).
//!
//! [`PlaneLayer::new`] checks the whole-level condition on the programmed
//! conductances themselves (it does not assume what the cell model did) and
//! returns `None` when it does not hold, or when the bit-planes would take
//! more than one 64-bit word per cell (tiny row blocks with multi-bit levels);
//! the layer then reads row by row.

use std::sync::Arc;

use crate::pim::cell::{adc_code, step_levels, CONDUCTANCE_FRACTION_BITS};

/// One level in fixed-point units.
const ONE: i64 = 1 << CONDUCTANCE_FRACTION_BITS;

/// Most entries of a row block's ADC table (larger sums convert directly).
const MAX_TABLE: usize = 1 << 14;

/// Words of bit-planes a layer may hold beyond one per cell.
const MAX_EXTRA_WORDS: usize = 1 << 16;

/// Largest whole level (above `g0`) the bit-plane read accepts.
const MAX_LEVEL: i64 = 255;

/// A layer's cells as bit-planes ([`PlaneLayer::new`]).
#[derive(Debug, Clone)]
pub(crate) struct PlaneLayer {
    /// Conductance every cell has besides its whole levels, fixed point.
    g0: i64,
    /// Level bits: `l < 2^level_bits` for every cell.
    level_bits: u32,
    /// Columns of the conductance matrix (`cols * slices * 2`).
    width: usize,
    blocks: Vec<PlaneBlock>,
}

/// One row block.
#[derive(Debug, Clone)]
struct PlaneBlock {
    /// Word lines.
    rows: usize,
    /// 64-bit words per bit-plane (`ceil(rows / 64)`).
    words: usize,
    /// `[level bit][word][column]`.
    bits: Vec<u64>,
    /// ADC `1/step` of the block.
    inv: f64,
    /// With `g0 = 0`: the code of column sum `ONE * n` at index `n`, for every
    /// `n` the block can produce (`None`: convert directly).
    table: Option<Arc<[u16]>>,
}

/// Buffers of the bit-plane read ([`PlaneLayer::read_block`]).
#[derive(Debug, Default)]
pub(crate) struct PlaneScratch {
    planes: Vec<u64>,
    counts: Vec<u32>,
    sums: Vec<i64>,
}

/// What one read needs besides the cells: the block's drives and how to read.
pub(crate) struct PlaneRead<'a> {
    /// Row block index.
    pub block: usize,
    /// The block's word-line drives (summed input codes).
    pub drive: &'a [u32],
    /// Input cycles.
    pub cycles: usize,
    /// DAC bits.
    pub dac: u32,
    /// Slices per code.
    pub slices: usize,
    /// Cell bits (the shift of one slice).
    pub cb: u32,
    /// Largest ADC code.
    pub top: i64,
    /// Per column: the output channels it feeds (empty: not read).
    pub outs: &'a [Vec<usize>],
}

impl PlaneLayer {
    /// The bit-planes of a layer's conductances `g` (`rows x width`, row
    /// major) read in blocks of `block_rows` rows with ADC steps `inv` (one
    /// per block), or `None` when the cells are not all `ONE * l + g0` with
    /// one `g0` and `l <= MAX_LEVEL`.
    pub(crate) fn new(
        g: &[i32],
        rows: usize,
        width: usize,
        block_rows: usize,
        inv: &[f64],
        top: i64,
        dmax: i64,
    ) -> Option<Self> {
        let g0 = i64::from(g.iter().copied().min().unwrap_or(0));
        let mut lmax = 0i64;
        for &v in g {
            let d = i64::from(v) - g0;
            if d % ONE != 0 || d / ONE > MAX_LEVEL {
                return None;
            }
            lmax = lmax.max(d / ONE);
        }
        let level_bits = (64 - lmax.leading_zeros()).max(1);
        // Memory: at most one 64-bit word per cell (twice `g`) beyond a small
        // allowance; tiny row blocks with multi-bit levels read row by row.
        let block_rows = block_rows.max(1);
        let words_all: usize = (0..rows)
            .step_by(block_rows)
            .map(|r0| (rows - r0).min(block_rows).div_ceil(64))
            .sum();
        if level_bits as usize * words_all * width > g.len() + MAX_EXTRA_WORDS {
            return None;
        }
        let mut blocks: Vec<PlaneBlock> = Vec::new();
        for (bi, r0) in (0..rows).step_by(block_rows).enumerate() {
            let n = (rows - r0).min(block_rows);
            let words = n.div_ceil(64);
            let mut bits = vec![0u64; level_bits as usize * words * width];
            for r in 0..n {
                let (w, bit) = (r / 64, 1u64 << (r % 64));
                for (c, &v) in g[(r0 + r) * width..][..width].iter().enumerate() {
                    let l = (i64::from(v) - g0) / ONE;
                    for k in 0..level_bits as usize {
                        if l >> k & 1 == 1 {
                            bits[(k * words + w) * width + c] |= bit;
                        }
                    }
                }
            }
            let inv = *inv.get(bi)?;
            let largest = n as i64 * lmax * dmax;
            // Blocks of the same rows share one table (all but maybe the last).
            let table = match blocks.last() {
                Some(b) if b.inv == inv && b.rows == n => b.table.clone(),
                _ if g0 == 0 && (largest as usize) < MAX_TABLE => Some(
                    (0..=largest)
                        .map(|s| adc_code(s * ONE, inv, top) as u16)
                        .collect(),
                ),
                _ => None,
            };
            blocks.push(PlaneBlock {
                rows: n,
                words,
                bits,
                inv,
                table,
            });
        }
        Some(PlaneLayer {
            g0,
            level_bits,
            width,
            blocks,
        })
    }

    /// Scratch sizes: bit-planes of one block, counts per column.
    pub(crate) fn fit(&self, s: &mut PlaneScratch, cycles: usize, dac: u32) {
        let words = self.blocks.iter().map(|b| b.words).max().unwrap_or(0);
        let planes = cycles * dac as usize * words;
        if s.planes.len() < planes {
            s.planes.resize(planes, 0);
        }
        if s.counts.len() < self.width {
            s.counts.resize(self.width, 0);
        }
        if s.sums.len() < self.width {
            s.sums.resize(self.width, 0);
        }
    }

    /// One row block of one output pixel: packs the drives into bit-planes,
    /// counts every column's sum per input cycle, converts the sums of the
    /// used columns and adds the shifted codes, times the ADC step, to `col`
    /// (as [`super::layer`]'s row-by-row read does). `s` must have been
    /// [`PlaneLayer::fit`] to this layer. Not inlined: in the browser a
    /// function called often is compiled by the optimizing tier early, while a
    /// long-running call stays in the baseline tier until it returns.
    #[inline(never)]
    pub(crate) fn read_block(&self, rd: &PlaneRead<'_>, s: &mut PlaneScratch, col: &mut [f64]) {
        let blk = &self.blocks[rd.block];
        let (words, dac) = (blk.words, rd.dac as usize);
        let bits_in = rd.cycles * dac;
        let planes = &mut s.planes[..bits_in * words];
        planes.fill(0);
        let mut any = false;
        for (r, &x) in rd.drive.iter().enumerate() {
            let (w, bit) = (r / 64, 1u64 << (r % 64));
            let mut x = x;
            while x != 0 {
                let p = x.trailing_zeros() as usize;
                x &= x - 1;
                if p < bits_in {
                    planes[p * words + w] |= bit;
                    any = true;
                }
            }
        }
        if !any {
            return;
        }
        let counts = &mut s.counts[..self.width];
        let sums = &mut s.sums[..self.width];
        sums.fill(0);
        for t in 0..rd.cycles {
            let cycle = &planes[t * dac * words..][..dac * words];
            if cycle.iter().all(|&p| p == 0) {
                continue;
            }
            counts.fill(0);
            let mut driven = 0i64;
            for (bw, &p) in cycle.iter().enumerate() {
                if p == 0 {
                    continue;
                }
                let (b, w) = (bw / words, bw % words);
                driven += i64::from(p.count_ones()) << b;
                for k in 0..self.level_bits as usize {
                    let cells = &blk.bits[(k * words + w) * self.width..][..self.width];
                    let shift = (b + k) as u32;
                    for (n, &m) in counts.iter_mut().zip(cells) {
                        *n += (p & m).count_ones() << shift;
                    }
                }
            }
            // Every (slice, polarity) column's code, shifted into its cycle.
            let shift = (t * dac) as u32;
            if let Some(table) = &blk.table {
                for (sum, &n) in sums.iter_mut().zip(counts.iter()) {
                    *sum += i64::from(table[n as usize]) << shift;
                }
            } else {
                let (g0, inv, top) = (self.g0, blk.inv, rd.top);
                for (sum, &n) in sums.iter_mut().zip(counts.iter()) {
                    *sum += adc_code(i64::from(n) * ONE + g0 * driven, inv, top) << shift;
                }
            }
        }
        let step = step_levels(blk.inv);
        let sl2 = rd.slices * 2;
        for (c, colv) in col.iter_mut().enumerate() {
            if rd.outs[c].is_empty() {
                continue;
            }
            let pair = &sums[c * sl2..][..sl2];
            let mut v = 0i64;
            for j in 0..rd.slices {
                v += (pair[2 * j] - pair[2 * j + 1]) << (j as u32 * rd.cb);
            }
            *colv += v as f64 * step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rows x width` cells at levels 0..=3 (two level bits).
    fn cells(rows: usize, width: usize) -> Vec<i32> {
        (0..rows * width)
            .map(|i| (i % 4) as i32 * ONE as i32)
            .collect()
    }

    #[test]
    fn tiny_blocks_of_multi_bit_levels_are_refused_and_tables_are_shared() {
        let (rows, width) = (300, 300);
        let g = cells(rows, width);
        let inv = |block: usize| vec![1.0 / (4.0 * ONE as f64); rows.div_ceil(block)];
        // One word per 1-row block per level bit: twice `g`'s cells, over the bound.
        assert!(PlaneLayer::new(&g, rows, width, 1, &inv(1), 63, 1).is_none());
        let p = PlaneLayer::new(&g, rows, width, 128, &inv(128), 63, 1).unwrap();
        assert_eq!(p.level_bits, 2);
        assert_eq!(p.blocks.len(), 3);
        let t: Vec<_> = p.blocks.iter().map(|b| b.table.clone().unwrap()).collect();
        // Two full blocks share a table; the 44-row block has its own.
        assert!(Arc::ptr_eq(&t[0], &t[1]) && !Arc::ptr_eq(&t[1], &t[2]));
        assert_eq!((t[0].len(), t[2].len()), (128 * 3 + 1, 44 * 3 + 1));
        // A conductance off the whole levels: no bit-planes.
        let mut g = g;
        g[5] += 1;
        assert!(PlaneLayer::new(&g, rows, width, 128, &inv(128), 63, 1).is_none());
    }
}
