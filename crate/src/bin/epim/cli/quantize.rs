//! `epim quantize FILE.json --bits B`: per-epitome-row symmetric quantization.

use std::path::PathBuf;

use clap::Args;

/// Arguments of `epim quantize`.
#[derive(Args)]
pub struct QuantizeArgs {
    /// Layer file (as for `epim epitome`; `input` and `bias` are validated but not used).
    file: PathBuf,
    /// Weight bits, sign included (2..=8).
    #[arg(long)]
    bits: u32,
}

/// Runs `epim quantize`: prints
/// {"bits":B,"scales":[...],"codes":[...],"dequantized":[...],"bits_per_weight":x}.
pub fn run(args: &QuantizeArgs) -> epim::Result<String> {
    let layer = super::epitome::read_layer(&args.file)?;
    let report = layer.quantize_report(args.bits)?;
    serde_json::to_string(&report).map_err(|e| epim::Error::parse("result", e))
}
