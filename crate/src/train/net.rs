//! The trainable network: forward and backward passes, Adam, masks, export.

use std::collections::BTreeMap;

use crate::data::Dataset;
use crate::epitome::{grad_to_epitome, EpitomeSpec, Sampler};
use crate::error::{Error, Result};
use crate::model::{ArchSpec, LayerSpec, Model, WeightLayerSpec};
use crate::prune::{PruneKind, PruneSpec};
use crate::quant::{calibrate, quantize_rows, Calibration};
use crate::train::kernels::{adam, gemm_backward, gemm_forward, im2col, pool_forward};
use crate::train::{Fit, Rng, TrainConfig};

/// Word lines of an `mnsim2` crossbar: xrs pruning only touches layers that
/// span more than one crossbar row block (pruning a one-block layer frees
/// nothing).
const XBAR_ROWS: usize = 256;

#[derive(Debug, Clone)]
pub(super) struct WLayer {
    pub(super) spec: WeightLayerSpec,
    esp: EpitomeSpec,
    index_map: Vec<usize>,
    /// Stored parameters (epitome or dense weights) and bias.
    e: Vec<f32>,
    b: Vec<f32>,
    m: (Vec<f32>, Vec<f32>),
    v: (Vec<f32>, Vec<f32>),
    /// Pruning masks (1 keep, 0 pruned) over `e` and `b`.
    mask: Option<(Vec<f32>, Vec<f32>)>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) in_shape: [usize; 3],
    pub(super) out_hw: [usize; 2],
}

impl WLayer {
    pub(super) fn rows(&self) -> usize {
        self.spec.c_in * self.spec.k * self.spec.k
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    W(usize),
    Relu,
    Pool(usize),
    Flatten,
}

enum Cache {
    W(Vec<f32>),
    Relu(Vec<f32>),
    Pool(Vec<u32>),
    None,
}

/// Gradients of one sub-batch: dense `dW` and `db` per weight layer, loss sum,
/// correct predictions.
struct Grads {
    dw: Vec<Vec<f32>>,
    db: Vec<Vec<f32>>,
    loss: f64,
    correct: usize,
}

/// What training reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrainReport {
    /// Mean training loss of the last epoch.
    pub last_loss: f64,
    /// Training accuracy of the last epoch (running), in `[0, 1]`.
    pub last_train_accuracy: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// A trainable network built from an [`ArchSpec`].
#[derive(Debug, Clone)]
pub struct Net {
    arch: ArchSpec,
    ops: Vec<(Op, [usize; 3])>,
    layers: Vec<WLayer>,
    w_bits: Option<u32>,
    step: u64,
}

impl Net {
    /// A network with seeded Kaiming-uniform initialisation (an epitome entry
    /// gets the distribution of the weights it feeds: fan-in `c_in*k*k`).
    /// `w_bits` is the QAT bit width of every layer whose spec has no `w_bits`
    /// of its own (a design's per-layer bits, [`crate::train::apply_design`]).
    pub fn new(arch: &ArchSpec, w_bits: Option<u32>, seed: u64) -> Result<Self> {
        let shapes = arch.validate()?;
        let mut rng = Rng::new(seed);
        let mut ops = Vec::new();
        let mut layers = Vec::new();
        let n_weight = arch.weight_layers().count();
        for (layer, &shape) in arch.layers.iter().zip(&shapes) {
            let op = match layer {
                LayerSpec::Conv(l) | LayerSpec::Dense(l) => {
                    let esp = l.epitome_spec();
                    let index_map = Sampler::new(&esp)?.index_map();
                    let e = init_epitome(l, layers.len() + 1 == n_weight, &mut rng);
                    let n = e.len();
                    let (ho, wo) = esp.output_size(shape[1], shape[2])?;
                    layers.push(WLayer {
                        spec: l.clone(),
                        esp,
                        index_map,
                        b: vec![0.0; l.c_out],
                        m: (vec![0.0; n], vec![0.0; l.c_out]),
                        v: (vec![0.0; n], vec![0.0; l.c_out]),
                        e,
                        mask: None,
                        in_shape: shape,
                        out_hw: [ho, wo],
                    });
                    Op::W(layers.len() - 1)
                }
                LayerSpec::Relu => Op::Relu,
                LayerSpec::MaxPool { k } => Op::Pool(*k),
                LayerSpec::Flatten => Op::Flatten,
            };
            ops.push((op, shape));
        }
        Ok(Net {
            arch: arch.clone(),
            ops,
            layers,
            w_bits,
            step: 0,
        })
    }

