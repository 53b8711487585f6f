//! The slow, obviously-correct crossbar model: the oracle of
//! [`crate::pim::PimModel::logits`].
//!
//! It walks the model layer by layer on [`Tensor4`]s and computes every output
//! value on its own: for output channel `o` (group `g = o / e_out`, column
//! `o % e_out`, offset `(a, b, c)` of group `g`) and every row block, cycle,
//! slice and polarity it sums the current of every cell of that column in
//! the block (conductance from [`cell_conductance`] at the cell's address,
//! drive bit-plane from the word line's summed input codes), converts that one
//! sum with [`adc_code`] and shifts it into place. Nothing is precomputed,
//! shared between output channels or skipped.

use crate::error::{Error, Result};
use crate::model::{Model, WeightLayerSpec, WeightValues};
use crate::nn::Tensor4;
use crate::pim::cell::{adc_code, adc_inv_step, cell_conductance, max_code, step_levels, CellAddr};
use crate::pim::PimKnobs;
use crate::prune::PruneKind;

/// Logits `[n, classes]` of `n` images on the chip drawn with `seed`, one cell
/// and one input bit-plane at a time.
pub fn reference_logits(
    model: &Model,
    knobs: &PimKnobs,
    seed: u64,
    images: &[f32],
    n: usize,
) -> Result<Vec<f32>> {
    knobs.validate()?;
    let [c, h, w] = model.arch().input;
    let x = Tensor4::new("images", [n, c, h, w], images.to_vec())?;
    let x = model.walk(x, |wi, _, l, v, x| layer_ref(wi, l, v, &x, knobs, seed))?;
    Ok(x.into_data())
}

fn layer_ref(
    index: usize,
    l: &WeightLayerSpec,
    v: &WeightValues,
    x: &Tensor4,
    knobs: &PimKnobs,
    seed: u64,
) -> Result<Tensor4> {
    let act = l
        .act
        .ok_or_else(|| Error::invalid(format!("{}.act", l.name), "needs quantized inputs"))?;
    let q = v
        .codes
        .as_ref()
        .ok_or_else(|| Error::invalid(format!("{}.w_bits", l.name), "needs quantized weights"))?;
    let spec = l.epitome_spec();
    let es = spec.epitome;
    let [n, c_in, h, w] = x.shape();
    let (h_out, w_out) = spec.output_size(h, w)?;
    let k = l.k;
    let wl_count = es.e_in * es.e_h * es.e_w;
    let code_at = |col: usize, wl: usize| q.codes[col * wl_count + wl];
    // Kept word lines: all, or the non-zero rows of a row-pruned layer.
    let xrs = l
        .prune
        .as_ref()
        .is_some_and(|p| p.kind == PruneKind::Xrs && p.ratio > 0.0);
    let mut compact = vec![None; wl_count];
    let mut kept = 0usize;
    for (wl, slot) in compact.iter_mut().enumerate() {
        if !xrs || (0..es.e_out).any(|col| code_at(col, wl) != 0) {
            *slot = Some(kept);
            kept += 1;
        }
    }
    // Input bits: the largest number of input channels on one epitome channel.
    let mut fan_in = 1u64;
    for g in 0..spec.groups() {
        let a = spec.offset(g)[0];
        for e in 0..es.e_in {
            let cnt = (0..c_in).filter(|i| (a + i) % es.e_in == e).count() as u64;
            fan_in = fan_in.max(cnt);
        }
    }
    let max_drive = fan_in * u64::from(act.q_max());
    let in_bits = 64 - max_drive.leading_zeros();
    let cycles = in_bits.max(1).div_ceil(knobs.dac_bits);
    let slices = (q.bits - 1).div_ceil(knobs.cell_bits);
    let rows_per = knobs.crossbar_rows;
    let blocks = kept.div_ceil(rows_per).max(1);
    // Input codes, as the digital executor computes them.
    let inv = if act.scale > 0.0 {
        1.0 / act.scale
    } else {
        0.0
    };
    let qm = act.q_max() as f32;
    let codes: Vec<u32> = x
        .data()
        .iter()
        .map(|v| (v * inv).round().clamp(0.0, qm) as u32)
        .collect();
    let mut out = Vec::with_capacity(n * l.c_out * h_out * w_out);
    for img in 0..n {
        for o in 0..l.c_out {
            let g = o / es.e_out;
            let col = o % es.e_out;
            let [a, b, cc] = spec.offset(g);
            for oy in 0..h_out {
                for ox in 0..w_out {
                    // The drive of word line (e, p, qq): its inputs' codes summed.
                    let drive = |e: usize, p: usize, qq: usize| -> u32 {
                        if p < b || qq < cc || p - b >= k || qq - cc >= k {
                            return 0;
                        }
                        let (dy, dx) = (p - b, qq - cc);
                        let mut s = 0;
                        for i in 0..c_in {
                            if (a + i) % es.e_in != e {
                                continue;
                            }
                            let yy = (oy * l.stride + dy) as isize - l.padding as isize;
                            let xx = (ox * l.stride + dx) as isize - l.padding as isize;
                            if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
                                s += codes[((img * c_in + i) * h + yy as usize) * w + xx as usize];
                            }
                        }
                        s
                    };
                    let mut total = 0f64;
                    for blk in 0..blocks {
                        let in_block = (kept - blk * rows_per).min(rows_per);
                        let inv_step = adc_inv_step(knobs, in_block);
                        let mut v = 0i64;
                        for t in 0..cycles {
                            for j in 0..slices {
                                for pol in 0..2 {
                                    let mut sum = 0i64;
                                    for e in 0..es.e_in {
                                        for p in 0..es.e_h {
                                            for qq in 0..es.e_w {
                                                let wl = (e * es.e_h + p) * es.e_w + qq;
                                                let Some(row) = compact[wl] else { continue };
                                                if row / rows_per != blk {
                                                    continue;
                                                }
                                                let d = (drive(e, p, qq) >> (t * knobs.dac_bits))
                                                    & ((1 << knobs.dac_bits) - 1);
                                                let code = code_at(col, wl);
                                                let mag = if pol == 0 {
                                                    code.max(0)
                                                } else {
                                                    (-code).max(0)
                                                };
                                                let level = ((mag >> (j * knobs.cell_bits))
                                                    & knobs.max_level() as i32)
                                                    as u32;
                                                let addr = CellAddr {
                                                    layer: index,
                                                    row,
                                                    col,
                                                    slice: j as usize,
                                                    pol,
                                                };
                                                let gv = cell_conductance(knobs, seed, addr, level)
                                                    .min(i64::from(i32::MAX));
                                                sum += i64::from(d) * gv;
                                            }
                                        }
                                    }
                                    let adc = adc_code(sum, inv_step, max_code(knobs));
                                    let signed = if pol == 0 { adc } else { -adc };
                                    v += signed << (t * knobs.dac_bits + j * knobs.cell_bits);
                                }
                            }
                        }
                        total += v as f64 * step_levels(inv_step);
                    }
                    let mul = act.scale * q.scales[col];
                    let y = (total as f32) * mul + v.bias[o];
                    out.push(y);
                }
            }
        }
    }
    Tensor4::new("crossbar layer output", [n, l.c_out, h_out, w_out], out)
}
