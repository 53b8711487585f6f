//! `epim`: the EPIM playground's command line. JSON in, JSON out; errors are one
//! line on stderr and a non-zero exit code.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The CLI is native only; this keeps `cargo build --target wasm32-unknown-unknown`
/// of all targets working.
#[cfg(target_arch = "wasm32")]
fn main() {}
