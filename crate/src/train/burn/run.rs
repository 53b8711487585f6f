//! One whole training run with burn from the page's settings
//! ([`TrainSettings`], the type the page's `TrainRun` takes): checked by
//! [`burn_plan`], trained, exported and scored by [`BurnTraining`]. The wasm
//! export `BurnTrainRun` (src/wasm/burn_api.rs) is a thin shell over these, so
//! the checks are tested natively.

use super::BurnNet;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::train::{TrainPlan, TrainReport, TrainSettings, CALIB_IMAGES};

/// Checks `settings` for a burn run on `train_images` training images and
/// plans it: the checks of [`TrainSettings::plan`], then `prune` (only the
/// native trainer prunes) and `limit` (1..=60,000, at least one batch, at most
/// the images given). Errors name the setting.
pub fn burn_plan(settings: &TrainSettings, train_images: usize) -> Result<TrainPlan> {
    let plan = settings.plan(1)?;
    if settings.prune.is_some() {
        return Err(Error::invalid(
            "prune",
            "pruning is only implemented by the crate's own trainer (TrainRun), not with burn",
        ));
    }
    settings.check_limit(Some(train_images))?;
    Ok(plan)
}

/// One training run with burn: [`BurnTraining::new`] checks the settings and
/// builds the network, [`BurnTraining::train`] trains it (all epochs in one
/// call), [`BurnTraining::finish`] exports and scores it, so a caller can time
/// the training alone.
#[derive(Debug, Clone)]
pub struct BurnTraining {
    settings: TrainSettings,
    plan: TrainPlan,
    net: BurnNet,
    train: Dataset,
    report: Option<TrainReport>,
}

impl BurnTraining {
    /// Checks `settings` against `train` ([`burn_plan`]) and builds the
    /// network with the seeded initialisation of the crate's trainer.
    pub fn new(settings: &TrainSettings, train: Dataset) -> Result<Self> {
        let plan = burn_plan(settings, train.len())?;
        let net = BurnNet::new(&plan.arch, plan.config.w_bits, plan.config.seed)?;
        Ok(BurnTraining {
            settings: settings.clone(),
            plan,
            net,
            train,
            report: None,
        })
    }

    /// The checked settings.
    pub fn plan(&self) -> &TrainPlan {
        &self.plan
    }

    /// Training images used per epoch (`limit`, or all).
    pub fn train_images(&self) -> usize {
        self.settings.limit.unwrap_or(self.train.len())
    }

    /// Batches of the whole run.
    pub fn total_steps(&self) -> usize {
        self.train_images() / self.plan.config.batch * self.plan.config.epochs
    }

    /// Trains every epoch with burn's `flex` backend (autodiff, Adam; the
    /// crate trainer's seeded initialisation, shuffling and learning-rate
    /// schedule). Returns the last epoch's loss and running accuracy
    /// (`seconds` is 0 on wasm32: std has no clock there). Errors when the run
    /// has already trained.
    pub fn train(&mut self) -> Result<TrainReport> {
        if self.report.is_some() {
            return Err(Error::invalid("training", "the run has already trained"));
        }
        let report = self.net.fit(
            &self.train,
            &self.plan.config,
            |_, _, _, _, _| {},
            |_, _| {},
        )?;
        self.report = Some(report.clone());
        Ok(report)
    }

