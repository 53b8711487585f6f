//! wasm API tests, run by `wasm-pack test --node` and, with
//! WASM_BINDGEN_USE_BROWSER=1, `wasm-pack test --headless --chrome`.
//! Each exported function gets a happy path and an error path: errors must be
//! thrown JS `Error`s with an actionable message, never a trap.
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

#[path = "web/chart.rs"]
mod chart;
#[path = "web/compare.rs"]
mod compare;
#[path = "web/compare_models.rs"]
mod compare_models;
#[path = "web/epitome_info.rs"]
mod epitome_info;

#[path = "web/epitome_ops.rs"]
mod epitome_ops;
#[path = "web/explorer.rs"]
mod explorer;
#[path = "web/hostile.rs"]
mod hostile;
#[path = "web/model.rs"]
mod model;
#[path = "web/model_cost.rs"]
mod model_cost;
#[path = "web/search.rs"]
mod search;
#[path = "web/sgemm.rs"]
mod sgemm;
#[path = "web/sim.rs"]
mod sim;

/// Parses a JSON literal into a JS value, as a page would pass it.
pub fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("test JSON is valid")
}

/// Reads a property of a JS object.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).expect("object has the property")
}

/// Bytes as a `Uint8Array` (what `Model.load` and `evaluate` take).
pub fn u8a(bytes: &[u8]) -> JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

/// Floats as a `Float32Array` (what `predict` takes).
pub fn f32a(values: &[f32]) -> JsValue {
    js_sys::Float32Array::from(values).into()
}

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(epim::wasm::version(), env!("CARGO_PKG_VERSION"));
}
