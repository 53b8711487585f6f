//! What `epim search` reports: the run's facts, the front with the full
//! simulator's numbers and, after `--evaluate train`, the measured accuracy of
//! the best designs, as typed structs (serialised as the command's JSON
//! summary; [`SearchSummary::table`] prints the same fields as a table).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{ExactCosts, FrontPoint, InfeasibleClass, LayerChoice, RunInfo, SearchRun, StopReason};
use crate::design::EpitomeDesign;
use crate::Result;

/// The accuracy a short training run measured ([`crate::train::train_and_measure`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measured {
    /// Accuracy of the exported model (quantized weights and activations) on
    /// the test images, in `[0, 1]`.
    pub accuracy_0_to_1: f64,
    /// Test images measured.
    pub test_images: usize,
    /// Training images used.
    pub train_images: usize,
    /// Stored parameters (weights or epitome entries, and biases).
    pub params: usize,
    /// Wall-clock seconds of training, export and measurement.
    pub seconds: f64,
}

/// The summary of a finished search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchSummary {
    /// Fixed facts of the run.
    pub info: RunInfo,
    /// Completed generations.
    pub generation: usize,
    /// Candidates evaluated.
    pub evaluations: usize,
    /// Why it stopped.
    pub stop: Option<StopReason>,
    /// Infeasible candidates per class.
    pub infeasible: BTreeMap<InfeasibleClass, u64>,
    /// Wall-clock seconds of the search.
    pub seconds: f64,
    /// `evaluations / seconds` (0 when no time was measured).
    pub evaluations_per_s: f64,
    /// Hits and misses of the evaluator's per-layer cache.
    pub cache: CacheStats,
    /// The lowest-score design.
    pub best: Option<FrontPoint>,
    /// Its full-simulator totals.
    pub best_exact: Option<ExactCosts>,
    /// Its per-layer choices.
    pub best_layers: Option<Vec<(String, LayerChoice)>>,
    /// The front, sorted by area, each point with its full-simulator totals.
    pub front: Vec<FrontEntry>,
    /// Where the best design was written.
    pub out: Option<String>,
    /// The re-trained designs' measured accuracy (`--evaluate train`).
    pub evaluation: Option<Evaluation>,
}

/// Cache statistics of the evaluator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CacheStats {
    /// Layer evaluations answered from the cache.
    pub hits: u64,
    /// Layer evaluations simulated.
    pub misses: u64,
}

/// One front point with the full simulator's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontEntry {
    /// The point as the search scored it.
    pub point: FrontPoint,
    /// Full-simulator totals.
    pub exact: Option<ExactCosts>,
}

/// The measured accuracy of the best designs and of the dense reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// How they were measured (`train`).
    pub method: &'static str,
    /// Dataset name.
    pub dataset: String,
    /// Epochs of each training.
    pub epochs: usize,
    /// Training images of each training.
    pub train_images: usize,
    /// Test images measured.
    pub test_images: usize,
    /// Weight bits of the layers a design does not list.
    pub w_bits: u32,
    /// Activation bits.
    pub a_bits: u32,
    /// Training seed.
    pub seed: u64,
    /// Wall-clock seconds of all trainings.
    pub seconds: f64,
    /// What the numbers mean, in one sentence.
    pub note: String,
    /// The dense network at the method bits.
    pub reference: ReferenceRun,
    /// The designs, lowest score first.
    pub designs: Vec<EvaluatedDesign>,
}

/// The dense reference of an [`Evaluation`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceRun {
    /// Its method string (`dense:bits=B`).
    pub method: String,
    /// Full-simulator totals.
    pub exact: ExactCosts,
    /// Measured accuracy.
    pub measured: Measured,
}

/// One re-trained design of an [`Evaluation`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluatedDesign {
    /// 1 for the lowest score.
    pub rank: usize,
    /// Front point id.
    pub id: u64,
    /// The point as the search scored it.
    pub point: FrontPoint,
    /// Full-simulator totals.
    pub exact: Option<ExactCosts>,
    /// Measured accuracy.
    pub measured: Measured,
    /// The design file.
    pub design: EpitomeDesign,
}

