//! The float GEMM of the trainer: `C += A B` in `f32`, register-blocked.
//!
//! The integer kernel of [`crate::infer::kernel`] runs the compiled inference
//! plan; this is its float sibling, which the trainer's three products per
//! weight layer run on (forward `W cols`, `dW = dY cols^T`, `dcols = W^T dY`,
//! `crate::train::net`). Same scheme: both operands packed into panels, a tile
//! of [`MR`] `x` [`NR`] outputs kept in registers over the reduction.
//!
//! - `A` (`m x k`) is packed per chunk of [`KC`] reduction steps into panels
//!   of [`MR`] rows (`[kk][row]`), rows padded with zeros;
//! - `B` (`k x n`) is packed one panel of [`NR`] columns at a time (`[kk][col]`),
//!   columns padded with zeros, then every `A` panel runs against it;
//! - a step of the micro-kernel broadcasts one `A` value per row and adds its
//!   product with the `B` panel's [`NR`] values: in wasm with `simd128`
//!   `f32x4.mul` + `f32x4.add` on two vectors per row (8 accumulators, 2 `B`
//!   vectors, 1 broadcast: 11 of the 16 registers a wasm engine maps to);
//!   natively a fixed-size loop LLVM vectorizes the same way.
//!
//! **Summation order.** Every output is `c + a_0 b_0 + a_1 b_1 + ...` in
//! increasing `k`, one product rounded, then one addition rounded (no fused
//! multiply-add: wasm `simd128` has none and Rust never contracts), exactly as
//! the plain loop [`gemm_acc_ref`] computes it. So the kernel is bit-identical
//! to its oracle on every target and shape, and training gives the same
//! numbers natively and in wasm.

use crate::error::{Error, Result};

/// Rows of `A` (and `C`) per register tile.
pub const MR: usize = 4;
/// Columns of `B` (and `C`) per register tile: two `f32x4` vectors.
pub const NR: usize = 8;
/// Reduction steps per packed chunk of `A` (a `B` panel chunk is `KC * NR`
/// floats, 8 KiB: it stays in L1 while every `A` panel runs against it).
pub const KC: usize = 256;

/// A read-only matrix view: element `(i, j)` is `data[i * row_stride + j *
/// col_stride]`. A row-major matrix and its transpose are both views of the
/// same buffer.
#[derive(Debug, Clone, Copy)]
pub struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Mat<'a> {
    /// The view, checked: every element it names lies in `data`.
    pub fn new(
        data: &'a [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Result<Self> {
        let fits = rows == 0
            || cols == 0
            || (rows - 1)
                .checked_mul(row_stride)
                .zip((cols - 1).checked_mul(col_stride))
                .and_then(|(a, b)| a.checked_add(b))
                .is_some_and(|last| last < data.len());
        if !fits {
            return Err(Error::invalid(
                "gemm",
                format!("a {rows}x{cols} view does not fit {} values", data.len()),
            ));
        }
        Ok(Mat {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        })
    }

    /// A row-major `rows x cols` matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Result<Self> {
        Mat::new(data, rows, cols, cols, 1)
    }

    /// The transpose of a row-major `cols x rows` matrix (a `rows x cols` view).
    pub fn transposed(data: &'a [f32], rows: usize, cols: usize) -> Result<Self> {
        Mat::new(data, rows, cols, 1, rows)
    }

    /// Rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.row_stride + j * self.col_stride]
    }
}

/// Checks the shapes of `C += A B` with `C` row-major of row stride `ldc`.
fn check(a: &Mat, b: &Mat, c: &[f32], ldc: usize) -> Result<()> {
    let (m, n) = (a.rows, b.cols);
    let c_len = if m == 0 || n == 0 {
        0
    } else {
        (m - 1) * ldc + n
    };
    if a.cols != b.rows || (m > 0 && n > ldc) || c.len() < c_len {
        return Err(Error::invalid(
            "gemm",
            format!(
                "A {m}x{} times B {}x{n} into {} values of row stride {ldc}",
                a.cols,
                b.rows,
                c.len()
            ),
        ));
    }
    Ok(())
}

