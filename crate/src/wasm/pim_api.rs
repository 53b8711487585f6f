//! Accuracy on crossbars for JS (`crate::pim`, docs/pim-accuracy.md):
//! `pimPresetKnobs`, `pimEvaluate`, `pimLayerErrors`, the step-by-step `PimRun` (the page's
//! workers report after each step), `pimMerge` (the parts of an evaluation
//! split by images), `pimCurve` (the chart data of accuracy
//! against one knob), `pimAdcCosts` and `pimTradeCurve` (the simulator's side of
//! the ADC trade) and `drawCurve`.

use plotters::prelude::IntoDrawingArea;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::convert::{bytes, from_js, integer, optional, optional_string, string, to_js};
use crate::data::Dataset;
use crate::error::Error;
use crate::limits::{MAX_JS_ARRAY_LEN, MAX_MODEL_BYTES, MAX_PIM_SEEDS};
use crate::pim::eval::{images_f32, merge, EvalPart};
use crate::pim::{PimKnobs, Progressive};
use crate::plot::curve::{draw_curve, validate_curve, CurveData, CurvePoint, CurveSeries};
use crate::plot::ChartOptions;

/// The knobs of a PIM preset (`"mnsim2"`, `"isaac"` or `"ideal"`). Throws for
/// an unknown name (the error lists the known ones).
#[wasm_bindgen(js_name = pimPresetKnobs, unchecked_return_type = "PimKnobs")]
pub fn pim_preset_knobs(
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
) -> Result<JsValue, JsError> {
    let name = string("preset", &name)?;
    to_js(&PimKnobs::preset(&name)?)
}

/// Checks a `PimKnobs` object: returns it as the core reads it, or throws an
/// `Error` naming the bad knob (`invalid adc_bits: must be an integer in
/// 1..=16, got 0`), so the page can mark the field before any work starts.
#[wasm_bindgen(js_name = pimCheckKnobs, unchecked_return_type = "PimKnobs")]
pub fn pim_check_knobs(
    #[wasm_bindgen(unchecked_param_type = "PimKnobs")] knobs: JsValue,
) -> Result<JsValue, JsError> {
    let knobs: PimKnobs = from_js("knobs", &knobs)?;
    knobs.validate()?;
    to_js(&knobs)
}

/// The simulator's ADC choices (rows of MNSIM's ADC table, 1-based, as
/// `compare`'s `knobs.adc_choice` takes them) with a resolution of `bits`
/// bits, in table order: an array, empty when the table has none. Throws for
/// `bits` not an integer in `1..=16`.
#[wasm_bindgen(js_name = pimAdcChoices, unchecked_return_type = "number[]")]
pub fn pim_adc_choices(
    #[wasm_bindgen(unchecked_param_type = "number")] bits: JsValue,
) -> Result<JsValue, JsError> {
    let bits = integer("bits", &bits, 1, u64::from(crate::limits::MAX_PIM_ADC_BITS))? as u32;
    to_js(&crate::pim::knobs::adc_choices(bits))
}

/// The simulator's DAC choices (rows of MNSIM's DAC table, 1-based, as
/// `compare`'s `knobs.dac_choice` takes them) with a resolution of `bits`
/// bits, in table order: an array, empty when the table has none. Throws for
/// `bits` not an integer in `1..=8`.
#[wasm_bindgen(js_name = pimDacChoices, unchecked_return_type = "number[]")]
pub fn pim_dac_choices(
    #[wasm_bindgen(unchecked_param_type = "number")] bits: JsValue,
) -> Result<JsValue, JsError> {
    let bits = integer("bits", &bits, 1, u64::from(crate::limits::MAX_PIM_DAC_BITS))? as u32;
    to_js(&crate::pim::knobs::dac_choices(bits))
}

/// Model, knobs, images and labels from JS, checked: the model file (at most
/// `limits().max_model_bytes`), `PimKnobs` (every field; bounds errors name
/// the knob), `images` (`n*h*w` bytes) and `labels` (`n` bytes), `seeds` in
/// `1..=64`.
fn inputs(
    model_bytes: &JsValue,
    knobs: &JsValue,
    images: &JsValue,
    labels: &JsValue,
    seeds: &JsValue,
) -> Result<Progressive, JsError> {
    let (model, knobs, data, seeds) = checked(model_bytes, knobs, images, labels, seeds)?;
    let (px, labels) = images_f32(&data, data.len());
    Ok(Progressive::new(&model, &knobs, px, labels, seeds)?)
}