impl SearchSummary {
    /// The summary of a finished `run` that took `seconds`; `out`: where its best
    /// design was written; `evaluation`: the measured designs, if any.
    pub fn of(
        run: &mut SearchRun,
        seconds: f64,
        out: Option<String>,
        evaluation: Option<Evaluation>,
    ) -> Result<Self> {
        let progress = run.progress()?;
        let mut front = Vec::with_capacity(progress.front.len());
        for p in &progress.front {
            front.push(FrontEntry {
                exact: run.exact(Some(p.id))?,
                point: p.clone(),
            });
        }
        let (hits, misses) = run.evaluator().cache_stats();
        let evaluations = progress.evaluations;
        Ok(SearchSummary {
            info: run.info(),
            generation: progress.generation,
            evaluations,
            stop: progress.stop,
            infeasible: progress.infeasible,
            seconds,
            evaluations_per_s: if seconds > 0.0 {
                evaluations as f64 / seconds
            } else {
                0.0
            },
            cache: CacheStats { hits, misses },
            best: progress.best,
            best_exact: run.exact(None)?,
            best_layers: run.choices(None),
            front,
            out,
            evaluation,
        })
    }

    /// `epim search --table`: the evaluated designs (with the dense reference)
    /// when there are any, else the front; the simulator's exact numbers.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let info = &self.info;
        let _ = writeln!(
            s,
            "{}: {} searched layers, B = {} bits, {} evaluations in {:.2} s, front {} points, stop {}",
            info.network,
            info.layers,
            info.bits,
            self.evaluations,
            self.seconds,
            self.front.len(),
            self.stop.map_or("?", StopReason::name),
        );
        match &self.evaluation {
            Some(e) => {
                let _ = writeln!(s, "{}", e.note);
                table_header(&mut s, true);
                let r = &e.reference;
                table_row(&mut s, &r.method, Some(&r.exact), None, Some(&r.measured));
                for d in &e.designs {
                    let name = format!("#{} (id {})", d.rank, d.id);
                    table_row(
                        &mut s,
                        &name,
                        d.exact.as_ref(),
                        Some(&d.point),
                        Some(&d.measured),
                    );
                }
            }
            None => {
                table_header(&mut s, false);
                for p in &self.front {
                    let name = format!("id {}", p.point.id);
                    table_row(&mut s, &name, p.exact.as_ref(), Some(&p.point), None);
                }
            }
        }
        if let Some(path) = &self.out {
            let _ = writeln!(s, "best design written to {path}");
        }
        s.trim_end().to_string()
    }
}

fn table_header(s: &mut String, accuracy: bool) {
    let _ = writeln!(
        s,
        "{:<16} {:>9} {:>10} {:>11} {:>10} {:>7} {:>8}{}",
        "design",
        "crossbars",
        "area mm2",
        "latency us",
        "energy uJ",
        "proxy",
        "epitome",
        if accuracy {
            "  accuracy %  train s"
        } else {
            ""
        }
    );
}

fn table_row(
    s: &mut String,
    name: &str,
    exact: Option<&ExactCosts>,
    point: Option<&FrontPoint>,
    measured: Option<&Measured>,
) {
    let field = |f: fn(&ExactCosts) -> f64| exact.map_or(f64::NAN, f);
    let _ = write!(
        s,
        "{:<16} {:>9} {:>10.3} {:>11.3} {:>10.3} {:>7} {:>8}",
        name,
        exact.map_or("-".to_string(), |e| e.crossbars.to_string()),
        field(|e| e.area_um2) / 1e6,
        field(|e| e.latency_ns) / 1e3,
        field(|e| e.energy_pj) / 1e6,
        point.map_or("-".to_string(), |p| format!("{:.3}", p.quality_proxy)),
        point.map_or("-".to_string(), |p| p.epitome_layers.to_string()),
    );
    if let Some(m) = measured {
        let _ = write!(
            s,
            "  {:>10.2}  {:>7.1}",
            100.0 * m.accuracy_0_to_1,
            m.seconds
        );
    }
    s.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_reason_names_are_their_serialised_names() {
        use StopReason::*;
        for r in [Generations, Budget, Stagnation, Exhausted, Cancelled] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.name());
        }
    }
}
