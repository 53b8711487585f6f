//! The crate's executors for [`Model`]s.
//!
//! - [`Model::forward`], the reference executor (the oracle): convolutions
//!   through the epitome path ([`crate::epitome::conv()`], which equals
//!   materialize + the reference convolution), ReLU, max pooling, flatten and
//!   dense layers in `f32`, with the stored weight codes dequantized and each
//!   weight layer's input fake-quantized to its stored activation scale.
//! - The compiled plan ([`crate::infer::Plan`], built when the model is loaded):
//!   the same network in exact integer arithmetic with packed weights and no
//!   allocation per image. [`Model::logits`], [`Model::predict`],
//!   [`Model::classify`], [`Model::accuracy`] and the [`Engine`] impl use it
//!   when the model has one, else the reference executor.

use crate::data::Dataset;
use crate::epitome::Epitome;
use crate::error::{Error, Result};
use crate::model::{LayerSpec, Model, WeightLayerSpec, WeightValues};
use crate::nn::Tensor4;
use crate::quant::ActivationParams;

/// `clamp(round(x / scale), 0, 2^bits - 1) * scale` in place (all zeros for
/// scale 0): what the DACs see.
pub fn fake_quantize_activations(x: &mut [f32], act: &ActivationParams) {
    if act.scale <= 0.0 {
        x.iter_mut().for_each(|v| *v = 0.0);
        return;
    }
    let qm = act.q_max() as f32;
    let inv = 1.0 / act.scale;
    for v in x.iter_mut() {
        *v = (*v * inv).round().clamp(0.0, qm) * act.scale;
    }
}

/// Checks that `images` holds `n` images of shape `[c, h, w]` (flat), naming
/// the sizes. Errors: `n * c * h * w` overflows, or another length.
pub(crate) fn check_image_len(images: &[f32], n: usize, [c, h, w]: [usize; 3]) -> Result<()> {
    let expected = n
        .checked_mul(c * h * w)
        .ok_or_else(|| Error::invalid("images", format!("{n} images overflow the size")))?;
    if images.len() != expected {
        return Err(Error::shape(
            "images",
            format!("{n} x {c} x {h} x {w} = {expected} values"),
            images.len(),
        ));
    }
    Ok(())
}

impl Model {
    /// The model of validated parts, with its plan compiled.
    pub(crate) fn assemble(
        arch: super::ArchSpec,
        shapes: Vec<[usize; 3]>,
        values: Vec<super::WeightValues>,
        metadata: std::collections::BTreeMap<String, String>,
    ) -> Result<Self> {
        let mut m = Model {
            arch,
            shapes,
            values,
            metadata,
            plan: crate::infer::plan::PlanCell::default(),
        };
        m.plan = crate::infer::plan::PlanCell::build(&m)?;
        Ok(m)
    }

    /// The compiled plan, `None` when a layer is outside its integer path
    /// (float weights or inputs, activations over 8 bits).
    pub fn plan(&self) -> Option<&crate::infer::Plan> {
        self.plan.get()
    }

    /// Logits `[n, classes]` (flat) of `n` images (flat `[n, c, h, w]`) on the
    /// compiled plan, or the reference executor when there is none.
    pub fn logits(&self, images: &[f32], n: usize) -> Result<Vec<f32>> {
        match self.plan() {
            Some(p) => p.logits(images, n),
            None => self.reference_logits(images, n),
        }
    }

    /// Logits of `n` images on the reference executor ([`Model::forward`]).
    pub fn reference_logits(&self, images: &[f32], n: usize) -> Result<Vec<f32>> {
        let [c, h, w] = self.arch().input;
        if n == 0 && images.is_empty() {
            return Ok(Vec::new());
        }
        let x = Tensor4::new("images", [n, c, h, w], images.to_vec())?;
        self.forward(&x)
    }

    /// Logits `[n, classes]` (flat, row-major) of a batch `[n, c, h, w]` on the
    /// reference executor (the oracle of the compiled plan).
    /// Errors: the input shape differs from the model's input.
    pub fn forward(&self, input: &Tensor4) -> Result<Vec<f32>> {
        let [n, c, h, w] = input.shape();
        if [c, h, w] != self.arch().input {
            return Err(Error::shape(
                "model input",
                format!("[n, {:?}]", self.arch().input),
                format!("{:?}", input.shape()),
            ));
        }
        let x = self.run(input, |_| {})?;
        let [_, classes, _, _] = x.shape();
        debug_assert_eq!(classes * n, x.data().len());
        Ok(x.into_data())
    }

