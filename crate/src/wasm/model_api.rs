//! Trained models for JS: `Model.load(bytes)`, `predict(image)`,
//! `evaluate(images, labels)`.

use js_sys::Float32Array;
use wasm_bindgen::prelude::*;

use super::convert;
use crate::data::Dataset;
use crate::limits::{MAX_JS_ARRAY_LEN, MAX_MODEL_BYTES};

/// A loaded, validated model (the `.safetensors` file of models/).
#[wasm_bindgen(js_name = Model)]
pub struct WasmModel {
    inner: crate::model::Model,
}

#[wasm_bindgen(js_class = Model)]
impl WasmModel {
    /// `Model.load(bytes: Uint8Array)`; throws an `Error` naming the problem for
    /// a malformed, truncated or inconsistent file, or one larger than
    /// `limits().max_model_bytes` (checked before anything is copied).
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    ) -> Result<WasmModel, JsError> {
        let bytes = convert::bytes("bytes", &bytes, MAX_MODEL_BYTES)?;
        Ok(WasmModel {
            inner: crate::model::Model::from_bytes(&bytes)?,
        })
    }

    /// Class probabilities (`Float32Array` of `classes` values summing to 1) of
    /// one image: `c*h*w` floats in `[0, 1]` (28*28 for the MNIST models), as a
    /// `Float32Array` or an array of numbers, or `c*h*w` pixel bytes 0..255 as a
    /// `Uint8Array` (an IDX image as it is; the core scales it by 1/255 as for
    /// `evaluate`). The length is checked before the image is copied, and NaN or
    /// infinite values are errors.
    pub fn predict(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | number[] | Uint8Array")]
        image: JsValue,
    ) -> Result<Float32Array, JsError> {
        let [c, h, w] = self.inner.arch().input;
        let image = convert::pixels("image", &image, c * h * w)?;
        let p = self.inner.predict(&image)?;
        Ok(Float32Array::from(p.as_slice()))
    }

    /// The predicted class and the class probabilities of one image (`image` as for
    /// `predict`): `{class, probs: Float32Array}`, `class` the index of the largest
    /// probability (the first on ties), as `classifyBatch` and `evaluate` count it.
    #[wasm_bindgen(js_name = classifyImage, unchecked_return_type = "{ class: number; probs: Float32Array }")]
    pub fn classify_image(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | number[] | Uint8Array")]
        image: JsValue,
    ) -> Result<JsValue, JsError> {
        let [c, h, w] = self.inner.arch().input;
        let image = convert::pixels("image", &image, c * h * w)?;
        let p = self.inner.predict(&image)?;
        let class = crate::model::runtime::argmax(&p) as u32;
        let out = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            js_sys::Reflect::set(&out, &key.into(), &value)
                .map(|_| ())
                .map_err(|_| JsError::new("cannot build the prediction object"))
        };
        set("class", class.into())?;
        set("probs", Float32Array::from(p.as_slice()).into())?;
        Ok(out.into())
    }

    /// Logits of `n` images at once (the compiled plan; the batch API for
    /// benchmarks): `images` holds `n*c*h*w` floats (`[0, 1]` pixels, image
    /// after image); returns a `Float32Array` of `n * classes` logits. Throws
    /// when the length is not `n*c*h*w` or a value is not finite.
    pub fn logits(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | number[]")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
    ) -> Result<Float32Array, JsError> {
        let (images, n) = self.batch(&images, &n)?;
        let l = self.inner.logits(&images, n)?;
        Ok(Float32Array::from(l.as_slice()))
    }

    /// Predicted class of each of `n` images (`Uint32Array` of `n` values);
    /// `images` as for `logits`.
    #[wasm_bindgen(js_name = classifyBatch)]
    pub fn classify_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | number[]")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
    ) -> Result<js_sys::Uint32Array, JsError> {
        let classes = self.inner.arch().classes;
        let (images, n) = self.batch(&images, &n)?;
        let l = self.inner.logits(&images, n)?;
        let out: Vec<u32> = l
            .chunks(classes.max(1))
            .map(|c| crate::model::runtime::argmax(c) as u32)
            .collect();
        Ok(js_sys::Uint32Array::from(out.as_slice()))
    }

    /// Accuracy in `[0, 1]` on `images` (`n*h*w` bytes, 0..255) with `labels`
    /// (`n` bytes, 0..9).
    /// Both are `Uint8Array`s, at most `limits().max_array_len` bytes.
    pub fn evaluate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    ) -> Result<f64, JsError> {
        let [_, h, w] = self.inner.arch().input;
        let images = convert::bytes("images", &images, MAX_JS_ARRAY_LEN)?;
        let labels = convert::bytes("labels", &labels, MAX_JS_ARRAY_LEN)?;
        let data = Dataset::new(h, w, images, labels)?;
        Ok(self.inner.accuracy(&data, None)?)
    }

    /// The model's metadata (`{"epim.dataset": ..., "epim.accuracy_0_to_1": ...}`)
    /// and architecture as plain objects: `{metadata, arch, params}`.
    #[wasm_bindgen(unchecked_return_type = "ModelInfo")]
    pub fn info(&self) -> Result<JsValue, JsError> {
        super::convert::to_js(&ModelInfo {
            metadata: self.inner.metadata().clone(),
            arch: self.inner.arch().clone(),
            params: self.inner.param_count(),
        })
    }

    /// Crossbar cost of the model on a hardware preset (physical accounting):
    /// `{preset, crossbars, area_um2, stored_bits, dense_weights, layers: [...]}`.
    /// Throws for an unknown preset.
    #[wasm_bindgen(unchecked_return_type = "ModelCost")]
    pub fn cost(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] preset: JsValue,
    ) -> Result<JsValue, JsError> {
        let preset = convert::string("preset", &preset)?;
        let cost = crate::model::cost::model_cost(self.inner.arch(), &preset)?;
        super::convert::to_js(&cost)
    }

    /// Number of classes.
    #[wasm_bindgen(getter)]
    pub fn classes(&self) -> usize {
        self.inner.arch().classes
    }
}

