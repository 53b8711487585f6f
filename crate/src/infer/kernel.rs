//! The integer GEMM of the compiled plan: `out[r][p] = sum_k w[r][k] * x[p][k]`
//! with `i16` operands and exact `i32` sums.
//!
//! Both operands are packed in blocks of [`LANES`] values ([`Lanes`]), the
//! reduction dimension padded with zeros to a multiple of [`LANES`]:
//!
//! - weights: `[row][kb]`, rows padded with zero rows to a multiple of [`MR`];
//! - columns (im2col of the input codes): `[pixel][kb]`, pixels padded with
//!   zero columns to a multiple of [`NR`].
//!
//! In wasm with `simd128` a tile of `MR x NR` outputs keeps its sums in
//! registers for the whole reduction, a step being `i32x4.dot_i16x8_s` (8
//! products, pairwise added into 4 `i32` lanes). Natively each output is a
//! dot product with sixteen vertical `i32` lanes, which LLVM vectorizes (a
//! register-tiled portable version did not; x86 intrinsics would need `unsafe`,
//! which the workspace forbids). Products of a `u8`
//! activation code and an `i8` weight code, and the sums the plan allows
//! (`crate::infer::plan` bounds them), never overflow `i32`, so the result is
//! exact and the same on every target.

/// Values per packed block: one `v128` in wasm; natively two SSE registers,
/// so each step of the dot product is two `pmaddwd` (LLVM vectorizes the
/// 16-lane loop that way, the 8-lane one into one per iteration).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub const LANES: usize = 8;
/// Values per packed block: one `v128` in wasm; natively two SSE registers,
/// so each step of the dot product is two `pmaddwd` (LLVM vectorizes the
/// 16-lane loop that way, the 8-lane one into one per iteration).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub const LANES: usize = 16;
/// One packed block of `i16` values.
pub type Lanes = [i16; LANES];
/// Weight rows per tile.
pub const MR: usize = 4;
/// Pixels (im2col columns) per tile.
pub const NR: usize = 2;

/// `out[r * pixels + p] = sum_kb dot(w[r][kb], x[p][kb])` for every row `r <
/// rows` and pixel `p < pixels`. `rows` and `pixels` must be multiples of
/// [`MR`] and [`NR`]; `w` holds `rows * k8` blocks, `x` `pixels * k8` blocks,
/// `out` at least `rows * pixels` values (shorter inputs compute fewer tiles).
pub fn gemm(w: &[Lanes], x: &[Lanes], k8: usize, rows: usize, pixels: usize, out: &mut [i32]) {
    if k8 == 0 {
        out.iter_mut().take(rows * pixels).for_each(|v| *v = 0);
        return;
    }
    for (rb, wblock) in w.chunks_exact(MR * k8).take(rows / MR).enumerate() {
        for (pb, xblock) in x.chunks_exact(NR * k8).take(pixels / NR).enumerate() {
            let t = tile(wblock, xblock, k8);
            for (i, row) in t.iter().enumerate() {
                let base = (rb * MR + i) * pixels + pb * NR;
                if let Some(dst) = out.get_mut(base..base + NR) {
                    dst.copy_from_slice(row);
                }
            }
        }
    }
}

/// One `MR x NR` tile over the whole reduction: `MR * NR` dot products.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn tile(wblock: &[Lanes], xblock: &[Lanes], k8: usize) -> [[i32; NR]; MR] {
    let mut out = [[0i32; NR]; MR];
    for (o, wr) in out.iter_mut().zip(wblock.chunks_exact(k8)) {
        for (v, xc) in o.iter_mut().zip(xblock.chunks_exact(k8)) {
            // LANES vertical lanes: LLVM vectorizes this without reordering.
            let mut acc = [0i32; LANES];
            for (a, b) in wr.iter().zip(xc) {
                for l in 0..LANES {
                    acc[l] += i32::from(a[l]) * i32::from(b[l]);
                }
            }
            *v = acc.iter().sum();
        }
    }
    out
}

