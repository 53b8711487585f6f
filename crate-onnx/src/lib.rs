//! The page's on-demand wasm module (www/pkg-onnx): ONNX import for the Crossbar
//! costs panel and tract-core as a second engine in Try it. The page fetches it only
//! when a reader drops an `.onnx` file or selects the engine, so the first page load
//! (www/pkg) stays small; docs/import.md and docs/runtimes.md say what it holds.
//!
//! Every export returns `Result<_, JsError>` with the core's one-line messages; input
//! sizes are checked before anything is copied. Natively the library is empty.

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod import_api;
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod tract_api;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use import_api::{import_onnx, onnx_limits, OnnxNetwork};
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
pub use tract_api::{OnnxClassifier, TractModel};

/// Runs once when the module is instantiated: a bug shows a Rust message in the
/// console instead of a bare `unreachable`.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}
