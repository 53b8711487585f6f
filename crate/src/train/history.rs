//! The history of a training run (loss and accuracy against batches) and its
//! chart data: what the page's training view draws with the crate's curve chart.

use crate::error::{Error, Result};
use crate::plot::curve::{CurveData, CurvePoint, CurveSeries, MAX_CURVE_POINTS};
use crate::train::FitProgress;

/// One point: after `batches` batches, the epoch's mean loss and running
/// training accuracy (0..1) so far.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    batches: usize,
    loss: f64,
    accuracy: f64,
}

/// Loss and accuracy of a run so far (one sample per batch), and held-out
/// accuracies measured along the way.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainHistory {
    samples: Vec<Sample>,
    held_out: Vec<(usize, f64)>,
}

impl TrainHistory {
    /// Records the progress after `batches` batches.
    pub fn batch(&mut self, batches: usize, p: &FitProgress) {
        self.samples.push(Sample {
            batches,
            loss: p.mean_loss,
            accuracy: p.train_accuracy,
        });
    }

    /// Records a held-out accuracy (0..1) measured after `batches` batches.
    pub fn held_out(&mut self, batches: usize, accuracy: f64) {
        self.held_out.push((batches, accuracy));
    }

    /// Batches recorded.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// No batch recorded.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The chart data of `kind`: `"loss"` (the epoch's mean training loss
    /// against batches) or `"accuracy"` (running training accuracy and the
    /// held-out accuracies, in %). At most [`MAX_CURVE_POINTS`] points per
    /// series, thinned evenly (first and last kept). Errors for another kind
    /// or before any batch.
    pub fn chart(&self, kind: &str) -> Result<CurveData> {
        if self.samples.is_empty() {
            return Err(Error::invalid("chart", "no batch has run yet"));
        }
        let pt = |x: usize, y: f64| CurvePoint {
            x: x as f64,
            y,
            spread: 0.0,
            label: String::new(),
        };
        let (y_desc, series) = match kind {
            "loss" => (
                "training loss (epoch mean so far)",
                vec![CurveSeries {
                    label: "training loss".into(),
                    points: thin(self.samples.iter().map(|s| pt(s.batches, s.loss)).collect()),
                }],
            ),
            "accuracy" => {
                let mut series = vec![CurveSeries {
                    label: "training (running)".into(),
                    points: thin(
                        self.samples
                            .iter()
                            .map(|s| pt(s.batches, 100.0 * s.accuracy))
                            .collect(),
                    ),
                }];
                if !self.held_out.is_empty() {
                    series.push(CurveSeries {
                        label: "held-out test".into(),
                        points: thin(
                            self.held_out
                                .iter()
                                .map(|&(b, a)| pt(b, 100.0 * a))
                                .collect(),
                        ),
                    });
                }
                ("accuracy (%)", series)
            }
            _ => {
                return Err(Error::Unknown {
                    kind: "chart kind".into(),
                    name: crate::limits::echo(kind),
                    known: "loss, accuracy".into(),
                })
            }
        };
        Ok(CurveData {
            title: String::new(),
            x_desc: "batches".into(),
            y_desc: y_desc.into(),
            series,
        })
    }
}

/// `points` thinned evenly to at most [`MAX_CURVE_POINTS`], the first and the
/// last kept.
fn thin(points: Vec<CurvePoint>) -> Vec<CurvePoint> {
    let n = points.len();
    if n <= MAX_CURVE_POINTS {
        return points;
    }
    // Keep every `stride`-th point, then the last: at most MAX points.
    let stride = (n - 1).div_ceil(MAX_CURVE_POINTS - 1);
    let mut out: Vec<CurvePoint> = points.iter().step_by(stride).cloned().collect();
    if (n - 1) % stride != 0 {
        out.push(points[n - 1].clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::curve::validate_curve;

    fn progress(loss: f64, acc: f64) -> FitProgress {
        FitProgress {
            epoch: 0,
            step: 0,
            steps_per_epoch: 1,
            mean_loss: loss,
            train_accuracy: acc,
            epoch_done: false,
            done: false,
        }
    }

    #[test]
    fn thinning_keeps_first_and_last_and_the_limit() {
        for n in [1, 2, 255, 256, 257, 511, 512, 1000, 9377] {
            let pts: Vec<CurvePoint> = (0..n)
                .map(|i| CurvePoint {
                    x: i as f64,
                    y: 0.0,
                    spread: 0.0,
                    label: String::new(),
                })
                .collect();
            let t = thin(pts);
            assert!(t.len() <= MAX_CURVE_POINTS, "{n}: {}", t.len());
            assert_eq!(t[0].x, 0.0);
            assert_eq!(t.last().unwrap().x, (n - 1) as f64, "{n}");
            assert!(t.windows(2).all(|w| w[0].x < w[1].x));
            if n <= MAX_CURVE_POINTS {
                assert_eq!(t.len(), n);
            }
        }
    }

    #[test]
    fn charts_hold_the_recorded_values() {
        let mut h = TrainHistory::default();
        assert!(h.chart("loss").is_err());
        for b in 1..=600 {
            h.batch(b, &progress(2.0 / b as f64, 0.5 + b as f64 / 2000.0));
        }
        h.held_out(300, 0.9);
        h.held_out(600, 0.95);
        let loss = h.chart("loss").unwrap();
        validate_curve(&loss).unwrap();
        assert_eq!(loss.series.len(), 1);
        let last = loss.series[0].points.last().unwrap();
        assert_eq!((last.x, last.y), (600.0, 2.0 / 600.0));
        let acc = h.chart("accuracy").unwrap();
        validate_curve(&acc).unwrap();
        assert_eq!(acc.series.len(), 2);
        assert_eq!(acc.series[1].points[1].y, 95.0);
        assert_eq!(acc.series[0].points[0].y, 100.0 * (0.5 + 1.0 / 2000.0));
        let e = h.chart("speed").unwrap_err().to_string();
        assert!(e.contains("speed") && e.contains("loss, accuracy"), "{e}");
    }
}
