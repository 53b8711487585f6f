//! The grouped row-by-row read: word lines in groups of [`GROUP`], and per
//! group the column sums of every subset of its rows, computed once per chip.
//!
//! A cycle of a 1-bit DAC drives a subset of each group's rows; its column sum
//! is then one addition per group with a driven row (the subset's sums)
//! instead of one per driven row. On the shipped MNIST models with device
//! variation, the groups with a driven row are 54-69 % of the driven rows
//! (docs/pim-accuracy.md). Sums are integers, so the result is the row-by-row
//! read's bit for bit (tested against the per-cell reference).
//!
//! Layout of one row block: per tile of [`U16_TILE`] columns (the last one
//! padded with zero columns), per group `q`, per subset `m` (bit `j`: row
//! `GROUP * q + j`), [`U16_TILE`] `u16` sums: entry `q * 16 + m` of tile `t`
//! is at `((t * groups + q) * 16 + m) * U16_TILE`. A tile's entries are
//! contiguous, so the read (`XbarLayer::run_grouped`) goes tile by tile over a
//! run of pixels and loads each tile's entries once per run.

use super::layer::U16_TILE;

/// Word lines per group.
pub(crate) const GROUP: usize = 4;

/// Subsets of one group.
pub(crate) const SUBSETS: usize = 1 << GROUP;

/// The grouped cells of one layer's row blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupCells {
    blocks: Vec<Vec<u16>>,
}

impl GroupCells {
    /// `u16` entries of the grouped cells of a layer of `rows` word lines and
    /// `width` columns in blocks of `block_rows` (to bound the memory before
    /// allocating it).
    pub(crate) fn len(rows: usize, width: usize, block_rows: usize) -> usize {
        let tiles = width.div_ceil(U16_TILE);
        (0..rows)
            .step_by(block_rows.max(1))
            .map(|r0| (rows - r0).min(block_rows).div_ceil(GROUP) * SUBSETS * U16_TILE * tiles)
            .sum()
    }

    /// The grouped cells of `g` (`rows x width`, row-major), `None` when a
    /// subset's sum could pass `u16::MAX`.
    pub(crate) fn new(g: &[u16], rows: usize, width: usize, block_rows: usize) -> Option<Self> {
        let g_max = g.iter().copied().max().unwrap_or(0);
        if usize::from(g_max) * GROUP > usize::from(u16::MAX) {
            return None;
        }
        let tiles = width.div_ceil(U16_TILE);
        let mut blocks = Vec::new();
        for r0 in (0..rows).step_by(block_rows.max(1)) {
            let n = (rows - r0).min(block_rows);
            let groups = n.div_ceil(GROUP);
            let mut cells = vec![0u16; groups * SUBSETS * U16_TILE * tiles];
            for (t, tile) in cells
                .chunks_exact_mut(groups * SUBSETS * U16_TILE)
                .enumerate()
            {
                let c0 = t * U16_TILE;
                let w = U16_TILE.min(width - c0);
                for (q, sub) in tile.chunks_exact_mut(SUBSETS * U16_TILE).enumerate() {
                    for m in 1..SUBSETS {
                        let j = m.trailing_zeros() as usize;
                        let r = q * GROUP + j;
                        // Subset m = subset m without its lowest row, plus that row.
                        let (lower, upper) = sub.split_at_mut(m * U16_TILE);
                        let rest = &lower[(m & (m - 1)) * U16_TILE..][..U16_TILE];
                        let out = &mut upper[..U16_TILE];
                        out.copy_from_slice(rest);
                        if r < n {
                            let src = &g[(r0 + r) * width + c0..][..w];
                            for (o, &v) in out.iter_mut().zip(src) {
                                *o += v;
                            }
                        }
                    }
                }
            }
            blocks.push(cells);
        }
        Some(GroupCells { blocks })
    }

    /// Row block `b`'s grouped cells.
    pub(crate) fn block(&self, b: usize) -> &[u16] {
        &self.blocks[b]
    }
}

/// The groups with a driven row of every cycle of a 1-bit DAC (cycle `t`
/// drives the rows whose drive has bit `t` set): entry `q * 16 + m` (`m`: the
/// driven rows of group `q`) at `out[t * groups..]`, how many per cycle to
/// `lens` and how many driven rows per cycle to `rows`; `false` when no
/// cycle drives a row. A group's entry is written for every cycle and kept
/// where it drives a row (no branch per bit, as `planes::list_bits`).
pub(crate) fn list_groups(
    drive: &[u32],
    out: &mut [u32],
    lens: &mut [usize],
    rows: &mut [usize],
) -> bool {
    match lens.len() {
        8 => list_groups_of::<8>(drive, out, lens, rows),
        9 => list_groups_of::<9>(drive, out, lens, rows),
        10 => list_groups_of::<10>(drive, out, lens, rows),
        11 => list_groups_of::<11>(drive, out, lens, rows),
        12 => list_groups_of::<12>(drive, out, lens, rows),
        _ => {
            let groups = drive.len().div_ceil(GROUP);
            lens.fill(0);
            rows.fill(0);
            for (q, x) in drive.chunks(GROUP).enumerate() {
                let mut xs = [0u32; GROUP];
                xs[..x.len()].copy_from_slice(x);
                if xs == [0; GROUP] {
                    continue;
                }
                let base = (q * SUBSETS) as u32;
                for (t, (len, n)) in lens.iter_mut().zip(rows.iter_mut()).enumerate() {
                    let m = subset(xs, t as u32);
                    out[t * groups + *len] = base | m;
                    *len += usize::from(m != 0);
                    *n += m.count_ones() as usize;
                }
            }
        }
    }
    lens.iter().any(|&l| l != 0)
}

