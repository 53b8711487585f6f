//! Helpers shared by the tests that run the shipped models (models/*.safetensors).
//! Each test binary includes this file with `#[path = "support/models.rs"] mod models;`
//! and uses a subset of it.
#![allow(dead_code)]

use std::path::PathBuf;

use epim::model::Model;

/// Every shipped model with its file name, sorted by name.
pub fn shipped() -> Vec<(String, Model)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "safetensors") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let m = Model::from_bytes(&std::fs::read(&path).unwrap()).unwrap();
            out.push((name, m));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The largest |a[i] - b[i]|; the slices must have one length.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
