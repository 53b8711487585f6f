//! The fast inference path: a compiled [`plan::Plan`] per model (weights packed
//! once, buffers kept between calls) running the integer GEMM of [`kernel`].
//! The reference executor ([`crate::model::Model::forward`]) stays as the
//! oracle it is tested against. [`sgemm`] is the float sibling of [`kernel`],
//! the GEMM the trainer (`crate::train`) runs on.

pub mod kernel;
pub mod plan;
pub mod sgemm;

pub use plan::{EpitomeMode, Plan};
