//! The crate's error type. Every fallible public function returns [`Result`].
//!
//! Variants are grouped by subsystem and carry enough context (field, layer,
//! expected vs got) for a person to act on the message.

use std::fmt;

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in the core.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A field of a spec or config violates a bound.
    Invalid {
        /// Path of the offending field, e.g. `epitome.e_h`.
        field: String,
        /// What is wrong and what bound applies.
        reason: String,
    },
    /// A tensor or array has the wrong shape or length.
    Shape {
        /// Which tensor or array.
        what: String,
        /// The expected shape or length.
        expected: String,
        /// The shape or length found.
        got: String,
    },
    /// A number is NaN or infinite where a finite value is required.
    NonFinite {
        /// Which array.
        what: String,
        /// Flat index of the first offending value.
        index: usize,
        /// The value (NaN or ±inf).
        value: f64,
    },
    /// Input text (JSON, model files) could not be parsed.
    Parse {
        /// What was being parsed.
        what: String,
        /// The parser's message.
        reason: String,
    },
    /// A file or directory could not be read, written or created (missing,
    /// unreadable, a directory where a file was expected, ...).
    Io {
        /// The file or directory, as given.
        path: String,
        /// What was being done: `read`, `write`, `create directory`, ...
        action: String,
        /// The operating system's message.
        reason: String,
    },
    /// A name (network, preset, method) is unknown.
    Unknown {
        /// What kind of name.
        kind: String,
        /// The name given.
        name: String,
        /// The names that exist, comma separated.
        known: String,
    },
    /// The simulator could not map or evaluate a network.
    Sim {
        /// Index and name of the layer, where there is one.
        layer: Option<(usize, String)>,
        /// What went wrong.
        reason: String,
    },
    /// A chart could not be drawn by the drawing backend (SVG, canvas).
    Plot(String),
    /// The tract-core engine (feature `tract`) could not build, optimize or
    /// run a model; the message names the step and carries tract's error chain.
    Tract(String),
}

impl Error {
    /// The full message, before the [`crate::limits::MAX_ERROR_CHARS`] cut.
    fn full_message(&self) -> String {
        match self {
            Error::Invalid { field, reason } => format!("invalid {field}: {reason}"),
            Error::Shape {
                what,
                expected,
                got,
            } => format!("shape mismatch in {what}: expected {expected}, got {got}"),
            Error::NonFinite { what, index, value } => {
                format!("non-finite value in {what} at index {index}: {value}")
            }
            Error::Parse { what, reason } => format!("cannot parse {what}: {reason}"),
            Error::Io {
                path,
                action,
                reason,
            } => format!("cannot {action} {}: {reason}", crate::limits::echo(path)),
            Error::Unknown { kind, name, known } => format!(
                "unknown {kind} '{}'; known: {known}",
                crate::limits::echo(name)
            ),
            Error::Sim { layer, reason } => {
                format!("simulation error{}: {reason}", layer_ctx(layer))
            }
            Error::Plot(m) => format!("cannot draw the chart: {m}"),
            Error::Tract(m) => format!("tract-core engine failed while {m}"),
        }
    }
}

/// One line of at most [`crate::limits::MAX_ERROR_CHARS`] characters: line breaks
/// become spaces and a longer message is cut with `...`.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one_line = self.full_message().replace(['\n', '\r'], " ");
        f.write_str(&crate::limits::truncate(
            &one_line,
            crate::limits::MAX_ERROR_CHARS,
        ))
    }
}

impl std::error::Error for Error {}

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

impl Error {
    /// Shorthand for [`Error::Io`]: `action` (`read`, `write`, ...) failed on `path`.
    pub fn io(action: &str, path: &std::path::Path, reason: impl fmt::Display) -> Self {
        Error::Io {
            path: path.display().to_string(),
            action: action.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// Reads a whole file; a missing or unreadable file is an [`Error::Io`] naming it.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io("read", path, e))
}

/// Reads a whole UTF-8 text file: [`Error::Io`] if it cannot be read,
/// [`Error::Parse`] naming `what` if it is not UTF-8.
pub fn read_text(what: &str, path: &std::path::Path) -> Result<String> {
    String::from_utf8(read_file(path)?).map_err(|e| Error::parse(what, e))
}

/// The size of a file in bytes (to bound it before reading); [`Error::Io`] if
/// it cannot be inspected.
pub fn file_len(path: &std::path::Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::io("read", path, e))?
        .len())
}

/// Writes a whole file; [`Error::Io`] naming it on failure.
pub fn write_file(path: &std::path::Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io("write", path, e))
}

/// Parses JSON text into `T`; a type error or unknown key names the field path
/// (`cannot parse layer file: layer.c_out: invalid type: floating point `3.5`,
/// expected usize at line 1 column 30`).
pub fn from_json_str<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| path_error(what, e))?;
    de.end().map_err(|e| Error::parse(what, e))?;
    Ok(value)
}

