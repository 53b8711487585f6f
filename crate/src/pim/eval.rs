//! Accuracy of a model on crossbars over several seeds (chips), and sweeps of
//! one knob.

use serde::Serialize;

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::runtime::argmax;
use crate::model::Model;
use crate::pim::layer::{Chip, ErrorSums, LayerMapping, PimModel};
use crate::pim::PimKnobs;

/// Images per work item.
const CHUNK_IMAGES: usize = 50;

/// Accuracy of one model under one set of knobs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct EvalResult {
    /// Images evaluated per seed.
    pub images: usize,
    /// The seeds (chip draws): `1..=seeds`.
    pub seeds: Vec<u64>,
    /// Accuracy on each seed's chip, in `[0, 1]`.
    pub accuracy_per_seed: Vec<f64>,
    /// Images each seed's chip classified correctly (what [`merge`] adds up).
    pub correct_per_seed: Vec<usize>,
    /// Mean over seeds.
    pub mean_0_to_1: f64,
    /// Sample standard deviation over seeds (0 for one seed).
    pub std_0_to_1: f64,
    /// Lowest and highest accuracy over seeds.
    pub min_0_to_1: f64,
    /// See `min_0_to_1`.
    pub max_0_to_1: f64,
    /// Crossbars of the mapping (all weight layers).
    pub crossbars: usize,
}

fn stats(acc: &[f64]) -> (f64, f64, f64, f64) {
    let n = acc.len().max(1) as f64;
    let mean = acc.iter().sum::<f64>() / n;
    let var = if acc.len() > 1 {
        acc.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let min = acc.iter().copied().fold(f64::INFINITY, f64::min);
    let max = acc.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, var.sqrt(), min, max)
}

impl EvalResult {
    /// The result of `images` images classified on the chips of `seeds`,
    /// `correct[i]` of them correctly on seed `seeds[i]`'s (accuracy 0 when no
    /// image was classified).
    fn from_counts(images: usize, seeds: Vec<u64>, correct: Vec<usize>, crossbars: usize) -> Self {
        let n = images.max(1) as f64;
        let acc: Vec<f64> = correct.iter().map(|&c| c as f64 / n).collect();
        let (mean, std, min, max) = stats(&acc);
        EvalResult {
            images,
            seeds,
            accuracy_per_seed: acc,
            correct_per_seed: correct,
            mean_0_to_1: mean,
            std_0_to_1: std,
            min_0_to_1: min,
            max_0_to_1: max,
            crossbars,
        }
    }
}

/// One part of an evaluation split by images ([`merge`]): what an
/// [`EvalResult`] says of its images, seeds and correct counts (its other
/// fields are derived and not read).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct EvalPart {
    /// Images of the part.
    pub images: usize,
    /// Its seeds.
    pub seeds: Vec<u64>,
    /// Correct images per seed.
    pub correct_per_seed: Vec<usize>,
    /// Crossbars of the mapping.
    pub crossbars: usize,
}

impl From<&EvalResult> for EvalPart {
    fn from(r: &EvalResult) -> Self {
        EvalPart {
            images: r.images,
            seeds: r.seeds.clone(),
            correct_per_seed: r.correct_per_seed.clone(),
            crossbars: r.crossbars,
        }
    }
}

/// Most parts [`merge`] takes.
pub const MAX_MERGE_PARTS: usize = 4096;

