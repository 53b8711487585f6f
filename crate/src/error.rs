//! The crate's error type. Every fallible public function returns [`Result`].
//!
//! Variants are grouped by subsystem and carry enough context (field, layer,
//! expected vs got) for a person to act on the message.

use std::fmt;

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field of a spec or config violates a bound.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Path of the offending field, e.g. `epitome.e_h`.
        field: String,
        /// What is wrong and what bound applies.
        reason: String,
    },
    /// A tensor or array has the wrong shape or length.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    Shape {
        /// Which tensor or array.
        what: String,
        /// The expected shape or length.
        expected: String,
        /// The shape or length found.
        got: String,
    },
    /// A number is NaN or infinite where a finite value is required.
    #[error("non-finite value in {what} at index {index}: {value}")]
    NonFinite {
        /// Which array.
        what: String,
        /// Flat index of the first offending value.
        index: usize,
        /// The value (NaN or ±inf).
        value: f64,
    },
    /// Input text (JSON, model files) could not be parsed.
    #[error("cannot parse {what}: {reason}")]
    Parse {
        /// What was being parsed.
        what: String,
        /// The parser's message.
        reason: String,
    },
    /// A name (network, preset, method) is unknown.
    #[error("unknown {kind} '{name}'; known: {known}")]
    Unknown {
        /// What kind of name.
        kind: String,
        /// The name given.
        name: String,
        /// The names that exist, comma separated.
        known: String,
    },
    /// The simulator could not map or evaluate a network.
    #[error("simulation error{}: {reason}", layer_ctx(.layer))]
    Sim {
        /// Index and name of the layer, where there is one.
        layer: Option<(usize, String)>,
        /// What went wrong.
        reason: String,
    },
    /// A chart could not be drawn by the drawing backend (SVG, canvas).
    #[error("cannot draw the chart: {0}")]
    Plot(String),
    /// The tract-core engine (feature `tract`) could not build, optimize or
    /// run a model; the message names the step and carries tract's error chain.
    #[error("tract-core engine failed while {0}")]
    Tract(String),
}

fn layer_ctx(layer: &Option<(usize, String)>) -> String {
    match layer {
        Some((i, name)) => format!(" in layer {i} ({name})"),
        None => String::new(),
    }
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.to_string(),
        }
    }

    /// Shorthand for [`Error::Shape`].
    pub fn shape(
        what: impl Into<String>,
        expected: impl fmt::Display,
        got: impl fmt::Display,
    ) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.to_string(),
            got: got.to_string(),
        }
    }

    /// Shorthand for [`Error::Parse`].
    pub fn parse(what: impl Into<String>, reason: impl fmt::Display) -> Self {
        Error::Parse {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}

/// Returns an error naming the first NaN or infinite value of `data`.
pub fn check_finite(what: &str, data: &[f32]) -> Result<()> {
    match data.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite {
            what: what.to_string(),
            index,
            value: f64::from(data[index]),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_and_the_layer() {
        let e = Error::invalid("epitome.e_h", "must be >= k_h = 3, got 2");
        assert_eq!(
            e.to_string(),
            "invalid epitome.e_h: must be >= k_h = 3, got 2"
        );
        let e = Error::Sim {
            layer: Some((4, "conv5".into())),
            reason: "does not fit".into(),
        };
        assert_eq!(
            e.to_string(),
            "simulation error in layer 4 (conv5): does not fit"
        );
    }

    #[test]
    fn check_finite_reports_first_bad_index() {
        assert!(check_finite("x", &[0.0, 1.0]).is_ok());
        let e = check_finite("x", &[0.0, f32::NAN, f32::INFINITY]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { index: 1, .. }));
    }
}
