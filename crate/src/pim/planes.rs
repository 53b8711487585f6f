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
//! The byte read: with `g0 = 0` and a 1-bit DAC (every preset's), the cells
//! are also kept as one byte per cell, row major, and a column sum of one
//! input cycle is the byte-wise sum of the driven rows (a block's word lines
//! are driven sparsely: about 30 of 144-256 per cycle in the shipped models),
//! added in tiles of [`TILE`] columns held in registers (two tiles per walk of
//! a cycle's driven rows), converted by a
//! multiply-add-shift that equals the ADC table on every sum it can see
//! (checked when the chip is programmed, [`Conversion::fit`]) and shifted into
//! the cycle's place, all lanes at once. It applies to a read when every
//! cycle's sum fits a byte (`driven rows * largest level <= 255`); other reads
//! of the layer count by popcounts.
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

/// Columns of one tile of the byte read: 64 cells of a row stored as nibbles
/// in 4 `u64`s, 64 byte counts in 8 (a sum of packed nibbles or bytes that
/// never carries out of one is their sums: one 256-bit and one 512-bit or two
/// and four 128-bit registers) and 64 accumulators.
const TILE: usize = 64;

/// `u64` words of one tile's nibbles: byte `j` holds column `j` in its low
/// nibble and column `j + TILE / 2` in its high one.
const TILE_WORDS: usize = TILE / 16;

/// The low nibble of every byte.
const LOW_NIBBLES: u64 = 0x0f0f_0f0f_0f0f_0f0f;

/// An ADC conversion of byte-sized sums by integer arithmetic:
/// `min((n * mul + add) >> shift, top)`, equal to the block's table for every
/// sum `n` it is used on ([`Conversion::fit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Conversion {
    mul: u32,
    add: u32,
    shift: u32,
    top: u32,
}

impl Conversion {
    /// A multiply-add-shift equal to `table[n]` for every `n` in `0..table.len()`
    /// (at most 256 entries), if one of the candidates is: for each shift, the
    /// multipliers next to `2^shift / step` with the half added (and one either
    /// side of it, for sums on an exact half). Checked exhaustively.
    fn fit(table: &[u16], inv_levels: f64, top: i64) -> Option<Self> {
        let top = u32::try_from(top).ok()?;
        let n_max = table.len().checked_sub(1)?;
        if n_max > 255 {
            return None;
        }
        for shift in 0..=23u32 {
            let scaled = f64::from(1u32 << shift) * inv_levels;
            let half = if shift == 0 { 0 } else { 1u32 << (shift - 1) };
            for mul in [scaled.floor(), scaled.ceil()] {
                // No overflow: n * mul + add < 2^32 for every n <= 255.
                if mul * 255.0 + f64::from(half + 1) >= f64::from(u32::MAX) {
                    continue;
                }
                let mul = mul as u32;
                for add in [half, half.saturating_sub(1), half + 1] {
                    let c = Conversion {
                        mul,
                        add,
                        shift,
                        top,
                    };
                    if table
                        .iter()
                        .enumerate()
                        .all(|(n, &code)| c.code(n as u32) == u32::from(code))
                    {
                        return Some(c);
                    }
                }
            }
        }
        None
    }

