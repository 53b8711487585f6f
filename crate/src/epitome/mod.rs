//! Epitomes: small tensors from which convolution kernels are sampled.
//!
//! The definitions follow the project's definition in docs/epitome.md:
//!
//! - [`spec`]: shapes, offsets, validation and counts ([`EpitomeSpec`]);
//! - [`sampler`]: the index map `W[o][i][y][x] -> E[..]` ([`Sampler`]);
//! - [`materialize()`]: expand `E` into `W` (reference path) and
//!   [`grad_to_epitome`], the backward scatter-add;
//! - [`conv()`]: the fast epitome convolution (never materializes `W`);
//! - [`tables`]: the datapath tables IFAT, IFRT, OFAT;
//! - [`executor`]: a crossbar-level functional model that walks the tables;
//! - [`layer`]: the built [`Epitome`] and the JSON layer file
//!   ([`EpitomeLayerSpec`]);
//! - [`report`]: the results of the CLI / wasm operations on a layer file.

pub mod conv;
pub mod executor;
pub mod layer;
pub mod links;
pub mod materialize;
pub mod report;
pub mod sampler;
pub mod spec;
pub mod tables;

pub use conv::conv;
pub use executor::{execute, CrossbarConfig, ExecReport, QuantizedInput};
pub use layer::{Epitome, EpitomeLayer, EpitomeLayerSpec};
pub use materialize::{grad_to_epitome, materialize};
pub use report::{ConvReport, MaterializeReport, QuantizeReport};
pub use sampler::Sampler;
pub use spec::{EpitomeShape, EpitomeSpec, LayerGeometry, Offset};
pub use tables::{DatapathTables, IfatEntry, IfrtEntry, OfatEntry, TableSizes};
