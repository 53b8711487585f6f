//! A network of [`EpitomeConv`] layers trained with burn's autodiff and Adam.

use std::collections::BTreeMap;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Device, Tensor, TensorData};

use super::layer::{read, EpitomeConv};
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::runtime::{argmax, softmax};
use crate::model::{ArchSpec, LayerSpec, Model};
use crate::train::net::{calibrated_model, init_epitome};
use crate::train::{epoch_order, limited, Rng, TrainConfig, TrainReport};

/// The trainable parameters: one [`EpitomeConv`] per weight layer, in order.
#[derive(Module, Debug)]
pub struct BurnParams {
    /// The weight layers.
    pub layers: Vec<EpitomeConv>,
}

#[derive(Debug, Clone, Copy)]
enum Op {
    W(usize),
    Relu,
    Pool(usize),
    Flatten,
}

/// A `cnn` / `tiny` network (any [`ArchSpec`]) on burn's `flex` CPU backend
/// with autodiff. Starts from the same seeded initialisation as
/// [`crate::train::Net`], shuffles with the same seeded order and uses the
/// same cosine learning rate; the optimizer is burn's Adam.
#[derive(Debug, Clone)]
pub struct BurnNet {
    arch: ArchSpec,
    ops: Vec<Op>,
    params: BurnParams,
    w_bits: Option<u32>,
    device: Device,
}

/// The device every burn network trains on: `flex` with autodiff.
pub fn train_device() -> Device {
    Device::flex().autodiff()
}

impl BurnNet {
    /// A network with the seeded Kaiming-uniform initialisation of
    /// [`crate::train::Net::new`] (the same values for the same seed).
    pub fn new(arch: &ArchSpec, w_bits: Option<u32>, seed: u64) -> Result<Self> {
        arch.validate()?;
        let device = train_device();
        let mut rng = Rng::new(seed);
        let n_weight = arch.weight_layers().count();
        let mut layers = Vec::with_capacity(n_weight);
        let mut ops = Vec::with_capacity(arch.layers.len());
        for layer in &arch.layers {
            ops.push(match layer {
                LayerSpec::Conv(l) | LayerSpec::Dense(l) => {
                    let e = init_epitome(l, layers.len() + 1 == n_weight, &mut rng);
                    let b = vec![0.0; l.c_out];
                    layers.push(EpitomeConv::new(l, &e, &b, w_bits, &device)?);
                    Op::W(layers.len() - 1)
                }
                LayerSpec::Relu => Op::Relu,
                LayerSpec::MaxPool { k } => Op::Pool(*k),
                LayerSpec::Flatten => Op::Flatten,
            });
        }
        Ok(BurnNet {
            arch: arch.clone(),
            ops,
            params: BurnParams { layers },
            w_bits,
            device,
        })
    }

    /// The trainable parameters.
    pub fn params(&self) -> &BurnParams {
        &self.params
    }

    /// Logits `[n, classes]` of `x` (`[n, c, h, w]`) with `params`.
    fn forward(&self, params: &BurnParams, mut x: Tensor<4>) -> Tensor<2> {
        for op in &self.ops {
            x = match *op {
                Op::W(i) => match params.layers.get(i) {
                    Some(l) => l.forward(x),
                    None => x,
                },
                Op::Relu => relu(x),
                Op::Pool(k) => max_pool2d(x, MaxPoolOptions::new([k, k])),
                Op::Flatten => {
                    let [n, c, h, w] = x.dims();
                    x.reshape([n, c * h * w, 1, 1])
                }
            };
        }
        let [n, classes, _, _] = x.dims();
        x.reshape([n, classes])
    }

    /// The images `idx` of `data` as a `[n, c, h, w]` tensor in `[0, 1]`.
    fn batch(&self, data: &Dataset, idx: &[usize], device: &Device) -> Tensor<4> {
        let [c, h, w] = self.arch.input;
        let mut x = Vec::with_capacity(idx.len() * c * h * w);
        for &i in idx {
            x.extend(data.image(i).iter().map(|&p| f32::from(p) / 255.0));
        }
        Tensor::from_data(TensorData::new(x, [idx.len(), c, h, w]), device)
    }