/// The result over the images of every part of one evaluation split by images
/// (the page splits a model's images across its workers): images and correct
/// counts added per seed, the statistics recomputed. The parts must have the
/// same seeds and crossbars (the same model, knobs and chips) and at most as
/// many correct images as images; errors name the field (`parts[2].seeds`,
/// `parts[0].correct_per_seed[1]`).
pub fn merge(parts: &[EvalPart]) -> Result<EvalResult> {
    let Some(first) = parts.first() else {
        return Err(Error::invalid("parts", "nothing to merge (no parts)"));
    };
    if parts.len() > MAX_MERGE_PARTS {
        return Err(Error::invalid(
            "parts",
            format!("at most {MAX_MERGE_PARTS} parts, got {}", parts.len()),
        ));
    }
    crate::limits::check_range(
        "parts[0].seeds.length",
        first.seeds.len(),
        crate::limits::MAX_PIM_SEEDS,
    )?;
    let mut images = 0usize;
    let mut correct = vec![0usize; first.seeds.len()];
    for (i, p) in parts.iter().enumerate() {
        if p.seeds != first.seeds {
            return Err(Error::invalid(
                format!("parts[{i}].seeds"),
                "every part must have the seeds of parts[0] (the same chips)",
            ));
        }
        if p.crossbars != first.crossbars {
            return Err(Error::invalid(
                format!("parts[{i}].crossbars"),
                format!(
                    "every part must map onto the crossbars of parts[0] ({}), got {}",
                    first.crossbars, p.crossbars
                ),
            ));
        }
        if p.correct_per_seed.len() != p.seeds.len() {
            return Err(Error::shape(
                format!("parts[{i}].correct_per_seed"),
                format!("{} counts (one per seed)", p.seeds.len()),
                p.correct_per_seed.len(),
            ));
        }
        for (j, (&c, total)) in p.correct_per_seed.iter().zip(&mut correct).enumerate() {
            if c > p.images {
                return Err(Error::invalid(
                    format!("parts[{i}].correct_per_seed[{j}]"),
                    format!("more correct images ({c}) than images ({})", p.images),
                ));
            }
            *total += c; // at most the images, checked below
        }
        images = images.checked_add(p.images).ok_or_else(|| {
            Error::invalid(
                format!("parts[{i}].images"),
                "the images add up past the largest count",
            )
        })?;
    }
    Ok(EvalResult::from_counts(
        images,
        first.seeds.clone(),
        correct,
        first.crossbars,
    ))
}

/// The first `n` images of `data` as floats (`byte / 255`, as the executor
/// reads them) and their labels.
pub fn images_f32(data: &Dataset, n: usize) -> (Vec<f32>, Vec<u8>) {
    let n = n.min(data.len());
    let mut px = Vec::with_capacity(n * data.rows() * data.cols());
    for i in 0..n {
        px.extend(data.image(i).iter().map(|&p| f32::from(p) / 255.0));
    }
    (px, data.labels()[..n].to_vec())
}

/// Correct predictions of `chip` on `images` (flat) against `labels`.
fn correct(pm: &PimModel, chip: &Chip, images: &[f32], labels: &[u8]) -> Result<usize> {
    let n = labels.len();
    let logits = pm.logits(chip, images, n)?;
    let classes = logits.len() / n.max(1);
    Ok(logits
        .chunks(classes.max(1))
        .zip(labels)
        .filter(|(l, y)| argmax(l) == usize::from(**y))
        .count())
}

/// Per chip: whether it has the first chip's conductances (then it classifies
/// every image as the first does and is not run again). Without variation or
/// faults every seed draws the same chip.
fn same_as_first(chips: &[Chip]) -> Vec<bool> {
    chips
        .iter()
        .enumerate()
        .map(|(i, c)| i > 0 && c.same_cells(&chips[0]))
        .collect()
}

/// What [`evaluate`] and [`layer_errors`] start from: the mapped model, the
/// first `n` images (floats) and labels, the chips of seeds `1..=seeds` and
/// which of them are the first ([`same_as_first`]).
struct Setup {
    pm: PimModel,
    images: Vec<f32>,
    labels: Vec<u8>,
    chips: Vec<Chip>,
    same: Vec<bool>,
    n: usize,
}

impl Setup {
    /// Errors: bad seeds, no images, images of another size than the model's
    /// input, or a model the crossbar model cannot map ([`PimModel::new`]).
    fn new(
        model: &Model,
        knobs: &PimKnobs,
        data: &Dataset,
        limit: usize,
        seeds: usize,
    ) -> Result<Self> {
        check_seeds(seeds)?;
        let n = limit.min(data.len());
        if n == 0 {
            return Err(Error::invalid("limit", "no images to evaluate"));
        }
        let [c, h, w] = model.arch().input;
        if c != 1 || h != data.rows() || w != data.cols() {
            return Err(Error::shape(
                "dataset images",
                format!("{c} x {h} x {w} (the model input)"),
                format!("1 x {} x {}", data.rows(), data.cols()),
            ));
        }
        let pm = PimModel::new(model, knobs)?;
        let (images, labels) = images_f32(data, n);
        let chips = pm.program_seeds(&(1..=seeds as u64).collect::<Vec<_>>());
        let same = same_as_first(&chips);
        Ok(Setup {
            pm,
            images,
            labels,
            chips,
            same,
            n,
        })
    }
}