/// [`inputs`] before the model runs: the model, knobs, images as a dataset and seeds.
fn checked(
    model_bytes: &JsValue,
    knobs: &JsValue,
    images: &JsValue,
    labels: &JsValue,
    seeds: &JsValue,
) -> Result<(crate::model::Model, PimKnobs, Dataset, usize), JsError> {
    let model =
        crate::model::Model::from_bytes(&bytes("modelBytes", model_bytes, MAX_MODEL_BYTES)?)?;
    let knobs: PimKnobs = from_js("knobs", knobs)?;
    knobs.validate()?;
    let seeds = integer("seeds", seeds, 1, MAX_PIM_SEEDS as u64)? as usize;
    let [c, h, w] = model.arch().input;
    if c != 1 {
        return Err(Error::invalid(
            "modelBytes",
            format!("the model takes {c} input channels; images are single-channel"),
        )
        .into());
    }
    let images = bytes("images", images, MAX_JS_ARRAY_LEN)?;
    let labels = bytes("labels", labels, MAX_JS_ARRAY_LEN)?;
    let data = Dataset::new(h, w, images, labels)?;
    Ok((model, knobs, data, seeds))
}

/// Per weight layer, its own error on crossbars (`epim pim-eval --layers`):
/// the layer run on the crossbars and as the digital executor runs it, on
/// the input the crossbars' earlier layers gave it, pooled over the images
/// and the chips of seeds `1..=seeds`. Arguments as `pimEvaluate` (labels
/// are checked but not used). Returns `LayerError[]`: `{index, name,
/// mapping: {rows, cols, slices, cycles, row_blocks, crossbars, ...}, values,
/// rel_rms_error, rel_mean_error}` (errors relative to the RMS of the digital
/// outputs). Throws as `pimEvaluate` does.
#[wasm_bindgen(js_name = pimLayerErrors, unchecked_return_type = "LayerError[]")]
pub fn pim_layer_errors(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] model_bytes: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PimKnobs")] knobs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] seeds: JsValue,
) -> Result<JsValue, JsError> {
    let (model, knobs, data, seeds) = checked(&model_bytes, &knobs, &images, &labels, &seeds)?;
    to_js(&crate::pim::layer_errors(
        &model,
        &knobs,
        &data,
        data.len(),
        seeds,
        1,
    )?)
}

/// Accuracy of a model on crossbars: `modelBytes` (a model file, as
/// `Model.load` takes it), `knobs` (a `PimKnobs` object, see
/// `pimPresetKnobs`), `images` (`Uint8Array` of `n*28*28` pixels, 0..255),
/// `labels` (`Uint8Array` of `n`), `seeds` (chips `1..=seeds`, at most 64).
/// Returns `{images, seeds, accuracy_per_seed, correct_per_seed, mean_0_to_1,
/// std_0_to_1, min_0_to_1, max_0_to_1, crossbars}`. Throws an `Error` naming the field
/// (`knobs.adc_bits`, `seeds`, `labels`, ...).
#[wasm_bindgen(js_name = pimEvaluate, unchecked_return_type = "EvalResult")]
pub fn pim_evaluate(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] model_bytes: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PimKnobs")] knobs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] seeds: JsValue,
) -> Result<JsValue, JsError> {
    let mut run = inputs(&model_bytes, &knobs, &images, &labels, &seeds)?;
    let total = run.total();
    to_js(&run.step(total)?)
}

/// [`pim_evaluate`] a few images at a time: `new PimRun(modelBytes, knobs,
/// images, labels, seeds)` maps the model and programs the chips once;
/// `step(count)` classifies the next `count` images on every chip and returns
/// the result over the images done so far (after the last step, what
/// `pimEvaluate` returns).
#[wasm_bindgen]
pub struct PimRun {
    inner: Progressive,
}

#[wasm_bindgen]
impl PimRun {
    /// See [`PimRun`]; throws as `pimEvaluate` does.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] model_bytes: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PimKnobs")] knobs: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] seeds: JsValue,
    ) -> Result<PimRun, JsError> {
        Ok(PimRun {
            inner: inputs(&model_bytes, &knobs, &images, &labels, &seeds)?,
        })
    }

    /// Classifies the next `count` images (an integer >= 1; fewer when fewer
    /// are left); returns the `EvalResult` over all images done so far.
    #[wasm_bindgen(unchecked_return_type = "EvalResult")]
    pub fn step(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] count: JsValue,
    ) -> Result<JsValue, JsError> {
        let count = integer("count", &count, 1, MAX_JS_ARRAY_LEN as u64)? as usize;
        to_js(&self.inner.step(count)?)
    }

    /// Images classified so far.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> usize {
        self.inner.done()
    }

    /// Images in all.
    #[wasm_bindgen(getter)]
    pub fn total(&self) -> usize {
        self.inner.total()
    }
}