    /// The effective dense weights `[c_out][c_in*k*k]` of every layer: the
    /// (masked, quantized at the layer's own `w_bits`, else the network's)
    /// epitome sampled through the index map.
    fn effective_weights(&self) -> Result<Vec<Vec<f32>>> {
        self.layers
            .iter()
            .map(|l| {
                let mut e = l.e.clone();
                if let Some((m, _)) = &l.mask {
                    e.iter_mut().zip(m).for_each(|(v, m)| *v *= m);
                }
                if let Some(bits) = l.spec.w_bits.or(self.w_bits) {
                    e = quantize_rows(&e, l.esp.epitome.e_out, bits)?.dequantize();
                }
                Ok(l.index_map.iter().map(|&k| e[k]).collect())
            })
            .collect()
    }

    fn biases(&self) -> Vec<Vec<f32>> {
        self.layers
            .iter()
            .map(|l| match &l.mask {
                Some((_, mb)) => l.b.iter().zip(mb).map(|(b, m)| b * m).collect(),
                None => l.b.clone(),
            })
            .collect()
    }

    /// Forward pass of `n` images; returns logits `[n][classes]` and, when
    /// `keep`, the caches for the backward pass.
    fn forward(
        &self,
        w: &[Vec<f32>],
        b: &[Vec<f32>],
        mut x: Vec<f32>,
        n: usize,
        keep: bool,
    ) -> Result<(Vec<f32>, Vec<Cache>)> {
        let mut caches = Vec::with_capacity(self.ops.len());
        for &(op, [c, h, wd]) in &self.ops {
            match op {
                Op::W(li) => {
                    let l = &self.layers[li];
                    let cols = im2col(&x, n, [c, h, wd], &l.spec, l.out_hw);
                    x = gemm_forward(&w[li], &b[li], &cols, n, l)?;
                    caches.push(if keep { Cache::W(cols) } else { Cache::None });
                }
                Op::Relu => {
                    x.iter_mut().for_each(|v| *v = v.max(0.0));
                    caches.push(if keep {
                        Cache::Relu(x.clone())
                    } else {
                        Cache::None
                    });
                }
                Op::Pool(k) => {
                    let (y, idx) = pool_forward(&x, n * c, h, wd, k);
                    x = y;
                    caches.push(if keep { Cache::Pool(idx) } else { Cache::None });
                }
                Op::Flatten => caches.push(Cache::None),
            }
        }
        Ok((x, caches))
    }

    fn grads(
        &self,
        w: &[Vec<f32>],
        b: &[Vec<f32>],
        data: &Dataset,
        idx: &[usize],
    ) -> Result<Grads> {
        let n = idx.len();
        let px = data.rows() * data.cols();
        let mut x = Vec::with_capacity(n * px);
        for &i in idx {
            x.extend(data.image(i).iter().map(|&p| f32::from(p) / 255.0));
        }
        let (logits, caches) = self.forward(w, b, x, n, true)?;
        let classes = self.arch.classes;
        let mut d = vec![0.0f32; logits.len()];
        let mut loss = 0.0f64;
        let mut correct = 0;
        for (s, &i) in idx.iter().enumerate() {
            let z = &logits[s * classes..(s + 1) * classes];
            let label = usize::from(data.label(i));
            let p = crate::model::runtime::softmax(z);
            if crate::model::runtime::argmax(z) == label {
                correct += 1;
            }
            loss -= f64::from(p[label].max(1e-12).ln());
            for (k, pk) in p.iter().enumerate() {
                d[s * classes + k] = pk - if k == label { 1.0 } else { 0.0 };
            }
        }
        let mut dw: Vec<Vec<f32>> = self.layers.iter().map(|_| Vec::new()).collect();
        let mut db: Vec<Vec<f32>> = self.layers.iter().map(|_| Vec::new()).collect();
        for (k, ((op, [c, h, wd]), cache)) in self.ops.iter().zip(caches).enumerate().rev() {
            match (op, cache) {
                (Op::W(li), Cache::W(cols)) => {
                    let l = &self.layers[*li];
                    let need_dx = k > 0;
                    let (gw, gb, dx) =
                        gemm_backward(&w[*li], &cols, &d, n, l, [*c, *h, *wd], need_dx)?;
                    dw[*li] = gw;
                    db[*li] = gb;
                    d = dx;
                }
                (Op::Relu, Cache::Relu(y)) => {
                    d.iter_mut().zip(&y).for_each(|(g, y)| {
                        if *y <= 0.0 {
                            *g = 0.0
                        }
                    });
                }
                (Op::Pool(_), Cache::Pool(idx)) => {
                    let mut dx = vec![0.0f32; n * c * h * wd];
                    for (g, &j) in d.iter().zip(&idx) {
                        dx[j as usize] += g;
                    }
                    d = dx;
                }
                _ => {}
            }
            if d.is_empty() {
                break;
            }
        }
        Ok(Grads {
            dw,
            db,
            loss,
            correct,
        })
    }

