//! Accuracy of a model on crossbars over several seeds (chips), and sweeps of
//! one knob.

use serde::Serialize;

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::runtime::argmax;
use crate::model::Model;
use crate::pim::layer::{Chip, PimModel};
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
    let seed_list: Vec<u64> = (1..=seeds as u64).collect();
    let chips: Vec<Chip> = seed_list.iter().map(|&s| pm.program(s)).collect();
    let same = same_as_first(&chips);
    let len = c * h * w;
    let chunks = n.div_ceil(CHUNK_IMAGES);
    let items: Vec<(usize, usize)> = (0..seeds)
        .filter(|&s| !same[s])
        .flat_map(|s| (0..chunks).map(move |k| (s, k)))
        .collect();
    let run = |&(s, k): &(usize, usize)| -> Result<usize> {
        let a = k * CHUNK_IMAGES;
        let b = (a + CHUNK_IMAGES).min(n);
        correct(&pm, &chips[s], &images[a * len..b * len], &labels[a..b])
    };
    let mut counts = vec![0usize; seeds];
    // No threads in wasm32-unknown-unknown (spawning would panic).
    let threads = if cfg!(target_arch = "wasm32") {
        1
    } else {
        threads.clamp(1, items.len())
    };
    if threads == 1 {
        for it in &items {
            counts[it.0] += run(it)?;
        }
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<Result<Vec<(usize, usize)>>> = std::thread::scope(|scope| {
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
                    h.join().unwrap_or_else(|_| {
                        Err(Error::invalid("threads", "a worker thread failed"))
                    })
                })
                .collect()
        });
        for r in results {
            for (s, cnt) in r? {
                counts[s] += cnt;
            }
        }
    }
    for s in 1..seeds {
        if same[s] {
            counts[s] = counts[0];
        }
    }
    let acc: Vec<f64> = counts.iter().map(|&c| c as f64 / n as f64).collect();
    let (mean, std, min, max) = stats(&acc);
    Ok(EvalResult {
        images: n,
        seeds: seed_list,
        accuracy_per_seed: acc,
        mean_0_to_1: mean,
        std_0_to_1: std,
        min_0_to_1: min,
        max_0_to_1: max,
        crossbars: pm.layers().iter().map(|l| l.crossbars).sum(),
    })
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
        let chips: Vec<Chip> = seed_list.iter().map(|&s| pm.program(s)).collect();
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
        let n = self.done.max(1) as f64;
        let acc: Vec<f64> = self.correct.iter().map(|&c| c as f64 / n).collect();
        let (mean, std, min, max) = stats(&acc);
        EvalResult {
            images: self.done,
            seeds: self.seeds.clone(),
            accuracy_per_seed: acc,
            mean_0_to_1: mean,
            std_0_to_1: std,
            min_0_to_1: min,
            max_0_to_1: max,
            crossbars: self.pm.layers().iter().map(|l| l.crossbars).sum(),
        }
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
