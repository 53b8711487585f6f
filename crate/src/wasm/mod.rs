//! The wasm bindings: the only module that knows about JavaScript.
//!
//! Every export returns `Result<_, JsError>`; a `crate::Error` becomes a JS `Error`
//! whose message says what to fix. Core types cross the boundary through serde
//! (plain JS objects; field names as in the Rust structs, snake_case).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::epitome::EpitomeSpec;

#[cfg(feature = "burn")]
mod burn_api;
mod chart_api;
mod compare_api;
pub mod convert;
mod epitome_api;
mod explorer_api;
mod model_api;
mod pim_api;
mod search_api;
mod sim_api;
#[cfg(feature = "train")]
mod train_api;

pub use chart_api::{draw_chart, draw_front};
pub use compare_api::{compare, compare_models};
pub use convert::{from_js, to_js};

/// The input limits of the core (`crate::limits`, docs/limits.md), so the page
/// bounds its inputs with the same numbers: `{max_channels, max_kernel,
/// max_epitome_spatial, max_layer_weights, max_tensor_elements,
/// max_materialized_weights, max_epitome_elements, max_table_entries, max_model_bytes,
/// max_array_len, max_string_len, max_methods, max_error_chars}`.
#[wasm_bindgen(unchecked_return_type = "Limits")]
pub fn limits() -> Result<JsValue, JsError> {
    to_js(&crate::limits::LIMITS)
}
#[cfg(feature = "burn")]
pub use burn_api::BurnTrainRun;
pub use epitome_api::{epitome_conv, epitome_materialize, epitome_tables, quantize};
pub use explorer_api::{epitome_readers, epitome_sampling, epitome_window};
pub use model_api::{read_idx_dataset, EvalRun, WasmModel};
pub use pim_api::{
    draw_curve_js, pim_adc_choices, pim_adc_costs, pim_check_knobs, pim_curve, pim_evaluate,
    pim_merge, pim_preset_knobs, pim_trade_curve, PimRun,
};
pub use search_api::SearchSession;
pub use sim_api::{list_networks, list_presets, simulate};
#[cfg(feature = "train")]
pub use train_api::{check_train_settings, TrainRun};

/// Runs once when the module is instantiated: installs the panic hook so a bug
/// shows a Rust message in the console instead of a bare `unreachable`.
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "panic-hook")]
    console_error_panic_hook::set_once();
}

/// The crate version (Cargo.toml).
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// What [`epitome_info`] returns.
#[derive(Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
struct EpitomeInfo {
    weight_count: usize,
    param_count: usize,
    compression: f64,
    groups: usize,
    patterns: usize,
    offsets: Vec<crate::epitome::Offset>,
    group_patterns: Vec<usize>,
}

/// Counts of an epitome spec: `{layer: {c_out, c_in, k_h, k_w, stride?, padding?},
/// epitome: {e_out, e_in, e_h, e_w}, offsets?, rep?}` ->
/// `{weight_count, param_count, compression, groups, patterns, offsets, group_patterns}`
/// (`group_patterns[g]`: the pattern id of group `g`, the datapath tables' `pattern`).
/// Throws an `Error` naming the field for an invalid spec.
#[wasm_bindgen(js_name = epitomeInfo, unchecked_return_type = "EpitomeInfo")]
pub fn epitome_info(
    #[wasm_bindgen(unchecked_param_type = "EpitomeSpec")] spec: JsValue,
) -> Result<JsValue, JsError> {
    let spec: EpitomeSpec = from_js("epitome spec", &spec)?;
    spec.validate()?;
    to_js(&EpitomeInfo {
        weight_count: spec.weight_count(),
        param_count: spec.param_count(),
        compression: spec.compression(),
        groups: spec.groups(),
        patterns: spec.distinct_patterns(),
        offsets: spec.all_offsets(),
        group_patterns: spec.group_patterns(),
    })
}
