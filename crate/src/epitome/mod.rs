//! Epitomes: small tensors from which convolution kernels are sampled.
//!
//! The definitions follow the project's spec (docs/epitome.md, from
//! shared/spec/EPITOME.md). Shapes, offsets and counts live in [`spec`].

pub mod spec;

pub use spec::{EpitomeShape, EpitomeSpec, LayerGeometry, Offset};
