//! One whole training run with burn from the page's settings
//! ([`TrainSettings`], the type the page's `TrainRun` takes): checked by
//! [`burn_plan`], trained, exported and scored by [`train_with_burn`]. The wasm
//! export `trainWithBurn` (src/wasm/burn_api.rs) is a thin shell over these, so
//! the checks are tested natively.

use super::BurnNet;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::limits::{check_range, MAX_TRAIN_IMAGES};
use crate::model::Model;
use crate::train::{TrainPlan, TrainReport, TrainSettings};

/// Images the exported model's activations are calibrated on (the first of
/// the training images, as `epim train` and the page's `TrainRun` do).
pub const CALIB_IMAGES: usize = 256;

/// What [`train_with_burn`] returns.
#[derive(Debug, Clone)]
pub struct BurnRun {
    /// The checked settings.
    pub plan: TrainPlan,
    /// Loss and running accuracy of the last epoch; `seconds` is 0 on wasm32
    /// (std has no clock there: the caller times the run).
    pub report: TrainReport,
    /// Training images used per epoch (`limit`, or all).
    pub train_images: usize,
    /// Batches trained in all.
    pub steps: usize,
    /// The trained model (weights quantized per epitome row when `w_bits`,
    /// activations calibrated on the first [`CALIB_IMAGES`] training images),
    /// with the plan's metadata, the settings, the equivalent command and the
    /// test accuracy.
    pub model: Model,
    /// Test images the model classified correctly.
    pub correct: usize,
    /// Test images scored.
    pub test_images: usize,
}

impl BurnRun {
    /// Test accuracy in `[0, 1]`.
    pub fn accuracy_0_to_1(&self) -> f64 {
        self.correct as f64 / self.test_images.max(1) as f64
    }
}

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
    let used = match settings.limit {
        Some(n) => {
            check_range("limit", n, MAX_TRAIN_IMAGES)?;
            if n > train_images {
                return Err(Error::invalid(
                    "limit",
                    format!("asks for {n} training images; the data holds {train_images}"),
                ));
            }
            n
        }
        None => train_images,
    };
    if used < settings.batch {
        return Err(Error::invalid(
            "limit",
            format!(
                "{used} training images make no batch of {}; use at least {}",
                settings.batch, settings.batch
            ),
        ));
    }
    Ok(plan)
}

/// Trains the network `settings` describe on `train` with burn's `flex`
/// backend (autodiff, Adam; the same seeded initialisation, shuffling and
/// learning-rate schedule as the crate's trainer), exports it and scores it on
/// `test`.
pub fn train_with_burn(
    settings: &TrainSettings,
    train: &Dataset,
    test: &Dataset,
) -> Result<BurnRun> {
    let plan = burn_plan(settings, train.len())?;
    if test.is_empty() {
        return Err(Error::invalid("test", "holds no images"));
    }
    let mut net = BurnNet::new(&plan.arch, plan.config.w_bits, plan.config.seed)?;
    let report = net.fit(train, &plan.config, |_, _, _, _, _| {}, |_, _| {})?;
    let train_images = settings.limit.unwrap_or(train.len());
    let steps = train_images / plan.config.batch * plan.config.epochs;
    let mut meta = plan.metadata();
    meta.insert(
        "epim.train_settings".into(),
        serde_json::to_string(settings).map_err(|e| Error::invalid("settings", e))?,
    );
    meta.insert("epim.train_command".into(), settings.command());
    meta.insert("epim.trainer".into(), "burn 0.22.1 (flex)".into());
    let calib = train.take(CALIB_IMAGES);
    let mut model = net.export(&calib, plan.config.a_bits, meta)?;
    let predicted = model.classify(test, 0, test.len())?;
    let correct = predicted
        .iter()
        .zip(test.labels())
        .filter(|(p, l)| **p == usize::from(**l))
        .count();
    let run_acc = correct as f64 / test.len() as f64;
    model.set_metadata("epim.accuracy_0_to_1", format!("{run_acc:.4}"));
    model.set_metadata("epim.test_images", test.len().to_string());
    Ok(BurnRun {
        plan,
        report,
        train_images,
        steps,
        model,
        correct,
        test_images: test.len(),
    })
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
}