    /// A multiply-add-shift equal to [`adc_code`]`(n, inv, top)` for every
    /// sum `n` in `0..=n_max` (fixed-point units; `n_max` at most 2^20), if
    /// one of the candidates (as in [`Conversion::fit`], at the two largest
    /// shifts with `n_max * mul + add < 2^32`: the finest multipliers, and
    /// exact for every step that is a dyadic fraction of a unit with a
    /// numerator below `2^32 / n_max`) is. Checked exhaustively: `n_max + 1`
    /// sums per candidate at most.
    pub(crate) fn fit_upto(inv: f64, top: i64, n_max: u32) -> Option<Self> {
        let top = u32::try_from(top).ok()?;
        if n_max > 1 << 20 || !(inv > 0.0 && inv.is_finite()) {
            return None;
        }
        let n_top = f64::from(n_max);
        // The largest shift whose multiplier keeps n * mul + add below 2^32.
        let largest = (0..=31u32).rev().find(|&s| {
            let scale = (1u64 << s) as f64;
            (scale * inv).ceil() * n_top + scale < f64::from(u32::MAX)
        })?;
        for shift in (largest.saturating_sub(1)..=largest).rev() {
            let scaled = (1u64 << shift) as f64 * inv;
            let half = if shift == 0 { 0 } else { 1u32 << (shift - 1) };
            for mul in [scaled.floor(), scaled.ceil()] {
                if mul * n_top + f64::from(half) + 1.0 >= f64::from(u32::MAX) {
                    continue;
                }
                let mul = mul as u32;
                for add in [half, half.saturating_sub(1), half + 1] {
                    let c = Conversion {
                        mul,
                        add,
                        shift,
                        top,
                    };
                    if (0..=n_max).all(|n| {
                        i64::from(c.code(n)) == adc_code(i64::from(n), inv, i64::from(top))
                    }) {
                        return Some(c);
                    }
                }
            }
        }
        None
    }

    #[inline(always)]
    pub(crate) fn code(self, n: u32) -> u32 {
        ((n * self.mul + self.add) >> self.shift).min(self.top)
    }

    /// Whether the conversion and the codes of `cycles` shifted cycles fit
    /// `u16` lanes (twice as many per SIMD register as `u32`).
    fn narrow(self, cycles: usize) -> bool {
        255 * u64::from(self.mul) + u64::from(self.add) <= u64::from(u16::MAX)
            && cycles < 16
            && (u64::from(self.top) << cycles) <= u64::from(u16::MAX)
    }
}

/// A lane of [`tile_codes`]: `u16` where [`Conversion::narrow`] allows, else `u32`.
trait Lane:
    Copy
    + Default
    + From<u8>
    + Into<u32>
    + Ord
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Shr<u32, Output = Self>
    + std::ops::Shl<u32, Output = Self>
    + TryFrom<u32>
{
}
impl Lane for u16 {}
impl Lane for u32 {}

