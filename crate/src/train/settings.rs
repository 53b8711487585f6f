//! The settings of one training run, in one place: `epim train` builds them from its
//! flags, the page's training worker from a JS object (unknown keys are errors, like
//! every request of the crate). [`TrainSettings::plan`] checks them and resolves the
//! architecture (epitome ratio, design file, pruning) the way both callers need.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::design::EpitomeDesign;
use crate::error::{Error, Result};
use crate::model::ArchSpec;
use crate::train::{apply_design, architecture, epitome_design, parse_prune, TrainConfig};

/// Datasets a model can be trained on (the names in model files).
pub const DATASETS: [&str; 2] = ["mnist", "fashion-mnist"];

/// One training run's settings, with `epim train`'s defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields, default)]
pub struct TrainSettings {
    /// `mnist` or `fashion-mnist`.
    pub dataset: String,
    /// Architecture: `cnn` (the playground's model) or `tiny`.
    pub arch: String,
    /// Epochs over the training images (1..=100; >= 2 with pruning).
    pub epochs: usize,
    /// Weight bits (2..=8) for quantization-aware training; `None`: float weights.
    pub w_bits: Option<u32>,
    /// Activation bits stored in the model (calibrated after training).
    pub a_bits: u32,
    /// Epitome compression of every weight layer but the first (e.g. 2.25).
    pub epitome: Option<f64>,
    /// Per-layer epitome shapes (what `epim search --out` writes); excludes `epitome`.
    pub design: Option<EpitomeDesign>,
    /// Pruning `METHOD:RATIO` (`filter:0.5`, `xrs:0.556`); excludes epitomes.
    pub prune: Option<String>,
    /// Seed of initialisation and shuffling.
    pub seed: u64,
    /// Mini-batch size.
    pub batch: usize,
    /// Peak learning rate (Adam, cosine decay).
    pub lr: f32,
    /// Train on the first N images only.
    pub limit: Option<usize>,
}

impl Default for TrainSettings {
    fn default() -> Self {
        let c = TrainConfig::default();
        TrainSettings {
            dataset: "mnist".into(),
            arch: "cnn".into(),
            epochs: c.epochs,
            w_bits: None,
            a_bits: c.a_bits,
            epitome: None,
            design: None,
            prune: None,
            seed: c.seed,
            batch: c.batch,
            lr: c.lr,
            limit: None,
        }
    }
}

/// Checked settings: the architecture to build and the trainer's configuration.
#[derive(Debug, Clone)]
pub struct TrainPlan {
    /// The dataset's name (one of [`DATASETS`]).
    pub dataset: &'static str,
    /// The network, with the epitome design applied.
    pub arch: ArchSpec,
    /// What [`crate::train::Net::fit`] / [`crate::train::Fit`] take.
    pub config: TrainConfig,
}

impl TrainSettings {
    /// Checks every setting (errors name it) and resolves the architecture.
    /// `threads`: 1 or 2 (the model does not depend on it).
    pub fn plan(&self, threads: usize) -> Result<TrainPlan> {
        let dataset = DATASETS
            .into_iter()
            .find(|d| *d == self.dataset)
            .ok_or_else(|| {
                Error::invalid(
                    "dataset",
                    format!(
                        "must be one of {}, got '{}'",
                        DATASETS.join(", "),
                        crate::limits::echo(&self.dataset)
                    ),
                )
            })?;
        let base = architecture(&self.arch)?;
        let design = match (self.epitome, &self.design) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "epitome",
                    "give an epitome ratio or a design, not both",
                ))
            }
            (Some(r), None) => Some(epitome_design(&base, r)?),
            (None, Some(d)) => Some(d.clone()),
            (None, None) => None,
        };
        let prune = self.prune.as_deref().map(parse_prune).transpose()?;
        if design.is_some() && prune.is_some() {
            return Err(Error::invalid("prune", "cannot prune an epitome model"));
        }
        let arch = match &design {
            Some(d) => apply_design(&base, d)?,
            None => base,
        };
        let config = TrainConfig {
            epochs: self.epochs,
            w_bits: self.w_bits,
            a_bits: self.a_bits,
            prune,
            seed: self.seed,
            batch: self.batch,
            lr: self.lr,
            threads: threads.clamp(1, 2),
            train_limit: self.limit,
        };
        config.validate()?;
        Ok(TrainPlan {
            dataset,
            arch,
            config,
        })
    }
}

