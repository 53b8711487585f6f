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
    to_js(&run_compare(&parse_request(&request)?)?)
}

/// A request object as a [`CompareRequest`], through JSON text so that unknown keys
/// are rejected (serde-wasm-bindgen reads only known properties).
fn parse_request(request: &JsValue) -> Result<CompareRequest, JsError> {
    let text = js_sys::JSON::stringify(request)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| JsError::new("cannot parse compare request: not JSON-serialisable"))?;
    Ok(serde_json::from_str(&text).map_err(|e| Error::parse("compare request", e))?)
}

/// `compareModels(request, models)`: [`compare`] plus one row per trained model.
/// `models`: an array of `{label: string, bytes: Uint8Array}` (model files, as
/// `Model.load` takes them). `request` is as for `compare`, except that
/// `network` may be omitted (then the first model's own network is the
/// reference) and `methods` may be empty. Model rows are costed as stored
/// (epitomes, pruning masks from their real weights) and carry `accuracy_pct`, the
/// file's recorded test accuracy. Throws an `Error` naming the bad model or field.
#[wasm_bindgen(js_name = compareModels)]
pub fn compare_models(request: JsValue, models: js_sys::Array) -> Result<JsValue, JsError> {
    use crate::compare::{compare_models as run, model_network, ModelEntry};
    use crate::model::Model;
    use crate::sim::NetworkRef;
    if !request.is_object() {
        return Err(JsError::new(
            "compareModels request must be an object {baseline, methods, network?, ...}",
        ));
    }
    let mut loaded: Vec<(String, Model)> = Vec::with_capacity(models.length() as usize);
    for (i, m) in models.iter().enumerate() {
        let field = |name: &str| js_sys::Reflect::get(&m, &JsValue::from_str(name)).ok();
        let label = field("label")
            .and_then(|v| v.as_string())
            .ok_or_else(|| Error::invalid(format!("models[{i}].label"), "must be a string"))?;
        let bytes = field("bytes")
            .filter(|v| v.is_instance_of::<js_sys::Uint8Array>())
            .map(|v| js_sys::Uint8Array::from(v).to_vec())
            .ok_or_else(|| Error::invalid(format!("models[{i}].bytes"), "must be a Uint8Array"))?;
        let model = Model::from_bytes(&bytes)
            .map_err(|e| Error::parse(format!("models[{i}] ({label})"), e))?;
        loaded.push((label, model));
    }
    let mut request = request;
    let has_network =
        js_sys::Reflect::has(&request, &JsValue::from_str("network")).unwrap_or(false);
    if !has_network {
        let (label, first) = loaded
            .first()
            .ok_or_else(|| Error::invalid("network", "give a network or at least one model"))?;
        let spec = model_network(first.arch(), label.trim_start_matches("model:"))?;
        let copy = js_sys::Object::assign(&js_sys::Object::new(), &request.into());
        js_sys::Reflect::set(
            &copy,
            &JsValue::from_str("network"),
            &to_js(&NetworkRef::Spec(spec))?,
        )
        .map_err(|_| JsError::new("cannot set the request's network"))?;
        request = copy.into();
    }
    let req = parse_request(&request)?;
    let entries: Vec<ModelEntry> = loaded
        .iter()
        .map(|(label, model)| ModelEntry { label, model })
        .collect();
    to_js(&run(&req, &entries)?)
}
