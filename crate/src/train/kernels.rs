//! The numeric kernels of a training step: im2col, the three products of a layer on
//! the float GEMM, max pooling and Adam.

use super::net::WLayer;
use crate::error::Result;
use crate::infer::sgemm::{self, Mat};
use crate::model::WeightLayerSpec;

#[allow(clippy::too_many_arguments)]
pub(super) fn adam(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    c1: f32,
    c2: f32,
) {
    for i in 0..p.len() {
        m[i] = b1 * m[i] + (1.0 - b1) * g[i];
        v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
        p[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + eps);
    }
}

/// `cols[r][s*P + p]`, `r = (i*k + y)*k + x`, `p = oy*w_out + ox`.
pub(super) fn im2col(
    x: &[f32],
    n: usize,
    [c, h, w]: [usize; 3],
    l: &WeightLayerSpec,
    [ho, wo]: [usize; 2],
) -> Vec<f32> {
    let (k, s, pad) = (l.k, l.stride, l.padding as isize);
    let p = ho * wo;
    let np = n * p;
    let mut cols = vec![0.0f32; c * k * k * np];
    for i in 0..c {
        for y in 0..k {
            for xx in 0..k {
                let r = (i * k + y) * k + xx;
                let row = &mut cols[r * np..(r + 1) * np];
                for sn in 0..n {
                    let plane = &x[(sn * c + i) * h * w..(sn * c + i + 1) * h * w];
                    for oy in 0..ho {
                        let iy = (oy * s + y) as isize - pad;
                        if iy < 0 || iy >= h as isize {
                            continue;
                        }
                        let src = &plane[iy as usize * w..(iy as usize + 1) * w];
                        let dst = &mut row[sn * p + oy * wo..sn * p + (oy + 1) * wo];
                        let (lo, hi) = valid_ox(xx, s, l.padding, w, wo);
                        let src = src.iter().skip((lo * s + xx).saturating_sub(l.padding));
                        let src = src.step_by(s);
                        dst[lo..hi].iter_mut().zip(src).for_each(|(d, v)| *d = *v);
                    }
                }
            }
        }
    }
    cols
}

/// The output columns `lo..hi` whose input column `ox * s + xx - pad` lies in
/// `0..w` (`wo` output columns).
pub(super) fn valid_ox(xx: usize, s: usize, pad: usize, w: usize, wo: usize) -> (usize, usize) {
    let lo = pad.saturating_sub(xx).div_ceil(s).min(wo);
    let hi = (w + pad).saturating_sub(xx).div_ceil(s).clamp(lo, wo);
    (lo, hi)
}

/// `out[s][o][p] = b[o] + sum_r W[o][r] cols[r][s*P + p]` (NCHW output), the
/// sum in increasing `r` on the shared float GEMM ([`sgemm::gemm_acc`]).
pub(super) fn gemm_forward(
    w: &[f32],
    b: &[f32],
    cols: &[f32],
    n: usize,
    l: &WLayer,
) -> Result<Vec<f32>> {
    let rows = l.rows();
    let c_out = l.spec.c_out;
    let p = l.out_hw[0] * l.out_hw[1];
    let np = n * p;
    let mut om: Vec<f32> = b
        .iter()
        .take(c_out)
        .flat_map(|&bo| std::iter::repeat_n(bo, np))
        .collect();
    sgemm::gemm_acc(
        Mat::row_major(w, c_out, rows)?,
        Mat::row_major(cols, rows, np)?,
        &mut om,
        np,
    )?;
    // [o][s][p] -> [s][o][p]
    Ok(swap_outer(&om, c_out, n, p))
}

/// `x` as `[a][b][p]` rearranged to `[b][a][p]` (blocks of `p` values).
pub(super) fn swap_outer(x: &[f32], a: usize, b: usize, p: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(a * b * p);
    for j in 0..b {
        for i in 0..a {
            out.extend_from_slice(&x[(i * b + j) * p..(i * b + j + 1) * p]);
        }
    }
    out
}

/// Gradients of [`gemm_forward`]: `dW`, `db` and (when `need_dx`) `dx` (NCHW).
pub(super) fn gemm_backward(
    w: &[f32],
    cols: &[f32],
    dout: &[f32],
    n: usize,
    l: &WLayer,
    [c, h, wd]: [usize; 3],
    need_dx: bool,
) -> Result<(Vec<f32>, Vec<f32>, Vec<f32>)> {
    let rows = l.rows();
    let c_out = l.spec.c_out;
    let p = l.out_hw[0] * l.out_hw[1];
    let np = n * p;
    let dm = swap_outer(dout, n, c_out, p);
    let mut dw = vec![0.0f32; c_out * rows];
    let db: Vec<f32> = dm.chunks_exact(np.max(1)).map(|g| g.iter().sum()).collect();
    // dW = dY cols^T, the sum in increasing s*P + p.
    sgemm::gemm_acc(
        Mat::row_major(&dm, c_out, np)?,
        Mat::transposed(cols, np, rows)?,
        &mut dw,
        rows,
    )?;
    if !need_dx {
        return Ok((dw, db, Vec::new()));
    }
    // dcols = W^T dY, the sum in increasing o.
    let mut dcols = vec![0.0f32; rows * np];
    sgemm::gemm_acc(
        Mat::transposed(w, rows, c_out)?,
        Mat::row_major(&dm, c_out, np)?,
        &mut dcols,
        np,
    )?;
    // col2im
    let (k, s, pad) = (l.spec.k, l.spec.stride, l.spec.padding as isize);
    let [ho, wo] = l.out_hw;
    let mut dx = vec![0.0f32; n * c * h * wd];
    for i in 0..c {
        for y in 0..k {
            for xx in 0..k {
                let r = (i * k + y) * k + xx;
                let row = &dcols[r * np..(r + 1) * np];
                for sn in 0..n {
                    let base = (sn * c + i) * h * wd;
                    for oy in 0..ho {
                        let iy = (oy * s + y) as isize - pad;
                        if iy < 0 || iy >= h as isize {
                            continue;
                        }
                        let (lo, hi) = valid_ox(xx, s, l.spec.padding, wd, wo);
                        let line = base + iy as usize * wd;
                        let dst = dx[line..line + wd].iter_mut();
                        let src = &row[sn * p + oy * wo + lo..sn * p + oy * wo + hi];
                        dst.skip((lo * s + xx).saturating_sub(l.spec.padding))
                            .step_by(s)
                            .zip(src)
                            .for_each(|(d, g)| *d += g);
                    }
                }
            }
        }
    }
    Ok((dw, db, dx))
}

/// Max pooling of `planes` planes `h x w`, window and stride `k`; returns the
/// output and the flat input index of each maximum.
pub(super) fn pool_forward(
    x: &[f32],
    planes: usize,
    h: usize,
    w: usize,
    k: usize,
) -> (Vec<f32>, Vec<u32>) {
    let (ho, wo) = (h / k, w / k);
    let mut out = Vec::with_capacity(planes * ho * wo);
    let mut idx = Vec::with_capacity(planes * ho * wo);
    for pl in 0..planes {
        let base = pl * h * w;
        for oy in 0..ho {
            for ox in 0..wo {
                let mut best = base + oy * k * w + ox * k;
                for y in 0..k {
                    for xx in 0..k {
                        let j = base + (oy * k + y) * w + ox * k + xx;
                        if x[j] > x[best] {
                            best = j;
                        }
                    }
                }
                out.push(x[best]);
                idx.push(best as u32);
            }
        }
    }
    (out, idx)
}