/// Runs `run(chip, from, to)` on every chunk of [`CHUNK_IMAGES`] of the first
/// `n` images for every chip not the same as the first (`same`), on up to
/// `threads` threads, and hands each result to `done(chip, result)` (in no
/// particular order).
fn for_chunks<T: Send>(
    n: usize,
    same: &[bool],
    threads: usize,
    run: impl Fn(usize, usize, usize) -> Result<T> + Sync,
    mut done: impl FnMut(usize, T),
) -> Result<()> {
    let chunks = n.div_ceil(CHUNK_IMAGES);
    let items: Vec<(usize, usize)> = (0..same.len())
        .filter(|&s| !same[s])
        .flat_map(|s| (0..chunks).map(move |k| (s, k)))
        .collect();
    let run = |&(s, k): &(usize, usize)| -> Result<T> {
        let a = k * CHUNK_IMAGES;
        run(s, a, (a + CHUNK_IMAGES).min(n))
    };
    // No threads in wasm32-unknown-unknown (spawning would panic).
    let threads = if cfg!(target_arch = "wasm32") {
        1
    } else {
        threads.clamp(1, items.len().max(1))
    };
    if threads == 1 {
        for it in &items {
            done(it.0, run(it)?);
        }
        return Ok(());
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Vec<(usize, T)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut got = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(it) = items.get(i) else { break };
                        got.push((it.0, run(it)?));
                    }
                    Ok(got)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::invalid("threads", "a worker thread failed")))
            })
            .collect()
    });
    for r in results {
        for (s, v) in r? {
            done(s, v);
        }
    }
    Ok(())
}

/// One weight layer's error on crossbars ([`layer_errors`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct LayerError {
    /// Weight layer index and name (the model's).
    pub index: usize,
    /// See `index`.
    pub name: String,
    /// The layer's mapping (word lines, columns, input cycles, row blocks, ...).
    pub mapping: LayerMapping,
    /// Output values compared (images x chips x outputs).
    pub values: u64,
    /// `sqrt(sum (y - y_digital)^2 / sum y_digital^2)` over every image and
    /// chip: 0 when the layer reads exactly ([`ErrorSums::rel_rms_error`]).
    pub rel_rms_error: f64,
    /// Mean error over the digital outputs' root mean square: the systematic
    /// part (negative: the crossbars read low; [`ErrorSums::rel_mean_error`]).
    pub rel_mean_error: f64,
}

/// Per weight layer of `model`, its own error on crossbars under `knobs`
/// (its outputs against the digital executor's on the same input,
/// [`PimModel::layer_error_sums`]), pooled over the first `limit` images of
/// `data` and the chips of seeds `1..=seeds`, on up to `threads` threads.
pub fn layer_errors(
    model: &Model,
    knobs: &PimKnobs,
    data: &Dataset,
    limit: usize,
    seeds: usize,
    threads: usize,
) -> Result<Vec<LayerError>> {
    let Setup {
        pm,
        images,
        chips,
        same,
        n,
        ..
    } = Setup::new(model, knobs, data, limit, seeds)?;
    let len = images.len() / n;
    let mapping = pm.layers();
    let mut per_chip = vec![vec![ErrorSums::default(); mapping.len()]; seeds];
    for_chunks(
        n,
        &same,
        threads,
        |s, a, b| pm.layer_error_sums(&chips[s], &images[a * len..b * len], b - a),
        |s, sums| {
            for (t, x) in per_chip[s].iter_mut().zip(&sums) {
                t.add(x);
            }
        },
    )?;
    let mut total = vec![ErrorSums::default(); mapping.len()];
    for (s, &is_first) in same.iter().enumerate() {
        let from = if is_first { 0 } else { s };
        for (t, x) in total.iter_mut().zip(&per_chip[from]) {
            t.add(x);
        }
    }
    let names: Vec<&str> = model
        .arch()
        .weight_layers()
        .map(|l| l.name.as_str())
        .collect();
    Ok(mapping
        .into_iter()
        .zip(total)
        .map(|(m, e)| LayerError {
            index: m.index,
            name: names.get(m.index).copied().unwrap_or_default().to_string(),
            values: e.values,
            rel_rms_error: e.rel_rms_error(),
            rel_mean_error: e.rel_mean_error(),
            mapping: m,
        })
        .collect())
}

