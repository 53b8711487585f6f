//! tract-core as the page's second engine: `TractModel` runs the shipped / trained
//! models (the crate's tract-core executor, `epim::model::tract`), `OnnxClassifier`
//! an MNIST-shaped ONNX classifier (tract-onnx).

use std::sync::Arc;

use epim::limits::MAX_MODEL_BYTES;
use epim::model::runtime::{argmax, softmax, Engine};
use epim::model::Model;
use epim::wasm_convert::{bytes, f32s, pixels};
use epim::Error;
use js_sys::Float32Array;
use tract_onnx::prelude::{
    tvec, Datum, Framework, InferenceFact, InferenceModelExt, IntoRunnable, IntoTValue, Tensor,
    TypedRunnableModel,
};
use wasm_bindgen::prelude::*;

/// `{class, probs}` as a JS object (the main module's `classifyImage` shape).
fn classified(probs: &[f32]) -> Result<JsValue, JsError> {
    let out = js_sys::Object::new();
    let set = |key: &str, value: JsValue| {
        js_sys::Reflect::set(&out, &key.into(), &value)
            .map(|_| ())
            .map_err(|_| JsError::new("cannot build the prediction object"))
    };
    set("class", (argmax(probs) as u32).into())?;
    set("probs", Float32Array::from(probs).into())?;
    Ok(out.into())
}

/// A model file (the main module's `Model.load` format) compiled to tract-core.
#[wasm_bindgen]
pub struct TractModel {
    inner: epim::model::tract::TractModel,
}

#[wasm_bindgen]
impl TractModel {
    /// `TractModel.load(bytes: Uint8Array)`: validates the model file as
    /// `Model.load` does (at most `limits().max_model_bytes`, checked before the
    /// copy) and builds its optimized tract-core plans.
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes_js: JsValue,
    ) -> Result<TractModel, JsError> {
        let data = bytes("bytes", &bytes_js, MAX_MODEL_BYTES)?;
        let model = Model::from_bytes(&data)?;
        Ok(TractModel {
            inner: epim::model::tract::TractModel::from_model(&model)?,
        })
    }

    /// `{class, probs}` of one image, as the main module's `Model.classifyImage`
    /// (`c*h*w` floats in `[0, 1]` or pixel bytes).
    #[wasm_bindgen(js_name = classifyImage, unchecked_return_type = "{ class: number; probs: Float32Array }")]
    pub fn classify_image(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | number[] | Uint8Array")]
        image: JsValue,
    ) -> Result<JsValue, JsError> {
        let [c, h, w] = self.inner.input_shape();
        let image = pixels("image", &image, c * h * w)?;
        let logits = self.inner.logits(&image, 1)?;
        classified(&softmax(&logits))
    }

    /// Logits of `n` images (`n*c*h*w` floats), as `Model.logits`.
    pub fn logits(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | number[]")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
    ) -> Result<Float32Array, JsError> {
        let [c, h, w] = self.inner.input_shape();
        let n = epim::wasm_convert::integer("n", &n, 1, epim::limits::MAX_JS_ARRAY_LEN as u64)?
            as usize;
        let len = n
            .checked_mul(c * h * w)
            .filter(|&l| l <= epim::limits::MAX_JS_ARRAY_LEN)
            .ok_or_else(|| Error::invalid("n", format!("{n} images are too many")))?;
        let images = f32s("images", &images, len)?;
        Ok(Float32Array::from(
            self.inner.logits(&images, n)?.as_slice(),
        ))
    }
}

/// Largest ONNX classifier file: 64 MiB (an MNIST classifier is well under 10 MB).
pub const MAX_CLASSIFIER_BYTES: usize = 64 << 20;
/// The classifier's input (`[1, 1, 28, 28]`) and output (10 classes).
const IMAGE: [usize; 4] = [1, 1, 28, 28];
const CLASSES: usize = 10;

/// An MNIST-shaped ONNX classifier (input `1x1x28x28` or with a free batch, 10
/// outputs) run by tract-onnx / tract-core.
#[wasm_bindgen]
pub struct OnnxClassifier {
    plan: Arc<TypedRunnableModel>,
}

fn tract_err(step: &'static str) -> impl Fn(tract_onnx::prelude::TractError) -> Error {
    move |e| {
        let line = format!("{e}");
        Error::invalid("ONNX classifier", format!("{step}: {line}"))
    }
}

#[wasm_bindgen]
impl OnnxClassifier {
    /// `OnnxClassifier.load(bytes)`: parses the file with tract-onnx, fixes the
    /// input to `[1, 1, 28, 28]` float32, optimizes it and checks that it gives 10
    /// values. Files over 64 MiB are refused before they are copied.
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes_js: JsValue,
    ) -> Result<OnnxClassifier, JsError> {
        let data = bytes("bytes", &bytes_js, MAX_CLASSIFIER_BYTES)?;
        // The importer's guards against what makes tract-onnx panic (a trap in wasm).
        epim::nets::onnx::check_runnable(&data)?;
        let model = tract_onnx::onnx()
            .model_for_read(&mut &data[..])
            .map_err(tract_err("not a model tract-onnx reads"))?;
        if model.input_outlets().map_err(tract_err("inputs"))?.len() != 1 {
            return Err(Error::invalid("ONNX classifier", "must have exactly one input").into());
        }
        let fact = InferenceFact::dt_shape(f32::datum_type(), IMAGE);
        let plan = model
            .with_input_fact(0, fact)
            .map_err(tract_err("the input is not 1x1x28x28"))?
            .into_optimized()
            .map_err(tract_err("the input is not 1x1x28x28"))?
            .into_runnable()
            .map_err(tract_err("cannot plan the model"))?;
        let c = OnnxClassifier { plan };
        c.run(&[0.0; 784])?;
        Ok(c)
    }

    /// `{class, probs}` of one image (784 floats in `[0, 1]` or pixel bytes). The
    /// file's 10 outputs are taken as probabilities when they already are (each in
    /// `[0, 1]`, summing to 1 within 1e-3: a final Softmax), else softmaxed.
    #[wasm_bindgen(js_name = classifyImage, unchecked_return_type = "{ class: number; probs: Float32Array }")]
    pub fn classify_image(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | number[] | Uint8Array")]
        image: JsValue,
    ) -> Result<JsValue, JsError> {
        let image = pixels("image", &image, 784)?;
        let out = self.run(&image)?;
        let sum: f32 = out.iter().sum();
        let probs = if out.iter().all(|p| (0.0..=1.0).contains(p)) && (sum - 1.0).abs() < 1e-3 {
            out
        } else {
            softmax(&out)
        };
        classified(&probs)
    }
}

impl OnnxClassifier {
    fn run(&self, image: &[f32]) -> Result<Vec<f32>, Error> {
        let x = Tensor::from_shape(&IMAGE, image).map_err(tract_err("the input"))?;
        let out = self
            .plan
            .run(tvec!(x.into_tvalue()))
            .map_err(tract_err("running the model"))?;
        let first = out
            .first()
            .ok_or_else(|| Error::invalid("ONNX classifier", "the model has no output"))?;
        let view = first
            .try_as_plain_ram()
            .map_err(tract_err("reading the output"))?;
        let v = view
            .as_slice::<f32>()
            .map_err(tract_err("the output is not float32"))?
            .to_vec();
        if v.len() != CLASSES {
            return Err(Error::shape(
                "ONNX classifier output",
                format!("{CLASSES} values"),
                v.len(),
            ));
        }
        epim::error::check_finite("ONNX classifier output", &v)?;
        Ok(v)
    }
}
