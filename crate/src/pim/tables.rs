//! Code tables: the read of a layer whose row blocks have few word lines
//! (at most [`MAX_TABLE_ROWS`]; the first convolution of the shipped models
//! has 9: one input channel, 3x3) under a 1-bit DAC.
//!
//! With a 1-bit DAC an input cycle drives a subset of a block's word lines,
//! so a block of `n` rows has only `2^n` possible drive patterns. When the
//! chip is programmed, the column sums of every pattern are added (exactly, in
//! integers, one row added or removed per pattern in Gray-code order),
//! converted by [`adc_code`] and combined per matrix column as the bit-serial
//! reads combine them: `sum_j (code(+, j) - code(-, j)) << (j * cell_bits)`.
//! Shift-and-add is linear once the codes are known, so a read sums, per input
//! cycle `t` that drives a row, the table entry of the cycle's pattern shifted
//! by `t`: the same integer the row-by-row and bit-plane reads add, hence the
//! same result, bit for bit, whatever the conductances (variation, faults,
//! on/off ratio) and the ADC.

use crate::pim::cell::{adc_code, step_levels};

/// Most word lines of a row block read by its code table (`2^12` patterns).
pub(crate) const MAX_TABLE_ROWS: usize = 12;

/// Most conversions made to build one layer's tables (patterns times
/// `(slice, polarity)` columns, summed over its blocks): about 5 ms of
/// programming in the wasm build at the limit.
pub(crate) const MAX_TABLE_CONVERSIONS: usize = 1 << 20;

/// Per row block, the combined codes of every drive pattern ([module docs](self)).
#[derive(Debug, Clone)]
pub(crate) struct CodeTables {
    /// Matrix columns.
    cols: usize,
    blocks: Vec<BlockTable>,
}

#[derive(Debug, Clone)]
struct BlockTable {
    /// The ADC step in levels.
    step: f64,
    /// `[pattern][column]`: pattern bit `r` set drives the block's row `r`.
    values: Vec<i64>,
}

/// What a layer's tables are built from.
pub(crate) struct TableLayer<'a> {
    /// Conductances, `rows x (cols * slices * 2)`, as the chip holds them.
    pub g: &'a [i32],
    pub rows: usize,
    pub cols: usize,
    pub slices: usize,
    /// Cell bits (the shift of one slice).
    pub cb: u32,
    /// Word lines per row block.
    pub block_rows: usize,
    /// ADC `1/step` per row block.
    pub inv: &'a [f64],
    /// Largest ADC code.
    pub top: i64,
}

impl CodeTables {
    /// The tables of a layer, or `None` when a block has more than
    /// [`MAX_TABLE_ROWS`] rows or the layer would take more than
    /// [`MAX_TABLE_CONVERSIONS`] conversions (the caller checks the DAC).
    pub(crate) fn new(l: &TableLayer<'_>) -> Option<Self> {
        let width = l.cols * l.slices * 2;
        let n = l.block_rows.max(1);
        let blocks = l.rows.div_ceil(n);
        if l.inv.len() < blocks || l.g.len() != l.rows * width {
            return None;
        }
        let mut conversions = 0usize;
        for b in 0..blocks {
            let rows = (l.rows - b * n).min(n);
            if rows > MAX_TABLE_ROWS {
                return None;
            }
            conversions = conversions.saturating_add((1usize << rows).saturating_mul(width));
        }
        if conversions > MAX_TABLE_CONVERSIONS {
            return None;
        }
        let blocks = (0..blocks)
            .map(|b| {
                let r0 = b * n;
                let rows = (l.rows - r0).min(n);
                block_table(l, &l.g[r0 * width..(r0 + rows) * width], rows, l.inv[b])
            })
            .collect();
        Some(CodeTables {
            cols: l.cols,
            blocks,
        })
    }

