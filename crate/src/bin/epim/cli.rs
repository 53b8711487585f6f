//! Argument parsing and dispatch. Each command group lives in its own module.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod compare;
mod epitome;
mod eval;
mod export;
mod hardware;
mod import;
mod info;
mod pim;
mod quantize;
mod search;
mod sim;
mod train;

/// EPIM playground command line: epitome operator, quantizer and PIM simulator.
#[derive(Parser)]
#[command(name = "epim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parameter count, compression, groups and offsets of an epitome spec (JSON file).
    Info(info::InfoArgs),
    /// The epitome operator on a layer file: materialize, tables or conv.
    Epitome(epitome::EpitomeArgs),
    /// Per-epitome-row symmetric weight quantization of a layer file.
    Quantize(quantize::QuantizeArgs),
    /// Simulate a network on the PIM accelerator (table, or --json).
    Simulate(sim::SimulateArgs),
    /// List the built-in networks (and the hardware presets).
    Nets(sim::NetsArgs),
    /// Evolutionary search for a layer-wise epitome design under a crossbar budget.
    Search(search::SearchArgs),
    /// Compare dense, epitome and pruning methods on one network and chip (one table).
    Compare(compare::CompareArgs),
    /// Train a model on MNIST / Fashion-MNIST (build with --features train).
    Train(train::TrainArgs),
    /// Accuracy and images/s of a model file on a test set.
    Eval(eval::EvalArgs),
    /// Accuracy of model files on ReRAM crossbars (ADC, variation, stuck-at faults), over seeds.
    PimEval(pim::PimEvalArgs),
    /// A model file as ONNX (build with --features onnx) or as JSON layers, for other runtimes.
    Export(export::ExportArgs),
    /// An ONNX CNN as the simulator's network JSON (build with --features onnx).
    Import(import::ImportArgs),
}

/// Parses the arguments, runs the command, prints its JSON on stdout; on error
/// prints one line on stderr and exits with status 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(args) => info::run(&args),
        Command::Epitome(args) => epitome::run(&args),
        Command::Quantize(args) => quantize::run(&args),
        Command::Simulate(args) => sim::run_simulate(&args),
        Command::Nets(args) => sim::run_nets(&args),
        Command::Search(args) => search::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::PimEval(args) => pim::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Import(args) => import::run(&args),
    };
    match result {
        Ok(json) => {
            use std::io::Write;
            // A reader that closed the pipe early (`epim ... | head`) is not an error.
            match writeln!(std::io::stdout().lock(), "{json}") {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("epim: cannot write the result: {e}");
                    ExitCode::FAILURE
                }
                _ => ExitCode::SUCCESS,
            }
        }
        Err(e) => {
            eprintln!("epim: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a JSON file into `T`, with the file name in every error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> epim::Result<T> {
    let what = path.display().to_string();
    let len = epim::error::file_len(path)?;
    if len > epim::limits::MAX_JSON_BYTES {
        return Err(epim::Error::parse(
            &what,
            format!(
                "the file has {len} bytes; JSON inputs are at most {} bytes",
                epim::limits::MAX_JSON_BYTES
            ),
        ));
    }
    let text = epim::error::read_text(&what, path)?;
    epim::error::from_json_str(&what, &text)
}

/// The network named by `--net`: a trainable architecture (`cnn`, `tiny`) or a
/// model file (`.safetensors`) as its simulator network, with its name and
/// architecture; an ONNX file (`.onnx`, feature `onnx`: `epim import`'s network);
/// a network JSON file; else a zoo name.
pub fn network_ref(
    text: &str,
) -> epim::Result<(
    epim::sim::NetworkRef,
    Option<(String, epim::model::ArchSpec)>,
)> {
    use epim::sim::NetworkRef;
    if let Some((name, arch)) = epim::model::network::trainable(text)? {
        let spec = epim::model::network::network_spec(&arch, &name)?;
        return Ok((NetworkRef::Spec(spec), Some((name, arch))));
    }
    if import::is_onnx(text) {
        return Ok((NetworkRef::Spec(import::net_import(text)?.spec), None));
    }
    let path = std::path::Path::new(text);
    if text.ends_with(".json") || path.is_file() {
        return Ok((NetworkRef::Spec(read_json(path)?), None));
    }
    Ok((NetworkRef::Name(text.to_string()), None))
}