    /// Trains on `train` as `cfg` says; `on_step(epoch, step, steps_per_epoch,
    /// mean loss so far, running accuracy)` reports progress. A loop over
    /// [`Fit::step`] (which a caller can drive batch by batch instead).
    pub fn fit(
        &mut self,
        train: &Dataset,
        cfg: &TrainConfig,
        mut on_step: impl FnMut(usize, usize, usize, f64, f64),
        mut on_epoch: impl FnMut(usize, &Net),
    ) -> Result<TrainReport> {
        let start = std::time::Instant::now();
        let mut run = Fit::new(train, cfg)?;
        while !run.is_done() {
            let p = run.step(self)?;
            on_step(
                p.epoch,
                p.step,
                p.steps_per_epoch,
                p.mean_loss,
                p.train_accuracy,
            );
            if p.epoch_done {
                on_epoch(p.epoch, self);
            }
        }
        let (last_loss, last_train_accuracy) = run.last_epoch().unwrap_or((0.0, 0.0));
        Ok(TrainReport {
            last_loss,
            last_train_accuracy,
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// One Adam step on the images `idx`; returns (loss sum, correct).
    pub(super) fn step(
        &mut self,
        data: &Dataset,
        idx: &[usize],
        lr: f32,
        threads: usize,
    ) -> Result<(f64, usize)> {
        let w = self.effective_weights()?;
        let b = self.biases();
        let half = idx.len() / 2;
        let (a, bb) = idx.split_at(half);
        let (g1, g2) = if threads >= 2 {
            std::thread::scope(|s| {
                let h = s.spawn(|| self.grads(&w, &b, data, bb));
                let g1 = self.grads(&w, &b, data, a);
                (g1, h.join())
            })
        } else {
            (
                self.grads(&w, &b, data, a),
                Ok(self.grads(&w, &b, data, bb)),
            )
        };
        let g2 = g2.map_err(|_| Error::invalid("training", "a worker thread failed"))??;
        let g1 = g1?;
        let scale = 1.0 / idx.len() as f32;
        self.step += 1;
        let t = self.step as i32;
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let c1 = 1.0 - b1.powi(t);
        let c2 = 1.0 - b2.powi(t);
        for (li, l) in self.layers.iter_mut().enumerate() {
            let dw: Vec<f32> = g1.dw[li]
                .iter()
                .zip(&g2.dw[li])
                .map(|(x, y)| (x + y) * scale)
                .collect();
            let de = grad_to_epitome(&l.esp, &dw)?;
            let dbias: Vec<f32> = g1.db[li]
                .iter()
                .zip(&g2.db[li])
                .map(|(x, y)| (x + y) * scale)
                .collect();
            adam(
                &mut l.e, &de, &mut l.m.0, &mut l.v.0, lr, b1, b2, eps, c1, c2,
            );
            adam(
                &mut l.b, &dbias, &mut l.m.1, &mut l.v.1, lr, b1, b2, eps, c1, c2,
            );
            if let Some((me, mb)) = &l.mask {
                l.e.iter_mut().zip(me).for_each(|(v, m)| *v *= m);
                l.b.iter_mut().zip(mb).for_each(|(v, m)| *v *= m);
            }
        }
        Ok((g1.loss + g2.loss, g1.correct + g2.correct))
    }

    /// Masks the weakest units (L1 norm) of every prunable layer: output
    /// channels of every convolution but the first (filter), or crossbar rows
    /// of every weight layer but the first that spans more than one crossbar
    /// row block (xrs).
    pub(super) fn prune(&mut self, p: &PruneSpec) -> Result<()> {
        for (li, l) in self.layers.iter_mut().enumerate() {
            if li == 0 || l.spec.epitome.is_some() {
                continue;
            }
            let rows = l.rows();
            let c_out = l.spec.c_out;
            let mut me = vec![1.0f32; l.e.len()];
            let mut mb = vec![1.0f32; c_out];
            match p.kind {
                PruneKind::Filter => {
                    if l.spec.k == 1 {
                        continue; // the classifier keeps its classes
                    }
                    let norms: Vec<f32> = (0..c_out)
                        .map(|o| l.e[o * rows..(o + 1) * rows].iter().map(|v| v.abs()).sum())
                        .collect();
                    for o in weakest(&norms, crate::prune::n_pruned(c_out, p.ratio)) {
                        me[o * rows..(o + 1) * rows]
                            .iter_mut()
                            .for_each(|v| *v = 0.0);
                        mb[o] = 0.0;
                    }
                }
                PruneKind::Xrs => {
                    let kk = l.spec.k * l.spec.k;
                    let blocks = l.spec.c_in.div_ceil((XBAR_ROWS / kk).max(1));
                    if blocks <= 1 {
                        continue;
                    }
                    let norms: Vec<f32> = (0..rows)
                        .map(|r| (0..c_out).map(|o| l.e[o * rows + r].abs()).sum())
                        .collect();
                    for r in weakest(&norms, crate::prune::n_pruned(rows, p.ratio)) {
                        (0..c_out).for_each(|o| me[o * rows + r] = 0.0);
                    }
                    l.spec.prune = Some(*p);
                }
                _ => return Err(Error::invalid("prune", "only filter and xrs are trainable")),
            }
            l.e.iter_mut().zip(&me).for_each(|(v, m)| *v *= m);
            l.b.iter_mut().zip(&mb).for_each(|(v, m)| *v *= m);
            l.mask = Some((me, mb));
        }
        Ok(())
    }

    /// Float accuracy of the network (no activation quantization) on the first
    /// `n` images of `data`.
    pub fn quick_accuracy(&self, data: &Dataset, n: usize) -> Result<f64> {
        let w = self.effective_weights()?;
        let b = self.biases();
        crate::train::backend::batched_accuracy(data, n, self.arch.classes, |start, end| {
            let mut x = Vec::new();
            for i in start..end {
                x.extend(data.image(i).iter().map(|&p| f32::from(p) / 255.0));
            }
            Ok(self.forward(&w, &b, x, end - start, false)?.0)
        })
    }

    /// The trained model: quantized weights (`w_bits`), filter-pruned channels
    /// removed, activations calibrated on `calib` (`a_bits`; max for the first
    /// layer's pixels, 99.99th percentile after), with `metadata`.
    pub fn export(
        &self,
        calib: &Dataset,
        a_bits: u32,
        metadata: BTreeMap<String, String>,
    ) -> Result<Model> {
        let mut arch = self.arch.clone();
        let mut weights: Vec<(Vec<f32>, Vec<f32>)> = Vec::new();
        for l in &self.layers {
            let mut e = l.e.clone();
            let mut b = l.b.clone();
            if let Some((me, mb)) = &l.mask {
                e.iter_mut().zip(me).for_each(|(v, m)| *v *= m);
                b.iter_mut().zip(mb).for_each(|(v, m)| *v *= m);
            }
            weights.push((e, b));
        }
        // Layer specs: w_bits and the pruning record.
        let mut li = 0;
        for layer in &mut arch.layers {
            if let LayerSpec::Conv(s) | LayerSpec::Dense(s) = layer {
                s.w_bits = s.w_bits.or(self.w_bits);
                s.prune = self.layers[li].spec.prune;
                li += 1;
            }
        }
        // Filter pruning: remove masked output channels and the inputs they fed.
        let filter = self
            .layers
            .iter()
            .any(|l| l.mask.as_ref().is_some_and(|(_, mb)| mb.contains(&0.0)));
        if filter {
            shrink(&mut arch, &mut weights, &self.layers)?;
        }
        calibrated_model(arch, weights, metadata, calib, a_bits)
    }
}

/// Kaiming-uniform initial values of a weight layer's stored parameters (an
/// epitome entry gets the distribution of the weights it feeds: fan-in
/// `c_in*k*k`; the classifier (`last`) gets half the variance), drawn from
/// `rng` in storage order. Every training backend starts from these values.
pub(crate) fn init_epitome(l: &WeightLayerSpec, last: bool, rng: &mut Rng) -> Vec<f32> {
    let fan_in = (l.c_in * l.k * l.k) as f32;
    let bound = if last {
        (3.0 / fan_in).sqrt()
    } else {
        (6.0 / fan_in).sqrt()
    };
    (0..l.stored_len()).map(|_| rng.uniform(bound)).collect()
}

/// The model of `arch` (weight bits already set per layer) with stored float
/// weights and biases `weights`, its activations calibrated on the first 256
/// images of `calib` to `a_bits` (max for the first layer's pixels, 99.99th
/// percentile after). Every training backend exports through this.
pub(crate) fn calibrated_model(
    arch: ArchSpec,
    weights: Vec<(Vec<f32>, Vec<f32>)>,
    metadata: BTreeMap<String, String>,
    calib: &Dataset,
    a_bits: u32,
) -> Result<Model> {
    let mut model = Model::from_float(arch, weights, metadata)?;
    // Calibrate every weight layer's input on one float pass.
    let n = calib.len().min(256);
    let [c, h, w] = model.arch().input;
    let mut x = Vec::with_capacity(n * h * w);
    for i in 0..n {
        x.extend(calib.image(i).iter().map(|&p| f32::from(p) / 255.0));
    }
    let x = crate::nn::Tensor4::new("calibration", [n, c, h, w], x)?;
    let inputs = model.layer_inputs(&x)?;
    for (i, input) in inputs.iter().enumerate() {
        let method = if i == 0 {
            Calibration::Max
        } else {
            Calibration::Percentile(99.99)
        };
        let act = calibrate(input, a_bits, method)?;
        model.set_activation(i, act)?;
    }
    Ok(model)
}

/// Removes filter-pruned output channels (bias mask 0) of every convolution and
/// the matching inputs of the next weight layer.
fn shrink(
    arch: &mut ArchSpec,
    weights: &mut [(Vec<f32>, Vec<f32>)],
    layers: &[WLayer],
) -> Result<()> {
    let shapes = arch.validate()?;
    let mut wl = 0usize;
    // (kept channels of the previous weight layer's output, spatial size at the next)
    let mut kept_prev: Option<Vec<usize>> = None;
    for (layer, shape) in arch.layers.iter_mut().zip(&shapes) {
        let (LayerSpec::Conv(s) | LayerSpec::Dense(s)) = layer else {
            continue;
        };
        let l = &layers[wl];
        let (e, b) = &mut weights[wl];
        // Inputs first: drop the inputs fed by removed channels.
        if let Some(kept) = kept_prev.take() {
            let prev_c = layers[wl - 1].spec.c_out;
            let per = shape[0] / prev_c; // features per channel after flatten (h*w), 1 for conv
            let rows_old = s.c_in * s.k * s.k;
            let kk = s.k * s.k;
            let keep_in: Vec<usize> = kept
                .iter()
                .flat_map(|&ch| (ch * per..(ch + 1) * per).collect::<Vec<_>>())
                .collect();
            let mut ne = Vec::with_capacity(s.c_out * keep_in.len() * kk);
            for o in 0..s.c_out {
                for &i in &keep_in {
                    ne.extend_from_slice(&e[o * rows_old + i * kk..o * rows_old + (i + 1) * kk]);
                }
            }
            *e = ne;
            s.c_in = keep_in.len();
        }
        let removed: Vec<usize> = match &l.mask {
            Some((_, mb)) if s.k > 1 => (0..mb.len()).filter(|&o| mb[o] == 0.0).collect(),
            _ => Vec::new(),
        };
        if !removed.is_empty() {
            let rows = s.c_in * s.k * s.k;
            let kept: Vec<usize> = (0..s.c_out).filter(|o| !removed.contains(o)).collect();
            *e = kept
                .iter()
                .flat_map(|&o| e[o * rows..(o + 1) * rows].to_vec())
                .collect();
            *b = kept.iter().map(|&o| b[o]).collect();
            s.c_out = kept.len();
            kept_prev = Some(kept);
        }
        wl += 1;
    }
    arch.validate()?;
    Ok(())
}

fn weakest(norms: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..norms.len()).collect();
    idx.sort_by(|&a, &b| norms[a].total_cmp(&norms[b]).then(a.cmp(&b)));
    idx.truncate(k);
    idx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{conv2d, ConvParams, Tensor4};
    use crate::train::arch::{apply_design, architecture, epitome_design};

    /// The trainer's forward pass (epitome sampled through the index map, then
    /// im2col) equals the crate's reference convolution of the materialized
    /// weights.
    #[test]
    fn epitome_forward_matches_reference_conv() {
        let arch = architecture("tiny").unwrap();
        let design = epitome_design(&arch, 2.0).unwrap();
        let arch = apply_design(&arch, &design).unwrap();
        let net = Net::new(&arch, None, 7).unwrap();
        let l = &net.layers[1];
        assert!(l.spec.epitome.is_some());
        let w = net.effective_weights().unwrap();
        let b: Vec<f32> = (0..l.spec.c_out).map(|o| o as f32 * 0.1).collect();
        let [c, h, wd] = l.in_shape;
        let mut rng = Rng::new(3);
        let x: Vec<f32> = (0..2 * c * h * wd).map(|_| rng.unit()).collect();
        let cols = im2col(&x, 2, l.in_shape, &l.spec, l.out_hw);
        let got = gemm_forward(&w[1], &b, &cols, 2, l).unwrap();
        let wt = crate::epitome::materialize(&l.esp, &l.e).unwrap();
        let xt = Tensor4::new("x", [2, c, h, wd], x).unwrap();
        let want = conv2d(
            &xt,
            &wt,
            Some(&b),
            ConvParams {
                stride: 1,
                padding: 1,
            },
        )
        .unwrap();
        for (a, b) in got.iter().zip(want.data()) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    /// The backward pass matches finite differences of the loss.
    #[test]
    fn gradients_match_finite_differences() {
        let arch = architecture("tiny").unwrap();
        let net = Net::new(&arch, None, 5).unwrap();
        let mut rng = Rng::new(9);
        let imgs: Vec<u8> = (0..4 * 784).map(|_| (rng.unit() * 255.0) as u8).collect();
        let data = Dataset::new(28, 28, imgs, vec![1, 2, 3, 4]).unwrap();
        let idx = [0usize, 1, 2, 3];
        let w = net.effective_weights().unwrap();
        let b = net.biases();
        let g = net.grads(&w, &b, &data, &idx).unwrap();
        for (li, r) in [(0usize, 4usize), (1, 17), (2, 100)] {
            let h = 1e-2f32;
            let mut wp = w.clone();
            wp[li][r] += h;
            let lp = net.grads(&wp, &b, &data, &idx).unwrap().loss;
            wp[li][r] -= 2.0 * h;
            let lm = net.grads(&wp, &b, &data, &idx).unwrap().loss;
            let fd = (lp - lm) / (2.0 * f64::from(h));
            let an = f64::from(g.dw[li][r]);
            assert!(
                (fd - an).abs() < 2e-2 * (1.0 + an.abs()),
                "layer {li} w{r}: fd {fd} vs {an}"
            );
        }
    }
}
