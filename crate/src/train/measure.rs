//! A short training run that measures a design's accuracy (`epim search
//! --evaluate train`): train the architecture, export it as a model (quantized
//! weights, calibrated activations) and measure the exported model on a test set.

use super::{Net, TrainConfig};
use crate::data::Dataset;
use crate::error::Error;
use crate::error::Result;
use crate::model::{ArchSpec, Model};
use std::collections::BTreeMap;

/// Classifies every image of `test` with `model` and records the accuracy in the
/// model's metadata (`epim.accuracy_0_to_1`, `epim.test_images`); returns the
/// number classified correctly. Errors on an empty `test`.
pub fn score(model: &mut Model, test: &Dataset) -> Result<usize> {
    if test.is_empty() {
        return Err(Error::invalid("test", "holds no images"));
    }
    let predicted = model.classify(test, 0, test.len())?;
    let correct = predicted
        .iter()
        .zip(test.labels())
        .filter(|(p, l)| **p == usize::from(**l))
        .count();
    let acc = correct as f64 / test.len() as f64;
    model.set_metadata("epim.accuracy_0_to_1", format!("{acc:.4}"));
    model.set_metadata("epim.test_images", test.len().to_string());
    Ok(correct)
}

/// What [`train_and_measure`] reports (the search summary's type).
pub use crate::search::summary::Measured;

/// Trains `arch` as `cfg` says on `train` (the first `cfg.train_limit` images),
/// exports the model with `cfg.a_bits` activations and measures it on every
/// image of `test`. `on_step` is the trainer's progress callback
/// ([`Net::fit`]).
pub fn train_and_measure(
    arch: &ArchSpec,
    cfg: &TrainConfig,
    train: &Dataset,
    test: &Dataset,
    on_step: impl FnMut(usize, usize, usize, f64, f64),
) -> Result<Measured> {
    let start = std::time::Instant::now();
    cfg.validate()?;
    let mut net = Net::new(arch, cfg.w_bits, cfg.seed)?;
    net.fit(train, cfg, on_step, |_, _| {})?;
    let model = net.export(train, cfg.a_bits, BTreeMap::new())?;
    let accuracy_0_to_1 = model.accuracy(test, None)?;
    Ok(Measured {
        accuracy_0_to_1,
        test_images: test.len(),
        train_images: cfg.train_limit.unwrap_or(train.len()).min(train.len()),
        params: model.param_count(),
        seconds: start.elapsed().as_secs_f64(),
    })
}
