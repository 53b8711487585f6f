//! Training in the page (feature `train`, docs/training.md): `TrainRun` runs the
//! crate's trainer ([`crate::train::Fit`]) a few batches per call, so the page's
//! training worker can report, pause and cancel between calls; `chart` turns the
//! run's history into the chart data `drawCurve` draws; `finish` exports the
//! model file (with its settings and the test accuracy in the metadata).

use wasm_bindgen::prelude::*;

use super::convert::{bytes, from_js, integer, string, to_js};
use crate::data::Dataset;
use crate::error::Error;
use crate::limits::MAX_TRAIN_IMAGES;
use crate::model::Model;
use crate::train::{Fit, Net, TrainHistory, TrainPlan, TrainSettings, CALIB_IMAGES};

/// Most bytes of an image IDX file the page may pass: [`MAX_TRAIN_IMAGES`]
/// 28x28 images and a header.
const MAX_IDX_BYTES: usize = MAX_TRAIN_IMAGES * 28 * 28 + 16;
/// Most batches one `TrainRun.step` call trains (the page's worker asks for a
/// slice of about 150 ms, at most this many).
const MAX_STEP_BATCHES: u64 = 64;

/// A dataset of 28x28 images from IDX file bytes (`what`: the argument's name).
pub(super) fn idx_dataset(
    what: &str,
    images: &JsValue,
    labels: &JsValue,
) -> Result<Dataset, Error> {
    let im = bytes(&format!("{what}.images"), images, MAX_IDX_BYTES)?;
    let lb = bytes(&format!("{what}.labels"), labels, MAX_TRAIN_IMAGES + 8)?;
    let data = Dataset::from_idx(&im, &lb).map_err(|e| Error::invalid(what, e))?;
    if data.rows() != 28 || data.cols() != 28 {
        return Err(Error::invalid(
            format!("{what}.images"),
            format!(
                "the models take 28x28 images, got {}x{}",
                data.rows(),
                data.cols()
            ),
        ));
    }
    Ok(data)
}

/// Checks a `TrainSettings` object as `new TrainRun` does, before any data is
/// fetched: returns `{command, params}` (the equivalent `epim train` command and
/// the network's stored parameters) or throws an `Error` naming the setting
/// (`epochs`, `w_bits`, `epitome`, `prune`, `limit`, ...).
#[wasm_bindgen(js_name = checkTrainSettings, unchecked_return_type = "{ command: string; params: number }")]
pub fn check_train_settings(
    #[wasm_bindgen(unchecked_param_type = "TrainSettings")] settings: JsValue,
) -> Result<JsValue, JsError> {
    let settings: TrainSettings = from_js("settings", &settings)?;
    let plan = settings.plan(1)?;
    settings.check_limit(None)?;
    to_js(&serde_json::json!({
        "command": settings.command(),
        "params": plan.arch.weight_layers().map(|l| l.stored_len() + l.c_out).sum::<usize>(),
    }))
}

/// A training run in the page: `new TrainRun(settings, images, labels)` checks
/// the settings (a `TrainSettings` object, `epim train`'s flags as fields) and
/// the training data (the bytes of an MNIST-format image and label IDX file),
/// builds the network; `step(n)` trains the next `n` batches.
#[wasm_bindgen]
pub struct TrainRun {
    settings: TrainSettings,
    plan: TrainPlan,
    net: Net,
    fit: Fit,
    calib: Dataset,
    held_out: Option<Dataset>,
    history: TrainHistory,
}

