//! # epim: the EPIM playground core
//!
//! EPIM (Wang et al., "EPIM: Efficient Processing-In-Memory Accelerators based on
//! Epitome", DAC 2024, arXiv 2311.07620) replaces convolution kernels with
//! *epitomes*: small tensors from which the kernels are sampled, so a ReRAM crossbar
//! accelerator stores far fewer weights.
//!
//! This crate is the pure-Rust core of the EPIM playground. The normative definitions
//! of the operator, quantizer and datapath are the project's own (docs/epitome.md);
//! where the paper's text is not available they are modelling choices, not the paper's.
//!
//! Modules:
//! - [`compare`]: dense, epitome and pruning methods compared on one chip.
//! - [`design`]: the epitome design file (written by the search, read by compare and train).
//! - [`epitome`]: epitome shapes, sampling, the operator and its datapath tables.
//! - [`error`]: the crate's one error type.
//! - [`limits`]: every bound on input, in one place.
//! - [`data`]: the IDX reader and the MNIST / Fashion-MNIST datasets.
//! - [`model`]: trained models: architecture, safetensors file, executor, cost; the
//!   trainable architectures as simulator networks.
//! - [`nn`]: plain tensors and the reference convolution (the oracle).
//! - [`quant`]: epitome-aware weight and activation quantization.
//! - [`nets`]: network descriptions for the simulator and the built-in zoo.
//! - [`pim`]: accuracy of a trained model on crossbars (ADC, variation, faults).
//! - [`plot`]: backend-generic charts of a method comparison (bars, breakdowns, Pareto).
//! - [`rng`]: a seeded, portable RNG (xoshiro256**), the same sequence natively and in wasm.
//! - [`search`]: ask/tell evolutionary search over layer-wise epitome designs.
//! - [`sim`]: the PIM accelerator simulator (MNSIM 2.0-compatible and physical accounting).
//! - [`units`]: µm², ns, pJ, mW and MHz newtypes.
//!
//! The wasm bindings (`wasm`, only on `wasm32-unknown-unknown`) are a thin shell over
//! this core; the core knows nothing about JavaScript.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![deny(rustdoc::broken_intra_doc_links)]

pub mod compare;
pub mod data;
pub mod design;
pub mod epitome;
pub mod error;
pub mod infer;
pub mod limits;
pub mod model;
pub mod nets;
pub mod nn;
pub mod pim;
pub mod plot;
pub mod prune;
pub mod quant;
pub mod rng;
pub mod search;
pub mod sim;
pub mod units;

#[cfg(feature = "train")]
pub mod train;

#[cfg(all(target_arch = "wasm32", target_os = "unknown", feature = "bindings"))]
pub mod wasm;
/// The strict JS conversions of the bindings (`wasm::convert`), also for the
/// on-demand module crate-onnx/, which builds without the feature `bindings`.
#[cfg(all(target_arch = "wasm32", target_os = "unknown", feature = "bindings"))]
pub use wasm::convert as wasm_convert;
/// The strict JS conversions (see above) when the bindings are off.
#[cfg(all(
    target_arch = "wasm32",
    target_os = "unknown",
    not(feature = "bindings")
))]
#[path = "wasm/convert.rs"]
pub mod wasm_convert;

pub use epitome::EpitomeSpec;
pub use error::{Error, Result};

/// The crate version, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
