//! The compiled inference plan of a [`Model`]: built once, then every image
//! runs through preallocated buffers and the integer GEMM of
//! [`crate::infer::kernel`].
//!
//! A weight layer whose input is quantized to unsigned codes of at most 8 bits
//! and whose weights are stored as codes of at most 8 bits runs in exact
//! integer arithmetic: the input codes `q_x = clamp(round(x / s_x), 0, q_max)`
//! (the same expression as [`crate::model::runtime::fake_quantize_activations`]),
//! `acc = sum q_x * q_w` in `i32`, then one dequantization per output,
//! `y = (s_x * s_w[row]) * acc + bias`, with the ReLU that follows fused in.
//!
//! Epitome layers ([`EpitomeMode::Reuse`], the default) keep the epitome's
//! reuse: for each distinct offset pattern the input codes of the channels that
//! meet the same epitome channel are summed first (exact in `i16`), so the GEMM
//! has `e_in * k * k` instead of `c_in * k * k` terms per output, and an
//! epitome row computed once is written to every output channel of its pattern.
//! [`EpitomeMode::Materialize`] instead expands the codes into the full
//! `[c_out, c_in, k, k]` weights (one GEMM per layer); both give the same sums.
//!
//! A model with any weight layer outside that scope (float weights or input,
//! activations over 8 bits, sums that could overflow) gets no plan and runs on
//! the reference executor ([`Model::forward`]).

use std::sync::{Arc, Mutex};

use crate::error::{check_finite, Error, Result};
use crate::infer::kernel::{self, Lanes, LANES, NR};
use crate::model::frame::{self, max_pool_chw, LayerFrame};
use crate::model::runtime::check_image_len;
use crate::model::{LayerSpec, Model, WeightLayerSpec, WeightValues};

/// How epitome layers are laid out for the GEMM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpitomeMode {
    /// Sum the input channels that share an epitome channel, one GEMM per
    /// offset pattern over the epitome rows (the default: fewer products).
    Reuse,
    /// Materialize the full weight codes, one GEMM over all output channels.
    Materialize,
}

/// One GEMM of a weight layer: an offset pattern of an epitome (or the whole
/// layer).
#[derive(Debug)]
struct Unit {
    /// Virtual input channel of every input channel.
    slot: Vec<usize>,
    /// Virtual input channels.
    v_in: usize,
    /// The reduction is ordered (row, column, channel) over channel-last padded
    /// codes (`v_in` a multiple of 8: a column is `k` copies of `k * v_in`
    /// contiguous codes), else (channel, row, column) over channel-first ones.
    hwc: bool,
    /// Packed blocks per row (reduction `v_in * k * k` padded to [`LANES`]).
    k8: usize,
    /// Real rows and rows padded to [`MR`].
    rows: usize,
    rows_pad: usize,
    /// Packed weight codes ([`kernel::pack_rows`]).
    weights: Vec<Lanes>,
    /// `s_x * s_w` per row.
    mul: Vec<f32>,
    /// Output channels each row is written to.
    outs: Vec<Vec<usize>>,
}

/// A convolution or dense layer in integer arithmetic.
#[derive(Debug)]
struct GemmLayer {
    /// Sizes and input quantizer.
    f: LayerFrame,
    units: Vec<Unit>,
    bias: Vec<f32>,
    /// A ReLU follows (fused into the write-back).
    relu: bool,
    /// Output rows and columns computed: all of them, or the `(h / k) * k`
    /// that a following `k x k` max pool reads (through ReLUs); the others
    /// keep what the buffer held, which no later step reads.
    used: [usize; 2],
}

type Step = frame::Step<GemmLayer>;

/// Preallocated buffers of one forward pass.
#[derive(Debug, Default)]
struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
    codes: Vec<i16>,
    padded: Vec<i16>,
    cols: Vec<Lanes>,
    acc: Vec<i32>,
}

/// A compiled plan ([`Plan::new`]); see the module docs.
#[derive(Debug)]
pub struct Plan {
    input: [usize; 3],
    classes: usize,
    steps: Vec<Step>,
    sizes: [usize; 5],
    scratch: Mutex<Scratch>,
}

impl Plan {
    /// The plan of `model` with epitome reuse, or `None` when a layer is
    /// outside the integer path (see the module docs).
    pub fn new(model: &Model) -> Result<Option<Plan>> {
        Self::with_mode(model, EpitomeMode::Reuse)
    }