/// Converts one tile's byte sums of every cycle (`counts[t]`; cycles without
/// driven rows are skipped) and writes each column's shifted codes summed over
/// the cycles to `out`.
#[inline(always)]
fn tile_codes<T: Lane>(conv: Conversion, counts: &[[u8; TILE]], lens: &[usize], out: &mut [u32]) {
    let lane = |v: u32| T::try_from(v).unwrap_or_default();
    let (mul, add, top) = (lane(conv.mul), lane(conv.add), lane(conv.top));
    let mut acc = [T::default(); TILE];
    for (t, (cnt, &len)) in counts.iter().zip(lens).enumerate() {
        if len == 0 {
            continue;
        }
        for i in 0..TILE {
            let code = ((T::from(cnt[i]) * mul + add) >> conv.shift).min(top);
            acc[i] = acc[i] + (code << t as u32);
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        *o = a.into();
    }
}

/// The byte sums of `K` tiles (`cells[k][r]`: row `r`'s nibbles in tile
/// `k`) over the driven `rows`, added `group` rows at a time in nibbles (a
/// nibble holds `group * lmax <= 15`), then spread into bytes: per tile, the
/// low nibbles' sums in words `0..TILE_WORDS`, the high ones' after them.
#[inline(always)]
fn sum_rows<const K: usize>(
    cells: [&[[u64; TILE_WORDS]]; K],
    rows: &[u16],
    group: usize,
) -> [[u64; 2 * TILE_WORDS]; K] {
    let mut cnt = [[0u64; 2 * TILE_WORDS]; K];
    for rows in rows.chunks(group) {
        let mut nib = [[0u64; TILE_WORDS]; K];
        for &r in rows {
            for k in 0..K {
                let src = &cells[k][r as usize];
                for i in 0..TILE_WORDS {
                    nib[k][i] = nib[k][i].wrapping_add(src[i]);
                }
            }
        }
        for k in 0..K {
            for i in 0..TILE_WORDS {
                cnt[k][i] = cnt[k][i].wrapping_add(nib[k][i] & LOW_NIBBLES);
                cnt[k][TILE_WORDS + i] =
                    cnt[k][TILE_WORDS + i].wrapping_add((nib[k][i] >> 4) & LOW_NIBBLES);
            }
        }
    }
    cnt
}

/// The driven rows of every input cycle of a 1-bit DAC (cycle `t` drives the
/// rows whose drive has bit `t` set), one cycle per entry of `lens`: row `r`
/// is written as `entry(r)` at `out[t * n..]` (`n = drive.len()`) and the
/// counts go to `lens`. Without a branch per bit (whether a bit is set is
/// unpredictable): every cycle's slot is written, and kept only where the bit
/// is set; the common cycle counts (8: 8-bit inputs; 9-12: word lines summing
/// several) are constants, so that the counts stay in registers. Used by the
/// byte read and the row-by-row read.
#[inline(always)]
pub(crate) fn list_bits<T: Copy>(
    drive: &[u32],
    out: &mut [T],
    lens: &mut [usize],
    entry: impl Fn(usize) -> T,
) {
    match lens.len() {
        8 => list_bits_of::<T, 8>(drive, out, lens, entry),
        9 => list_bits_of::<T, 9>(drive, out, lens, entry),
        10 => list_bits_of::<T, 10>(drive, out, lens, entry),
        11 => list_bits_of::<T, 11>(drive, out, lens, entry),
        12 => list_bits_of::<T, 12>(drive, out, lens, entry),
        _ => {
            let n = drive.len();
            lens.fill(0);
            for (r, &x) in drive.iter().enumerate() {
                if x == 0 {
                    continue;
                }
                let e = entry(r);
                for (t, len) in lens.iter_mut().enumerate() {
                    out[t * n + *len] = e;
                    *len += (x.checked_shr(t as u32).unwrap_or(0) & 1) as usize;
                }
            }
        }
    }
}

/// [`list_bits`] for `C` cycles.
#[inline(always)]
fn list_bits_of<T: Copy, const C: usize>(
    drive: &[u32],
    out: &mut [T],
    lens: &mut [usize],
    entry: impl Fn(usize) -> T,
) {
    let n = drive.len();
    let out = &mut out[..C * n];
    let mut len = [0usize; C];
    for (r, &x) in drive.iter().enumerate() {
        if x == 0 {
            continue;
        }
        let e = entry(r);
        for t in 0..C {
            out[t * n + len[t]] = e;
            len[t] += ((x >> t) & 1) as usize;
        }
    }
    lens[..C].copy_from_slice(&len);
}

/// The position of conductance column `w` (`(c * slices + j) * 2 + p`) in
/// slice-major order, `(j * 2 + p) * cols + c`, which the byte read's tiles
/// and the row-by-row read's cells use ([`add_slices`]).
#[inline]
pub(crate) fn slice_major(w: usize, cols: usize, slices: usize) -> usize {
    let (c, jp) = (w / (2 * slices), w % (2 * slices));
    jp * cols + c
}

/// Shift-and-add of one read over slices and polarities: `codes` holds the
/// shifted codes of every physical column in slice-major order
/// ([`slice_major`]); adds `step * sum_j (pos_j - neg_j) << (j * cb)` to each
/// of the `col.len()` columns, along contiguous columns (SIMD lanes) rather
/// than column by column, using `acc` (at least `col.len()`). A column no
/// output reads is written too, and never read.
#[inline(always)]
pub(crate) fn add_slices<T: Copy + Into<i64>>(
    codes: &[T],
    slices: usize,
    cb: u32,
    step: f64,
    acc: &mut [i64],
    col: &mut [f64],
) {
    let cols = col.len();
    let acc = &mut acc[..cols];
    acc.fill(0);
    for j in 0..slices {
        let shift = j as u32 * cb;
        let pos = &codes[2 * j * cols..][..cols];
        let neg = &codes[(2 * j + 1) * cols..][..cols];
        for ((a, &x), &y) in acc.iter_mut().zip(pos).zip(neg) {
            *a += (x.into() - y.into()) << shift;
        }
    }
    for (colv, &v) in col.iter_mut().zip(acc.iter()) {
        *colv += v as f64 * step;
    }
}

/// One tile's byte sums of one cycle as its `TILE` counts.
#[inline(always)]
fn spill(counts: &mut [u8; TILE], cnt: [u64; 2 * TILE_WORDS]) {
    for (b, w) in counts.chunks_exact_mut(8).zip(cnt) {
        b.copy_from_slice(&w.to_le_bytes());
    }
}

/// [`tile_codes`] in `u16` lanes where the conversion allows, else `u32`.
#[inline(always)]
fn convert(conv: Conversion, narrow: bool, counts: &[[u8; TILE]], lens: &[usize], out: &mut [u32]) {
    if narrow {
        tile_codes::<u16>(conv, counts, lens, out);
    } else {
        tile_codes::<u32>(conv, counts, lens, out);
    }
}

/// One read's walk of the byte read's row lists over its tiles.
struct WalkTiles<'a> {
    /// `[tile][row]` nibbles ([`ByteCells::levels`]).
    levels: &'a [[u64; TILE_WORDS]],
    /// Rows of the block.
    n: usize,
    /// Per cycle `t`, its driven rows at `t * n..t * n + lens[t]`.
    rows: &'a [u16],
    lens: &'a [usize],
    group: usize,
    conv: Conversion,
    narrow: bool,
}

