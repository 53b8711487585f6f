//! Method strings: `dense:bits=B`, `epitome:bits=B,ratio=R`,
//! `epitome:bits=B,design=FILE.json`, `prune:kind=K,ratio=R,bits=B[,ou_rows=N,ou_cols=N]`.
//! Parsing is strict: unknown or repeated keys, missing required keys and bad values
//! are errors that name the key.

use crate::prune::{PruneKind, PruneSpec};
use crate::{Error, Result};

/// A parsed method.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Dense weights at `bits` (`None`: the network's weight bits).
    Dense {
        /// Weight bits.
        bits: Option<u32>,
    },
    /// Every eligible layer an epitome of compression about `ratio` (see
    /// [`super::choose_epitome`]).
    EpitomeRatio {
        /// Weight bits.
        bits: Option<u32>,
        /// Target parameter compression per layer (>= 1).
        ratio: f64,
    },
    /// Per-layer epitome shapes from a design file ([`super::EpitomeDesign`]).
    EpitomeDesign {
        /// Weight bits of layers the design does not give bits for.
        bits: Option<u32>,
        /// The design's name (the file name on the command line), a key of
        /// [`super::CompareRequest::designs`].
        design: String,
    },
    /// A pruning baseline on every eligible layer.
    Prune {
        /// Weight bits.
        bits: Option<u32>,
        /// Kind, ratio and OU size.
        spec: PruneSpec,
        /// Keep a layer dense when pruning it would not reduce its area (`area_rule=on`,
        /// the default; `off` prunes every eligible layer).
        area_rule: bool,
    },
}

impl Method {
    /// The weight bits the method asks for (`None`: the network's).
    pub fn bits(&self) -> Option<u32> {
        match self {
            Method::Dense { bits }
            | Method::EpitomeRatio { bits, .. }
            | Method::EpitomeDesign { bits, .. }
            | Method::Prune { bits, .. } => *bits,
        }
    }