impl WasmModel {
    /// `n` (an integer in `1..=limits().max_array_len / (c*h*w)`) and exactly
    /// `n*c*h*w` finite floats from `images` (a `Float32Array` or an array of
    /// numbers), both checked before anything is copied.
    fn batch(&self, images: &JsValue, n: &JsValue) -> Result<(Vec<f32>, usize), JsError> {
        let [c, h, w] = self.inner.arch().input;
        let per_image = (c * h * w).max(1);
        let n = convert::integer("n", n, 1, (MAX_JS_ARRAY_LEN / per_image).max(1) as u64)? as usize;
        Ok((convert::f32s("images", images, n * per_image)?, n))
    }
}

/// What `Model.info` returns.
#[derive(serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object))]
pub struct ModelInfo {
    /// The file's metadata, all strings (`epim.dataset`, `epim.accuracy_0_to_1`,
    /// `epim.train_command`, ..., docs/models.md), without `epim.format` and
    /// `epim.arch` (the architecture is `arch`).
    pub metadata: std::collections::BTreeMap<String, String>,
    /// The architecture: input shape, layers, classes.
    pub arch: crate::model::ArchSpec,
    /// Number of parameters (weights and biases as stored).
    pub params: usize,
}

/// What [`read_idx_dataset`] returns.
#[derive(serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct IdxDataset {
    /// Number of images.
    pub count: usize,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
}

/// `readIdxDataset(images, labels)`: the test images of an image IDX file and a label
/// IDX file (`Uint8Array`s of at most `limits().max_model_bytes` each, uncompressed),
/// parsed strictly by the core (`crate::data::idx`: magic, type, dimensions, no
/// truncated or trailing bytes; equal counts; labels 0..=9). Returns `{count, rows,
/// cols, images: Uint8Array (count*rows*cols), labels: Uint8Array (count)}`; throws an
/// `Error` naming the file (`cannot parse images (IDX file): truncated: ...`).
#[wasm_bindgen(js_name = readIdxDataset, unchecked_return_type = "IdxDataset & { images: Uint8Array; labels: Uint8Array }")]
pub fn read_idx_dataset(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
) -> Result<JsValue, JsError> {
    let images = convert::bytes("images", &images, MAX_MODEL_BYTES)?;
    let labels = convert::bytes("labels", &labels, MAX_MODEL_BYTES)?;
    let data = Dataset::from_idx(&images, &labels)?;
    let out = super::convert::to_js(&IdxDataset {
        count: data.len(),
        rows: data.rows(),
        cols: data.cols(),
    })?;
    let set = |key: &str, bytes: &[u8]| {
        js_sys::Reflect::set(&out, &key.into(), &js_sys::Uint8Array::from(bytes))
            .map(|_| ())
            .map_err(|_| JsError::new("cannot build the dataset object"))
    };
    set("images", data.pixels())?;
    set("labels", data.labels())?;
    Ok(out)
}

/// Accuracy of a model on a dataset, a chunk of images per `step` (the page's
/// accuracy worker: progress between chunks, cancel by dropping the run). The core
/// counts: `step` returns `{done, total, correct, accuracy}` (`accuracy`: `correct /
/// done`, `null` before the first image).
#[wasm_bindgen]
pub struct EvalRun {
    model: crate::model::Model,
    data: Dataset,
    tally: crate::model::runtime::Tally,
}

#[wasm_bindgen]
impl EvalRun {
    /// `new EvalRun(modelBytes, images, labels)`: a model file (as `Model.load`
    /// takes it) and `n*h*w` image bytes with `n` labels (0..=9), `h x w` the model's
    /// input (each array at most `limits().max_array_len` bytes). Throws an `Error`
    /// naming the problem.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] model: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] labels: JsValue,
    ) -> Result<EvalRun, JsError> {
        let model = convert::bytes("model", &model, MAX_MODEL_BYTES)?;
        let model = crate::model::Model::from_bytes(&model)?;
        let [_, h, w] = model.arch().input;
        let images = convert::bytes("images", &images, MAX_JS_ARRAY_LEN)?;
        let labels = convert::bytes("labels", &labels, MAX_JS_ARRAY_LEN)?;
        let data = Dataset::new(h, w, images, labels)?;
        let tally = crate::model::runtime::Tally::new(data.len());
        Ok(EvalRun { model, data, tally })
    }

    /// Classifies the next `n` images (an integer in 1..=100000; fewer at the end);
    /// returns `{done, total, correct, accuracy}`.
    #[wasm_bindgen(unchecked_return_type = "Tally")]
    pub fn step(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
    ) -> Result<JsValue, JsError> {
        let n = convert::integer("n", &n, 1, 100_000)? as usize;
        let t = self.tally.step(&self.model, &self.data, n)?;
        super::convert::to_js(&t)
    }
}
