//! Trained models for JS: `Model.load(bytes)`, `predict(image)`,
//! `evaluate(images, labels)`.

use js_sys::Float32Array;
use wasm_bindgen::prelude::*;

use crate::data::Dataset;
use crate::error::Error;

/// A loaded, validated model (the `.safetensors` file of models/).
#[wasm_bindgen(js_name = Model)]
pub struct WasmModel {
    inner: crate::model::Model,
}

#[wasm_bindgen(js_class = Model)]
impl WasmModel {
    /// `Model.load(bytes: Uint8Array)`; throws an `Error` naming the problem for
    /// a malformed, truncated or inconsistent file.
    pub fn load(bytes: &[u8]) -> Result<WasmModel, JsError> {
        Ok(WasmModel {
            inner: crate::model::Model::from_bytes(bytes)?,
        })
    }

    /// Class probabilities (`Float32Array` of `classes` values summing to 1) of
    /// one image: `c*h*w` floats in `[0, 1]` (28*28 for the MNIST models).
    pub fn predict(&self, image: &[f32]) -> Result<Float32Array, JsError> {
        let [c, h, w] = self.inner.arch().input;
        if image.len() != c * h * w {
            return Err(Error::shape(
                "image",
                format!("{} floats ({c} x {h} x {w})", c * h * w),
                image.len(),
            )
            .into());
        }
        let p = self.inner.predict(image)?;
        Ok(Float32Array::from(p.as_slice()))
    }

    /// Logits of `n` images at once (the compiled plan; the batch API for
    /// benchmarks): `images` holds `n*c*h*w` floats (`[0, 1]` pixels, image
    /// after image); returns a `Float32Array` of `n * classes` logits. Throws
    /// when the length is not `n*c*h*w` or a value is not finite.
    pub fn logits(&self, images: &[f32], n: usize) -> Result<Float32Array, JsError> {
        let l = self.inner.logits(images, n)?;
        Ok(Float32Array::from(l.as_slice()))
    }

    /// Predicted class of each of `n` images (`Uint32Array` of `n` values);
    /// `images` as for `logits`.
    #[wasm_bindgen(js_name = classifyBatch)]
    pub fn classify_batch(&self, images: &[f32], n: usize) -> Result<js_sys::Uint32Array, JsError> {
        let classes = self.inner.arch().classes;
        let l = self.inner.logits(images, n)?;
        let out: Vec<u32> = l
            .chunks(classes.max(1))
            .map(|c| crate::model::runtime::argmax(c) as u32)
            .collect();
        Ok(js_sys::Uint32Array::from(out.as_slice()))
    }

    /// Accuracy in `[0, 1]` on `images` (`n*h*w` bytes, 0..255) with `labels`
    /// (`n` bytes, 0..9).
    pub fn evaluate(&self, images: &[u8], labels: &[u8]) -> Result<f64, JsError> {
        let [_, h, w] = self.inner.arch().input;
        let data = Dataset::new(h, w, images.to_vec(), labels.to_vec())?;
        Ok(self.inner.accuracy(&data, None)?)
    }

    /// The model's metadata (`{"epim.dataset": ..., "epim.accuracy_0_to_1": ...}`)
    /// and architecture as plain objects: `{metadata, arch, params}`.
    pub fn info(&self) -> Result<JsValue, JsError> {
        #[derive(serde::Serialize)]
        struct Info<'a> {
            metadata: &'a std::collections::BTreeMap<String, String>,
            arch: &'a crate::model::ArchSpec,
            params: usize,
        }
        super::convert::to_js(&Info {
            metadata: self.inner.metadata(),
            arch: self.inner.arch(),
            params: self.inner.param_count(),
        })
    }

    /// Crossbar cost of the model on a hardware preset (physical accounting):
    /// `{preset, crossbars, area_um2, stored_bits, dense_weights, layers: [...]}`.
    /// Throws for an unknown preset.
    pub fn cost(&self, preset: &str) -> Result<JsValue, JsError> {
        let cost = crate::model::cost::model_cost(self.inner.arch(), preset)?;
        super::convert::to_js(&cost)
    }

    /// Number of classes.
    #[wasm_bindgen(getter)]
    pub fn classes(&self) -> usize {
        self.inner.arch().classes
    }
}