/// Deserializes a parsed JSON value into `T`; errors name the field path.
pub fn from_json_value<T: serde::de::DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| path_error(what, e))
}

fn path_error(what: &str, e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = e.path().to_string();
    if path.is_empty() || path == "." {
        Error::parse(what, e.into_inner())
    } else {
        Error::parse(what, format!("{path}: {}", e.into_inner()))
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
    fn messages_are_one_line_of_at_most_300_characters() {
        let e = Error::parse(
            "network JSON",
            format!("line 1\nvalue {}", "9".repeat(2000)),
        );
        let m = e.to_string();
        assert_eq!(m.chars().count(), crate::limits::MAX_ERROR_CHARS);
        assert!(
            m.starts_with("cannot parse network JSON: line 1 value 999"),
            "{m}"
        );
        assert!(m.ends_with("..."), "{m}");
        let e = Error::Unknown {
            kind: "network".into(),
            name: "x".repeat(10_000),
            known: "vgg8, resnet18".into(),
        };
        let m = e.to_string();
        assert!(m.len() < 120 && m.ends_with("known: vgg8, resnet18"), "{m}");
    }

    #[test]
    fn json_errors_name_the_field_path() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Inner {
            c_out: usize,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Outer {
            layer: Inner,
            list: Vec<Inner>,
        }
        let e = from_json_str::<Outer>("f", r#"{"layer":{"c_out":-1},"list":[]}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot parse f: layer.c_out: invalid value: integer `-1`"),
            "{e}"
        );
        let e = from_json_str::<Outer>(
            "f",
            r#"{"layer":{"c_out":1},"list":[{"c_out":1},{"c_out":2.5}]}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("list[1].c_out: invalid type: floating point"),
            "{e}"
        );
        let e =
            from_json_str::<Outer>("f", r#"{"layer":{"c_out":1,"x":2},"list":[]}"#).unwrap_err();
        assert!(e.to_string().contains("layer.x: unknown field `x`"), "{e}");
        let e = from_json_value::<Outer>("v", serde_json::json!({"layer": {}, "list": []}))
            .unwrap_err();
        assert!(
            e.to_string().contains("layer: missing field `c_out`"),
            "{e}"
        );
        assert!(from_json_str::<Outer>("f", r#"{"layer":{"c_out":1},"list":[]} x"#).is_err());
    }

    #[test]
    fn missing_files_are_io_errors_naming_the_path_not_parse_errors() {
        let dir = std::env::temp_dir().join(format!("epim-io-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.json");
        let e = read_file(&missing).unwrap_err();
        assert!(
            matches!(&e, Error::Io { path, action, .. } if path == &missing.display().to_string() && action == "read"),
            "{e:?}"
        );
        let m = e.to_string();
        assert!(
            m.starts_with(&format!("cannot read {}: ", missing.display())),
            "{m}"
        );
        assert!(!m.contains("cannot parse"), "{m}");
        assert!(matches!(file_len(&missing), Err(Error::Io { .. })));
        // A directory where a file is expected: still an I/O error naming the path.
        let e = read_text("design file", &dir).unwrap_err();
        assert!(
            matches!(&e, Error::Io { path, .. } if path == &dir.display().to_string()),
            "{e:?}"
        );
        // Writing into a directory that does not exist.
        let e = write_file(&dir.join("no/such/dir/out.json"), b"{}").unwrap_err();
        assert!(e.to_string().starts_with("cannot write "), "{e}");
        // A file that exists but is not UTF-8 is a parse error naming what it is.
        let bin = dir.join("latin1.json");
        write_file(&bin, [0xffu8, 0xfe, b'{']).unwrap();
        assert_eq!(file_len(&bin).unwrap(), 3);
        let e = read_text("design file", &bin).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot parse design file: invalid utf-8"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn io_messages_truncate_a_long_path() {
        let long = std::path::PathBuf::from(format!("/{}", "d".repeat(5000)));
        let m = Error::io("read", &long, "No such file or directory").to_string();
        assert!(
            m.chars().count() <= crate::limits::MAX_ERROR_CHARS,
            "{}",
            m.len()
        );
        assert!(m.starts_with("cannot read /ddd"), "{m}");
        assert!(m.ends_with("No such file or directory"), "{m}");
    }

    #[test]
    fn check_finite_reports_first_bad_index() {
        assert!(check_finite("x", &[0.0, 1.0]).is_ok());
        let e = check_finite("x", &[0.0, f32::NAN, f32::INFINITY]).unwrap_err();
        assert!(matches!(e, Error::NonFinite { index: 1, .. }));
    }
}