/// Accuracy of `model` on crossbars under `knobs` on the first `limit`
/// images of `data`, for the chips of seeds `1..=seeds`, on up to `threads`
/// threads (1: this thread only).
pub fn evaluate(
    model: &Model,
    knobs: &PimKnobs,
    data: &Dataset,
    limit: usize,
    seeds: usize,
    threads: usize,
) -> Result<EvalResult> {
    let Setup {
        pm,
        images,
        labels,
        chips,
        same,
        n,
    } = Setup::new(model, knobs, data, limit, seeds)?;
    let len = images.len() / n;
    let seed_list: Vec<u64> = (1..=seeds as u64).collect();
    let mut counts = vec![0usize; seeds];
    for_chunks(
        n,
        &same,
        threads,
        |s, a, b| correct(&pm, &chips[s], &images[a * len..b * len], &labels[a..b]),
        |s, cnt| counts[s] += cnt,
    )?;
    for s in 1..seeds {
        if same[s] {
            counts[s] = counts[0];
        }
    }
    Ok(EvalResult::from_counts(
        n,
        seed_list,
        counts,
        pm.layers().iter().map(|l| l.crossbars).sum(),
    ))
}

/// An evaluation done a few images at a time (the page's worker reports after
/// each step): the chips of seeds `1..=seeds` are programmed once, every
/// [`Progressive::step`] classifies the next images on every chip and returns
/// the result over the images done so far. After the last step the result
/// equals [`evaluate`]'s on the same images (tested).
pub struct Progressive {
    pm: PimModel,
    chips: Vec<Chip>,
    /// Per chip: the first chip's conductances ([`same_as_first`]).
    same: Vec<bool>,
    seeds: Vec<u64>,
    images: Vec<f32>,
    labels: Vec<u8>,
    image_len: usize,
    done: usize,
    correct: Vec<usize>,
}

impl Progressive {
    /// Maps `model` under `knobs` and programs the chips of seeds `1..=seeds`
    /// for `images` (`labels.len()` images of the model's input size, pixels
    /// in `[0, 1]`). Errors name the knob, `seeds`, `images` or `labels`.
    pub fn new(
        model: &Model,
        knobs: &PimKnobs,
        images: Vec<f32>,
        labels: Vec<u8>,
        seeds: usize,
    ) -> Result<Self> {
        check_seeds(seeds)?;
        if labels.is_empty() {
            return Err(Error::invalid("labels", "no images to evaluate"));
        }
        let [c, h, w] = model.arch().input;
        let image_len = c * h * w;
        if images.len() != labels.len() * image_len {
            return Err(Error::shape(
                "images",
                format!(
                    "{} values ({} images of {c} x {h} x {w})",
                    labels.len() * image_len,
                    labels.len()
                ),
                images.len().to_string(),
            ));
        }
        let pm = PimModel::new(model, knobs)?;
        // Every chip holds one conductance per cell: bound them all together.
        let cells: usize = pm
            .layers()
            .iter()
            .map(|l| l.rows * l.cols * l.slices * 2)
            .sum();
        if cells.saturating_mul(seeds) > crate::pim::layer::MAX_PIM_CELLS {
            return Err(Error::invalid(
                "seeds",
                format!(
                    "{seeds} chips of {cells} cells exceed {} cells in all; use fewer seeds",
                    crate::pim::layer::MAX_PIM_CELLS
                ),
            ));
        }
        let seed_list: Vec<u64> = (1..=seeds as u64).collect();
        let chips = pm.program_seeds(&seed_list);
        Ok(Progressive {
            pm,
            same: same_as_first(&chips),
            chips,
            seeds: seed_list,
            images,
            labels,
            image_len,
            done: 0,
            correct: vec![0; seeds],
        })
    }

    /// Images classified so far (on every chip).
    pub fn done(&self) -> usize {
        self.done
    }

    /// Images in all.
    pub fn total(&self) -> usize {
        self.labels.len()
    }

