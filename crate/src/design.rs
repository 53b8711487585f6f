//! The one epitome design file format, shared by `epim search --out` (which writes
//! it), `epim compare --method epitome:bits=B,design=FILE.json` and `epim train
//! --design FILE.json` (which read it):
//!
//! ```json
//! {"network": "cnn",
//!  "layers": [{"layer": 2, "epitome": [16, 8, 4, 4], "w_bits": 4},
//!             {"layer": "fc", "epitome": [10, 288, 1, 1], "offsets": [[0, 0, 0]],
//!              "rep": 2}]}
//! ```
//!
//! - `network` (optional) must equal the network's name (a zoo name, or for a
//!   trainable architecture its name, see [`crate::model::network`]).
//! - `layer` is the layer's **name**, or its **index in the simulator network's
//!   layer list** (as `epim simulate` lists them: pooling layers count, ReLU and
//!   flatten do not exist there). The trainer resolves indices through the same
//!   list ([`crate::model::network::network_spec`]), so an index means the same
//!   layer in all three commands.
//! - `epitome` is `[e_out, e_in, e_h, e_w]`; an epitome equal to the weight shape
//!   `[c_out, c_in, k, k]` is the dense layer (the simulator maps it as the dense
//!   layer; the trainer keeps it dense). `offsets` (one per group) follow the
//!   default schedule when absent (docs/epitome.md#sampling).
//! - `rep` (copies of the epitome crossbars) is hardware only; `w_bits` and
//!   `a_bits` override the method's bits for this layer.
//!
//! Layers not listed stay dense. Unknown keys are errors.

use serde::{Deserialize, Serialize};

use crate::epitome::Offset;
use crate::nets::{Network, Op};
use crate::{Error, Result};

/// One layer of an [`EpitomeDesign`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct DesignLayer {
    /// The layer: its index in the network (as `epim simulate` lists them) or its name.
    pub layer: LayerRef,
    /// Epitome shape `[e_out, e_in, e_h, e_w]`.
    pub epitome: [usize; 4],
    /// Offsets per group (default schedule when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offsets: Option<Vec<Offset>>,
    /// Copies of the epitome crossbars (default 1; hardware only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rep: Option<usize>,
    /// Weight bits of this layer (default: the method's `bits`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w_bits: Option<u32>,
    /// Activation bits of this layer (default: the network's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a_bits: Option<u32>,
}

/// A layer named by index or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(untagged)]
pub enum LayerRef {
    /// Index in the simulator network's layer list.
    Index(usize),
    /// Layer name.
    Name(String),
}

/// Per-layer epitome shapes (see the module docs for the format).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct EpitomeDesign {
    /// Network the design is for (checked when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// The epitome layers.
    pub layers: Vec<DesignLayer>,
}

/// A design layer matched to a network layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'a> {
    /// Position in [`EpitomeDesign::layers`] (for `design.layers[j]` in errors).
    pub entry: usize,
    /// Index in [`Network::layers`].
    pub layer: usize,
    /// The design's entry.
    pub design: &'a DesignLayer,
}