/// The result over every part of one evaluation split by images (the page
/// splits each model's images across its workers, one `PimRun` per part):
/// `parts` (`EvalResult`s of the same model, knobs and seeds on disjoint
/// images; at most 4096) -> the `EvalResult` over all their images, correct
/// counts added per seed and the statistics recomputed. Throws naming the
/// field (`parts[1].seeds`, `parts[0].correct_per_seed[2]`) when the parts
/// disagree on seeds or crossbars, or count more correct images than images.
#[wasm_bindgen(js_name = pimMerge, unchecked_return_type = "EvalResult")]
pub fn pim_merge(
    #[wasm_bindgen(
        unchecked_param_type = "{ images: number; seeds: number[]; correct_per_seed: number[]; crossbars: number }[]"
    )]
    parts: JsValue,
) -> Result<JsValue, JsError> {
    let parts: Vec<EvalPart> = from_js("parts", &parts)?;
    to_js(&merge(&parts)?)
}

/// One model's points for [`pim_curve`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CurveIn {
    label: String,
    points: Vec<PointIn>,
}

/// One evaluated knob value: the knob's value and the result's mean and
/// standard deviation (fractions, as `EvalResult` has them).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PointIn {
    value: f64,
    mean_0_to_1: f64,
    #[serde(default)]
    std_0_to_1: f64,
}

/// The axis description of a knob (CLI name), with its unit.
fn knob_desc(knob: &str) -> Result<&'static str, Error> {
    Ok(match knob {
        "adc-bits" => "ADC resolution (bits)",
        "dac-bits" => "DAC resolution (input bits per cycle)",
        "cell-bits" => "bits per cell",
        "crossbar-size" => "crossbar rows (word lines per column sum)",
        "adc-range" => "ADC full scale (fraction of the theoretical maximum)",
        "variation" => "conductance variation (lognormal sigma)",
        "sa0" => "stuck-at-0 cells (fraction)",
        "sa1" => "stuck-at-1 cells (fraction)",
        "stuck" => "stuck cells (fraction; half at 0, half at 1)",
        "on-off" => "on/off conductance ratio",
        _ => {
            return Err(Error::Unknown {
                kind: "knob".into(),
                name: crate::limits::echo(knob),
                known: crate::pim::knobs::KNOB_NAMES.join(", "),
            })
        }
    })
}

/// What [`pim_curve`] returns: the chart data and how many points it holds.
#[derive(serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct PimCurve {
    /// The chart data, for `drawCurve`.
    pub curve: CurveData,
    /// Points over all series.
    pub point_count: usize,
}

/// Chart data of accuracy against one knob: `knob` (a CLI knob name:
/// `"adc-bits"`, `"variation"`, `"stuck"`, ...), `series` (`[{label, points:
/// [{value, mean_0_to_1, std_0_to_1?}]}]`, the results of each model at the
/// knob values evaluated, any order), `title` (string or undefined). Returns
/// `{curve, point_count}`: the `CurveData` for `drawCurve` (points sorted by
/// value, accuracy in percent, the spread one standard deviation over seeds)
/// and the number of points in it. Throws naming the
/// field (`series[1].points[0].mean_0_to_1`) for a value that is not a
/// fraction, an unknown knob or too many series or points.
#[wasm_bindgen(js_name = pimCurve, unchecked_return_type = "PimCurve")]
pub fn pim_curve(
    #[wasm_bindgen(unchecked_param_type = "string")] knob: JsValue,
    #[wasm_bindgen(
        unchecked_param_type = "{ label: string; points: { value: number; mean_0_to_1: number; std_0_to_1?: number }[] }[]"
    )]
    series: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | undefined")] title: JsValue,
) -> Result<JsValue, JsError> {
    let knob = string("knob", &knob)?;
    let x_desc = knob_desc(&knob)?;
    let series: Vec<CurveIn> = from_js("series", &series)?;
    let title = optional_string("title", &title)?;
    let mut out = Vec::with_capacity(series.len());
    let mut point_count = 0;
    for (i, s) in series.into_iter().enumerate() {
        point_count += s.points.len();
        let mut points = Vec::with_capacity(s.points.len());
        for (j, p) in s.points.iter().enumerate() {
            let at = format!("series[{i}].points[{j}]");
            let frac = |name: &str, v: f64| crate::pim::trade::percent(&format!("{at}.{name}"), v);
            points.push(CurvePoint {
                x: p.value,
                y: frac("mean_0_to_1", p.mean_0_to_1)?,
                spread: frac("std_0_to_1", p.std_0_to_1)?,
                label: String::new(),
            });
        }
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
        out.push(CurveSeries {
            label: s.label,
            points,
        });
    }
    let data = CurveData {
        title,
        x_desc: x_desc.into(),
        y_desc: "accuracy (%), mean ± sd over chips".into(),
        series: out,
    };
    validate_curve(&data)?;
    to_js(&PimCurve {
        curve: data,
        point_count,
    })
}