    /// The plan of `model` with epitome layers laid out as `mode` says.
    pub fn with_mode(model: &Model, mode: EpitomeMode) -> Result<Option<Plan>> {
        let arch = model.arch();
        let [mut c, mut h, mut w] = arch.input;
        let mut steps = Vec::new();
        let mut wi = 0usize;
        // act, codes, padded, cols, acc
        let mut sizes = [c * h * w, 0, 0, 0, 0];
        let mut layers = arch.layers.iter().peekable();
        while let Some(layer) = layers.next() {
            match layer {
                LayerSpec::Conv(l) | LayerSpec::Dense(l) => {
                    let Some(v) = model.values().get(wi) else {
                        return Err(Error::invalid("model", "fewer weight values than layers"));
                    };
                    wi += 1;
                    let relu = matches!(layers.peek(), Some(LayerSpec::Relu));
                    let Some(g) = gemm_layer(l, v, [c, h, w], relu, mode)? else {
                        return Ok(None);
                    };
                    if relu {
                        layers.next();
                    }
                    let (hp, wp) = (h + 2 * g.f.pad, w + 2 * g.f.pad);
                    let p = g.f.h_out * g.f.w_out;
                    let p_pad = p.div_ceil(NR) * NR;
                    sizes[1] = sizes[1].max(c * h * w);
                    for u in &g.units {
                        sizes[2] = sizes[2].max(u.v_in * hp * wp);
                        sizes[3] = sizes[3].max(p_pad * u.k8);
                        sizes[4] = sizes[4].max(u.rows_pad * p_pad);
                    }
                    [c, h, w] = g.f.output();
                    steps.push(Step::Weight(g));
                }
                LayerSpec::Relu => steps.push(Step::Relu),
                LayerSpec::MaxPool { k } => {
                    if *k == 0 || *k > h || *k > w {
                        return Err(Error::invalid("max_pool.k", "larger than its input"));
                    }
                    if let Some((g, used)) = frame::pool_reads(&mut steps, *k, [h, w]) {
                        g.used = used;
                    }
                    steps.push(Step::MaxPool { k: *k, c, h, w });
                    [h, w] = [h / k, w / k];
                }
                LayerSpec::Flatten => [c, h, w] = [c * h * w, 1, 1],
            }
            sizes[0] = sizes[0].max(c * h * w);
        }
        if c * h * w != arch.classes {
            return Err(Error::shape("model output", arch.classes, c * h * w));
        }
        Ok(Some(Plan {
            input: arch.input,
            classes: arch.classes,
            steps,
            sizes,
            scratch: Mutex::new(Scratch::default()),
        }))
    }

    /// Logits `[n, classes]` (flat) of `n` images `[n, c, h, w]` (flat).
    /// Errors: `images` is not `n * c * h * w` long or holds a non-finite value.
    pub fn logits(&self, images: &[f32], n: usize) -> Result<Vec<f32>> {
        check_image_len(images, n, self.input)?;
        let mut out = vec![0.0; n * self.classes];
        self.logits_into(images, n, &mut out)?;
        Ok(out)
    }

    /// [`Plan::logits`] into `out` (`n * classes` values); allocates nothing
    /// once the plan has run (its buffers are kept between calls).
    pub fn logits_into(&self, images: &[f32], n: usize, out: &mut [f32]) -> Result<()> {
        check_image_len(images, n, self.input)?;
        let [c, h, w] = self.input;
        let len = c * h * w;
        if n.checked_mul(self.classes) != Some(out.len()) {
            return Err(Error::shape("logits", n * self.classes, out.len()));
        }
        check_finite("images", images)?;
        let mut fresh = None;
        let mut guard = self.scratch.try_lock().ok();
        let s: &mut Scratch = match guard.as_deref_mut() {
            Some(s) => s,
            None => fresh.get_or_insert_with(Scratch::default),
        };
        self.size_scratch(s);
        for (img, logits) in images
            .chunks_exact(len)
            .zip(out.chunks_exact_mut(self.classes))
        {
            self.run_image(s, img, logits, None);
        }
        Ok(())
    }

