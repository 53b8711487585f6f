//! A training run one batch at a time ([`Fit`]): what the page's training worker
//! steps, reports on, pauses and cancels between batches.

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::train::{epoch_order, limited, Net, Rng, TrainConfig};

/// A training run in progress: [`Net::fit`] one batch at a time, so that a caller
/// (the page's training worker) can report, pause and cancel between batches. The
/// schedule is `fit`'s exactly (same shuffles, learning rates and pruning point), so
/// stepping a run to the end gives the bit-identical model.
#[derive(Debug, Clone)]
pub struct Fit {
    cfg: TrainConfig,
    data: Dataset,
    rng: Rng,
    steps: usize,
    epoch: usize,
    step: usize,
    order: Vec<usize>,
    loss: f64,
    correct: usize,
    seen: usize,
    last: Option<(f64, f64)>,
}

/// Where a [`Fit`] stands after one batch.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FitProgress {
    /// Epoch of the batch (0-based).
    pub epoch: usize,
    /// Batch within the epoch (0-based).
    pub step: usize,
    /// Batches per epoch.
    pub steps_per_epoch: usize,
    /// Mean training loss of the epoch so far.
    pub mean_loss: f64,
    /// Running training accuracy of the epoch so far, in `[0, 1]`.
    pub train_accuracy: f64,
    /// The batch ended its epoch.
    pub epoch_done: bool,
    /// The batch ended the run.
    pub done: bool,
}

impl Fit {
    /// A run of `cfg` on `train` (validated; at least one batch of images).
    pub fn new(train: &Dataset, cfg: &TrainConfig) -> Result<Fit> {
        cfg.validate()?;
        let data = limited(train, cfg.train_limit);
        if data.len() < cfg.batch {
            return Err(Error::invalid(
                "train data",
                format!("needs at least {} images", cfg.batch),
            ));
        }
        Ok(Fit {
            rng: Rng::new(cfg.seed.wrapping_add(0x5EED)),
            steps: data.len() / cfg.batch,
            cfg: cfg.clone(),
            data,
            epoch: 0,
            step: 0,
            order: Vec::new(),
            loss: 0.0,
            correct: 0,
            seen: 0,
            last: None,
        })
    }

    /// Every batch of every epoch has run.
    pub fn is_done(&self) -> bool {
        self.epoch >= self.cfg.epochs
    }

    /// Batches the whole run takes.
    pub fn total_steps(&self) -> usize {
        self.steps * self.cfg.epochs
    }

    /// Batches run so far.
    pub fn steps_done(&self) -> usize {
        self.epoch * self.steps + self.step
    }

    /// Mean loss and training accuracy of the last finished epoch.
    pub fn last_epoch(&self) -> Option<(f64, f64)> {
        self.last
    }

    /// Trains `net` on the next batch (pruning `net` first when the last epoch
    /// starts, as `cfg.prune` says). An error once the run is done.
    pub fn step(&mut self, net: &mut Net) -> Result<FitProgress> {
        if self.is_done() {
            return Err(Error::invalid("training", "the run has finished"));
        }
        let b = self.cfg.batch;
        if self.step == 0 {
            if let Some(p) = &self.cfg.prune {
                if self.epoch + 1 == self.cfg.epochs {
                    net.prune(p)?;
                }
            }
            self.order = epoch_order(self.data.len(), &mut self.rng);
            (self.loss, self.correct, self.seen) = (0.0, 0, 0);
        }
        let t = self.steps_done() as f32 / self.total_steps() as f32;
        let lr = self.cfg.lr * (0.05 + 0.95 * 0.5 * (1.0 + (std::f32::consts::PI * t).cos()));
        let idx = &self.order[self.step * b..(self.step + 1) * b];
        let (l, c) = net.step(&self.data, idx, lr, self.cfg.threads)?;
        self.loss += l;
        self.correct += c;
        self.seen += idx.len();
        let (mean_loss, train_accuracy) = (
            self.loss / self.seen as f64,
            self.correct as f64 / self.seen as f64,
        );
        let mut progress = FitProgress {
            epoch: self.epoch,
            step: self.step,
            steps_per_epoch: self.steps,
            mean_loss,
            train_accuracy,
            epoch_done: false,
            done: false,
        };
        self.step += 1;
        if self.step == self.steps {
            self.last = Some((mean_loss, train_accuracy));
            self.epoch += 1;
            self.step = 0;
            progress.epoch_done = true;
        }
        progress.done = self.is_done();
        Ok(progress)
    }
}