    /// Trains on `train` as `cfg` says (`threads` is ignored: the `flex` backend
    /// is built without its `rayon` feature, so it runs on one thread; pruning is not supported; the report's
    /// `seconds` is 0 on wasm32); `on_step(epoch,
    /// step, steps_per_epoch, mean loss so far, running accuracy)` reports
    /// progress, `on_epoch(epoch, net)` runs after every epoch.
    pub fn fit(
        &mut self,
        train: &Dataset,
        cfg: &TrainConfig,
        mut on_step: impl FnMut(usize, usize, usize, f64, f64),
        mut on_epoch: impl FnMut(usize, &BurnNet),
    ) -> Result<TrainReport> {
        cfg.validate()?;
        if cfg.prune.is_some() {
            return Err(Error::invalid(
                "prune",
                "pruning is only implemented by the native trainer; use --backend native",
            ));
        }
        if [train.rows(), train.cols()] != [self.arch.input[1], self.arch.input[2]] {
            return Err(Error::shape(
                "train images",
                format!("{:?}", &self.arch.input[1..]),
                format!("[{}, {}]", train.rows(), train.cols()),
            ));
        }
        // std has no clock on wasm32-unknown-unknown (`Instant::now` panics
        // there): the wasm caller times the run itself.
        #[cfg(not(target_arch = "wasm32"))]
        let start = std::time::Instant::now();
        let data = limited(train, cfg.train_limit);
        if data.len() < cfg.batch {
            return Err(Error::invalid(
                "train data",
                format!("needs at least {} images", cfg.batch),
            ));
        }
        let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
        let mut rng = Rng::new(cfg.seed.wrapping_add(0x5EED));
        let steps = data.len() / cfg.batch;
        let total = (steps * cfg.epochs) as f32;
        let classes = self.arch.classes;
        let mut report = TrainReport {
            last_loss: 0.0,
            last_train_accuracy: 0.0,
            seconds: 0.0,
        };
        for epoch in 0..cfg.epochs {
            let order = epoch_order(data.len(), &mut rng);
            let (mut loss, mut correct, mut seen) = (0.0f64, 0usize, 0usize);
            for s in 0..steps {
                let t = (epoch * steps + s) as f32 / total;
                let lr = cfg.lr * (0.05 + 0.95 * 0.5 * (1.0 + (std::f32::consts::PI * t).cos()));
                let idx = &order[s * cfg.batch..(s + 1) * cfg.batch];
                let n = idx.len();
                let x = self.batch(&data, idx, &self.device);
                let mut onehot = vec![0.0f32; n * classes];
                for (j, &i) in idx.iter().enumerate() {
                    onehot[j * classes + usize::from(data.label(i)) % classes] = 1.0;
                }
                let target =
                    Tensor::<2>::from_data(TensorData::new(onehot, [n, classes]), &self.device);
                let logits = self.forward(&self.params, x);
                let mean_loss = log_softmax(logits.clone(), 1)
                    .mul(target)
                    .sum()
                    .neg()
                    .div_scalar(n as f32);
                let grads = GradientsParams::from_grads(mean_loss.backward(), &self.params);
                self.params = optim.step(f64::from(lr), self.params.clone(), grads);
                // Statistics of the batch (before the step), on the host.
                let z = read(logits.detach())?;
                for (j, &i) in idx.iter().enumerate() {
                    let row = &z[j * classes..(j + 1) * classes];
                    let label = usize::from(data.label(i));
                    if argmax(row) == label {
                        correct += 1;
                    }
                    let p = softmax(row);
                    loss -= f64::from(p.get(label).copied().unwrap_or(0.0).max(1e-12).ln());
                }
                seen += n;
                on_step(
                    epoch,
                    s,
                    steps,
                    loss / seen as f64,
                    correct as f64 / seen as f64,
                );
            }
            report.last_loss = loss / seen as f64;
            report.last_train_accuracy = correct as f64 / seen as f64;
            on_epoch(epoch, self);
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            report.seconds = start.elapsed().as_secs_f64();
        }
        Ok(report)
    }

    /// Float accuracy (weights quantized when `w_bits`, activations float) on
    /// the first `n` images of `data`, without autodiff.
    pub fn quick_accuracy(&self, data: &Dataset, n: usize) -> Result<f64> {
        let params = self.params.valid();
        let device = self.device.clone().without_autodiff();
        crate::train::backend::batched_accuracy(data, n, self.arch.classes, |start, end| {
            let idx: Vec<usize> = (start..end).collect();
            read(self.forward(&params, self.batch(data, &idx, &device)))
        })
    }

    /// The trained model in the crate's format, exactly as
    /// [`crate::train::Net::export`] builds it: weights quantized per epitome
    /// row (`w_bits`), activations calibrated on `calib` (`a_bits`), with
    /// `metadata`.
    pub fn export(
        &self,
        calib: &Dataset,
        a_bits: u32,
        metadata: BTreeMap<String, String>,
    ) -> Result<Model> {
        let mut arch = self.arch.clone();
        for layer in &mut arch.layers {
            if let LayerSpec::Conv(s) | LayerSpec::Dense(s) = layer {
                s.w_bits = self.w_bits;
            }
        }
        let weights = self
            .params
            .layers
            .iter()
            .map(EpitomeConv::values)
            .collect::<Result<Vec<_>>>()?;
        calibrated_model(arch, weights, metadata, calib, a_bits)
    }
}