/// `c[i * ldc + j] += sum_k a(i, k) b(k, j)` for `i < a.rows()`, `j <
/// b.cols()`, the sum in increasing `k` after the value already in `c` (see
/// the module docs); the fast path.
///
/// Errors: `a.cols() != b.rows()`, or `c` too short for the output.
pub fn gemm_acc(a: Mat, b: Mat, c: &mut [f32], ldc: usize) -> Result<()> {
    check(&a, &b, c, ldc)?;
    let (m, n, k) = (a.rows, b.cols, a.cols);
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    let m_panels = m.div_ceil(MR);
    let mut ap = vec![0.0f32; m_panels * MR * KC.min(k)];
    let mut bp = vec![0.0f32; NR * KC.min(k)];
    for k0 in (0..k).step_by(KC) {
        let kc = KC.min(k - k0);
        pack_a(&a, k0, kc, &mut ap[..m_panels * MR * kc]);
        for j0 in (0..n).step_by(NR) {
            let nc = NR.min(n - j0);
            pack_b(&b, k0, kc, j0, nc, &mut bp[..kc * NR]);
            for (ip, apanel) in ap[..m_panels * MR * kc].chunks_exact(MR * kc).enumerate() {
                let i0 = ip * MR;
                let mc = MR.min(m - i0);
                let mut acc = [[0.0f32; NR]; MR];
                load_tile(c, (i0, j0), ldc, (mc, nc), &mut acc);
                micro(apanel, &bp[..kc * NR], &mut acc);
                store_tile(&acc, (i0, j0), ldc, (mc, nc), c);
            }
        }
    }
    Ok(())
}

/// Copies the `mc x nc` block of `c` at `(i0, j0)` into `acc` (the rest of
/// `acc` stays as it is).
#[inline(always)]
fn load_tile(
    c: &[f32],
    (i0, j0): (usize, usize),
    ldc: usize,
    (mc, nc): (usize, usize),
    acc: &mut [[f32; NR]; MR],
) {
    for (i, row) in acc.iter_mut().enumerate().take(mc) {
        let base = (i0 + i) * ldc + j0;
        if nc == NR {
            *row = c[base..base + NR].try_into().unwrap_or(*row);
        } else {
            row[..nc].copy_from_slice(&c[base..base + nc]);
        }
    }
}

/// Writes the `mc x nc` block of `acc` into `c` at `(i0, j0)`.
#[inline(always)]
fn store_tile(
    acc: &[[f32; NR]; MR],
    (i0, j0): (usize, usize),
    ldc: usize,
    (mc, nc): (usize, usize),
    c: &mut [f32],
) {
    for (i, row) in acc.iter().enumerate().take(mc) {
        let base = (i0 + i) * ldc + j0;
        if nc == NR {
            if let Some(dst) = c.get_mut(base..base + NR) {
                dst.copy_from_slice(row);
            }
        } else {
            c[base..base + nc].copy_from_slice(&row[..nc]);
        }
    }
}

/// Packs rows `0..a.rows()`, reduction steps `k0..k0 + kc` of `A` into
/// panels of [`MR`] rows: `out[(panel * kc + kk) * MR + i]`.
fn pack_a(a: &Mat, k0: usize, kc: usize, out: &mut [f32]) {
    for (ip, panel) in out.chunks_exact_mut(MR * kc).enumerate() {
        let i0 = ip * MR;
        let mc = MR.min(a.rows - i0);
        if mc < MR {
            panel.iter_mut().for_each(|v| *v = 0.0);
        }
        gather(a, (i0, k0), mc, kc, MR, panel, false);
    }
}

/// Packs columns `j0..j0 + nc` (`nc <= NR`), reduction steps `k0..k0 + kc` of
/// `B`: `out[kk * NR + j]`, columns past `nc` zero.
fn pack_b(b: &Mat, k0: usize, kc: usize, j0: usize, nc: usize, out: &mut [f32]) {
    if nc < NR {
        out.iter_mut().for_each(|v| *v = 0.0);
    }
    gather(b, (k0, j0), nc, kc, NR, out, true);
}

/// `out[kk * width + t] = m(lane t, step kk)` for `t < lanes`, `kk < steps`,
/// where a lane is a row of `m` from `origin` (or, `by_col`, a column) and a
/// step moves along it. The contiguous direction of `m` is read in order.
fn gather(
    m: &Mat,
    (r0, c0): (usize, usize),
    lanes: usize,
    steps: usize,
    width: usize,
    out: &mut [f32],
    by_col: bool,
) {
    // Strides of a lane and of a step in `m.data`.
    let (lane_stride, step_stride) = if by_col {
        (m.col_stride, m.row_stride)
    } else {
        (m.row_stride, m.col_stride)
    };
    let start = r0 * m.row_stride + c0 * m.col_stride;
    if step_stride == 1 {
        // Each lane is contiguous: read `width` lanes side by side.
        for t in 0..lanes {
            let src = &m.data[start + t * lane_stride..start + t * lane_stride + steps];
            for (o, &v) in out.chunks_exact_mut(width).zip(src) {
                o[t] = v;
            }
        }
    } else if lane_stride == 1 && lanes == width {
        // A step is `width` contiguous values.
        for (kk, o) in out.chunks_exact_mut(width).take(steps).enumerate() {
            let base = start + kk * step_stride;
            o.copy_from_slice(&m.data[base..base + width]);
        }
    } else {
        for (kk, o) in out.chunks_exact_mut(width).take(steps).enumerate() {
            for (t, v) in o.iter_mut().take(lanes).enumerate() {
                *v = m.data[start + kk * step_stride + t * lane_stride];
            }
        }
    }
}