    /// One read of row block `block`: per input cycle `t` (a 1-bit DAC: bit
    /// `t` of a word line's drive), the entry of the cycle's pattern shifted
    /// by `t`, summed in `acc` (at least `cols` long), then, for every column
    /// that feeds an output, added times the ADC step to `col`, as the other
    /// reads do.
    #[inline(never)]
    pub(crate) fn read_block(
        &self,
        block: usize,
        drive: &[u32],
        cycles: usize,
        outs: &[Vec<usize>],
        acc: &mut [i64],
        col: &mut [f64],
    ) {
        let blk = &self.blocks[block];
        let mut masks = [0usize; 32];
        let cycles = cycles.min(32);
        for (r, &d) in drive.iter().enumerate() {
            for (t, m) in masks[..cycles].iter_mut().enumerate() {
                *m |= ((d >> t) as usize & 1) << r;
            }
        }
        let cols = self.cols;
        let acc = &mut acc[..cols];
        acc.fill(0);
        let mut any = false;
        for (t, &m) in masks[..cycles].iter().enumerate() {
            if m == 0 {
                continue;
            }
            any = true;
            let entry = &blk.values[m * cols..][..cols];
            for (a, &v) in acc.iter_mut().zip(entry) {
                *a += v << t;
            }
        }
        if !any {
            return;
        }
        for ((colv, &v), outs) in col.iter_mut().zip(acc.iter()).zip(outs) {
            if !outs.is_empty() {
                *colv += v as f64 * blk.step;
            }
        }
    }
}

/// The table of one block (`g`: its `rows` rows).
fn block_table(l: &TableLayer<'_>, g: &[i32], rows: usize, inv: f64) -> BlockTable {
    let width = l.cols * l.slices * 2;
    let patterns = 1usize << rows;
    let mut values = vec![0i64; patterns * l.cols];
    let mut sums = vec![0i64; width];
    let mut pattern = 0usize;
    for i in 0..patterns {
        if i > 0 {
            // Gray-code order: pattern i differs from i - 1 in one row.
            let r = i.trailing_zeros() as usize;
            pattern ^= 1 << r;
            let row = &g[r * width..][..width];
            if pattern & (1 << r) != 0 {
                sums.iter_mut()
                    .zip(row)
                    .for_each(|(s, &v)| *s += i64::from(v));
            } else {
                sums.iter_mut()
                    .zip(row)
                    .for_each(|(s, &v)| *s -= i64::from(v));
            }
        }
        let out = &mut values[pattern * l.cols..][..l.cols];
        for (c, o) in out.iter_mut().enumerate() {
            let pair = &sums[c * l.slices * 2..][..l.slices * 2];
            let mut v = 0i64;
            for j in 0..l.slices {
                let plus = adc_code(pair[2 * j], inv, l.top);
                let minus = adc_code(pair[2 * j + 1], inv, l.top);
                v += (plus - minus) << (j as u32 * l.cb);
            }
            *o = v;
        }
    }
    BlockTable {
        step: step_levels(inv),
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pattern's entry is the conversion of its own column sums (the
    /// Gray-code walk adds and removes rows without drift), on a block with
    /// varied conductances and a coarse ADC that rounds and clips.
    #[test]
    fn every_pattern_holds_the_codes_of_its_own_sums() {
        let (rows, cols, slices, cb) = (5usize, 3usize, 2usize, 1u32);
        let width = cols * slices * 2;
        let g: Vec<i32> = (0..rows * width)
            .map(|i| ((i * 7919) % 1500) as i32 + (i % 3) as i32 * 333)
            .collect();
        let inv = [1.0 / 2900.0];
        let top = 3;
        let l = TableLayer {
            g: &g,
            rows,
            cols,
            slices,
            cb,
            block_rows: 8,
            inv: &inv,
            top,
        };
        let t = CodeTables::new(&l).unwrap();
        for m in 0..1usize << rows {
            for c in 0..cols {
                let mut want = 0i64;
                for j in 0..slices {
                    let sum = |p: usize| -> i64 {
                        (0..rows)
                            .filter(|r| (m >> r) & 1 == 1)
                            .map(|r| i64::from(g[r * width + (c * slices + j) * 2 + p]))
                            .sum()
                    };
                    want += (adc_code(sum(0), inv[0], top) - adc_code(sum(1), inv[0], top)) << j;
                }
                assert_eq!(
                    t.blocks[0].values[m * cols + c],
                    want,
                    "pattern {m:b}, column {c}"
                );
            }
        }
        // A block over the limit, or too many conversions, has no table.
        let big = vec![0i32; (MAX_TABLE_ROWS + 1) * width];
        let over = TableLayer {
            g: &big,
            rows: MAX_TABLE_ROWS + 1,
            block_rows: 64,
            ..l
        };
        assert!(CodeTables::new(&over).is_none());
    }
}