impl TrainSettings {
    /// The `epim train` command that trains these settings natively (a design
    /// is read from `design.json`, which the caller saves beside the model).
    pub fn command(&self) -> String {
        let mut c = format!(
            "epim train --dataset {} --arch {} --epochs {}",
            self.dataset, self.arch, self.epochs
        );
        if let Some(b) = self.w_bits {
            c += &format!(" --w-bits {b}");
        }
        if self.a_bits != TrainConfig::default().a_bits {
            c += &format!(" --a-bits {}", self.a_bits);
        }
        if let Some(r) = self.epitome {
            c += &format!(" --epitome {r}");
        }
        if self.design.is_some() {
            c += " --design design.json";
        }
        if let Some(p) = &self.prune {
            c += &format!(" --prune {p}");
        }
        c += &format!(" --seed {}", self.seed);
        let d = TrainConfig::default();
        if self.batch != d.batch {
            c += &format!(" --batch {}", self.batch);
        }
        if self.lr != d.lr {
            c += &format!(" --lr {}", self.lr);
        }
        if let Some(n) = self.limit {
            c += &format!(" --limit {n}");
        }
        c + " --out model.safetensors"
    }
}

/// Images the exported model's activations are calibrated on in the page's runs
/// (the first of the training images).
pub const CALIB_IMAGES: usize = 256;

impl TrainSettings {
    /// Checks `limit` (1..=60,000 and at least one batch) and, given the number of
    /// training images a run has (`None` before the data is known), that it holds
    /// them and that the images trained on make a batch.
    pub fn check_limit(&self, train_images: Option<usize>) -> Result<()> {
        if let Some(n) = self.limit {
            crate::limits::check_range("limit", n, crate::limits::MAX_TRAIN_IMAGES)?;
            if let Some(have) = train_images.filter(|&have| n > have) {
                return Err(Error::invalid(
                    "limit",
                    format!("asks for {n} training images; the data holds {have}"),
                ));
            }
        }
        if let Some(used) = self.limit.or(train_images).filter(|&u| u < self.batch) {
            return Err(Error::invalid(
                "limit",
                format!(
                    "{used} training images make no batch of {}; use at least {}",
                    self.batch, self.batch
                ),
            ));
        }
        Ok(())
    }

    /// The metadata of a model trained with these settings as `plan` (planned from
    /// them): the plan's, the settings as JSON (`epim.train_settings`) and the
    /// equivalent command (`epim.train_command`).
    pub fn model_metadata(&self, plan: &TrainPlan) -> Result<BTreeMap<String, String>> {
        let mut meta = plan.metadata();
        meta.insert(
            "epim.train_settings".into(),
            serde_json::to_string(self).map_err(|e| Error::invalid("settings", e))?,
        );
        meta.insert("epim.train_command".into(), self.command());
        Ok(meta)
    }
}