/// Which of a group's rows (drives `xs`) cycle `t` drives.
#[inline(always)]
fn subset(xs: [u32; GROUP], t: u32) -> u32 {
    (xs[0] >> t & 1) | (xs[1] >> t & 1) << 1 | (xs[2] >> t & 1) << 2 | (xs[3] >> t & 1) << 3
}

/// [`list_groups`] for `C` cycles (the counts stay in registers).
#[inline(always)]
fn list_groups_of<const C: usize>(
    drive: &[u32],
    out: &mut [u32],
    lens: &mut [usize],
    rows: &mut [usize],
) {
    let groups = drive.len().div_ceil(GROUP);
    let out = &mut out[..C * groups];
    let (mut len, mut n) = ([0usize; C], [0u32; C]);
    let whole = drive.chunks_exact(GROUP);
    let rest = whole.remainder();
    let last = (!rest.is_empty()).then(|| {
        let mut xs = [0u32; GROUP];
        xs[..rest.len()].copy_from_slice(rest);
        xs
    });
    let whole = whole.map(|x| [x[0], x[1], x[2], x[3]]);
    for (q, xs) in whole.chain(last).enumerate() {
        if xs == [0; GROUP] {
            continue;
        }
        let base = (q * SUBSETS) as u32;
        for t in 0..C {
            let m = subset(xs, t as u32);
            out[t * groups + len[t]] = base | m;
            len[t] += usize::from(m != 0);
            n[t] += m.count_ones();
        }
    }
    lens[..C].copy_from_slice(&len);
    for (r, v) in rows[..C].iter_mut().zip(n) {
        *r = v as usize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_sum_their_rows_and_pad_with_zeros() {
        // 6 rows (a full group and a half one), 70 columns (a padded tile).
        let (rows, width) = (6, 70);
        let g: Vec<u16> = (0..rows * width).map(|i| (i * 7 % 13) as u16).collect();
        let gc = GroupCells::new(&g, rows, width, 256).unwrap();
        assert_eq!(gc.blocks.len(), 1);
        let cells = gc.block(0);
        assert_eq!(cells.len(), GroupCells::len(rows, width, 256));
        let groups = 2;
        for t in 0..2 {
            for q in 0..groups {
                for m in 0..SUBSETS {
                    let at = ((t * groups + q) * SUBSETS + m) * U16_TILE;
                    for i in 0..U16_TILE {
                        let c = t * U16_TILE + i;
                        let want: u16 = (0..GROUP)
                            .filter(|j| m >> j & 1 == 1 && q * GROUP + j < rows && c < width)
                            .map(|j| g[(q * GROUP + j) * width + c])
                            .sum();
                        assert_eq!(cells[at + i], want, "t {t} q {q} m {m} i {i}");
                    }
                }
            }
        }
        // Blocks of 4 rows: 2 blocks of one group each.
        let gc = GroupCells::new(&g, rows, width, 4).unwrap();
        assert_eq!(gc.blocks.len(), 2);
        assert_eq!(
            gc.block(1)[(SUBSETS - 1) * U16_TILE],
            g[4 * width] + g[5 * width]
        );
        // A subset sum that could pass u16::MAX: no grouped cells.
        assert!(GroupCells::new(&[16_384, 0], 2, 1, 4).is_none());
        assert!(GroupCells::new(&[16_383, 0], 2, 1, 4).is_some());
    }

    #[test]
    fn groups_list_the_driven_rows_of_each_cycle() {
        // Rows 0..6 (groups 0 and 1), 3 cycles.
        let drive = [0b001, 0b011, 0, 0b100, 0, 0b101];
        let (mut out, mut lens, mut rows) = (vec![u32::MAX; 6], vec![9; 3], vec![9; 3]);
        assert!(list_groups(&drive, &mut out, &mut lens, &mut rows));
        assert_eq!(lens, [2, 1, 2]);
        assert_eq!(rows, [3, 1, 2]);
        assert_eq!(&out[..2], &[0b0011, 16 + 0b0010]);
        assert_eq!(out[2], 0b0010);
        assert_eq!(&out[4..6], &[0b1000, 16 + 0b0010]);
        assert!(!list_groups(&[0; 5], &mut out, &mut lens, &mut rows));
        assert_eq!(lens, [0, 0, 0]);
        // 8 cycles (the constant-count path), 9 rows: as per cycle by hand.
        let drive: Vec<u32> = (0..9u32).map(|r| r * 37 % 256).collect();
        let (mut out, mut lens, mut rows) = (vec![0; 8 * 3], vec![0; 8], vec![0; 8]);
        assert!(list_groups(&drive, &mut out, &mut lens, &mut rows));
        for t in 0..8 {
            let mut want = Vec::new();
            for q in 0..3 {
                let m: u32 = (0..GROUP)
                    .filter(|j| drive.get(q * GROUP + j).is_some_and(|&x| x >> t & 1 == 1))
                    .map(|j| 1 << j)
                    .sum();
                if m != 0 {
                    want.push((q * SUBSETS) as u32 | m);
                }
            }
            assert_eq!(&out[t * 3..][..lens[t]], &want[..], "cycle {t}");
            let driven = drive.iter().filter(|&&x| x >> t & 1 == 1).count();
            assert_eq!(rows[t], driven, "cycle {t}");
        }
    }
}
