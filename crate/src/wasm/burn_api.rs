//! Training with burn's `flex` backend in wasm (feature `burn`; not in the
//! page's package: scripts/burn-wasm-speed.mjs builds a package with it to
//! compare it with `TrainRun`, docs/models.md#which-trainer-runs-in-the-browser).
//! A thin shell over [`crate::train::burn::train_with_burn`].

use wasm_bindgen::prelude::*;

use super::convert::from_js;
use super::train_api::idx_dataset;
use crate::train::burn::train_with_burn as train_run;
use crate::train::TrainSettings;

/// Trains the network `settings` describe (a `TrainSettings` object, as
/// `new TrainRun` takes; no `prune`) on the training data (MNIST-format IDX
/// bytes) with burn 0.22.1's `flex` backend, in one call, then exports it and
/// measures its accuracy on the test data. Returns `{wall_s, train_images,
/// steps, last_loss, last_train_accuracy, accuracy_0_to_1, correct,
/// test_images, bytes}` (`wall_s`: training only, from `Date.now()`; `bytes`:
/// the `.safetensors` model). Throws an `Error` naming the setting (`limit`,
/// `prune`, `w_bits`, ...) or the file part (`train.images`).
#[wasm_bindgen(js_name = trainWithBurn, unchecked_return_type = "BurnTrained")]
pub fn train_with_burn(
    #[wasm_bindgen(unchecked_param_type = "TrainSettings")] settings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] test_images: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] test_labels: JsValue,
) -> Result<JsValue, JsError> {
    let settings: TrainSettings = from_js("settings", &settings)?;
    let train = idx_dataset("train", &images, &labels)?;
    let test = idx_dataset("test", &test_images, &test_labels)?;
    let t0 = js_sys::Date::now();
    let mut run = train_run(&settings, &train, &test)?;
    let wall_s = (js_sys::Date::now() - t0) / 1000.0;
    run.model
        .set_metadata("epim.trained_in", "browser (wasm), burn flex".to_string());
    let bytes = run.model.to_bytes()?;
    let out = js_sys::Object::new();
    let set = |k: &str, v: JsValue| js_sys::Reflect::set(&out, &k.into(), &v).map(|_| ());
    [
        ("wall_s", wall_s.into()),
        ("train_images", (run.train_images as f64).into()),
        ("steps", (run.steps as f64).into()),
        ("last_loss", run.report.last_loss.into()),
        ("last_train_accuracy", run.report.last_train_accuracy.into()),
        ("accuracy_0_to_1", run.accuracy_0_to_1().into()),
        ("correct", (run.correct as f64).into()),
        ("test_images", (run.test_images as f64).into()),
        ("bytes", js_sys::Uint8Array::from(bytes.as_slice()).into()),
    ]
    .into_iter()
    .try_for_each(|(k, v)| set(k, v))
    .map_err(|_| JsError::new("trainWithBurn: could not build the result object"))?;
    Ok(out.into())
}

// A plain object built with js_sys above: declared by hand.
#[wasm_bindgen(typescript_custom_section)]
const BURN_TS: &str = r#"
export interface BurnTrained {
  wall_s: number; train_images: number; steps: number; last_loss: number;
  last_train_accuracy: number; accuracy_0_to_1: number; correct: number;
  test_images: number; bytes: Uint8Array;
}
"#;
