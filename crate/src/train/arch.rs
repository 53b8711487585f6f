//! The architectures `epim train --arch NAME` knows, and epitome designs.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::epitome::Offset;
use crate::error::{Error, Result};
use crate::model::{ArchSpec, EpitomeDesc, LayerSpec, WeightLayerSpec};

fn conv(name: &str, c_in: usize, c_out: usize) -> LayerSpec {
    LayerSpec::Conv(WeightLayerSpec {
        name: name.into(),
        c_in,
        c_out,
        k: 3,
        stride: 1,
        padding: 1,
        epitome: None,
        w_bits: None,
        act: None,
        prune: None,
    })
}

fn dense(name: &str, c_in: usize, c_out: usize) -> LayerSpec {
    LayerSpec::Dense(WeightLayerSpec {
        name: name.into(),
        c_in,
        c_out,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: None,
        act: None,
        prune: None,
    })
}

/// Architecture names.
pub const ARCH_NAMES: [&str; 2] = ["cnn", "tiny"];

/// A float, dense architecture for 28x28 grey images and 10 classes:
///
/// - `cnn`: conv 3x3 1->16, ReLU, pool 2, conv 3x3 16->32, ReLU, pool 2,
///   conv 3x3 32->64, ReLU, pool 2 (3x3), flatten, dense 576->10;
/// - `tiny` (tests): conv 3x3 1->4, ReLU, pool 2, conv 3x3 4->8, ReLU, pool 2,
///   flatten, dense 392->10.
pub fn architecture(name: &str) -> Result<ArchSpec> {
    use LayerSpec::{Flatten, MaxPool, Relu};
    let layers = match name {
        "cnn" => vec![
            conv("conv1", 1, 16),
            Relu,
            MaxPool { k: 2 },
            conv("conv2", 16, 32),
            Relu,
            MaxPool { k: 2 },
            conv("conv3", 32, 64),
            Relu,
            MaxPool { k: 2 },
            Flatten,
            dense("fc", 576, 10),
        ],
        "tiny" => vec![
            conv("conv1", 1, 4),
            Relu,
            MaxPool { k: 2 },
            conv("conv2", 4, 8),
            Relu,
            MaxPool { k: 2 },
            Flatten,
            dense("fc", 392, 10),
        ],
        _ => {
            return Err(Error::Unknown {
                kind: "architecture".into(),
                name: name.into(),
                known: ARCH_NAMES.join(", "),
            })
        }
    };
    let arch = ArchSpec {
        input: [1, 28, 28],
        classes: 10,
        layers,
    };
    arch.validate()?;
    Ok(arch)
}

/// One layer's epitome in a design file; offsets default to the spec's
/// schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignLayer {
    /// Epitome output rows.
    pub e_out: usize,
    /// Epitome input channels.
    pub e_in: usize,
    /// Epitome height.
    pub e_h: usize,
    /// Epitome width.
    pub e_w: usize,
    /// Offsets per group (optional).
    #[serde(default)]
    pub offsets: Option<Vec<Offset>>,
}

/// A design file: `{"conv2": {"e_out":16,"e_in":8,"e_h":4,"e_w":4}, ...}`;
/// layers not named stay dense.
pub type DesignSpec = BTreeMap<String, DesignLayer>;

/// The uniform design of compression `ratio` (>= 1) for every weight layer but
/// the first: for a `k x k` convolution `e_h = e_w = k + 1`, `e_out = c_out / 2`,
/// `e_in = round(9 c_in / (8 ratio))` (so parameters shrink by about `ratio`);
/// for a dense layer `e_out = c_out`, `e_in = round(c_in / ratio)`.
pub fn epitome_design(arch: &ArchSpec, ratio: f64) -> Result<DesignSpec> {
    if !(ratio.is_finite() && ratio >= 1.0) {
        return Err(Error::invalid(
            "epitome",
            format!("ratio must be >= 1, got {ratio}"),
        ));
    }
    let mut d = DesignSpec::new();
    for (i, l) in arch.weight_layers().enumerate() {
        if i == 0 {
            continue;
        }
        let (e_out, e_in, e) = if l.k == 1 {
            (l.c_out, (l.c_in as f64 / ratio).round() as usize, 1)
        } else {
            let kk = (l.k * l.k) as f64;
            let ee = ((l.k + 1) * (l.k + 1)) as f64;
            let e_out = (l.c_out / 2).max(1);
            let e_in = (kk * l.c_in as f64 * l.c_out as f64 / (ee * e_out as f64 * ratio)).round();
            (e_out, e_in as usize, l.k + 1)
        };
        d.insert(
            l.name.clone(),
            DesignLayer {
                e_out,
                e_in: e_in.clamp(1, l.c_in),
                e_h: e,
                e_w: e,
                offsets: None,
            },
        );
    }
    Ok(d)
}

/// `arch` with the epitomes of `design` (offsets resolved); errors name a
/// layer the design mentions that the architecture lacks, or a bad shape.
pub fn apply_design(arch: &ArchSpec, design: &DesignSpec) -> Result<ArchSpec> {
    let mut out = arch.clone();
    for name in design.keys() {
        if !arch.weight_layers().any(|l| &l.name == name) {
            return Err(Error::invalid(
                format!("design.{name}"),
                "no weight layer of that name in the architecture",
            ));
        }
    }
    for layer in &mut out.layers {
        if let LayerSpec::Conv(l) | LayerSpec::Dense(l) = layer {
            if let Some(d) = design.get(&l.name) {
                l.epitome = Some(EpitomeDesc {
                    e_out: d.e_out,
                    e_in: d.e_in,
                    e_h: d.e_h,
                    e_w: d.e_w,
                    offsets: Vec::new(),
                });
                let mut spec = l.epitome_spec();
                spec.offsets = d.offsets.clone();
                spec.validate()
                    .map_err(|e| Error::invalid(format!("design.{}", l.name), e))?;
                if let Some(e) = l.epitome.as_mut() {
                    e.offsets = spec.all_offsets();
                }
            }
        }
    }
    out.validate()?;
    Ok(out)
}