impl WalkTiles<'_> {
    /// Tiles `first..first + K`: their byte sums of every cycle (one walk of
    /// each cycle's rows for all `K`), converted into `codes`. `counts` holds
    /// at least `K * cycles` tiles' counts.
    #[inline(always)]
    fn tiles<const K: usize>(&self, first: usize, counts: &mut [[u8; TILE]], codes: &mut [u32]) {
        let cycles = self.lens.len();
        let n = self.n;
        let cells: [&[[u64; TILE_WORDS]]; K] =
            std::array::from_fn(|k| &self.levels[(first + k) * n..][..n]);
        let counts = &mut counts[..K * cycles];
        for (t, &len) in self.lens.iter().enumerate() {
            if len > 0 {
                let sums = sum_rows(cells, &self.rows[t * n..][..len], self.group);
                for (k, cnt) in sums.into_iter().enumerate() {
                    spill(&mut counts[k * cycles + t], cnt);
                }
            }
        }
        let out = &mut codes[first * TILE..][..K * TILE];
        for (k, out) in out.chunks_exact_mut(TILE).enumerate() {
            let c = &counts[k * cycles..][..cycles];
            convert(self.conv, self.narrow, c, self.lens, out);
        }
    }
}

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
    /// The byte read's cells and conversion (`None`: popcounts only).
    bytes: Option<ByteCells>,
}

/// A block's cells for the byte read: `[tile][row]` the levels of a tile's
/// columns, one nibble each ([`TILE_WORDS`]; little-endian `u64` words; the
/// last tile padded with zeros). Levels are at most 15 (4-bit cells). The
/// columns are in slice-major order: conductance column `(c * slices + j) *
/// 2 + p` is at `(j * 2 + p) * cols + c`, so that shift-and-add over slices
/// and polarities runs along contiguous columns (in SIMD lanes).
#[derive(Debug, Clone)]
struct ByteCells {
    levels: Vec<[u64; TILE_WORDS]>,
    /// Largest level in the block.
    lmax: u32,
    conv: Conversion,
}