impl EpitomeDesign {
    /// Parses a design from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        crate::error::from_json_str("epitome design JSON", text)
    }

    /// Reads and parses a design file; errors name the file.
    pub fn read(path: &std::path::Path) -> Result<Self> {
        let what = format!("design file {}", path.display());
        let text = crate::error::read_text(&what, path)?;
        crate::error::from_json_str(&what, &text)
    }

    /// The design as pretty JSON (what `epim search --out` writes).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::parse("epitome design", e))
    }

    /// Matches every entry to a conv or fc layer of `net`: checks `network`
    /// against the network's name, resolves indices and names, and rejects a
    /// layer listed twice and layers without weights (pooling, adds). Errors
    /// name `design.layers[j]` and the layer.
    pub fn resolve(&self, net: &Network) -> Result<Vec<Resolved<'_>>> {
        if let Some(name) = &self.network {
            if *name != net.name {
                return Err(Error::invalid(
                    "design.network",
                    format!("the design is for '{name}', the network is '{}'", net.name),
                ));
            }
        }
        let mut seen = vec![false; net.layers.len()];
        let mut out = Vec::with_capacity(self.layers.len());
        for (j, d) in self.layers.iter().enumerate() {
            let field = format!("design.layers[{j}].layer");
            let l = match &d.layer {
                LayerRef::Index(i) if *i < net.layers.len() => *i,
                LayerRef::Index(i) => {
                    return Err(Error::invalid(
                        field,
                        format!(
                            "index {i} is out of range (the network '{}' has {} layers, 0..={})",
                            net.name,
                            net.layers.len(),
                            net.layers.len().saturating_sub(1)
                        ),
                    ))
                }
                LayerRef::Name(n) => {
                    net.layers
                        .iter()
                        .position(|x| x.name == *n)
                        .ok_or_else(|| {
                            let names: Vec<&str> = net
                                .layers
                                .iter()
                                .filter(|x| matches!(x.op, Op::Conv(_) | Op::Fc { .. }))
                                .map(|x| x.name.as_str())
                                .collect();
                            Error::invalid(
                                field.clone(),
                                format!(
                                    "no layer named '{n}' in '{}' (conv and fc layers: {})",
                                    net.name,
                                    names.join(", ")
                                ),
                            )
                        })?
                }
            };
            let layer = &net.layers[l];
            if !matches!(layer.op, Op::Conv(_) | Op::Fc { .. }) {
                return Err(Error::invalid(
                    field,
                    format!(
                        "layer {l} ({}): a {} layer has no weights; list conv and fc layers only",
                        layer.name,
                        layer.op.kind()
                    ),
                ));
            }
            if std::mem::replace(&mut seen[l], true) {
                return Err(Error::invalid(
                    field,
                    format!("layer {l} ({}) is listed twice", layer.name),
                ));
            }
            out.push(Resolved {
                entry: j,
                layer: l,
                design: d,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::builtin;

    fn entry(layer: LayerRef) -> DesignLayer {
        DesignLayer {
            layer,
            epitome: [1, 1, 1, 1],
            offsets: None,
            rep: None,
            w_bits: None,
            a_bits: None,
        }
    }

    #[test]
    fn names_and_indices_resolve_to_the_same_layer() {
        let net = builtin("lenet").unwrap();
        let (i, name) = net
            .layers
            .iter()
            .enumerate()
            .find(|(_, l)| matches!(l.op, Op::Fc { .. }))
            .map(|(i, l)| (i, l.name.clone()))
            .unwrap();
        for r in [LayerRef::Index(i), LayerRef::Name(name)] {
            let d = EpitomeDesign {
                network: Some("lenet".into()),
                layers: vec![entry(r)],
            };
            assert_eq!(d.resolve(&net).unwrap()[0].layer, i);
        }
    }

    #[test]
    fn bad_entries_are_errors_naming_the_entry() {
        let net = builtin("lenet").unwrap();
        let pool = net
            .layers
            .iter()
            .position(|l| matches!(l.op, Op::Pool { .. }))
            .unwrap();
        let cases = [
            (vec![entry(LayerRef::Index(99))], "design.layers[0].layer"),
            (
                vec![entry(LayerRef::Name("nope".into()))],
                "no layer named 'nope'",
            ),
            (
                vec![entry(LayerRef::Index(pool))],
                "a pool layer has no weights",
            ),
            (
                vec![entry(LayerRef::Index(0)), entry(LayerRef::Index(0))],
                "design.layers[1].layer: layer 0",
            ),
        ];
        for (layers, needle) in cases {
            let d = EpitomeDesign {
                network: None,
                layers,
            };
            let e = d.resolve(&net).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
        let d = EpitomeDesign {
            network: Some("vgg8".into()),
            layers: vec![],
        };
        let e = d.resolve(&net).unwrap_err().to_string();
        assert!(e.contains("the design is for 'vgg8'"), "{e}");
    }

    #[test]
    fn json_round_trips_and_unknown_keys_are_errors() {
        let text = r#"{"network":"cnn","layers":[{"layer":2,"epitome":[16,8,4,4],"w_bits":4},
            {"layer":"fc","epitome":[10,288,1,1],"rep":2}]}"#;
        let d = EpitomeDesign::from_json(text).unwrap();
        assert_eq!(d.layers[1].layer, LayerRef::Name("fc".into()));
        assert_eq!(EpitomeDesign::from_json(&d.to_json().unwrap()).unwrap(), d);
        let e =
            EpitomeDesign::from_json(r#"{"layers":[{"layer":1,"epitome":[1,1,1,1],"bits":3}]}"#)
                .unwrap_err()
                .to_string();
        assert!(e.contains("bits"), "{e}");
    }
}
