//! `epim epitome materialize|tables|conv FILE.json`: the epitome operator on a
//! layer file (see `epim::epitome::EpitomeLayerSpec`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use epim::epitome::{EpitomeLayer, EpitomeLayerSpec};

/// Arguments of `epim epitome`.
#[derive(Args)]
pub struct EpitomeArgs {
    #[command(subcommand)]
    op: EpitomeOp,
}

/// The layer file every operation reads.
#[derive(Args)]
pub struct LayerFile {
    /// JSON file: {"layer": {c_out, c_in, k_h, k_w, stride?, padding?},
    /// "epitome": {"shape": [e_out, e_in, e_h, e_w], "data": [...]},
    /// "offsets"?: [[a,b,c],...], "rep"?: n, "input"?: {"shape": [n, c_in, h, w],
    /// "data": [...]}, "bias"?: [...]}
    file: PathBuf,
}

#[derive(Subcommand)]
enum EpitomeOp {
    /// Sampled weights: {"shape":[c_out,c_in,k_h,k_w],"data":[...],"offsets":[...],"compression":x}.
    Materialize(LayerFile),
    /// Datapath tables: {"patterns":n,"ifat":[...],"ifrt":[...],"ofat":[...]}.
    Tables(LayerFile),
    /// Layer output on the file's input: {"shape":[n,c_out,h_out,w_out],"data":[...]}.
    Conv(LayerFile),
}

/// Reads and validates a layer file.
pub fn read_layer(path: &Path) -> epim::Result<EpitomeLayer> {
    let spec: EpitomeLayerSpec = super::read_json(path)?;
    spec.build()
}

fn to_json<T: serde::Serialize>(value: &T) -> epim::Result<String> {
    serde_json::to_string(value).map_err(|e| epim::Error::parse("result", e))
}

/// Runs `epim epitome ...`.
pub fn run(args: &EpitomeArgs) -> epim::Result<String> {
    match &args.op {
        EpitomeOp::Materialize(f) => to_json(&read_layer(&f.file)?.materialize_report()?),
        EpitomeOp::Tables(f) => to_json(&read_layer(&f.file)?.tables()?),
        EpitomeOp::Conv(f) => to_json(&read_layer(&f.file)?.conv_report()?),
    }
}