    /// The input of every weight layer (after the previous layers, before its
    /// own quantization) of `n` images, concatenated per layer as
    /// [`Model::layer_inputs`] gives them: for locating where the plan and the
    /// reference executor part.
    pub fn layer_inputs(&self, images: &[f32], n: usize) -> Result<Vec<Vec<f32>>> {
        let [c, h, w] = self.input;
        let len = c * h * w;
        if n.checked_mul(len) != Some(images.len()) {
            return Err(Error::shape("images", n * len, images.len()));
        }
        check_finite("images", images)?;
        let mut s = Scratch::default();
        self.size_scratch(&mut s);
        let mut logits = vec![0.0; self.classes];
        let mut out: Vec<Vec<f32>> = Vec::new();
        for img in images.chunks_exact(len) {
            let mut trace = Vec::new();
            self.run_image(&mut s, img, &mut logits, Some(&mut trace));
            out.resize(trace.len(), Vec::new());
            for (o, t) in out.iter_mut().zip(trace) {
                o.extend(t);
            }
        }
        Ok(out)
    }

    fn size_scratch(&self, s: &mut Scratch) {
        let [act, codes, padded, cols, acc] = self.sizes;
        if s.a.len() < act {
            s.a.resize(act, 0.0);
            s.b.resize(act, 0.0);
        }
        if s.codes.len() < codes {
            s.codes.resize(codes, 0);
        }
        if s.padded.len() < padded {
            s.padded.resize(padded, 0);
        }
        if s.cols.len() < cols {
            s.cols.resize(cols, [0; LANES]);
        }
        if s.acc.len() < acc {
            s.acc.resize(acc, 0);
        }
    }

    fn run_image(
        &self,
        s: &mut Scratch,
        image: &[f32],
        logits: &mut [f32],
        mut trace: Option<&mut Vec<Vec<f32>>>,
    ) {
        s.a[..image.len()].copy_from_slice(image);
        for step in &self.steps {
            match step {
                Step::Weight(g) => {
                    if let Some(t) = trace.as_deref_mut() {
                        t.push(s.a[..g.f.c_in * g.f.h * g.f.w].to_vec());
                    }
                    g.run(s);
                    std::mem::swap(&mut s.a, &mut s.b);
                }
                Step::Relu => s.a.iter_mut().for_each(|v| *v = relu(*v)),
                Step::MaxPool { k, c, h, w } => {
                    max_pool_chw(&s.a, &mut s.b, *k, [*c, *h, *w]);
                    std::mem::swap(&mut s.a, &mut s.b);
                }
            }
        }
        logits.copy_from_slice(&s.a[..self.classes]);
    }
}