/// Buffers of the bit-plane read ([`PlaneLayer::read_block`]).
#[derive(Debug, Default)]
pub(crate) struct PlaneScratch {
    planes: Vec<u64>,
    counts: Vec<u32>,
    sums: Vec<i64>,
    /// The byte read: driven rows per cycle, and per column its shifted codes.
    rows: Vec<u16>,
    codes: Vec<u32>,
    /// The byte read: one tile's byte sums per cycle.
    tile_counts: Vec<[u8; TILE]>,
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
    /// one `g0` and `l <= MAX_LEVEL`. With `bytes`, blocks also keep their
    /// cells for the byte read where it applies (`g0 = 0`, 1-bit DAC: `dmax`
    /// 1, a conversion equal to the table). `width` is `cols * slices * 2`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        g: &[i32],
        rows: usize,
        width: usize,
        slices: usize,
        block_rows: usize,
        inv: &[f64],
        top: i64,
        dmax: i64,
        bytes: bool,
    ) -> Option<Self> {
        let g0 = i64::from(g.iter().copied().min().unwrap_or(0));
        let slices = slices.max(1);
        if width % (2 * slices) != 0 {
            return None;
        }
        let cols = width / (2 * slices);
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
            let bytes = match &table {
                Some(t) if bytes && dmax == 1 => {
                    let conv = Conversion::fit(&t[..t.len().min(256)], inv * ONE as f64, top);
                    conv.map(|conv| {
                        let mut levels = vec![[0u64; TILE_WORDS]; width.div_ceil(TILE) * n];
                        let mut lmax_block = 0;
                        for r in 0..n {
                            for (w, &v) in g[(r0 + r) * width..][..width].iter().enumerate() {
                                // Whole levels <= MAX_LEVEL (255), checked above.
                                let l = ((i64::from(v) - g0) / ONE) as u64;
                                // Slice-major ([`ByteCells`]).
                                let q = slice_major(w, cols, slices);
                                let (tile, i) = (q / TILE, q % TILE);
                                let (byte, nib) = (i % (TILE / 2), i / (TILE / 2));
                                levels[tile * n + r][byte / 8] |= l << (8 * (byte % 8) + 4 * nib);
                                lmax_block = lmax_block.max(l as u32);
                            }
                        }
                        ByteCells {
                            levels,
                            lmax: lmax_block.max(1),
                            conv,
                        }
                    })
                    .filter(|_| lmax <= 15)
                }
                _ => None,
            };
            blocks.push(PlaneBlock {
                rows: n,
                words,
                bits,
                inv,
                table,
                bytes,
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
        let rows = self.blocks.iter().map(|b| b.rows).max().unwrap_or(0);
        if s.rows.len() < cycles * rows {
            s.rows.resize(cycles * rows, 0);
        }
        let wpad = self.width.div_ceil(TILE) * TILE;
        if s.codes.len() < wpad {
            s.codes.resize(wpad, 0);
        }
        if s.tile_counts.len() < 2 * cycles {
            s.tile_counts.resize(2 * cycles, [0; TILE]);
        }
    }

    /// How many row blocks keep their cells for the byte read.
    pub(crate) fn byte_blocks(&self) -> usize {
        self.blocks.iter().filter(|b| b.bytes.is_some()).count()
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
        if let Some(cells) = &blk.bytes {
            if rd.dac == 1 && self.read_bytes(cells, rd, s, col) {
                return;
            }
        }
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

impl PlaneLayer {
    /// The byte read of one row block ([module docs](self)); `false` (and
    /// nothing done) when a cycle's sums may not fit a byte or the codes of a
    /// read may not fit 32 bits.
    #[inline(never)]
    fn read_bytes(
        &self,
        cells: &ByteCells,
        rd: &PlaneRead<'_>,
        s: &mut PlaneScratch,
        col: &mut [f64],
    ) -> bool {
        let n = rd.drive.len();
        let cycles = rd.cycles;
        if cycles >= 32 || (u64::from(cells.conv.top) << cycles) > u64::from(u32::MAX) {
            return false;
        }
        // The driven rows of every cycle (1-bit DAC: cycle t drives bit t).
        let rows = &mut s.rows[..cycles * n];
        let mut lens = [0usize; 32];
        list_bits(rd.drive, rows, &mut lens[..cycles], |r| r as u16);
        if lens[..cycles]
            .iter()
            .any(|&l| l as u64 * u64::from(cells.lmax) > 255)
        {
            return false;
        }
        if lens[..cycles].iter().all(|&l| l == 0) {
            return true;
        }
        let codes = &mut s.codes[..self.width.div_ceil(TILE) * TILE];
        // Rows per nibble sum (a nibble holds 15).
        let group = (15 / cells.lmax).max(1) as usize;
        let conv = cells.conv;
        let narrow = conv.narrow(cycles);
        // Sums of cycles without driven rows are neither written nor read.
        let tiles = self.width.div_ceil(TILE);
        let lens = &lens[..cycles];
        let walk = WalkTiles {
            levels: &cells.levels,
            n,
            rows,
            lens,
            group,
            conv,
            narrow,
        };
        // Two tiles per walk of the row lists (one index load for both; four
        // were slower, natively and in wasm), then the last one.
        let mut tile = 0;
        while tile + 2 <= tiles {
            walk.tiles::<2>(tile, &mut s.tile_counts, codes);
            tile += 2;
        }
        if tile < tiles {
            walk.tiles::<1>(tile, &mut s.tile_counts, codes);
        }
        let step = step_levels(self.blocks[rd.block].inv);
        add_slices(codes, rd.slices, rd.cb, step, &mut s.sums, col);
        true
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
        assert!(PlaneLayer::new(&g, rows, width, 1, 1, &inv(1), 63, 1, true).is_none());
        let p = PlaneLayer::new(&g, rows, width, 1, 128, &inv(128), 63, 1, true).unwrap();
        assert_eq!(p.level_bits, 2);
        assert_eq!(p.blocks.len(), 3);
        let t: Vec<_> = p.blocks.iter().map(|b| b.table.clone().unwrap()).collect();
        // Two full blocks share a table; the 44-row block has its own.
        assert!(Arc::ptr_eq(&t[0], &t[1]) && !Arc::ptr_eq(&t[1], &t[2]));
        assert_eq!((t[0].len(), t[2].len()), (128 * 3 + 1, 44 * 3 + 1));
        // A conductance off the whole levels: no bit-planes.
        let mut g = g;
        g[5] += 1;
        assert!(PlaneLayer::new(&g, rows, width, 1, 128, &inv(128), 63, 1, true).is_none());
    }

    /// One read of block 0 of `p` with every row driven by `drive`.
    fn read(p: &PlaneLayer, drive: &[u32], cycles: usize, top: i64) -> Vec<f64> {
        let cols = p.width / 2;
        let outs = vec![vec![0usize]; cols];
        let mut s = PlaneScratch::default();
        p.fit(&mut s, cycles, 1);
        let rd = PlaneRead {
            block: 0,
            drive,
            cycles,
            dac: 1,
            slices: 1,
            cb: 1,
            top,
            outs: &outs,
        };
        let mut col = vec![0.0; cols];
        p.read_block(&rd, &mut s, &mut col);
        col
    }

    #[test]
    fn the_byte_read_equals_popcounts_and_steps_aside_when_a_sum_passes_a_byte() {
        let (width, top) = (130, 63);
        for rows in [200usize, 300] {
            // 1-bit levels in a pattern; the 6-bit ADC's step for the block.
            let g: Vec<i32> = (0..rows * width)
                .map(|i| i32::from((i * 7 + i / 5) % 3 == 0) * ONE as i32)
                .collect();
            let inv = [63.0 / (rows as f64 * ONE as f64)];
            let bytes = PlaneLayer::new(&g, rows, width, 1, rows, &inv, top, 1, true).unwrap();
            let pops = PlaneLayer::new(&g, rows, width, 1, rows, &inv, top, 1, false).unwrap();
            assert_eq!((bytes.byte_blocks(), pops.byte_blocks()), (1, 0));
            // Sparse drives (the byte read) and every row driven in every
            // cycle (sums up to `rows`: the popcounts for 300 rows).
            let sparse: Vec<u32> = (0..rows as u32).map(|r| (r * 37) % 11 * (r % 3)).collect();
            let full = vec![15u32; rows];
            for drive in [&sparse, &full] {
                let want = read(&pops, drive, 4, top);
                assert!(want.iter().any(|&v| v != 0.0));
                assert_eq!(read(&bytes, drive, 4, top), want, "{rows} rows");
            }
        }
    }

    #[test]
    fn row_read_conversions_exist_for_the_shipped_blocks_and_equal_adc_code() {
        use crate::pim::cell::{adc_inv_step, max_code};
        use crate::pim::PimKnobs;
        // The row blocks of the shipped models under mnsim2's array (1-bit
        // cells and DACs), at ADC widths of the page's slider: over every
        // `u16` sum, and over every sum of the block with lognormal variation
        // 0.1 (largest conductance about 1.65 levels: 1,700 units).
        for adc_bits in [3, 6, 7, 8, 9, 12] {
            let k = PimKnobs {
                adc_bits,
                ..PimKnobs::preset("mnsim2").unwrap()
            };
            for rows in [9, 32, 64, 128, 144, 256] {
                let inv = adc_inv_step(&k, rows);
                let top = max_code(&k);
                for n_max in [u32::from(u16::MAX), rows as u32 * 1700] {
                    let c = Conversion::fit_upto(inv, top, n_max);
                    // Where the step is a dyadic fraction of a unit (rows a
                    // power of two, 9 = 2^6 - 1 dividing 144 rows at 6 bits,
                    // or one level) a conversion exists; elsewhere it may not
                    // (144 rows, 7 bits: 127 / (144 * 1024)) and the read
                    // converts in f64.
                    let dyadic = rows.is_power_of_two() || rows == 9 || adc_bits == 6;
                    assert!(
                        c.is_some() || !dyadic,
                        "{rows} rows, {adc_bits} bits, {n_max}"
                    );
                    let Some(c) = c else { continue };
                    for n in (0..=n_max).step_by(7).chain([n_max]) {
                        assert_eq!(
                            i64::from(c.code(n)),
                            adc_code(i64::from(n), inv, top),
                            "{rows} rows, {adc_bits} bits, sum {n}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn conversions_equal_the_adc_table_for_every_byte_sum() {
        for rows in [1usize, 9, 63, 64, 100, 128, 144, 255, 256, 300] {
            for adc_bits in 1..=16u32 {
                for range in [1.0, 0.5, 0.3, 0.77] {
                    let top = (1i64 << adc_bits) - 1;
                    let step = (rows as f64 * range / top as f64).max(1.0);
                    let inv = 1.0 / (step * ONE as f64);
                    let table: Vec<u16> = (0..=rows.min(255) as i64)
                        .map(|n| adc_code(n * ONE, inv, top) as u16)
                        .collect();
                    match Conversion::fit(&table, inv * ONE as f64, top) {
                        Some(c) => {
                            for (n, &code) in table.iter().enumerate() {
                                assert_eq!(c.code(n as u32), u32::from(code));
                            }
                        }
                        // The f64 table may round exact halves both ways
                        // (300 rows, 6 bits, range 0.3: 45 * 0.7 + 0.5 is
                        // 31.999...): no integer formula is equal, and the
                        // block counts by popcounts. The full scale and
                        // half of it always fit.
                        None => assert!(range < 0.5, "{rows} rows, {adc_bits} bits, {range}"),
                    }
                }
            }
        }
    }
}
