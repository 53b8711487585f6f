//! Training with burn's `flex` backend in wasm (feature `burn`; not in the
//! page's package: scripts/burn-wasm-speed.mjs builds a package with it to
//! compare it with `TrainRun`, docs/models.md#which-trainer-runs-in-the-browser).
//! A thin shell over [`crate::train::burn::BurnTraining`].

use wasm_bindgen::prelude::*;

use super::convert::{from_js, to_js};
use super::train_api::{idx_dataset, trained_model_js};
use crate::train::burn::BurnTraining;
use crate::train::TrainSettings;

/// A training run with burn 0.22.1's `flex` backend (one thread):
/// `new BurnTrainRun(settings, images, labels)` checks the settings (a
/// `TrainSettings` object, as `new TrainRun` takes; no `prune`) and the
/// training data (MNIST-format IDX bytes) and builds the network; `train()`
/// trains every epoch in one call; `finish(testImages, testLabels)` exports and
/// scores the model.
#[wasm_bindgen]
pub struct BurnTrainRun {
    run: BurnTraining,
}

#[wasm_bindgen]
impl BurnTrainRun {
    /// See [`BurnTrainRun`]. Throws an `Error` naming the setting (`limit`,
    /// `prune`, `w_bits`, ...) or the file part (`train.images`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "TrainSettings")] settings: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    ) -> Result<BurnTrainRun, JsError> {
        let settings: TrainSettings = from_js("settings", &settings)?;
        let train = idx_dataset("train", &images, &labels)?;
        Ok(BurnTrainRun {
            run: BurnTraining::new(&settings, train)?,
        })
    }

    /// Trains every epoch (blocks until done). Returns `{train_images, steps,
    /// last_loss, last_train_accuracy}`; throws when called twice.
    #[wasm_bindgen(unchecked_return_type = "BurnTrainReport")]
    pub fn train(&mut self) -> Result<JsValue, JsError> {
        let report = self.run.train()?;
        to_js(&BurnTrainReport {
            train_images: self.run.train_images(),
            steps: self.run.total_steps(),
            last_loss: report.last_loss,
            last_train_accuracy: report.last_train_accuracy,
        })
    }

    /// The trained model as a `.safetensors` file and its accuracy on the test
    /// images given (IDX bytes), as `TrainRun.finish` returns them: `{bytes,
    /// accuracy_0_to_1, correct, test_images}`. Throws before `train` or naming
    /// the file part.
    #[wasm_bindgen(unchecked_return_type = "TrainedModel")]
    pub fn finish(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] test_images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] test_labels: JsValue,
    ) -> Result<JsValue, JsError> {
        let test = idx_dataset("test", &test_images, &test_labels)?;
        let (mut model, correct) = self.run.finish(&test)?;
        model.set_metadata("epim.trained_in", "browser (wasm), burn flex");
        trained_model_js(&model, correct, test.len())
    }
}

/// What [`BurnTrainRun::train`] returns.
#[derive(serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct BurnTrainReport {
    /// Images trained on per epoch.
    pub train_images: usize,
    /// Optimizer steps taken.
    pub steps: usize,
    /// Mean loss of the last epoch.
    pub last_loss: f64,
    /// Training accuracy of the last epoch, 0 to 1.
    pub last_train_accuracy: f64,
}
