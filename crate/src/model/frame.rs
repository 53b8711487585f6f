//! The integer frame of one convolution or dense layer, shared by the two
//! integer executors (the GEMM plan, `infer::plan`, and the crossbar model,
//! `pim::layer`): input and output sizes, the input quantizer, and the
//! max pool both run between layers.

use crate::error::{Error, Result};
use crate::model::WeightLayerSpec;
use crate::quant::ActivationParams;

/// Sizes of a weight layer on a `[c_in, h, w]` input and its input quantizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LayerFrame {
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub k: usize,
    pub stride: usize,
    pub pad: usize,
    pub h_out: usize,
    pub w_out: usize,
    pub c_out: usize,
    /// `1 / s_x` (0 when the scale is 0: every code is 0).
    pub inv_scale: f32,
    /// Largest input code, `2^bits - 1`.
    pub q_max: f32,
}

impl LayerFrame {
    /// The frame of `l` on a `[c, h, w]` input quantized by `act`. Errors: `c`
    /// is not `l.c_in` (named `LAYER.c_in`), or the output size is empty.
    pub fn new(l: &WeightLayerSpec, act: &ActivationParams, [c, h, w]: [usize; 3]) -> Result<Self> {
        if c != l.c_in {
            return Err(Error::shape(format!("{}.c_in", l.name), l.c_in, c));
        }
        let (h_out, w_out) = l.epitome_spec().output_size(h, w)?;
        Ok(LayerFrame {
            c_in: l.c_in,
            h,
            w,
            k: l.k,
            stride: l.stride,
            pad: l.padding,
            h_out,
            w_out,
            c_out: l.c_out,
            inv_scale: if act.scale > 0.0 {
                1.0 / act.scale
            } else {
                0.0
            },
            q_max: act.q_max() as f32,
        })
    }

    /// The output shape `[c_out, h_out, w_out]`.
    pub fn output(&self) -> [usize; 3] {
        [self.c_out, self.h_out, self.w_out]
    }

    /// The input's unsigned codes, `clamp(round(x / s_x), 0, q_max)`, into `out`.
    pub fn quantize_input(&self, x: &[f32], out: &mut [u32]) {
        let (inv, qm) = (self.inv_scale, self.q_max);
        for (q, v) in out.iter_mut().zip(x) {
            *q = (*v * inv).round().clamp(0.0, qm) as u32;
        }
    }
}

/// One step of an integer executor: a weight layer `L` (with its ReLU fused), a
/// ReLU, or a `k x k` max pool on a `[c, h, w]` input.
#[derive(Debug, Clone)]
pub(crate) enum Step<L> {
    Weight(L),
    Relu,
    MaxPool {
        k: usize,
        c: usize,
        h: usize,
        w: usize,
    },
}

/// The weight layer whose output a `k x k` max pool appended to `steps` reads
/// (through ReLUs; `None` when a pool or nothing comes first), and the rows and
/// columns of that `h x w` output it reads: `(h / k) * k` and `(w / k) * k`.
/// The executors compute only those.
pub(crate) fn pool_reads<L>(
    steps: &mut [Step<L>],
    k: usize,
    [h, w]: [usize; 2],
) -> Option<(&mut L, [usize; 2])> {
    match steps.iter_mut().rev().find(|s| !matches!(s, Step::Relu)) {
        Some(Step::Weight(l)) => Some((l, [h / k * k, w / k * k])),
        _ => None,
    }
}

/// `k x k` max pool with stride `k` of `x` (`[c, h, w]`, flat) into `out`
/// (`[c, h / k, w / k]`). No `f32::max`: the comparison keeps the same values
/// (`m` is never NaN) and compiles to less code on wasm. The 2x2 pool of every
/// shipped model has its own loop (rows paired, no per-window slicing), equal
/// to [`max_pool_chw_ref`] bit for bit (test).
pub(crate) fn max_pool_chw(x: &[f32], out: &mut [f32], k: usize, [c, h, w]: [usize; 3]) {
    if k != 2 {
        return max_pool_chw_ref(x, out, k, [c, h, w]);
    }
    let (ho, wo) = (h / 2, w / 2);
    if ho == 0 || wo == 0 {
        return;
    }
    for (plane, o) in x[..c * h * w]
        .chunks_exact(h * w)
        .zip(out[..c * ho * wo].chunks_exact_mut(ho * wo))
    {
        for (rows, orow) in plane.chunks_exact(2 * w).zip(o.chunks_exact_mut(wo)) {
            let (r0, r1) = rows.split_at(w);
            for ((o, a), b) in orow
                .iter_mut()
                .zip(r0.chunks_exact(2))
                .zip(r1.chunks_exact(2))
            {
                // The reference's order: the top row left to right, then the bottom one.
                let mut m = f32::NEG_INFINITY;
                for v in [a[0], a[1], b[0], b[1]] {
                    m = if v > m { v } else { m };
                }
                *o = m;
            }
        }
    }
}

/// [`max_pool_chw`] for any `k`: the obviously correct loop over each window.
pub(crate) fn max_pool_chw_ref(x: &[f32], out: &mut [f32], k: usize, [c, h, w]: [usize; 3]) {
    let (ho, wo) = (h / k, w / k);
    for ch in 0..c {
        let plane = &x[ch * h * w..][..h * w];
        for oy in 0..ho {
            for ox in 0..wo {
                let mut m = f32::NEG_INFINITY;
                for y in 0..k {
                    for v in &plane[(oy * k + y) * w + ox * k..][..k] {
                        m = if *v > m { *v } else { m };
                    }
                }
                out[(ch * ho + oy) * wo + ox] = m;
            }
        }
    }
}

/// Native only: proptest is not built for wasm (the lib's tests also build for
/// `wasm-pack test`).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The 2x2 loop equals the reference bit for bit, odd sizes (a dropped last
        /// row or column) and signed zeros included.
        #[test]
        fn max_pool_equals_the_reference(
            c in 1usize..5,
            h in 1usize..12,
            w in 1usize..12,
            k in 1usize..4,
            seed in any::<u64>(),
        ) {
            let mut state = seed | 1;
            let x: Vec<f32> = (0..c * h * w)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    match state % 5 {
                        0 => 0.0,
                        1 => -0.0,
                        _ => (state % 2001) as f32 / 100.0 - 10.0,
                    }
                })
                .collect();
            let n = c * (h / k) * (w / k);
            let (mut fast, mut slow) = (vec![7.0f32; n + 3], vec![7.0f32; n + 3]);
            max_pool_chw(&x, &mut fast, k, [c, h, w]);
            max_pool_chw_ref(&x, &mut slow, k, [c, h, w]);
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&fast), bits(&slow));
        }
    }
}
