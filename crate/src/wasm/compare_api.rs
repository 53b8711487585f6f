//! `compare(request)`: the method comparison for the page. Thin: everything is in
//! `crate::compare`.

use wasm_bindgen::prelude::*;

use super::convert::{bytes, from_js, get, string, to_js};
use crate::compare::{compare as run_compare, CompareRequest};
use crate::limits::{echo, MAX_METHODS, MAX_MODEL_BYTES};
use crate::Error;

/// Compares methods on one network and chip. `request`: `{network: name | spec
/// object, preset?: string, accounting?: "physical" | "mnsim", config?: ArchConfig
/// object, knobs?: {crossbar_size?, cell_bits?, adc_choice?, dac_choice?, w_bits?,
/// a_bits?}, baseline: "dense:bits=32", methods: ["dense:bits=8", ...], designs?:
/// {name: design object}}` (unknown keys are errors). Returns the `epim compare
/// --json` object `{network, preset, accounting, baseline: row, rows: [row, ...]}`,
/// each row `{method, crossbars, pes, tiles, area_um2, latency_ns, energy_pj,
/// power_mw, bits_per_weight, area_ratio, latency_ratio, energy_ratio, breakdown:
/// {area_um2: {...}, latency_ns: {...}, energy_pj: {...}}}`, plus `chart` and
/// `accuracy_chart`: the chart data `epim compare --svg` draws
/// ([`CompareReport::charts`](crate::compare::CompareReport::charts)), for `drawChart`
/// unchanged. Throws an `Error` naming the problem (unknown method key, network,
/// preset; invalid config).
#[wasm_bindgen(js_name = compare, unchecked_return_type = "CompareView")]
pub fn compare(
    #[wasm_bindgen(unchecked_param_type = "CompareRequest")] request: JsValue,
) -> Result<JsValue, JsError> {
    if !request.is_object() {
        return Err(JsError::new(
            "compare request must be an object {network, baseline, methods, ...}",
        ));
    }
    let req: CompareRequest = from_js("compare request", &request)?;
    to_js(&run_compare(&req)?.with_charts())
}

/// `compareModels(request, models)`: [`compare`] plus one row per trained model.
/// `models`: an array of `{label: string, bytes: Uint8Array}` (model files, as
/// `Model.load` takes them). `request` is as for `compare`, except that
/// `network` may be omitted (then the first model's own network is the
/// reference) and `methods` may be empty. Model rows are costed as stored
/// (epitomes, pruning masks from their real weights) and carry `accuracy_pct`, the
/// file's recorded test accuracy; `accuracy_chart` is the area-vs-accuracy chart's data,
/// `accuracy_picks` the most accurate, smallest and smallest `EPIM` rows.
/// Throws an `Error` naming the bad model or field.
#[wasm_bindgen(js_name = compareModels, unchecked_return_type = "CompareView")]
pub fn compare_models(
    #[wasm_bindgen(unchecked_param_type = "CompareRequest")] request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "{ label: string; bytes: Uint8Array }[]")]
    models: JsValue,
) -> Result<JsValue, JsError> {
    use crate::compare::{compare_models as run, ModelEntry};
    if !request.is_object() {
        return Err(JsError::new(
            "compareModels request must be an object {baseline, methods, network?, ...}",
        ));
    }
    let loaded = model_files(&models)?;
    let req: CompareRequest = from_js("compareModels request", &request)?;
    let entries: Vec<ModelEntry> = loaded
        .iter()
        .map(|(label, model)| ModelEntry { label, model })
        .collect();
    to_js(&run(&req, &entries)?.with_charts())
}

/// `models` from JS: an array of at most `MAX_MODELS` `{label: string, bytes:
/// Uint8Array}` model files (each at most `MAX_MODEL_BYTES`), loaded; errors name
/// the entry (`models[1].bytes`). Shared by `compareModels` and `pimAdcCosts`.
pub(crate) fn model_files(models: &JsValue) -> Result<Vec<(String, crate::model::Model)>, JsError> {
    use crate::model::Model;
    if !models.is_object() {
        return Err(Error::invalid("models", "must be an array of {label, bytes}").into());
    }
    let count = get(models, "length", "models")?
        .as_f64()
        .filter(|n| n.fract() == 0.0 && (0.0..=MAX_MODELS as f64).contains(n))
        .ok_or_else(|| {
            Error::invalid(
                "models",
                format!("must be an array of at most {MAX_MODELS} {{label, bytes}}"),
            )
        })? as usize;
    let mut loaded: Vec<(String, Model)> = Vec::with_capacity(count);
    for i in 0..count {
        let at = format!("models[{i}]");
        let m = get(models, &i.to_string(), &at)?;
        if !m.is_object() {
            return Err(Error::invalid(&at, "must be an object {label, bytes}").into());
        }
        let label = string(
            &format!("{at}.label"),
            &get(&m, "label", &format!("{at}.label"))?,
        )?;
        let bytes = bytes(
            &format!("{at}.bytes"),
            &get(&m, "bytes", &format!("{at}.bytes"))?,
            MAX_MODEL_BYTES,
        )?;
        let model = Model::from_bytes(&bytes)
            .map_err(|e| Error::parse(format!("{at} ({})", echo(&label)), e))?;
        loaded.push((label, model));
    }
    Ok(loaded)
}

/// Most models in one `compareModels` call.
const MAX_MODELS: usize = MAX_METHODS;

/// `checkMethod(text)`: parses one method string (`"epitome:bits=3,ratio=2"`) as
/// `compare` parses each of its `methods`, without simulating anything, so the
/// page can check the methods of a link when it opens. Returns nothing; throws an
/// `Error` naming the method and the key (`invalid method 'dense:bits=99': bits:
/// must be in 2..=32, got 99`). A `design=NAME` method parses; whether the design
/// exists is `compare`'s question.
#[wasm_bindgen(js_name = checkMethod)]
pub fn check_method(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Result<(), JsError> {
    let text = string("method", &text)?;
    crate::compare::Method::parse(&text)?;
    Ok(())
}
