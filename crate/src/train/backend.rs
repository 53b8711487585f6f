//! `epim train --backend native|burn`: one trainer type over both backends.

use std::collections::BTreeMap;

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::{ArchSpec, Model};
use crate::train::{Net, TrainConfig, TrainReport};

/// Which trainer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The crate's own pure-Rust trainer ([`Net`]).
    #[default]
    Native,
    /// burn's `flex` CPU backend with autodiff (feature `burn`).
    Burn,
}

impl Backend {
    /// Backend names.
    pub const NAMES: [&'static str; 2] = ["native", "burn"];

    /// `native` or `burn`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "native" => Ok(Backend::Native),
            "burn" => Ok(Backend::Burn),
            _ => Err(Error::Unknown {
                kind: "training backend".into(),
                name: name.into(),
                known: Backend::NAMES.join(", "),
            }),
        }
    }

    /// The backend's name.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Native => "native",
            Backend::Burn => "burn",
        }
    }
}

/// Images per forward pass of [`batched_accuracy`].
const ACCURACY_BATCH: usize = 200;

/// The fraction of the first `n` images of `data` (at least one) whose largest
/// logit is their label; `logits(start, end)` returns the `classes` logits of each
/// image `start..end`, row-major. Both trainers' `quick_accuracy`.
pub(crate) fn batched_accuracy(
    data: &Dataset,
    n: usize,
    classes: usize,
    mut logits: impl FnMut(usize, usize) -> Result<Vec<f32>>,
) -> Result<f64> {
    let n = n.min(data.len()).max(1);
    let mut correct = 0;
    for start in (0..n).step_by(ACCURACY_BATCH) {
        let end = (start + ACCURACY_BATCH).min(n);
        let z = logits(start, end)?;
        for (s, row) in z.chunks(classes).enumerate() {
            if crate::model::runtime::argmax(row) == usize::from(data.label(start + s)) {
                correct += 1;
            }
        }
    }
    Ok(correct as f64 / n as f64)
}

/// What an epoch callback can ask of the network being trained.
pub trait Evaluate {
    /// Float accuracy (activations not quantized) on the first `n` images.
    fn quick_accuracy(&self, data: &Dataset, n: usize) -> Result<f64>;
}

impl Evaluate for Net {
    fn quick_accuracy(&self, data: &Dataset, n: usize) -> Result<f64> {
        Net::quick_accuracy(self, data, n)
    }
}

#[cfg(feature = "burn")]
impl Evaluate for crate::train::burn::BurnNet {
    fn quick_accuracy(&self, data: &Dataset, n: usize) -> Result<f64> {
        crate::train::burn::BurnNet::quick_accuracy(self, data, n)
    }
}

/// A network being trained by one of the backends; both export the same
/// model format.
#[derive(Debug, Clone)]
pub enum Trainer {
    /// The native trainer.
    Native(Net),
    /// The burn trainer.
    #[cfg(feature = "burn")]
    Burn(crate::train::burn::BurnNet),
}

impl Trainer {
    /// A freshly initialised network of `arch` on `backend` (both backends
    /// start from the same values for the same seed).
    ///
    /// Errors: an invalid architecture, or `burn` in a build without the
    /// `burn` feature.
    pub fn new(backend: Backend, arch: &ArchSpec, w_bits: Option<u32>, seed: u64) -> Result<Self> {
        match backend {
            Backend::Native => Ok(Trainer::Native(Net::new(arch, w_bits, seed)?)),
            #[cfg(feature = "burn")]
            Backend::Burn => Ok(Trainer::Burn(crate::train::burn::BurnNet::new(
                arch, w_bits, seed,
            )?)),
            #[cfg(not(feature = "burn"))]
            Backend::Burn => Err(Error::invalid(
                "backend",
                "this epim was built without the `burn` feature; use `cargo run --release --features burn -p epim -- train --backend burn ...` or --backend native",
            )),
        }
    }

    /// Trains as [`Net::fit`] does; `on_epoch(epoch, net)` can evaluate the
    /// network after every epoch.
    pub fn fit(
        &mut self,
        train: &Dataset,
        cfg: &TrainConfig,
        on_step: impl FnMut(usize, usize, usize, f64, f64),
        mut on_epoch: impl FnMut(usize, &dyn Evaluate),
    ) -> Result<TrainReport> {
        match self {
            Trainer::Native(n) => n.fit(train, cfg, on_step, |e, n| on_epoch(e, n)),
            #[cfg(feature = "burn")]
            Trainer::Burn(n) => n.fit(train, cfg, on_step, |e, n| on_epoch(e, n)),
        }
    }

    /// Float accuracy on the first `n` images of `data`.
    pub fn quick_accuracy(&self, data: &Dataset, n: usize) -> Result<f64> {
        match self {
            Trainer::Native(n_) => n_.quick_accuracy(data, n),
            #[cfg(feature = "burn")]
            Trainer::Burn(n_) => n_.quick_accuracy(data, n),
        }
    }

    /// The trained model (see [`Net::export`]).
    pub fn export(
        &self,
        calib: &Dataset,
        a_bits: u32,
        metadata: BTreeMap<String, String>,
    ) -> Result<Model> {
        match self {
            Trainer::Native(n) => n.export(calib, a_bits, metadata),
            #[cfg(feature = "burn")]
            Trainer::Burn(n) => n.export(calib, a_bits, metadata),
        }
    }
}