#[wasm_bindgen]
impl TrainRun {
    /// See [`TrainRun`]. Throws an `Error` naming the setting (`epochs`,
    /// `w_bits`, `epitome`, `limit`, ...) or the file part (`train.images`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TrainSettings")] settings: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    ) -> Result<TrainRun, JsError> {
        let settings: TrainSettings = from_js("settings", &settings)?;
        let plan = settings.plan(1)?;
        let data = idx_dataset("train", &images, &labels)?;
        settings.check_limit(Some(data.len()))?;
        let net = Net::new(&plan.arch, plan.config.w_bits, plan.config.seed)?;
        let fit = Fit::new(&data, &plan.config)?;
        Ok(TrainRun {
            calib: data.take(CALIB_IMAGES),
            settings,
            plan,
            net,
            fit,
            held_out: None,
            history: TrainHistory::default(),
        })
    }

    /// Trains the next `count` batches (an integer in `1..=64`, so one call
    /// stays short; fewer when fewer are left). Returns `{epoch, step, steps_per_epoch, mean_loss,
    /// train_accuracy, epoch_done, done, steps_done, total_steps}` after the
    /// last of them; `epoch_done` when one of them ended an epoch.
    #[wasm_bindgen(unchecked_return_type = "TrainProgress")]
    pub fn step(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] count: JsValue,
    ) -> Result<JsValue, JsError> {
        let count = integer("count", &count, 1, MAX_STEP_BATCHES)? as usize;
        let mut last = None;
        let mut epoch_done = false;
        for _ in 0..count {
            if self.fit.is_done() {
                break;
            }
            let p = self.fit.step(&mut self.net)?;
            epoch_done |= p.epoch_done;
            self.history.batch(self.fit.steps_done(), &p);
            last = Some(p);
        }
        let p = last.ok_or_else(|| Error::invalid("training", "the run has finished"))?;
        to_js(&serde_json::json!({
            "epoch": p.epoch,
            "step": p.step,
            "steps_per_epoch": p.steps_per_epoch,
            "mean_loss": p.mean_loss,
            "train_accuracy": p.train_accuracy,
            "epoch_done": epoch_done,
            "done": p.done,
            "steps_done": self.fit.steps_done(),
            "total_steps": self.fit.total_steps(),
        }))
    }

    /// Sets the held-out images (IDX file bytes: the dataset's test set) that
    /// `heldOutAccuracy` measures on, the first `count` of them (an integer
    /// >= 1). Throws naming the file part.
    #[wasm_bindgen(js_name = setHeldOut)]
    pub fn set_held_out(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] count: JsValue,
    ) -> Result<(), JsError> {
        let count = integer("count", &count, 1, MAX_TRAIN_IMAGES as u64)? as usize;
        self.held_out = Some(idx_dataset("heldOut", &images, &labels)?.take(count));
        Ok(())
    }

    /// Accuracy (0..1, float weights as trained, no activation quantization)
    /// of the network so far on the held-out images; recorded for `chart`.
    #[wasm_bindgen(js_name = heldOutAccuracy)]
    pub fn held_out_accuracy(&mut self) -> Result<f64, JsError> {
        let data = self
            .held_out
            .as_ref()
            .ok_or_else(|| Error::invalid("heldOut", "call setHeldOut first"))?;
        let a = self.net.quick_accuracy(data, data.len())?;
        self.history.held_out(self.fit.steps_done(), a);
        Ok(a)
    }

    /// Batches done and in all.
    #[wasm_bindgen(getter, js_name = stepsDone)]
    pub fn steps_done(&self) -> usize {
        self.fit.steps_done()
    }

    /// See [`TrainRun::steps_done`].
    #[wasm_bindgen(getter, js_name = totalSteps)]
    pub fn total_steps(&self) -> usize {
        self.fit.total_steps()
    }

    /// The chart data of the run so far, for `drawCurve`: `kind` `"loss"` (the
    /// epoch's mean training loss against batches) or `"accuracy"` (running
    /// training accuracy and held-out accuracy, in %). At most 256 points per
    /// series (evenly thinned). Throws for another kind or before any batch.
    #[wasm_bindgen(unchecked_return_type = "CurveData")]
    pub fn chart(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] kind: JsValue,
    ) -> Result<JsValue, JsError> {
        let kind = string("kind", &kind)?;
        to_js(&self.history.chart(&kind)?)
    }

    /// The trained model as a `.safetensors` file (quantized, activations
    /// calibrated on the first 256 training images), its accuracy measured on
    /// the test images given (IDX bytes) and recorded in its metadata with the
    /// training settings and the equivalent `epim train` command. Returns
    /// `{bytes, accuracy_0_to_1, correct, test_images}`.
    #[wasm_bindgen(unchecked_return_type = "TrainedModel")]
    pub fn finish(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] test_images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] test_labels: JsValue,
    ) -> Result<JsValue, JsError> {
        if !self.fit.is_done() {
            return Err(Error::invalid(
                "training",
                format!(
                    "the run is not finished ({} of {} batches)",
                    self.fit.steps_done(),
                    self.fit.total_steps()
                ),
            )
            .into());
        }
        let test = idx_dataset("test", &test_images, &test_labels)?;
        let mut meta = self.settings.model_metadata(&self.plan)?;
        meta.insert("epim.trained_in".into(), "browser (wasm)".into());
        let mut model: Model = self
            .net
            .export(&self.calib, self.plan.config.a_bits, meta)?;
        let correct = crate::train::score(&mut model, &test)?;
        trained_model_js(&model, correct, test.len())
    }
}

/// The `TrainedModel` object a run's `finish` returns: `{bytes, accuracy_0_to_1,
/// correct, test_images}` (the model file and its accuracy on the test images).
pub(super) fn trained_model_js(
    model: &Model,
    correct: usize,
    test_images: usize,
) -> Result<JsValue, JsError> {
    let bytes = model.to_bytes()?;
    let out = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &k.into(), v).map(|_| ());
    let acc = correct as f64 / test_images.max(1) as f64;
    set("bytes", &js_sys::Uint8Array::from(bytes.as_slice()).into())
        .and_then(|_| set("accuracy_0_to_1", &acc.into()))
        .and_then(|_| set("correct", &(correct as f64).into()))
        .and_then(|_| set("test_images", &(test_images as f64).into()))
        .map_err(|_| JsError::new("finish: could not build the result object"))?;
    Ok(out.into())
}

// Plain objects built with serde_json / js_sys above: declared by hand.
#[wasm_bindgen(typescript_custom_section)]
const TRAIN_TS: &str = r#"
export interface TrainProgress {
  epoch: number; step: number; steps_per_epoch: number; mean_loss: number;
  train_accuracy: number; epoch_done: boolean; done: boolean;
  steps_done: number; total_steps: number;
}
export interface TrainedModel { bytes: Uint8Array; accuracy_0_to_1: number; correct: number; test_images: number; }
"#;