impl GemmLayer {
    /// `s.a` (the layer input) -> `s.b` (its output, `[c_out, h_out, w_out]`).
    fn run(&self, s: &mut Scratch) {
        let Scratch {
            a,
            b,
            codes,
            padded,
            cols,
            acc,
        } = s;
        let LayerFrame {
            c_in,
            h,
            w,
            k,
            stride: st,
            pad,
            h_out,
            w_out,
            inv_scale: inv,
            q_max: qm,
            ..
        } = self.f;
        let n_in = c_in * h * w;
        for (q, x) in codes[..n_in].iter_mut().zip(&a[..n_in]) {
            *q = quantize(*x, inv, qm);
        }
        let (hp, wp) = (h + 2 * pad, w + 2 * pad);
        let p = h_out * w_out;
        // The pixels computed: the first `uh` rows, the first `uw` columns.
        let [uh, uw] = self.used;
        let pu = uh * uw;
        let p_pad = pu.div_ceil(NR) * NR;
        for u in &self.units {
            // Pre-sum the input channels of each virtual channel, zero-padded.
            let xs = &mut padded[..u.v_in * hp * wp];
            xs.fill(0);
            if u.hwc {
                let v_in = u.v_in;
                for (i, &slot) in u.slot.iter().enumerate() {
                    for y in 0..h {
                        let src = &codes[(i * h + y) * w..][..w];
                        let row = &mut xs[((y + pad) * wp + pad) * v_in..][..w * v_in];
                        for (px, v) in row.chunks_exact_mut(v_in).zip(src) {
                            if let Some(d) = px.get_mut(slot) {
                                *d += *v;
                            }
                        }
                    }
                }
            } else {
                for (i, &slot) in u.slot.iter().enumerate() {
                    for y in 0..h {
                        let src = &codes[(i * h + y) * w..][..w];
                        let dst = &mut xs[(slot * hp + y + pad) * wp + pad..][..w];
                        dst.iter_mut().zip(src).for_each(|(d, v)| *d += *v);
                    }
                }
            }
            // im2col into the packed column layout.
            let cb = &mut cols[..p_pad * u.k8];
            let geo = Im2col {
                v_in: u.v_in,
                hp,
                wp,
                stride: st,
                h_out: uh,
                w_out: uw,
                k8: u.k8,
            };
            match k {
                _ if u.hwc => geo.run_hwc(k, xs, cb),
                1 => geo.run::<1>(xs, cb),
                3 => geo.run::<3>(xs, cb),
                5 => geo.run::<5>(xs, cb),
                _ => geo.run_dyn(k, xs, cb),
            }
            cb[pu * u.k8..].fill([0; LANES]);
            let ac = &mut acc[..u.rows_pad * p_pad];
            kernel::gemm(&u.weights, cb, u.k8, u.rows_pad, p_pad, ac);
            for r in 0..u.rows {
                let m = u.mul[r];
                let sums = &ac[r * p_pad..][..pu];
                for &o in &u.outs[r] {
                    let bias = self.bias[o];
                    let plane = &mut b[o * p..][..p];
                    // Row by row where columns are left out; else in one run.
                    let (dsts, srcs) = if uw == w_out {
                        (plane[..pu].chunks_mut(pu.max(1)), sums.chunks(pu.max(1)))
                    } else {
                        (plane.chunks_mut(w_out), sums.chunks(uw))
                    };
                    for (dst, src) in dsts.zip(srcs) {
                        if self.relu {
                            for (d, v) in dst.iter_mut().zip(src) {
                                *d = relu(*v as f32 * m + bias);
                            }
                        } else {
                            for (d, v) in dst.iter_mut().zip(src) {
                                *d = *v as f32 * m + bias;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `max(v, 0)` as a compare and select: `f32::max` is a libcall in wasm
/// (its NaN rule is not `f32.max`'s); values here are finite, a NaN gives 0.
#[inline(always)]
fn relu(v: f32) -> f32 {
    if v > 0.0 {
        v
    } else {
        0.0
    }
}

/// The input code of `x`: `clamp(round(x * inv), 0, qm)` with `f32::round`'s
/// ties away from zero, without its libcall (wasm has no such instruction):
/// after the clamp `v` is in `[0, qm]`, `qm < 2^23`, so `v - trunc(v)` is exact
/// and rounding half up is rounding half away from zero. A NaN gives 0.
#[inline(always)]
pub fn quantize(x: f32, inv: f32, qm: f32) -> i16 {
    let v = relu(x * inv);
    let v = if v < qm { v } else { qm };
    let t = v as i32;
    (t + i32::from(v - t as f32 >= 0.5)) as i16
}

/// The im2col geometry of one GEMM: writes, for every output pixel, the
/// `v_in * k * k` window values (channel, row, column order) of the padded
/// codes into its packed column, and zeros to the column's padding.
struct Im2col {
    v_in: usize,
    hp: usize,
    wp: usize,
    stride: usize,
    h_out: usize,
    w_out: usize,
    k8: usize,
}

impl Im2col {
    /// Kernel size known at compile time: the row copies are inlined.
    #[inline(always)]
    fn run<const K: usize>(&self, xs: &[i16], cb: &mut [Lanes]) {
        let (hp, wp, st) = (self.hp, self.wp, self.stride);
        let plane = hp * wp;
        let used = self.v_in * K * K;
        for oy in 0..self.h_out {
            for ox in 0..self.w_out {
                let px = oy * self.w_out + ox;
                let col = cb[kernel::col_index(px, 0, self.k8)..][..self.k8].as_flattened_mut();
                let (head, tail) = col.split_at_mut(used.min(col.len()));
                let mut dst = head.chunks_exact_mut(K);
                let base = oy * st * wp + ox * st;
                for ch in 0..self.v_in {
                    for y in 0..K {
                        let off = ch * plane + base + y * wp;
                        if let (Some(d), Some(r)) = (dst.next(), xs.get(off..off + K)) {
                            d.copy_from_slice(r);
                        }
                    }
                }
                tail.fill(0);
            }
        }
    }

    /// Channel-last codes (`v_in` a multiple of 8): each of the `k` window
    /// rows of a column is one contiguous run of `k * v_in` codes, copied in
    /// blocks of 8 (inline moves, no `memcpy` call per row).
    fn run_hwc(&self, k: usize, xs: &[i16], cb: &mut [Lanes]) {
        let (wp, st, v) = (self.wp, self.stride, self.v_in);
        let run = k * v;
        let used = k * run;
        for oy in 0..self.h_out {
            for ox in 0..self.w_out {
                let px = oy * self.w_out + ox;
                let col = cb[kernel::col_index(px, 0, self.k8)..][..self.k8].as_flattened_mut();
                let (head, tail) = col.split_at_mut(used.min(col.len()));
                for (y, dst) in head.chunks_exact_mut(run.max(1)).enumerate() {
                    let off = ((oy * st + y) * wp + ox * st) * v;
                    if let Some(src) = xs.get(off..off + run) {
                        for (d8, s8) in dst.chunks_exact_mut(8).zip(src.chunks_exact(8)) {
                            d8.copy_from_slice(s8);
                        }
                    }
                }
                tail.fill(0);
            }
        }
    }

    /// Any kernel size.
    fn run_dyn(&self, k: usize, xs: &[i16], cb: &mut [Lanes]) {
        let (hp, wp, st) = (self.hp, self.wp, self.stride);
        let used = self.v_in * k * k;
        for oy in 0..self.h_out {
            for ox in 0..self.w_out {
                let px = oy * self.w_out + ox;
                let col = cb[kernel::col_index(px, 0, self.k8)..][..self.k8].as_flattened_mut();
                let (head, tail) = col.split_at_mut(used.min(col.len()));
                let mut dst = head.chunks_exact_mut(k.max(1));
                for ch in 0..self.v_in {
                    for y in 0..k {
                        let row = &xs[(ch * hp + oy * st + y) * wp + ox * st..][..k];
                        if let Some(d) = dst.next() {
                            d.copy_from_slice(row);
                        }
                    }
                }
                tail.fill(0);
            }
        }
    }
}

/// The integer layer of `l`, or `None` when it is outside the integer path.
fn gemm_layer(
    l: &WeightLayerSpec,
    v: &WeightValues,
    [c, h, w]: [usize; 3],
    relu: bool,
    mode: EpitomeMode,
) -> Result<Option<GemmLayer>> {
    let (Some(act), Some(q)) = (&l.act, &v.codes) else {
        return Ok(None);
    };
    if act.bits > 8 || q.bits > 8 || !(act.scale.is_finite() && act.scale >= 0.0) {
        return Ok(None);
    }
    let f = LayerFrame::new(l, act, [c, h, w])?;
    let spec = l.epitome_spec();
    let q_max_x = act.q_max();
    let q_max_w = q.q_max().unsigned_abs();
    let k = l.k;
    let es = &spec.epitome;
    let row_len = es.e_in * es.e_h * es.e_w;
    let mut units = Vec::new();
    match (mode, &l.epitome) {
        (EpitomeMode::Reuse, Some(_)) => {
            let patterns = spec.patterns();
            let group_pattern = spec.group_patterns();
            for &[a, b, cc] in &patterns {
                let pid = patterns.iter().position(|x| *x == [a, b, cc]).unwrap_or(0);
                let groups: Vec<usize> = (0..group_pattern.len())
                    .filter(|&g| group_pattern[g] == pid)
                    .collect();
                let mut slot = vec![0usize; l.c_in];
                let mut active: Vec<usize> = Vec::new();
                let mut count: Vec<u32> = Vec::new();
                for (i, s) in slot.iter_mut().enumerate() {
                    let ch = (a + i) % es.e_in;
                    *s = match active.iter().position(|&x| x == ch) {
                        Some(p) => p,
                        None => {
                            active.push(ch);
                            count.push(0);
                            active.len() - 1
                        }
                    };
                    count[*s] += 1;
                }
                let max_count = count.iter().copied().max().unwrap_or(1);
                let mut rows = Vec::new();
                let mut outs = Vec::new();
                for r in 0..es.e_out {
                    let o: Vec<usize> = groups
                        .iter()
                        .map(|g| g * es.e_out + r)
                        .filter(|&o| o < l.c_out)
                        .collect();
                    if !o.is_empty() {
                        rows.push(r);
                        outs.push(o);
                    }
                }
                let kdim = active.len() * k * k;
                let mut m = Vec::with_capacity(rows.len() * kdim);
                for &r in &rows {
                    for &ch in &active {
                        for y in 0..k {
                            for x in 0..k {
                                let idx = ((r * es.e_in + ch) * es.e_h + b + y) * es.e_w + cc + x;
                                m.push(code(q.codes.get(idx))?);
                            }
                        }
                    }
                }
                let mul = rows.iter().map(|&r| act.scale * q.scales[r]).collect();
                let Some(u) = unit(
                    slot,
                    active.len(),
                    kdim,
                    &m,
                    mul,
                    outs,
                    max_count * q_max_x,
                    q_max_w,
                ) else {
                    return Ok(None);
                };
                units.push(u);
            }
        }
        _ => {
            // The full weights: codes through the sampler's index map.
            let sampler = crate::epitome::Sampler::new(&spec)?;
            let map = sampler.index_map();
            let kdim = l.c_in * k * k;
            let mut m = Vec::with_capacity(map.len());
            for &idx in &map {
                m.push(code(q.codes.get(idx))?);
            }
            let mut mul = Vec::with_capacity(l.c_out);
            for o in 0..l.c_out {
                // Every weight of output o comes from epitome row o % e_out.
                let row = map.get(o * kdim).map_or(0, |i| i / row_len.max(1));
                mul.push(act.scale * q.scales.get(row).copied().unwrap_or(0.0));
            }
            let outs = (0..l.c_out).map(|o| vec![o]).collect();
            let slot = (0..l.c_in).collect();
            let Some(u) = unit(slot, l.c_in, kdim, &m, mul, outs, q_max_x, q_max_w) else {
                return Ok(None);
            };
            units.push(u);
        }
    }
    Ok(Some(GemmLayer {
        used: [f.h_out, f.w_out],
        f,
        units,
        bias: v.bias.clone(),
        relu,
    }))
}

fn code(c: Option<&i32>) -> Result<i16> {
    c.and_then(|v| i16::try_from(*v).ok())
        .ok_or_else(|| Error::invalid("weight codes", "a code is missing or out of range"))
}

/// Packs one GEMM, or `None` when its sums could leave `i16` (pre-summed
/// inputs) or `i32` (the products' sum).
#[allow(clippy::too_many_arguments)]
fn unit(
    slot: Vec<usize>,
    v_in: usize,
    kdim: usize,
    m: &[i16],
    mul: Vec<f32>,
    outs: Vec<Vec<usize>>,
    max_input: u32,
    max_weight: u32,
) -> Option<Unit> {
    if max_input > i16::MAX as u32 {
        return None;
    }
    let bound = u64::from(max_input) * u64::from(max_weight) * kdim as u64;
    if bound > i32::MAX as u64 {
        return None;
    }
    let rows = mul.len();
    let hwc = v_in % 8 == 0 && v_in > 0;
    let reordered;
    let m = if hwc {
        // (channel, row, column) -> (row, column, channel) within every row.
        let kk = kdim / v_in;
        reordered = m
            .chunks_exact(kdim.max(1))
            .flat_map(|r| (0..kk).flat_map(move |t| (0..v_in).map(move |c| r[c * kk + t])))
            .collect::<Vec<i16>>();
        &reordered[..]
    } else {
        m
    };
    let (weights, rows_pad) = kernel::pack_rows(m, rows, kdim);
    Some(Unit {
        slot,
        v_in,
        hwc,
        k8: kdim.div_ceil(LANES),
        rows,
        rows_pad,
        weights,
        mul,
        outs,
    })
}

/// The plan a [`Model`] keeps ([`Model::plan`]): shared between clones, and
/// equal for equal models (it is derived from their values).
#[derive(Debug, Clone, Default)]
pub struct PlanCell(Option<Arc<Plan>>);

impl PlanCell {
    /// Compiles the plan of `model` ([`Plan::new`]).
    pub fn build(model: &Model) -> Result<PlanCell> {
        Ok(PlanCell(Plan::new(model)?.map(Arc::new)))
    }

    /// The plan, if the model has one.
    pub fn get(&self) -> Option<&Plan> {
        self.0.as_deref()
    }
}

impl PartialEq for PlanCell {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_compute_only_the_pixels_a_later_pool_reads() {
        let bytes = include_bytes!("../../../models/mnist-cnn-dense-8b.safetensors");
        let m = Model::from_bytes(bytes).unwrap();
        let plan = Plan::new(&m).unwrap().unwrap();
        let layers: Vec<&GemmLayer> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Weight(g) => Some(g),
                _ => None,
            })
            .collect();
        let outputs: Vec<[usize; 2]> = layers.iter().map(|g| [g.f.h_out, g.f.w_out]).collect();
        let used: Vec<[usize; 2]> = layers.iter().map(|g| g.used).collect();
        assert_eq!(outputs, [[28, 28], [14, 14], [7, 7], [1, 1]]);
        // conv3's 7x7 outputs are pooled to 3x3: 6x6 of them are read.
        assert_eq!(used, [[28, 28], [14, 14], [6, 6], [1, 1]]);
    }
}
