//! Epitome-aware quantization (docs/epitome.md#quantization).
//!
//! - [`weights`]: the epitome `E` is what the crossbars store, so `E` is
//!   quantized: signed, symmetric, uniform, 2..=8 bits, one scale per epitome
//!   output row (one crossbar column). Sampled weights are copies of quantized
//!   entries and need no further rounding.
//! - [`activation`]: unsigned activations (after ReLU), one scale per layer
//!   input, calibrated by max or by a percentile.
//!
//! Rounding is half away from zero (`f32::round`) everywhere.

pub mod activation;
pub mod weights;

pub use activation::{
    calibrate, dequantize_activations, quantize_activations, ActivationParams, Calibration,
};
pub use weights::{bits_per_weight, quantize_epitome, quantize_rows, QuantizedEpitome};