    /// Classifies the next `count` images (at least one, at most those left)
    /// on every chip; returns the result over all images done so far.
    pub fn step(&mut self, count: usize) -> Result<EvalResult> {
        let a = self.done;
        let b = (a + count.max(1)).min(self.labels.len());
        if b > a {
            let (images, labels) = (
                &self.images[a * self.image_len..b * self.image_len],
                &self.labels[a..b],
            );
            let mut first = 0;
            for (i, (chip, c)) in self.chips.iter().zip(&mut self.correct).enumerate() {
                let k = if self.same[i] {
                    first
                } else {
                    correct(&self.pm, chip, images, labels)?
                };
                if i == 0 {
                    first = k;
                }
                *c += k;
            }
            self.done = b;
        }
        Ok(self.result())
    }

    /// The result over the images done so far (all zero before the first step).
    pub fn result(&self) -> EvalResult {
        EvalResult::from_counts(
            self.done,
            self.seeds.clone(),
            self.correct.clone(),
            self.pm.layers().iter().map(|l| l.crossbars).sum(),
        )
    }
}

/// A knob swept over values: `NAME=a..b[:step]` (`step` 1 by default) or
/// `NAME=v1,v2,...`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepKnob {
    /// Knob name ([`crate::pim::knobs::KNOB_NAMES`]).
    pub knob: String,
    /// Values in order.
    pub values: Vec<f64>,
}

impl SweepKnob {
    /// Parses `NAME=a..b[:step]` or `NAME=v1,v2,...`; errors name `--sweep`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| Error::invalid("--sweep", why);
        let (knob, range) = text
            .split_once('=')
            .ok_or_else(|| bad("expected NAME=a..b[:step] or NAME=v1,v2,...".into()))?;
        PimKnobs::default()
            .set(knob, f64::NAN)
            .or_else(|e| match e {
                Error::Unknown { .. } => Err(e),
                _ => Ok(()),
            })?;
        let num = |s: &str| -> Result<f64> {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    bad(format!(
                        "'{}' is not a finite number",
                        crate::limits::echo(s)
                    ))
                })
        };
        let max = crate::limits::MAX_PIM_SWEEP_POINTS;
        let values = if let Some((a, rest)) = range.split_once("..") {
            let (b, step) = match rest.split_once(':') {
                Some((b, s)) => (num(b)?, num(s)?),
                None => (num(rest)?, 1.0),
            };
            let a = num(a)?;
            if step <= 0.0 || b < a {
                return Err(bad(format!(
                    "needs a <= b and step > 0, got {a}..{b}:{step}"
                )));
            }
            let count = ((b - a) / step + 1e-9).floor() + 1.0;
            if count > max as f64 {
                return Err(bad(format!("gives {count} points; at most {max}")));
            }
            (0..count as usize)
                .map(|i| {
                    let v = a + step * i as f64;
                    // Round away float noise (0.1 * 3 = 0.30000000000000004).
                    (v * 1e9).round() / 1e9
                })
                .collect()
        } else {
            let v: Vec<f64> = range.split(',').map(num).collect::<Result<_>>()?;
            if v.len() > max {
                return Err(bad(format!("gives {} points; at most {max}", v.len())));
            }
            v
        };
        Ok(SweepKnob {
            knob: knob.to_string(),
            values,
        })
    }
}

/// One point of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The knob's value.
    pub value: f64,
    /// The evaluation at that value.
    pub result: EvalResult,
}

/// One model's curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepSeries {
    /// The model's label.
    pub model: String,
    /// Points in knob order.
    pub points: Vec<SweepPoint>,
}

/// Evaluates `model` at every value of `sweep` (the other knobs from `base`).
pub fn sweep(
    model: &Model,
    base: &PimKnobs,
    sweep: &SweepKnob,
    data: &Dataset,
    limit: usize,
    seeds: usize,
    threads: usize,
) -> Result<Vec<SweepPoint>> {
    sweep
        .values
        .iter()
        .map(|&v| {
            let mut k = *base;
            k.set(&sweep.knob, v)?;
            Ok(SweepPoint {
                value: v,
                result: evaluate(model, &k, data, limit, seeds, threads)?,
            })
        })
        .collect()
}

