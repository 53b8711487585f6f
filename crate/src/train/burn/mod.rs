//! Training with burn 0.22.1 (feature `burn`; natively `epim train --backend
//! burn`, in wasm32 the export `BurnTrainRun`): the pure-Rust `flex` CPU
//! backend with autodiff and burn's Adam.
//!
//! - [`EpitomeConv`]: the epitome layer as a burn module. Its weights are
//!   `W = E.select(index map)` reshaped to `[c_out, c_in, k, k]`, then
//!   `conv2d`; burn differentiates `select` by a scatter-add, so the gradient
//!   flows back into `E` as docs/epitome.md#forward-and-backward-pass says
//!   (tests/burn_layer.rs checks
//!   it against [`crate::epitome::grad_to_epitome`]).
//! - [`quantize_rows_ste`]: quantization-aware training, `E` quantized per
//!   epitome row exactly as [`crate::quant::quantize_rows`] does, with the
//!   straight-through estimator.
//! - [`BurnNet`]: the `cnn` / `tiny` architectures trained with the same
//!   seeded initialisation, shuffling and learning-rate schedule as the native
//!   trainer, exported through the same code ([`crate::train::Net::export`]'s
//!   calibration) to the same model format.
//! - [`BurnTraining`]: one whole run from the page's [`crate::train::TrainSettings`]
//!   (checked by [`burn_plan`]), what the wasm export runs.
//!
//! This is the only module that imports burn.

mod layer;
mod net;
mod run;

pub use layer::{quantize_rows_forward, quantize_rows_ste, read, EpitomeConv};
pub use net::{train_device, BurnNet, BurnParams};
pub use run::{burn_plan, BurnTraining};