/// One `MR x NR` tile over the whole reduction (wasm `simd128`).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn tile(wblock: &[Lanes], xblock: &[Lanes], k8: usize) -> [[i32; NR]; MR] {
    use core::arch::wasm32::{
        i16x8, i32x4_add, i32x4_dot_i16x8, i32x4_extract_lane, i32x4_shuffle, v128,
    };
    #[inline(always)]
    fn load(a: &Lanes) -> v128 {
        i16x8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
    }
    let zero = i16x8(0, 0, 0, 0, 0, 0, 0, 0);
    let mut acc = [[zero; NR]; MR];
    let (w0, rest) = wblock.split_at(k8);
    let (w1, rest) = rest.split_at(k8);
    let (w2, w3) = rest.split_at(k8);
    let (x0, x1) = xblock.split_at(k8);
    for kb in 0..k8.min(w3.len()).min(x1.len()) {
        let xv = [load(&x0[kb]), load(&x1[kb])];
        for (acc_i, a) in acc.iter_mut().zip([&w0[kb], &w1[kb], &w2[kb], &w3[kb]]) {
            let av = load(a);
            for (acc_ij, b) in acc_i.iter_mut().zip(&xv) {
                *acc_ij = i32x4_add(*acc_ij, i32x4_dot_i16x8(av, *b));
            }
        }
    }
    // Transposing reduction: the four row sums of pixel j in one vector.
    let mut out = [[0i32; NR]; MR];
    for j in 0..NR {
        let [a0, a1, a2, a3] = [acc[0][j], acc[1][j], acc[2][j], acc[3][j]];
        let s01 = i32x4_add(
            i32x4_shuffle::<0, 4, 1, 5>(a0, a1),
            i32x4_shuffle::<2, 6, 3, 7>(a0, a1),
        );
        let s23 = i32x4_add(
            i32x4_shuffle::<0, 4, 1, 5>(a2, a3),
            i32x4_shuffle::<2, 6, 3, 7>(a2, a3),
        );
        let r = i32x4_add(
            i32x4_shuffle::<0, 1, 4, 5>(s01, s23),
            i32x4_shuffle::<2, 3, 6, 7>(s01, s23),
        );
        out[0][j] = i32x4_extract_lane::<0>(r);
        out[1][j] = i32x4_extract_lane::<1>(r);
        out[2][j] = i32x4_extract_lane::<2>(r);
        out[3][j] = i32x4_extract_lane::<3>(r);
    }
    out
}

/// The oracle of [`gemm`]: plain `i64` sums over unpacked row-major operands
/// (`w` is `rows x k`, `x` is `pixels x k`).
pub fn gemm_ref(w: &[i16], x: &[i16], k: usize, rows: usize, pixels: usize) -> Vec<i64> {
    let mut out = vec![0i64; rows * pixels];
    for r in 0..rows {
        for p in 0..pixels {
            out[r * pixels + p] = (0..k)
                .map(|i| i64::from(w[r * k + i]) * i64::from(x[p * k + i]))
                .sum();
        }
    }
    out
}

/// Packs a row-major `rows x k` matrix into the weight layout (rows padded to
/// a multiple of [`MR`], `k` to a multiple of [`LANES`]). Returns the blocks and
/// the padded row count.
pub fn pack_rows(m: &[i16], rows: usize, k: usize) -> (Vec<Lanes>, usize) {
    let k8 = k.div_ceil(LANES);
    let rows_pad = rows.div_ceil(MR) * MR;
    let mut out = vec![[0i16; LANES]; rows_pad * k8];
    for r in 0..rows {
        for i in 0..k {
            out[r * k8 + i / LANES][i % LANES] = m[r * k + i];
        }
    }
    (out, rows_pad)
}

/// Packs a row-major `pixels x k` matrix into the column layout (pixels padded
/// to a multiple of [`NR`]). Returns the blocks and the padded pixel count.
pub fn pack_cols(m: &[i16], pixels: usize, k: usize) -> (Vec<Lanes>, usize) {
    let k8 = k.div_ceil(LANES);
    let p_pad = pixels.div_ceil(NR) * NR;
    let mut out = vec![[0i16; LANES]; p_pad * k8];
    for p in 0..pixels {
        for i in 0..k {
            out[col_index(p, i / LANES, k8)][i % LANES] = m[p * k + i];
        }
    }
    (out, p_pad)
}

/// Block index of pixel `p`, reduction block `kb` in the column layout.
#[inline(always)]
pub fn col_index(p: usize, kb: usize, k8: usize) -> usize {
    p * k8 + kb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_gemm_equals_the_plain_sums_on_an_odd_shape() {
        let (rows, pixels, k) = (5, 3, 11);
        let w: Vec<i16> = (0..rows * k).map(|v| (v as i16 % 15) - 7).collect();
        let x: Vec<i16> = (0..pixels * k).map(|v| (v as i16 * 37) % 256).collect();
        let (wp, rp) = pack_rows(&w, rows, k);
        let (xp, pp) = pack_cols(&x, pixels, k);
        let mut out = vec![0; rp * pp];
        gemm(&wp, &xp, k.div_ceil(LANES), rp, pp, &mut out);
        let want = gemm_ref(&w, &x, k, rows, pixels);
        for r in 0..rows {
            for p in 0..pixels {
                assert_eq!(i64::from(out[r * pp + p]), want[r * pixels + p]);
            }
        }
    }
}