    /// Parses a method string (surrounding spaces ignored).
    pub fn parse(text: &str) -> Result<Method> {
        let text = text.trim();
        let field = |key: &str| format!("method '{text}': {key}");
        let (name, rest) = match text.split_once(':') {
            Some((n, r)) => (n.trim(), r.trim()),
            None => (text, ""),
        };
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !rest.is_empty() {
            for item in rest.split(',') {
                let (k, v) = item.split_once('=').ok_or_else(|| {
                    Error::invalid(
                        field(item.trim()),
                        "expected key=value (e.g. bits=8), separated by commas",
                    )
                })?;
                let k = k.trim();
                if pairs.iter().any(|(seen, _)| *seen == k) {
                    return Err(Error::invalid(field(k), "given twice"));
                }
                pairs.push((k, v.trim()));
            }
        }
        let allowed: &[&str] = match name {
            "dense" => &["bits"],
            "epitome" => &["bits", "ratio", "design"],
            "prune" => &["kind", "ratio", "bits", "ou_rows", "ou_cols", "area_rule"],
            _ => {
                return Err(Error::Unknown {
                    kind: "method".into(),
                    name: name.into(),
                    known: "dense, epitome, prune".into(),
                })
            }
        };
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !allowed.contains(k)) {
            return Err(Error::invalid(
                field(k),
                format!("unknown key for '{name}'; allowed: {}", allowed.join(", ")),
            ));
        }
        let get = |k: &str| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        let bits = match get("bits") {
            None => None,
            Some(v) => {
                let b: u32 = v
                    .parse()
                    .map_err(|_| Error::invalid(field("bits"), format!("not an integer: '{v}'")))?;
                if !(2..=32).contains(&b) {
                    return Err(Error::invalid(
                        field("bits"),
                        format!("must be in 2..=32, got {b}"),
                    ));
                }
                Some(b)
            }
        };
        let number = |k: &str| -> Result<Option<f64>> {
            match get(k) {
                None => Ok(None),
                Some(v) => {
                    let x: f64 = v
                        .parse()
                        .map_err(|_| Error::invalid(field(k), format!("not a number: '{v}'")))?;
                    if !x.is_finite() {
                        return Err(Error::invalid(field(k), format!("not finite: '{v}'")));
                    }
                    Ok(Some(x))
                }
            }
        };
        let count = |k: &str, default: usize| -> Result<usize> {
            match get(k) {
                None => Ok(default),
                Some(v) => match v.parse::<usize>() {
                    Ok(n) if (1..=4096).contains(&n) => Ok(n),
                    _ => Err(Error::invalid(
                        field(k),
                        format!("must be an integer in 1..=4096, got '{v}'"),
                    )),
                },
            }
        };
        match name {
            "dense" => Ok(Method::Dense { bits }),
            "epitome" => match (number("ratio")?, get("design")) {
                (Some(ratio), None) => {
                    if !(1.0..=1e6).contains(&ratio) {
                        return Err(Error::invalid(
                            field("ratio"),
                            format!("must be a compression in 1..=1e6, got {ratio}"),
                        ));
                    }
                    Ok(Method::EpitomeRatio { bits, ratio })
                }
                (None, Some(design)) if !design.is_empty() => Ok(Method::EpitomeDesign {
                    bits,
                    design: design.to_string(),
                }),
                (Some(_), Some(_)) => Err(Error::invalid(
                    field("ratio/design"),
                    "give either ratio=R or design=FILE.json, not both",
                )),
                _ => Err(Error::invalid(
                    field("ratio/design"),
                    "epitome needs ratio=R (uniform compression) or design=FILE.json",
                )),
            },
            _ => {
                let kind = get("kind")
                    .ok_or_else(|| Error::invalid(field("kind"), "missing (prune needs kind=K)"))?;
                let kind = PruneKind::parse(kind)?;
                let ratio = number("ratio")?.ok_or_else(|| {
                    Error::invalid(field("ratio"), "missing (prune needs ratio=R in [0, 1))")
                })?;
                let mut spec = PruneSpec::new(kind, ratio);
                spec.ou_rows = count("ou_rows", spec.ou_rows)?;
                spec.ou_cols = count("ou_cols", spec.ou_cols)?;
                spec.validate()
                    .map_err(|e| Error::invalid(field("ratio"), e.to_string()))?;
                let area_rule = match get("area_rule") {
                    None | Some("on") => true,
                    Some("off") => false,
                    Some(v) => {
                        return Err(Error::invalid(
                            field("area_rule"),
                            format!("must be on or off, got '{v}'"),
                        ))
                    }
                };
                Ok(Method::Prune {
                    bits,
                    spec,
                    area_rule,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_parses() {
        assert_eq!(
            Method::parse("dense:bits=8").unwrap(),
            Method::Dense { bits: Some(8) }
        );
        assert_eq!(
            Method::parse("dense").unwrap(),
            Method::Dense { bits: None }
        );
        assert_eq!(
            Method::parse(" epitome:bits=3, ratio=2 ").unwrap(),
            Method::EpitomeRatio {
                bits: Some(3),
                ratio: 2.0
            }
        );
        assert_eq!(
            Method::parse("epitome:bits=3,design=d.json").unwrap(),
            Method::EpitomeDesign {
                bits: Some(3),
                design: "d.json".into()
            }
        );
        let m = Method::parse("prune:kind=sre,ratio=0.5,bits=8,ou_rows=16").unwrap();
        let Method::Prune {
            bits,
            spec,
            area_rule,
        } = m
        else {
            panic!("prune")
        };
        assert_eq!(bits, Some(8));
        assert!(area_rule);
        assert!(matches!(
            Method::parse("prune:kind=sre,ratio=0.5,area_rule=off").unwrap(),
            Method::Prune {
                area_rule: false,
                ..
            }
        ));
        assert_eq!(
            (spec.kind, spec.ratio, spec.ou_rows, spec.ou_cols),
            (PruneKind::Sre, 0.5, 16, 8)
        );
    }

    #[test]
    fn errors_name_the_key() {
        for (text, needle) in [
            (
                "dense:bits=8,ratio=2",
                "ratio: unknown key for 'dense'; allowed: bits",
            ),
            ("dense:bit=8", "bit: unknown key"),
            ("epitome:bits=3", "epitome needs ratio=R"),
            ("epitome:ratio=2,design=x.json", "not both"),
            ("epitome:ratio=0.5", "ratio: must be a compression"),
            ("prune:ratio=0.5", "kind: missing"),
            ("prune:kind=magic,ratio=0.5", "unknown pruning kind 'magic'"),
            ("prune:kind=xcs,ratio=1.5", "prune.ratio"),
            ("prune:kind=xcs", "ratio: missing"),
            ("prune:kind=sre,ratio=0.5,ou_rows=0", "ou_rows"),
            ("dense:bits=1", "bits: must be in 2..=32"),
            ("dense:bits=x", "bits: not an integer"),
            ("dense:bits=8,bits=4", "bits: given twice"),
            ("dense:8", "expected key=value"),
            ("sparse:bits=8", "unknown method 'sparse'"),
        ] {
            let e = Method::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