impl TrainPlan {
    /// The metadata every trained model file carries: dataset, licence of the
    /// weights (derived from the dataset), seed.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        let licence = match self.dataset {
            "fashion-mnist" => "weights derived from Fashion-MNIST (MIT; Zalando Research)",
            _ => "weights derived from MNIST (CC BY-SA 3.0; Y. LeCun, C. Cortes, C. J. C. Burges)",
        };
        BTreeMap::from([
            ("epim.dataset".to_string(), self.dataset.to_string()),
            ("epim.license".to_string(), licence.to_string()),
            ("epim.seed".to_string(), self.config.seed.to_string()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_plan_the_cli_defaults() {
        let p = TrainSettings::default().plan(1).unwrap();
        assert_eq!(p.dataset, "mnist");
        assert_eq!(p.config.epochs, 2);
        assert_eq!(p.config.batch, 64);
        assert_eq!(p.arch, architecture("cnn").unwrap());
        assert_eq!(p.metadata()["epim.dataset"], "mnist");
    }

    #[test]
    fn the_limit_is_checked_against_the_batch_and_the_data() {
        let with = |limit| TrainSettings {
            limit,
            ..TrainSettings::default()
        };
        assert!(with(Some(2000)).check_limit(None).is_ok());
        assert!(with(Some(2000)).check_limit(Some(2000)).is_ok());
        assert!(with(None).check_limit(Some(500)).is_ok());
        assert!(with(None).check_limit(None).is_ok());
        let err = |s: TrainSettings, have| s.check_limit(have).unwrap_err().to_string();
        assert!(err(with(Some(0)), None).contains("limit"));
        assert!(err(with(Some(60_001)), None).contains("limit"));
        assert!(err(with(Some(10)), None).contains("10 training images make no batch of 64"));
        assert!(err(with(Some(2000)), Some(1000))
            .contains("asks for 2000 training images; the data holds 1000"));
        assert!(err(with(None), Some(20)).contains("20 training images make no batch of 64"));
    }

    #[test]
    fn the_command_gives_the_settings_back() {
        let s = TrainSettings {
            epochs: 1,
            w_bits: Some(8),
            epitome: Some(2.25),
            limit: Some(2000),
            lr: 0.004,
            ..TrainSettings::default()
        };
        assert_eq!(
            s.command(),
            "epim train --dataset mnist --arch cnn --epochs 1 --w-bits 8 --epitome 2.25 \
             --seed 1 --lr 0.004 --limit 2000 --out model.safetensors"
        );
        let p = TrainSettings {
            prune: Some("xrs:0.5".into()),
            ..TrainSettings::default()
        };
        assert!(p.command().contains(" --prune xrs:0.5 "), "{}", p.command());
    }

    #[test]
    fn an_epitome_ratio_changes_the_architecture() {
        let s = TrainSettings {
            epitome: Some(2.25),
            w_bits: Some(8),
            ..TrainSettings::default()
        };
        let p = s.plan(1).unwrap();
        assert_ne!(p.arch, architecture("cnn").unwrap());
        assert_eq!(p.config.w_bits, Some(8));
    }

    #[test]
    fn bad_settings_name_the_setting() {
        let bad = |s: TrainSettings, field: &str| {
            let e = s.plan(1).unwrap_err().to_string();
            assert!(e.contains(field), "{e} lacks {field}");
        };
        let d = TrainSettings::default;
        bad(
            TrainSettings {
                dataset: "cifar".into(),
                ..d()
            },
            "dataset",
        );
        bad(
            TrainSettings {
                arch: "resnet".into(),
                ..d()
            },
            "arch",
        );
        bad(TrainSettings { epochs: 0, ..d() }, "epochs");
        bad(
            TrainSettings {
                w_bits: Some(1),
                ..d()
            },
            "bits",
        );
        bad(TrainSettings { batch: 1, ..d() }, "batch");
        bad(
            TrainSettings {
                lr: f32::NAN,
                ..d()
            },
            "lr",
        );
        bad(
            TrainSettings {
                prune: Some("filter:2".into()),
                epochs: 3,
                ..d()
            },
            "ratio",
        );
        bad(
            TrainSettings {
                epitome: Some(2.0),
                prune: Some("filter:0.5".into()),
                ..d()
            },
            "prune",
        );
        bad(
            TrainSettings {
                epitome: Some(2.0),
                design: Some(EpitomeDesign::default()),
                ..d()
            },
            "epitome",
        );
        let e: std::result::Result<TrainSettings, _> = serde_json::from_str(r#"{"epoch": 3}"#);
        assert!(e.unwrap_err().to_string().contains("epoch"));
    }
}