/// `acc[i][j] += sum_kk ap[kk * MR + i] * bp[kk * NR + j]`, in increasing
/// `kk` (portable: LLVM vectorizes the `NR` columns without reordering).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn micro(ap: &[f32], bp: &[f32], acc: &mut [[f32; NR]; MR]) {
    let mut t = *acc;
    for (a, b) in ap.chunks_exact(MR).zip(bp.chunks_exact(NR)) {
        for (row, &av) in t.iter_mut().zip(a) {
            for (c, &bv) in row.iter_mut().zip(b) {
                *c += av * bv;
            }
        }
    }
    *acc = t;
}

/// `acc[i][j] += sum_kk ap[kk * MR + i] * bp[kk * NR + j]`, in increasing
/// `kk` (wasm `simd128`: two `f32x4` accumulators per row).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
fn micro(ap: &[f32], bp: &[f32], acc: &mut [[f32; NR]; MR]) {
    use core::arch::wasm32::{f32x4, f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat, v128};
    #[inline(always)]
    fn load(v: &[f32]) -> v128 {
        f32x4(v[0], v[1], v[2], v[3])
    }
    let mut t: [[v128; 2]; MR] = [[f32x4_splat(0.0); 2]; MR];
    for (ti, row) in t.iter_mut().zip(acc.iter()) {
        *ti = [load(&row[..4]), load(&row[4..])];
    }
    for (a, b) in ap.chunks_exact(MR).zip(bp.chunks_exact(NR)) {
        let b0 = load(&b[..4]);
        let b1 = load(&b[4..]);
        for (ti, &av) in t.iter_mut().zip(a) {
            let s = f32x4_splat(av);
            ti[0] = f32x4_add(ti[0], f32x4_mul(s, b0));
            ti[1] = f32x4_add(ti[1], f32x4_mul(s, b1));
        }
    }
    for (row, ti) in acc.iter_mut().zip(&t) {
        for (h, v) in ti.iter().enumerate() {
            row[4 * h] = f32x4_extract_lane::<0>(*v);
            row[4 * h + 1] = f32x4_extract_lane::<1>(*v);
            row[4 * h + 2] = f32x4_extract_lane::<2>(*v);
            row[4 * h + 3] = f32x4_extract_lane::<3>(*v);
        }
    }
}

/// The oracle of [`gemm_acc`]: the plain triple loop, same contract and the
/// same summation order.
pub fn gemm_acc_ref(a: Mat, b: Mat, c: &mut [f32], ldc: usize) -> Result<()> {
    check(&a, &b, c, ldc)?;
    for i in 0..a.rows {
        for j in 0..b.cols {
            let mut s = c[i * ldc + j];
            for kk in 0..a.cols {
                s += a.at(i, kk) * b.at(kk, j);
            }
            c[i * ldc + j] = s;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_odd_shape_matches_the_oracle_bit_for_bit() {
        let (m, n, k) = (5, 11, 300);
        let a: Vec<f32> = (0..m * k)
            .map(|v| ((v * 37) % 101) as f32 / 7.0 - 6.0)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|v| ((v * 53) % 97) as f32 / 11.0 - 4.0)
            .collect();
        let mut c1: Vec<f32> = (0..m * 13).map(|v| v as f32 * 0.25).collect();
        let mut c2 = c1.clone();
        let am = Mat::row_major(&a, m, k).unwrap();
        let bm = Mat::transposed(&b, k, n).unwrap();
        gemm_acc(am, bm, &mut c1, 13).unwrap();
        gemm_acc_ref(am, bm, &mut c2, 13).unwrap();
        assert_eq!(c1, c2);
        assert!(gemm_acc(am, am, &mut c1, 13).is_err());
        assert!(Mat::row_major(&a, m, k + 1).is_err());
    }
}