    /// The input of every weight layer (after the previous layers, before this
    /// layer's own activation quantization) for the batch `input`.
    pub fn layer_inputs(&self, input: &Tensor4) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::new();
        self.run(input, |x| out.push(x.data().to_vec()))?;
        Ok(out)
    }

    /// Runs every layer on `input` and returns the last output; `weight_input`
    /// sees the input of each weight layer before its activation quantization.
    fn run(&self, input: &Tensor4, mut weight_input: impl FnMut(&Tensor4)) -> Result<Tensor4> {
        self.walk(input.clone(), |_, layer, l, v, mut x| {
            weight_input(&x);
            if let Some(act) = &l.act {
                fake_quantize_activations(x.data_mut(), act);
            }
            if matches!(layer, LayerSpec::Dense(_)) {
                dense(&x, &v.dense, &v.bias)
            } else {
                Epitome::new(l.epitome_spec(), v.stored.clone())?.conv(&x, Some(&v.bias))
            }
        })
    }

    /// Runs every layer on `x`: `weight_layer(index, layer, spec, values, x)` computes
    /// the conv and dense layers (index counts weight layers), ReLU, max pool and
    /// flatten run in float here (the float executor and the crossbar reference,
    /// `pim::reference`, share this walk).
    pub(crate) fn walk(
        &self,
        mut x: Tensor4,
        mut weight_layer: impl FnMut(
            usize,
            &LayerSpec,
            &WeightLayerSpec,
            &WeightValues,
            Tensor4,
        ) -> Result<Tensor4>,
    ) -> Result<Tensor4> {
        let mut wi = 0usize;
        for layer in &self.arch().layers {
            x = match layer {
                LayerSpec::Conv(l) | LayerSpec::Dense(l) => {
                    let v = self.values().get(wi).ok_or_else(|| {
                        Error::invalid("model", "fewer weight values than layers")
                    })?;
                    wi += 1;
                    weight_layer(wi - 1, layer, l, v, x)?
                }
                LayerSpec::Relu => {
                    x.data_mut().iter_mut().for_each(|v| *v = v.max(0.0));
                    x
                }
                LayerSpec::MaxPool { k } => max_pool(&x, *k)?,
                LayerSpec::Flatten => {
                    let [n, c, h, w] = x.shape();
                    Tensor4::new("flatten", [n, c * h * w, 1, 1], x.into_data())?
                }
            };
        }
        Ok(x)
    }

    /// Class probabilities (softmax of the logits) of one image given as
    /// `c*h*w` floats.
    pub fn predict(&self, image: &[f32]) -> Result<Vec<f32>> {
        let [c, h, w] = self.arch().input;
        if image.len() != c * h * w {
            return Err(Error::shape(
                "image",
                format!("{} floats ({c} x {h} x {w})", c * h * w),
                image.len(),
            ));
        }
        Ok(softmax(&self.logits(image, 1)?))
    }

    /// Predicted class of every image of `data[start..start+n]`, in batches
    /// ([`Engine::classify`]).
    pub fn classify(&self, data: &Dataset, start: usize, n: usize) -> Result<Vec<usize>> {
        Engine::classify(self, data, start, n)
    }

    /// Fraction of the first `limit` images (all when `None`) classified
    /// correctly, in `[0, 1]` ([`Engine::accuracy`]). Errors on an empty dataset.
    pub fn accuracy(&self, data: &Dataset, limit: Option<usize>) -> Result<f64> {
        Engine::accuracy(self, data, limit)
    }
}

/// Images per batch of [`Engine::classify`].
pub const BATCH_IMAGES: usize = 100;

/// An inference engine for a model: the crate's executor ([`Model`]) or, with
/// the feature `tract`, tract-core's (`model::tract::TractModel`). Both take
/// flat `f32` images and return flat logits, so callers (`epim eval --engine`,
/// the cross-check test, the bench) can swap them.
pub trait Engine {
    /// Input shape `[c, h, w]` of one image.
    fn input_shape(&self) -> [usize; 3];

    /// Number of classes (logits per image).
    fn classes(&self) -> usize;

    /// Logits `[n, classes]` (flat, row-major) of `n` images `[n, c, h, w]`
    /// (flat, row-major). Errors: `images` is not `n * c * h * w` long.
    fn logits(&self, images: &[f32], n: usize) -> Result<Vec<f32>>;

    /// Predicted class of every image of `data[start..start+n]` (pixels
    /// `byte / 255`), in batches of [`BATCH_IMAGES`]. Errors: the dataset's
    /// images are not the model's input shape.
    fn classify(&self, data: &Dataset, start: usize, n: usize) -> Result<Vec<usize>> {
        let [c, h, w] = self.input_shape();
        if c != 1 || h != data.rows() || w != data.cols() {
            return Err(Error::shape(
                "dataset images",
                format!("{c} x {h} x {w} (the model input)"),
                format!("1 x {} x {}", data.rows(), data.cols()),
            ));
        }
        let end = start.saturating_add(n).min(data.len());
        let classes = self.classes();
        let mut out = Vec::with_capacity(end.saturating_sub(start));
        let mut b = start;
        while b < end {
            let e = (b + BATCH_IMAGES).min(end);
            let mut pixels = Vec::with_capacity((e - b) * h * w);
            for i in b..e {
                pixels.extend(data.image(i).iter().map(|&p| f32::from(p) / 255.0));
            }
            let logits = self.logits(&pixels, e - b)?;
            out.extend(logits.chunks(classes).map(argmax));
            b = e;
        }
        Ok(out)
    }