/// The other side of the ADC trade: the simulator's area, latency and energy
/// of each model with every ADC resolution of MNSIM's table (1, 4, 6, 8, 10
/// bits; the preset's own ADC where it has that resolution, else the table's
/// first row of it), physical accounting, on the chip of the first model's
/// network. `preset`: the PIM preset (`"mnsim2"`, `"isaac"`, or `"ideal"`,
/// costed as mnsim2); `knobs`: `PimKnobs` (their cell bits, crossbar rows and
/// DAC resolution are costed); `models`: `[{label, bytes}]` as
/// `compareModels` takes them. Returns `[{label, costs: [{adc_bits,
/// adc_choice, dac_choice, area_um2, latency_ns, energy_pj}]}]`. Throws naming
/// the field: `dac_bits` for a DAC MNSIM's table lacks, the model entry, the
/// knob.
#[wasm_bindgen(js_name = pimAdcCosts, unchecked_return_type = "ModelAdcCosts[]")]
pub fn pim_adc_costs(
    #[wasm_bindgen(unchecked_param_type = "string")] preset: JsValue,
    #[wasm_bindgen(unchecked_param_type = "PimKnobs")] knobs: JsValue,
    #[wasm_bindgen(unchecked_param_type = "{ label: string; bytes: Uint8Array }[]")]
    models: JsValue,
) -> Result<JsValue, JsError> {
    use crate::compare::ModelEntry;
    use crate::pim::trade::{adc_costs, sim_preset_of};
    let preset = string("preset", &preset)?;
    let sim = sim_preset_of(&preset)?;
    let knobs: PimKnobs = from_js("knobs", &knobs)?;
    knobs.validate()?;
    let loaded = super::compare_api::model_files(&models)?;
    let entries: Vec<ModelEntry> = loaded
        .iter()
        .map(|(label, model)| ModelEntry { label, model })
        .collect();
    to_js(&adc_costs(sim, &knobs, &entries)?)
}

/// Chart data of the ADC trade: accuracy against the simulator's cost,
/// one line per model through its ADC resolutions (each point labelled with its
/// bits). `axis`: `"energy"` (per image, µJ), `"area"` (mm²) or `"latency"`
/// (per image, µs); `series`: `[{label, costs, points: [{adc_bits,
/// mean_0_to_1, std_0_to_1?}]}]` (`costs` as `pimAdcCosts` gives them;
/// resolutions with an accuracy but no cost are left out); `title`: string or
/// undefined. Returns `{curve, point_count, uncosted_adc_bits}`. Throws naming
/// the field (`series[0].points[1].adc_bits`: a resolution twice), and for
/// data with no point that has both an accuracy and a cost.
#[wasm_bindgen(js_name = pimTradeCurve, unchecked_return_type = "TradeCurve")]
pub fn pim_trade_curve(
    #[wasm_bindgen(unchecked_param_type = "string")] axis: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TradeSeries[]")] series: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | undefined")] title: JsValue,
) -> Result<JsValue, JsError> {
    use crate::pim::trade::{trade_curve, TradeAxis, TradeSeries};
    let axis = TradeAxis::parse("axis", &string("axis", &axis)?)?;
    let series: Vec<TradeSeries> = from_js("series", &series)?;
    let title = optional_string("title", &title)?;
    to_js(&trade_curve(&series, axis, &title)?)
}

/// Draws a `CurveData` (from `pimCurve`) onto `canvas`, filling its current
/// size; `options` is `null`/`undefined` or `{dark?}`. The data is checked
/// before the canvas is touched; throws naming the field.
#[wasm_bindgen(js_name = drawCurve)]
pub fn draw_curve_js(
    #[wasm_bindgen(unchecked_param_type = "HTMLCanvasElement")] canvas: JsValue,
    #[wasm_bindgen(unchecked_param_type = "CurveData")] data: JsValue,
    #[wasm_bindgen(unchecked_param_type = "{ dark?: boolean } | null | undefined")]
    options: JsValue,
) -> Result<(), JsError> {
    let data: CurveData = from_js("curve data", &data)?;
    let options: ChartOptions = optional("chart options", &options)?;
    validate_curve(&data)?;
    let root = super::chart_api::measured_canvas(canvas)?.into_drawing_area();
    draw_curve(&root, &data, &options)?;
    root.present().map_err(crate::plot::backend_err)?;
    Ok(())
}
