//! `epim info FILE.json`: counts of an epitome spec.

use std::path::PathBuf;

use clap::Args;
use epim::EpitomeSpec;
use serde_json::json;

/// Arguments of `epim info`.
#[derive(Args)]
pub struct InfoArgs {
    /// JSON file: {"layer": {c_out, c_in, k_h, k_w, stride?, padding?},
    /// "epitome": {e_out, e_in, e_h, e_w}, "offsets"?: [[a,b,c],...], "rep"?: n}
    file: PathBuf,
}

/// Runs `epim info`.
pub fn run(args: &InfoArgs) -> epim::Result<String> {
    let spec: EpitomeSpec = super::read_json(&args.file)?;
    spec.validate()?;
    Ok(json!({
        "weight_count": spec.weight_count(),
        "param_count": spec.param_count(),
        "compression": spec.compression(),
        "groups": spec.groups(),
        "patterns": spec.distinct_patterns(),
        "offsets": spec.all_offsets(),
        "group_patterns": spec.group_patterns(),
    })
    .to_string())
}
