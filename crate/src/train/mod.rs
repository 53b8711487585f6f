//! Training the playground's small CNNs on MNIST / Fashion-MNIST (feature
//! `train`, native only).
//!
//! A small, deterministic, pure-Rust trainer: im2col convolutions, ReLU, max
//! pooling, dense layers, softmax cross-entropy, Adam with a cosine learning
//! rate ([`Net`]). With the `burn` feature, the module `burn` trains the same
//! architectures with burn's `flex` CPU backend, autodiff and Adam
//! (`burn::BurnNet`); [`Trainer`] runs either (`epim train --backend`).
//!
//! - **Epitome layers**: the parameter is `E`; every step samples
//!   `W = E[index map]` ([`crate::epitome::Sampler::index_map`]) and runs the
//!   convolution with `W`; the gradient `dL/dW` is scatter-added back into `E`
//!   with [`crate::epitome::grad_to_epitome`].
//! - **QAT**: with `w_bits`, the forward pass uses `E` quantized per row
//!   ([`crate::quant::quantize_rows`]) and the gradient passes straight through
//!   to the float `E` (straight-through estimator).
//! - **Pruning** (`filter` or `xrs`): after all but the last epoch, the weakest
//!   output channels (filter) or crossbar rows (xrs) are masked; the last epoch
//!   fine-tunes with the mask held. Filter-pruned models are exported shrunk.
//! - **Determinism**: one seed drives initialisation and shuffling; every batch
//!   is split into two fixed halves whose gradients are summed in order, so one
//!   or two threads give bit-identical models.

pub mod arch;
mod backend;
#[cfg(feature = "burn")]
pub mod burn;
mod fit;
mod history;
mod kernels;
mod measure;
mod net;
mod rng;
mod settings;

pub use arch::{apply_design, architecture, epitome_design, ARCH_NAMES};
pub use backend::{Backend, Evaluate, Trainer};
pub use fit::{Fit, FitProgress};
pub use history::TrainHistory;
pub use measure::{score, train_and_measure, Measured};
pub use net::{Net, TrainReport};
pub use rng::Rng;
pub use settings::{TrainPlan, TrainSettings, CALIB_IMAGES, DATASETS};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::prune::{PruneKind, PruneSpec};

/// Everything `epim train` needs.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    /// Epochs over the training set (>= 1; >= 2 with pruning).
    pub epochs: usize,
    /// Weight bits for QAT (2..=8), or float weights.
    pub w_bits: Option<u32>,
    /// Activation bits stored in the model (calibrated after training).
    pub a_bits: u32,
    /// Pruning method and ratio.
    pub prune: Option<PruneSpec>,
    /// Seed of initialisation and shuffling.
    pub seed: u64,
    /// Mini-batch size.
    pub batch: usize,
    /// Peak learning rate of Adam.
    pub lr: f32,
    /// Worker threads (1 or 2; the result does not depend on it).
    pub threads: usize,
    /// Use only the first N training images (tests).
    pub train_limit: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 2,
            w_bits: Some(8),
            a_bits: 8,
            prune: None,
            seed: 1,
            batch: 64,
            lr: 2e-3,
            threads: 1,
            train_limit: None,
        }
    }
}

impl TrainConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 || self.epochs > 100 {
            return Err(Error::invalid(
                "epochs",
                format!("must be in 1..=100, got {}", self.epochs),
            ));
        }
        if let Some(b) = self.w_bits {
            crate::quant::weights::check_weight_bits(b)
                .map_err(|_| Error::invalid("w_bits", format!("must be in 2..=8, got {b}")))?;
        }
        if !(2..=16).contains(&self.a_bits) {
            return Err(Error::invalid(
                "a_bits",
                format!("must be in 2..=16, got {}", self.a_bits),
            ));
        }
        if self.batch < 2 || self.batch > 4096 {
            return Err(Error::invalid(
                "batch",
                format!("must be in 2..=4096, got {}", self.batch),
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::invalid("lr", "must be finite and > 0"));
        }
        if let Some(p) = &self.prune {
            p.validate()?;
            if !matches!(p.kind, PruneKind::Filter | PruneKind::Xrs) {
                return Err(Error::invalid(
                    "prune",
                    format!(
                        "training supports filter and xrs pruning, got {}",
                        p.kind.name()
                    ),
                ));
            }
            if self.epochs < 2 {
                return Err(Error::invalid(
                    "epochs",
                    "pruning needs at least 2 epochs (train, then prune and fine-tune)",
                ));
            }
        }
        Ok(())
    }
}

/// Parses `METHOD:RATIO` (`filter:0.5`, `xrs:0.56`).
pub fn parse_prune(text: &str) -> Result<PruneSpec> {
    let (kind, ratio) = text
        .split_once(':')
        .ok_or_else(|| Error::invalid("prune", format!("expected METHOD:RATIO, got '{text}'")))?;
    let ratio: f64 = ratio
        .parse()
        .map_err(|_| Error::invalid("prune", format!("ratio '{ratio}' is not a number")))?;
    let spec = PruneSpec::new(PruneKind::parse(kind)?, ratio);
    spec.validate()?;
    Ok(spec)
}

/// Shuffled order of `0..n` for one epoch.
pub(crate) fn epoch_order(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
    v
}

/// The training images limited to `train_limit`.
pub(crate) fn limited(data: &Dataset, limit: Option<usize>) -> Dataset {
    match limit {
        Some(n) => data.take(n),
        None => data.clone(),
    }
}
