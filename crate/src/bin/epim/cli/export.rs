//! `epim export`: a trained model for other runtimes, as ONNX or as plain JSON layers.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use epim::model::export::ExportedModel;
use epim::model::Model;
use epim::Error;

/// The file format `epim export` writes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// An ONNX model (opset 13; needs a build with `--features onnx`).
    Onnx,
    /// The layers with their float weights as JSON (`model::export::ExportedModel`).
    Json,
}

/// Arguments of `epim export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Model file (.safetensors).
    #[arg(long)]
    model: PathBuf,
    /// `onnx` or `json`.
    #[arg(long, value_enum, default_value = "onnx")]
    format: ExportFormat,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
    /// Leave out the activation fake-quantization (ONNX only): the weight
    /// layers then see their float inputs.
    #[arg(long)]
    no_act_quant: bool,
}

/// Runs `epim export`; prints `{"model","out","format","bytes"}`.
pub fn run(args: &ExportArgs) -> epim::Result<String> {
    let name = args.model.display().to_string();
    let bytes = epim::error::read_file(&args.model)?;
    let model = Model::from_bytes(&bytes).map_err(|e| Error::parse(name.clone(), e))?;
    let out = match args.format {
        ExportFormat::Onnx => onnx_bytes(&model, !args.no_act_quant)?,
        ExportFormat::Json => {
            if args.no_act_quant {
                return Err(Error::invalid(
                    "--no-act-quant",
                    "applies to --format onnx only (the JSON keeps each layer's `act` for the reader to apply or not)",
                ));
            }
            serde_json::to_vec(&ExportedModel::from_model(&model)?)
                .map_err(|e| Error::invalid("--format json", e))?
        }
    };
    let out_name = args.out.display().to_string();
    std::fs::write(&args.out, &out)
        .map_err(|e| Error::invalid("--out", format!("cannot write {out_name}: {e}")))?;
    Ok(serde_json::json!({
        "model": name,
        "out": out_name,
        "format": match args.format { ExportFormat::Onnx => "onnx", ExportFormat::Json => "json" },
        "bytes": out.len(),
    })
    .to_string())
}

#[cfg(feature = "onnx")]
fn onnx_bytes(model: &Model, activation_quant: bool) -> epim::Result<Vec<u8>> {
    epim::model::onnx::to_onnx(model, epim::model::onnx::OnnxOptions { activation_quant })
}

#[cfg(not(feature = "onnx"))]
fn onnx_bytes(_model: &Model, _activation_quant: bool) -> epim::Result<Vec<u8>> {
    Err(Error::invalid(
        "--format",
        "onnx is not compiled into this epim; rebuild with the `onnx` feature (`cargo run --release --features onnx -p epim -- export ...`) or use --format json",
    ))
}