/// `seeds` is in `1..=MAX_PIM_SEEDS` (chips drawn per evaluation).
fn check_seeds(seeds: usize) -> Result<()> {
    let max = crate::limits::MAX_PIM_SEEDS;
    if seeds == 0 || seeds > max {
        return Err(Error::invalid(
            "seeds",
            format!("must be in 1..={max}, got {seeds}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped model `models/NAME.safetensors` and `n` arbitrary 28x28 images
    /// (a hash of the index; the tests compare two paths, so any images do).
    fn shipped_with_images(name: &str, n: u8) -> (Model, Dataset) {
        let path = format!(
            "{}/../models/{name}.safetensors",
            env!("CARGO_MANIFEST_DIR")
        );
        let model = Model::from_bytes(&std::fs::read(path).unwrap()).unwrap();
        let px: Vec<u8> = (0..u32::from(n) * 784)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let labels: Vec<u8> = (0..n).map(|i| i % 10).collect();
        (model, Dataset::new(28, 28, px, labels).unwrap())
    }

    #[test]
    fn progressive_steps_end_at_evaluate() {
        let (model, data) = shipped_with_images("mnist-cnn-epim2.25-3b", 37);
        let knobs = PimKnobs {
            adc_bits: 5,
            variation_sigma: 0.1,
            sa0_0_to_1: 0.01,
            ..PimKnobs::default()
        };
        let want = evaluate(&model, &knobs, &data, 37, 3, 1).unwrap();
        let (px, labels) = images_f32(&data, 37);
        let mut p = Progressive::new(&model, &knobs, px, labels, 3).unwrap();
        let mut last = p.result();
        assert_eq!(last.images, 0);
        for count in [1, 10, 7, 100] {
            last = p.step(count).unwrap();
        }
        assert_eq!((p.done(), p.total()), (37, 37));
        assert_eq!(last, want);
        assert!(Progressive::new(&model, &knobs, vec![0.0; 10], vec![1], 1)
            .err()
            .unwrap()
            .to_string()
            .contains("images"));
        assert!(Progressive::new(
            &model,
            &PimKnobs {
                adc_bits: 0,
                ..knobs
            },
            vec![0.0; 784],
            vec![1],
            1
        )
        .err()
        .unwrap()
        .to_string()
        .contains("adc_bits"));
    }

    #[test]
    fn parts_split_by_images_merge_to_the_whole_evaluation() {
        let (model, data) = shipped_with_images("mnist-cnn-dense-8b", 29);
        let knobs = PimKnobs {
            adc_bits: 4,
            variation_sigma: 0.2,
            sa1_0_to_1: 0.05,
            ..PimKnobs::default()
        };
        let want = evaluate(&model, &knobs, &data, 29, 3, 1).unwrap();
        let (px, labels) = images_f32(&data, 29);
        // Uneven parts, one of them empty (a worker that has not started).
        let mut parts = Vec::new();
        for (a, b) in [(0, 11), (11, 12), (12, 29)] {
            let mut p = Progressive::new(
                &model,
                &knobs,
                px[a * 784..b * 784].to_vec(),
                labels[a..b].to_vec(),
                3,
            )
            .unwrap();
            parts.push(EvalPart::from(&p.step(b - a).unwrap()));
        }
        let empty = EvalPart {
            images: 0,
            correct_per_seed: vec![0; 3],
            ..parts[0].clone()
        };
        parts.insert(1, empty);
        assert_eq!(merge(&parts).unwrap(), want);
        assert_eq!(merge(&parts[..1]).unwrap().images, 11);
        // Every field a merge needs is checked, and named.
        let err = |parts: &[EvalPart]| merge(parts).unwrap_err().to_string();
        assert!(err(&[]).contains("parts"));
        let mut bad = parts.clone();
        bad[2].seeds = vec![1, 2, 4];
        assert!(err(&bad).contains("parts[2].seeds"), "{}", err(&bad));
        let mut bad = parts.clone();
        bad[3].crossbars += 1;
        assert!(err(&bad).contains("parts[3].crossbars"));
        let mut bad = parts.clone();
        bad[0].correct_per_seed[1] = bad[0].images + 1;
        assert!(err(&bad).contains("parts[0].correct_per_seed[1]"));
        let mut bad = parts.clone();
        bad[1].correct_per_seed.pop();
        assert!(err(&bad).contains("parts[1].correct_per_seed"));
        let mut bad = parts.clone();
        bad[0].images = usize::MAX;
        bad[0].correct_per_seed = vec![0; 3];
        // (parts[1] is the empty one: the sum passes the largest count at parts[2].)
        assert!(err(&bad).contains("parts[2].images"), "{}", err(&bad));
        let none = EvalPart {
            seeds: vec![],
            correct_per_seed: vec![],
            ..parts[0].clone()
        };
        assert!(err(&[none]).contains("seeds"));
        assert!(err(&vec![parts[0].clone(); MAX_MERGE_PARTS + 1]).contains("at most"));
    }

    #[test]
    fn chips_without_random_knobs_are_one_chip_run_once() {
        let (model, data) = shipped_with_images("mnist-cnn-xrs0.556-3b", 23);
        let fixed = PimKnobs {
            adc_bits: 5,
            on_off_ratio: Some(10.0),
            ..PimKnobs::default()
        };
        let random = PimKnobs {
            sa0_0_to_1: 0.01,
            ..fixed
        };
        let pm = PimModel::new(&model, &fixed).unwrap();
        let chips: Vec<Chip> = (1..=3).map(|s| pm.program(s)).collect();
        assert_eq!(same_as_first(&chips), vec![false, true, true]);
        let pm = PimModel::new(&model, &random).unwrap();
        let chips: Vec<Chip> = (1..=3).map(|s| pm.program(s)).collect();
        assert_eq!(same_as_first(&chips), vec![false, false, false]);
        // The copied counts are the first chip's; steps end at `evaluate`.
        let one = evaluate(&model, &fixed, &data, 23, 1, 1).unwrap();
        let three = evaluate(&model, &fixed, &data, 23, 3, 2).unwrap();
        assert_eq!(three.accuracy_per_seed, vec![one.mean_0_to_1; 3]);
        let (px, labels) = images_f32(&data, 23);
        let mut p = Progressive::new(&model, &fixed, px, labels, 3).unwrap();
        p.step(10).unwrap();
        assert_eq!(p.step(100).unwrap(), three);
    }

    #[test]
    fn grouped_cells_stay_within_their_budget_over_all_seeds() {
        use crate::pim::groups::GroupCells;
        use crate::pim::layer::MAX_GROUP_CELLS;
        let (model, data) = shipped_with_images("mnist-cnn-dense-8b", 3);
        let knobs = PimKnobs {
            variation_sigma: 0.1,
            ..PimKnobs::default()
        };
        let pm = PimModel::new(&model, &knobs).unwrap();
        let per_chip: usize = pm
            .layers()
            .iter()
            .map(|l| GroupCells::len(l.rows, l.cols * l.slices * 2, knobs.crossbar_rows))
            .sum();
        let most = MAX_GROUP_CELLS / per_chip;
        assert!((1..64).contains(&most), "{most}");
        let seeds: Vec<u64> = (1..=most as u64 + 1).collect();
        // As many chips as fit keep grouped cells (the dense model's last
        // three layers: the first reads by code tables)...
        let chips = pm.program_seeds(&seeds[..most]);
        assert!(chips.iter().all(|c| c.grouped_layers() == 3));
        // ... one more and none does, with the same logits.
        let more = pm.program_seeds(&seeds);
        assert!(more.iter().all(|c| c.grouped_layers() == 0));
        let (x, _) = images_f32(&data, 3);
        assert_eq!(
            pm.logits(&chips[0], &x, 3).unwrap(),
            pm.logits(&more[0], &x, 3).unwrap()
        );
    }

    #[test]
    fn sweeps_parse_ranges_lists_and_reject_nonsense() {
        let s = SweepKnob::parse("adc-bits=3..8").unwrap();
        assert_eq!(s.values, vec![3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        let s = SweepKnob::parse("variation=0..0.2:0.05").unwrap();
        assert_eq!(s.values, vec![0.0, 0.05, 0.1, 0.15, 0.2]);
        let s = SweepKnob::parse("stuck=0,0.01,0.05").unwrap();
        assert_eq!(s.values.len(), 3);
        for bad in [
            "adc-bits",
            "adc-bits=8..3",
            "nope=1..2",
            "variation=0..1:0",
            "adc-bits=1..1000",
        ] {
            assert!(SweepKnob::parse(bad).is_err(), "{bad}");
        }
    }
}
