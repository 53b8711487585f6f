//! `epim import`: an ONNX CNN as the simulator's network description (JSON), and
//! the loader behind `--net MODEL.onnx` (feature `onnx`; docs/import.md).

use std::path::{Path, PathBuf};

use clap::Args;

/// Arguments of `epim import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The ONNX file.
    model: PathBuf,
    /// The input shape N,C,H,W with N = 1 (needed when the file's input has a
    /// dynamic dimension other than the batch).
    #[arg(long, value_delimiter = ',')]
    input_shape: Option<Vec<usize>>,
    /// Write the network JSON here (default: print it).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The network's name (default: the file name without `.onnx`).
    #[arg(long)]
    name: Option<String>,
    /// Weight bits (ONNX float weights do not say; default 8).
    #[arg(long, default_value_t = 8)]
    w_bits: u32,
    /// Activation bits (default 8).
    #[arg(long, default_value_t = 8)]
    a_bits: u32,
}

/// Runs `epim import`: prints the network JSON, or with `--out` writes it and
/// prints `{"model","out","layers","params","macs","transparent"}`.
pub fn run(args: &ImportArgs) -> epim::Result<String> {
    let options = ImportOptions {
        input_shape: args.input_shape.clone(),
        name: args.name.clone(),
        w_bits: args.w_bits,
        a_bits: args.a_bits,
    };
    let imported = import_file(&args.model, options)?;
    let text = serde_json::to_string_pretty(&imported.spec)
        .map_err(|e| epim::Error::parse("network JSON", e))?;
    let Some(out) = &args.out else {
        return Ok(text);
    };
    let out_name = out.display().to_string();
    std::fs::write(out, text + "\n")
        .map_err(|e| epim::Error::invalid("--out", format!("cannot write {out_name}: {e}")))?;
    let net = imported.spec.build()?;
    Ok(serde_json::json!({
        "model": args.model.display().to_string(),
        "out": out_name,
        "network": net.name,
        "layers": net.layers.len(),
        "params": net.params(),
        "macs": net.macs(),
        "transparent": imported.transparent.iter().map(|(op, n)| serde_json::json!({"op": op, "nodes": n})).collect::<Vec<_>>(),
    })
    .to_string())
}

/// What `epim import` passes on: the ONNX options.
#[cfg(feature = "onnx")]
pub use epim::nets::onnx::{ImportOptions, Imported};

/// Without the feature: the same options (set, never read: the import errors).
#[cfg(not(feature = "onnx"))]
#[allow(dead_code)]
pub struct ImportOptions {
    /// See the feature's type.
    pub input_shape: Option<Vec<usize>>,
    /// See the feature's type.
    pub name: Option<String>,
    /// See the feature's type.
    pub w_bits: u32,
    /// See the feature's type.
    pub a_bits: u32,
}

/// Without the feature: never built.
#[cfg(not(feature = "onnx"))]
pub struct Imported {
    /// The network.
    pub spec: epim::nets::NetworkSpec,
    /// No weights without the feature.
    pub weights: Vec<Option<epim::nn::Tensor4>>,
    /// Operators that cost nothing.
    pub transparent: Vec<(String, usize)>,
}

/// Reads and imports an ONNX file (size bounded before reading); the network is
/// named after the file unless `options.name` says otherwise.
#[cfg(feature = "onnx")]
pub fn import_file(path: &Path, mut options: ImportOptions) -> epim::Result<Imported> {
    use epim::nets::onnx::{import_onnx, MAX_FILE_BYTES};
    let name = path.display().to_string();
    let len = epim::error::file_len(path)?;
    if len > MAX_FILE_BYTES {
        return Err(epim::Error::parse(
            name,
            format!("{len} bytes, more than the limit of 2 GiB"),
        ));
    }
    let bytes = epim::error::read_file(path)?;
    if options.name.is_none() {
        options.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    }
    import_onnx(&bytes, &options).map_err(|e| match e {
        epim::Error::Parse { what, reason } if what == "ONNX file" => {
            epim::Error::parse(name, reason)
        }
        other => other,
    })
}

/// Without the feature: an error telling how to build.
#[cfg(not(feature = "onnx"))]
pub fn import_file(path: &Path, _options: ImportOptions) -> epim::Result<Imported> {
    Err(epim::Error::invalid(
        path.display().to_string(),
        "ONNX files need the `onnx` feature: cargo build --release --features onnx",
    ))
}

/// Whether `--net` names an ONNX file.
pub fn is_onnx(text: &str) -> bool {
    Path::new(text)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// The network of an ONNX `--net` (default options: shapes from the file, 8 bits).
pub fn net_import(text: &str) -> epim::Result<Imported> {
    import_file(
        Path::new(text),
        ImportOptions {
            input_shape: None,
            name: None,
            w_bits: 8,
            a_bits: 8,
        },
    )
}
