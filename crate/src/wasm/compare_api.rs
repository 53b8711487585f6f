//! `compare(request)`: the method comparison for the page. Thin: everything is in
//! `crate::compare`.

use wasm_bindgen::prelude::*;

use super::to_js;
use crate::compare::{compare as run_compare, CompareRequest};
use crate::Error;

/// Compares methods on one network and chip. `request`: `{network: name | spec
/// object, preset?: string, accounting?: "physical" | "mnsim", config?: ArchConfig
/// object, knobs?: {crossbar_size?, cell_bits?, adc_choice?, dac_choice?, w_bits?,
/// a_bits?}, baseline: "dense:bits=32", methods: ["dense:bits=8", ...], designs?:
/// {name: design object}}` (unknown keys are errors). Returns the `epim compare
/// --json` object `{network, preset, accounting, baseline: row, rows: [row, ...]}`,
/// each row `{method, crossbars, pes, tiles, area_um2, latency_ns, energy_pj,
/// power_mw, bits_per_weight, area_ratio, latency_ratio, energy_ratio, breakdown:
/// {area_um2: {...}, latency_ns: {...}, energy_pj: {...}}}`. Throws an `Error` naming
/// the problem (unknown method key, network, preset; invalid config).
#[wasm_bindgen(js_name = compare)]
pub fn compare(request: JsValue) -> Result<JsValue, JsError> {
    if !request.is_object() {
        return Err(JsError::new(
            "compare request must be an object {network, baseline, methods, ...}",
        ));
    }
    // Through JSON text so that unknown keys are rejected (serde-wasm-bindgen reads
    // only known properties).
    let text = js_sys::JSON::stringify(&request)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| JsError::new("cannot parse compare request: not JSON-serialisable"))?;
    let req: CompareRequest =
        serde_json::from_str(&text).map_err(|e| Error::parse("compare request", e))?;
    to_js(&run_compare(&req)?)
}