    /// The trained model (weights quantized per epitome row when `w_bits`,
    /// activations calibrated on the first [`CALIB_IMAGES`] training images)
    /// with the plan's metadata, the settings, the equivalent command and its
    /// accuracy on `test`, and the number of test images it classified
    /// correctly. Errors before [`BurnTraining::train`] or on empty `test`.
    pub fn finish(&self, test: &Dataset) -> Result<(Model, usize)> {
        if self.report.is_none() {
            return Err(Error::invalid("training", "call train first"));
        }
        let mut meta = self.settings.model_metadata(&self.plan)?;
        meta.insert("epim.trainer".into(), "burn 0.22.1 (flex)".into());
        let calib = self.train.take(CALIB_IMAGES);
        let mut model = self.net.export(&calib, self.plan.config.a_bits, meta)?;
        let correct = crate::train::score(&mut model, test)?;
        Ok((model, correct))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TrainSettings {
        TrainSettings {
            arch: "tiny".into(),
            epochs: 1,
            w_bits: Some(8),
            epitome: Some(2.25),
            batch: 64,
            limit: Some(128),
            ..TrainSettings::default()
        }
    }

    /// The message of the error `r` must be.
    fn message(r: Result<TrainPlan>) -> String {
        match r {
            Err(e) => e.to_string(),
            Ok(p) => panic!("expected an error, got a plan {p:?}"),
        }
    }

    #[test]
    fn the_page_settings_plan() {
        let p = burn_plan(&settings(), 1000).unwrap();
        assert_eq!(p.config.batch, 64);
        assert_eq!(p.config.w_bits, Some(8));
        assert_eq!(p.config.train_limit, Some(128));
    }

    #[test]
    fn errors_name_the_setting() {
        let mut s = settings();
        s.prune = Some("filter:0.5".into());
        s.epitome = None;
        s.epochs = 2;
        assert!(message(burn_plan(&s, 1000)).starts_with("invalid prune"));
        let s = TrainSettings {
            limit: Some(2000),
            ..settings()
        };
        assert!(message(burn_plan(&s, 1000)).starts_with("invalid limit"));
        let s = TrainSettings {
            limit: Some(0),
            ..settings()
        };
        assert!(message(burn_plan(&s, 1000)).starts_with("invalid limit"));
        let s = TrainSettings {
            limit: Some(32),
            ..settings()
        };
        assert!(message(burn_plan(&s, 1000)).starts_with("invalid limit"));
        let s = TrainSettings {
            limit: None,
            ..settings()
        };
        assert!(message(burn_plan(&s, 10)).starts_with("invalid limit"));
        let s = TrainSettings {
            w_bits: Some(1),
            ..settings()
        };
        assert!(message(burn_plan(&s, 1000)).contains("bits"));
        let s = TrainSettings {
            arch: "resnet".into(),
            ..settings()
        };
        assert!(message(burn_plan(&s, 1000)).contains("architecture"));
    }

    /// 64 synthetic 28x28 images: class `i % 10` lights column block `i % 10`.
    fn synthetic() -> Dataset {
        let (n, side) = (64, 28);
        let mut images = vec![0u8; n * side * side];
        let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
        for (i, &l) in labels.iter().enumerate() {
            for r in 0..side {
                for c in 2 * usize::from(l)..2 * usize::from(l) + 4 {
                    images[i * side * side + r * side + c] = 255;
                }
            }
        }
        Dataset::new(side, side, images, labels).unwrap()
    }

    #[test]
    fn a_run_trains_once_then_exports_a_scored_model() {
        let data = synthetic();
        let mut run = BurnTraining::new(
            &TrainSettings {
                limit: Some(64),
                ..settings()
            },
            data.clone(),
        )
        .unwrap();
        assert_eq!(run.total_steps(), 1);
        let err = run.finish(&data).unwrap_err().to_string();
        assert!(err.contains("call train first"), "{err}");
        let report = run.train().unwrap();
        assert!(report.last_loss.is_finite() && report.last_loss > 0.0);
        assert!(run
            .train()
            .unwrap_err()
            .to_string()
            .contains("already trained"));
        let (model, correct) = run.finish(&data).unwrap();
        assert!(correct <= data.len());
        let meta = model.metadata();
        assert_eq!(
            meta.get("epim.trainer").map(String::as_str),
            Some("burn 0.22.1 (flex)")
        );
        let acc = format!("{:.4}", correct as f64 / data.len() as f64);
        assert_eq!(meta.get("epim.accuracy_0_to_1"), Some(&acc));
        let bytes = model.to_bytes().unwrap();
        assert_eq!(
            Model::from_bytes(&bytes).unwrap().to_bytes().unwrap(),
            bytes
        );
    }
}
