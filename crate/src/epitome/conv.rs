//! The fast epitome convolution: never materializes `W`.
//!
//! For each distinct offset pattern `(a, b, c)` (docs/epitome.md#patterns-and-activations):
//!
//! 1. **Input reuse.** Every input channel `i` with `(a + i) % e_in == e` meets
//!    the same epitome channel `e`, so those channels are summed first (into a
//!    zero-padded buffer): `X'[e] = sum_{i: (a+i)%e_in = e} X[i]`. The layer then
//!    becomes a convolution with `min(c_in, e_in)` input channels.
//! 2. Each epitome row `r` is convolved with the `k_h x k_w` window at
//!    `(b, c)` of `E[r][e]`, once per pattern.
//! 3. **Output reuse.** The result of row `r` is written to every output channel
//!    `o = g*e_out + r < c_out` of every group `g` with that pattern, plus
//!    `bias[o]`.
//!
//! Arithmetic is `f32`; the result equals "materialize, then
//! [`crate::nn::conv2d`]" up to rounding (tests use 1e-4 relative).

use crate::epitome::layer::Epitome;
use crate::epitome::spec::EpitomeSpec;
use crate::error::{Error, Result};
use crate::limits::MAX_CONV_MACS;
use crate::nn::{check_elements, Tensor4};

/// Errors when the epitome convolution would do more than [`MAX_CONV_MACS`]
/// multiply-adds (an upper bound counted in `f64`, before anything is allocated):
/// per pattern, the input pre-sum reads the whole input and every epitome row is
/// convolved over the active channels.
fn check_work(
    spec: &EpitomeSpec,
    patterns: usize,
    [n, c_in, h_in, w_in]: [usize; 4],
    [h_out, w_out]: [usize; 2],
) -> Result<()> {
    let (l, e) = (&spec.layer, &spec.epitome);
    let f = |v: usize| v as f64;
    let (hp, wp) = (f(h_in) + 2.0 * f(l.padding), f(w_in) + 2.0 * f(l.padding));
    let per_pattern = 2.0 * f(c_in)
        + f(n)
            * (f(c_in) * f(h_in) * f(w_in)
                + f(e.e_in.min(c_in)) * hp * wp
                + f(e.e_out) * f(e.e_in.min(c_in)) * f(l.k_h) * f(l.k_w) * f(h_out) * f(w_out));
    let work = f(patterns) * per_pattern + f(n) * f(l.c_out) * f(h_out) * f(w_out);
    if work > MAX_CONV_MACS as f64 {
        return Err(Error::invalid(
            "input",
            format!(
                "this convolution needs about {work:.3e} operations ({patterns} offset patterns); at most {MAX_CONV_MACS}: use a smaller input or fewer patterns"
            ),
        ));
    }
    Ok(())
}

/// The epitome convolution of `input` (`[n, c_in, h, w]`) with optional `bias`
/// (`c_out` values). Errors: wrong input channels, bias length, a padded input
/// smaller than the kernel, or a non-finite input.
pub fn conv(epitome: &Epitome, input: &Tensor4, bias: Option<&[f32]>) -> Result<Tensor4> {
    let spec = epitome.spec();
    let (l, es) = (&spec.layer, &spec.epitome);
    let [n, c_in, h_in, w_in] = input.shape();
    if c_in != l.c_in {
        return Err(Error::shape(
            "input.shape[1] (channels)",
            format!("c_in = {}", l.c_in),
            c_in,
        ));
    }
    if let Some(b) = bias {
        crate::epitome::materialize::check_len("bias", b.len(), l.c_out)?;
    }
    let (h_out, w_out) = spec.output_size(h_in, w_in)?;
    let (s, pad, k_h, k_w) = (l.stride, l.padding, l.k_h, l.k_w);
    let (e_out, e_in, e_h, e_w) = (es.e_out, es.e_in, es.e_h, es.e_w);
    let (hp, wp) = (h_in + 2 * pad, w_in + 2 * pad);
    check_elements("output", &[n, l.c_out, h_out, w_out])?;
    check_elements("padded input", &[e_in.min(c_in), hp, wp])?;
    let index = spec.pattern_index();
    let patterns = &index.patterns;
    check_work(spec, patterns.len(), [n, c_in, h_in, w_in], [h_out, w_out])?;
    let x = input.data();
    let e = epitome.data();

    let mut out = Tensor4::zeros([n, l.c_out, h_out, w_out]);
    let plane = h_out * w_out;
    let mut xs = vec![0.0f32; e_in.min(c_in) * hp * wp];
    let mut acc = vec![0.0f32; plane];
    // Epitome channel -> slot in `xs` (channels no input reaches are skipped).
    let mut slot = vec![usize::MAX; e_in];
    let mut active: Vec<usize> = Vec::new();

    for (p, &[a, b, c]) in patterns.iter().enumerate() {
        // Groups with this pattern, and the rows some output channel needs.
        let groups = &index.groups_of[p];
        let rows: Vec<usize> = (0..e_out)
            .filter(|&r| groups.iter().any(|&g| g * e_out + r < l.c_out))
            .collect();
        // Active epitome channels: e = (a + i) % e_in for some i < c_in. Only the
        // previous pattern's slots are reset (O(c_in), never O(e_in) per pattern).
        for &ch in &active {
            slot[ch] = usize::MAX;
        }
        active.clear();
        for i in 0..c_in {
            let ch = (a + i) % e_in;
            if slot[ch] == usize::MAX {
                slot[ch] = active.len();
                active.push(ch);
            }
        }
        for bn in 0..n {
            // 1. Pre-sum wrapped input channels into the padded buffer.
            xs.iter_mut().for_each(|v| *v = 0.0);
            for i in 0..c_in {
                let dst = slot[(a + i) % e_in] * hp * wp;
                for y in 0..h_in {
                    let src = &x[input.index(bn, i, y, 0)..][..w_in];
                    let d = &mut xs[dst + (y + pad) * wp + pad..][..w_in];
                    d.iter_mut().zip(src).for_each(|(d, s)| *d += *s);
                }
            }
            // 2. One convolution per needed epitome row.
            for &r in &rows {
                acc.iter_mut().for_each(|v| *v = 0.0);
                for &ch in &active {
                    let xb = &xs[slot[ch] * hp * wp..][..hp * wp];
                    let ebase = ((r * e_in + ch) * e_h + b) * e_w + c;
                    for ky in 0..k_h {
                        for kx in 0..k_w {
                            let wv = e[ebase + ky * e_w + kx];
                            for oy in 0..h_out {
                                let src = &xb[(oy * s + ky) * wp + kx..];
                                let dst = &mut acc[oy * w_out..][..w_out];
                                if s == 1 {
                                    dst.iter_mut()
                                        .zip(&src[..w_out])
                                        .for_each(|(d, v)| *d += wv * *v);
                                } else {
                                    dst.iter_mut()
                                        .zip(src.iter().step_by(s))
                                        .for_each(|(d, v)| *d += wv * *v);
                                }
                            }
                        }
                    }
                }
                // 3. Write the row to every output channel of the pattern.
                for &g in groups {
                    let o = g * e_out + r;
                    if o >= l.c_out {
                        continue;
                    }
                    let b0 = bias.map_or(0.0, |bb| bb[o]);
                    let start = out.index(bn, o, 0, 0);
                    out.data_mut()[start..start + plane]
                        .iter_mut()
                        .zip(&acc)
                        .for_each(|(d, v)| *d = *v + b0);
                }
            }
        }
    }
    crate::error::check_finite("conv output", out.data())?;
    Ok(out)
}
