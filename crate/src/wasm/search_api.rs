//! The search's JS surface: `new SearchSession(request)`, stepped by the page a
//! generation (or a few) per animation frame. Thin: everything is in
//! [`crate::search::SearchRun`].
//!
//! ```js
//! const s = new SearchSession({network: "resnet50-imagenet", budget_fraction_of_dense32: 1/30,
//!                              search: {population: 50, generations: 50, seed: 1}});
//! let p;
//! do { p = s.step(1); draw(p.front); } while (p.state !== "done");
//! const design = s.bestDesign();   // the epim compare design file, or null
//! ```

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::convert::{from_js, integer, optional_integer, to_js};
use crate::plot::front::FrontChart;
use crate::search::{RunInfo, RunProgress, SearchRequest, SearchRun};

/// Largest front point id accepted (ids are evaluation counters).
const MAX_ID: u64 = 1 << 53;

/// What `step` returns: the progress plus the run's fixed facts.
#[derive(Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
struct StepReport<'a> {
    #[serde(flatten)]
    progress: RunProgress,
    info: &'a RunInfo,
    /// The front's chart data, for `drawFront` unchanged.
    chart: FrontChart,
}

/// An evolutionary design search on the simulator (see docs/search.md).
#[wasm_bindgen]
pub struct SearchSession {
    run: SearchRun,
    info: RunInfo,
}

#[wasm_bindgen]
impl SearchSession {
    /// `request`: `{network: name | spec, preset?, accounting?, config?, knobs?, bits?,
    /// budget_crossbars?, budget_fraction_of_dense32?, latency_cap_ns?, fidelity?,
    /// space?: {bits, rep, max_channel_ratio, spatial_extra}, search?: {seed,
    /// population, generations, max_evaluations, stagnation_generations, tournament,
    /// crossover_rate, mutation_rate, max_retries, mode: {kind: "pareto"} |
    /// {kind: "scalarised", weights}, scales}}`. Throws an `Error` naming the field.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SearchRequest")] request: JsValue,
    ) -> Result<SearchSession, JsError> {
        let req: SearchRequest = from_js("search request", &request)?;
        let run = SearchRun::new(&req)?;
        let info = run.info();
        Ok(SearchSession { run, info })
    }

    /// Runs up to `generations` more generations; returns `{generation, evaluations,
    /// state: "asking" | "waiting" | "done", stop, infeasible: {class: n},
    /// infeasible_total, main_infeasible (the class with the most, or null), best,
    /// front: [{id, generation, area_um2, latency_ns, energy_pj, quality_proxy,
    /// crossbars, score, epitome_layers}], info, chart}` (`chart`: the front's chart
    /// data for `drawFront`, the best design highlighted).
    /// `generations` is an integer in 0..=10000.
    #[wasm_bindgen(unchecked_return_type = "StepReport")]
    pub fn step(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] generations: JsValue,
    ) -> Result<JsValue, JsError> {
        let generations = integer("generations", &generations, 0, 10_000)?;
        self.run.step(generations as usize)?;
        self.progress()
    }

    /// The same object as `step` without running anything.
    #[wasm_bindgen(unchecked_return_type = "StepReport")]
    pub fn progress(&mut self) -> Result<JsValue, JsError> {
        let progress = self.run.progress()?;
        let chart = progress.front_chart(&format!("{}: search front", self.info.network));
        to_js(&StepReport {
            progress,
            info: &self.info,
            chart,
        })
    }

    /// The front: `[{id, generation, area_um2, latency_ns, energy_pj, quality_proxy,
    /// crossbars, score, epitome_layers}]`, sorted by area.
    #[wasm_bindgen(unchecked_return_type = "FrontPoint[]")]
    pub fn front(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.run.front()?)
    }

    /// Stops the search (`state` becomes `"done"`, `stop` `"cancelled"`).
    pub fn cancel(&mut self) {
        self.run.cancel();
    }

    /// The design file (`epim compare --method epitome:bits=B,design=FILE.json`) of
    /// the best design, or of front point `id`; `null` when there is none.
    #[wasm_bindgen(js_name = bestDesign, unchecked_return_type = "EpitomeDesign | null")]
    pub fn best_design(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] id: JsValue,
    ) -> Result<JsValue, JsError> {
        let id = optional_integer("id", &id, MAX_ID)?;
        to_js(&self.run.design(id)?)
    }

    /// Per-layer choices `[[name, {kind, e_out?, e_in?, e_h?, e_w?, rep?, w_bits}]]` of
    /// the best design or of front point `id`; `null` when there is none.
    #[wasm_bindgen(unchecked_return_type = "[string, LayerChoice][] | null")]
    pub fn layers(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] id: JsValue,
    ) -> Result<JsValue, JsError> {
        let id = optional_integer("id", &id, MAX_ID)?;
        to_js(&self.run.choices(id))
    }

    /// Full-simulator totals `{crossbars, tiles, area_um2, latency_ns, energy_pj}` of
    /// the best design or of front point `id`; `null` when there is none.
    #[wasm_bindgen(unchecked_return_type = "ExactCosts | null")]
    pub fn exact(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] id: JsValue,
    ) -> Result<JsValue, JsError> {
        let id = optional_integer("id", &id, MAX_ID)?;
        to_js(&self.run.exact(id)?)
    }
}