    /// How many of the images `data[start..start+n]` (clipped to the dataset) are
    /// classified as labelled.
    fn count_correct(&self, data: &Dataset, start: usize, n: usize) -> Result<usize> {
        let pred = self.classify(data, start, n)?;
        let labels = data.labels().get(start..).unwrap_or(&[]);
        Ok(pred
            .iter()
            .zip(labels)
            .filter(|(p, l)| **p == usize::from(**l))
            .count())
    }

    /// Fraction of the first `limit` images (all when `None`) classified
    /// correctly, in `[0, 1]`. Errors on an empty dataset.
    fn accuracy(&self, data: &Dataset, limit: Option<usize>) -> Result<f64> {
        let n = limit.unwrap_or(data.len()).min(data.len());
        if n == 0 {
            return Err(Error::invalid("dataset", "no images to evaluate"));
        }
        Ok(self.count_correct(data, 0, n)? as f64 / n as f64)
    }
}

/// A running count of correct classifications over a dataset, advanced a chunk of
/// images at a time ([`Tally::step`]; the page's accuracy worker shows progress and
/// can be cancelled between chunks).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct Tally {
    /// Images classified so far.
    pub done: usize,
    /// Images in the dataset.
    pub total: usize,
    /// Of `done`, classified as labelled.
    pub correct: usize,
    /// `correct / done` in `[0, 1]`; `null` before the first image.
    pub accuracy: Option<f64>,
}

impl Tally {
    /// Nothing counted yet of `total` images.
    pub fn new(total: usize) -> Tally {
        Tally {
            done: 0,
            total,
            correct: 0,
            accuracy: None,
        }
    }

    /// Classifies the next `n` images (fewer at the end) of `data` (the dataset this
    /// tally was made for) with `engine`.
    pub fn step(&mut self, engine: &impl Engine, data: &Dataset, n: usize) -> Result<Tally> {
        let n = n.min(self.total.saturating_sub(self.done));
        if n > 0 {
            self.correct += engine.count_correct(data, self.done, n)?;
            self.done += n;
            self.accuracy = Some(self.correct as f64 / self.done as f64);
        }
        Ok(*self)
    }
}

/// The crate's executor: [`Model::logits`] (the compiled plan when the model
/// has one).
impl Engine for Model {
    fn input_shape(&self) -> [usize; 3] {
        self.arch().input
    }

    fn classes(&self) -> usize {
        self.arch().classes
    }

    fn logits(&self, images: &[f32], n: usize) -> Result<Vec<f32>> {
        Model::logits(self, images, n)
    }
}

/// Index of the largest value (the first on ties).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// Softmax of one logit vector.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let m = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let e: Vec<f32> = logits.iter().map(|&v| (v - m).exp()).collect();
    let s: f32 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

fn dense(x: &Tensor4, w: &Tensor4, bias: &[f32]) -> Result<Tensor4> {
    let [n, c_in, _, _] = x.shape();
    let [c_out, wc, _, _] = w.shape();
    if wc != c_in {
        return Err(Error::shape("dense input", wc, c_in));
    }
    let mut out = Vec::with_capacity(n * c_out);
    for row in x.data().chunks(c_in) {
        for (wr, b) in w.data().chunks(c_in).zip(bias) {
            let s: f32 = wr.iter().zip(row).map(|(a, b)| a * b).sum();
            out.push(s + b);
        }
    }
    Tensor4::new("dense output", [n, c_out, 1, 1], out)
}

/// Max pooling with window and stride `k` (no padding; the remainder is dropped).
pub fn max_pool(x: &Tensor4, k: usize) -> Result<Tensor4> {
    let [n, c, h, w] = x.shape();
    if k == 0 || k > h || k > w {
        return Err(Error::invalid(
            "max_pool.k",
            format!("must be in 1..={}", h.min(w)),
        ));
    }
    let (ho, wo) = (h / k, w / k);
    let mut out = Vec::with_capacity(n * c * ho * wo);
    let d = x.data();
    for plane in d.chunks(h * w) {
        for oy in 0..ho {
            for ox in 0..wo {
                let mut m = f32::NEG_INFINITY;
                for y in 0..k {
                    for xx in 0..k {
                        m = m.max(plane[(oy * k + y) * w + ox * k + xx]);
                    }
                }
                out.push(m);
            }
        }
    }
    Tensor4::new("max_pool output", [n, c, ho, wo], out)
}
