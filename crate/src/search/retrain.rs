//! Measuring the best designs of a search by training them briefly (`epim
//! search --evaluate train`, feature `train`): each design of the front, lowest
//! score first, and the dense network at the method bits are trained from
//! scratch with the same settings and measured on the same test images.

use std::time::Instant;

use super::summary::{EvaluatedDesign, Evaluation, ReferenceRun};
use super::{FrontPoint, RunInfo, SearchRun};
use crate::data::files::{load, DatasetName, Split};
use crate::data::Dataset;
use crate::design::EpitomeDesign;
use crate::model::ArchSpec;
use crate::train::{apply_design, train_and_measure, Measured, TrainConfig};
use crate::{Error, Result};

/// How the designs are re-trained (the `--evaluate-*` flags of `epim search`).
#[derive(Debug, Clone, PartialEq)]
pub struct RetrainSettings {
    /// Dataset of the trainings.
    pub dataset: DatasetName,
    /// Epochs of each training.
    pub epochs: usize,
    /// Training images of each training (the first N).
    pub train_limit: usize,
    /// Test images the accuracy is measured on (the first N).
    pub test_limit: usize,
    /// Training seed.
    pub seed: u64,
    /// How many front designs to train (lowest score first).
    pub top: usize,
}

/// Checks `settings` for a search of method bits `bits` before the search
/// runs (no data is read).
pub fn check(settings: &RetrainSettings, bits: u32) -> Result<()> {
    if !(2..=8).contains(&bits) {
        return Err(Error::invalid(
            "--evaluate train",
            format!(
                "layers a design does not list train at the method bits B = {bits}; \
                 quantization-aware training supports 2..=8 (use --bits 2..8)"
            ),
        ));
    }
    if settings.top == 0 {
        return Err(Error::invalid("--evaluate-top", "must be at least 1"));
    }
    if settings.test_limit == 0 {
        return Err(Error::invalid(
            "--evaluate-test-limit",
            "must be at least 1",
        ));
    }
    Ok(())
}

/// The data and training settings of the re-trainings.
pub struct Retrainer {
    settings: RetrainSettings,
    cfg: TrainConfig,
    train: Dataset,
    test: Dataset,
}

impl Retrainer {
    /// Loads the data and checks that at least one batch can be trained.
    pub fn new(settings: &RetrainSettings, bits: u32) -> Result<Self> {
        check(settings, bits)?;
        let train = load(settings.dataset, Split::Train)?;
        let test = load(settings.dataset, Split::Test)?.take(settings.test_limit);
        let cfg = TrainConfig {
            epochs: settings.epochs,
            w_bits: Some(bits),
            seed: settings.seed,
            train_limit: Some(settings.train_limit),
            ..TrainConfig::default()
        };
        cfg.validate()?;
        let n = settings.train_limit.min(train.len());
        if n < cfg.batch {
            return Err(Error::invalid(
                "--evaluate-limit",
                format!("must be at least one batch ({} images), got {n}", cfg.batch),
            ));
        }
        Ok(Retrainer {
            settings: settings.clone(),
            cfg,
            train,
            test,
        })
    }

    /// Training steps (batches) of `runs` trainings: the progress total.
    pub fn steps(&self, runs: usize) -> usize {
        let n = self.settings.train_limit.min(self.train.len());
        (n / self.cfg.batch) * self.cfg.epochs * runs
    }

    /// Trains `base` with `design` (`None`: the dense network) and measures
    /// it; `on_step(label, epoch, step, loss)` after every batch.
    fn measure(
        &self,
        base: &ArchSpec,
        design: Option<&EpitomeDesign>,
        label: &str,
        on_step: &mut dyn FnMut(&str, usize, usize, f64),
    ) -> Result<Measured> {
        let arch = match design {
            Some(d) => apply_design(base, d)?,
            None => base.clone(),
        };
        train_and_measure(
            &arch,
            &self.cfg,
            &self.train,
            &self.test,
            |epoch, step, _, loss, _| on_step(label, epoch, step, loss),
        )
    }

    /// Trains the best `top` designs of `front` (lowest score first) and the
    /// dense network `base` at the method bits, and reports their measured
    /// accuracy next to the simulator's totals. `on_step(label, epoch, step,
    /// loss)` after every batch of every training (a progress bar).
    pub fn evaluate(
        &self,
        run: &SearchRun,
        front: &[FrontPoint],
        info: &RunInfo,
        base: &ArchSpec,
        on_step: &mut dyn FnMut(&str, usize, usize, f64),
    ) -> Result<Evaluation> {
        let mut ranked: Vec<&FrontPoint> = front.iter().collect();
        ranked.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.id.cmp(&b.id)));
        ranked.truncate(self.settings.top);
        let bits = info.bits;
        let t0 = Instant::now();
        let reference = self.measure(base, None, "the dense network", on_step)?;
        let mut designs = Vec::with_capacity(ranked.len());
        for (i, p) in ranked.iter().enumerate() {
            let design = run.design(Some(p.id))?.ok_or_else(|| {
                Error::invalid(
                    "--evaluate train",
                    format!("front point {} has no design", p.id),
                )
            })?;
            let label = format!("design {}/{} (id {})", i + 1, ranked.len(), p.id);
            let measured = self.measure(base, Some(&design), &label, on_step)?;
            designs.push(EvaluatedDesign {
                rank: i + 1,
                id: p.id,
                point: (*p).clone(),
                exact: run.exact(Some(p.id))?,
                measured,
                design,
            });
        }
        let note = format!(
            "each design trained from scratch for {} epoch(s) on the first {} {} training images; \
             accuracy of the exported model (weights at the design's bits, else {bits}; {}-bit \
             activations) on the first {} test images. A short run that ranks designs, not their \
             final accuracy.",
            self.cfg.epochs,
            reference.train_images,
            self.settings.dataset.name(),
            self.cfg.a_bits,
            reference.test_images
        );
        Ok(Evaluation {
            method: "train",
            dataset: self.settings.dataset.name().to_string(),
            epochs: self.cfg.epochs,
            train_images: reference.train_images,
            test_images: reference.test_images,
            w_bits: bits,
            a_bits: self.cfg.a_bits,
            seed: self.cfg.seed,
            seconds: t0.elapsed().as_secs_f64(),
            note,
            reference: ReferenceRun {
                method: format!("dense:bits={bits}"),
                exact: info.dense,
                measured: reference,
            },
            designs,
        })
    }
}
