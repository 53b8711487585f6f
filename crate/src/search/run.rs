//! A search on the simulator in one object: the [`Search`] and its [`Evaluator`],
//! stepped a few generations at a time (the CLI's loop and the browser's
//! `SearchSession` are thin shells over this).

use serde::Serialize;

use super::evaluate::{Evaluator, ExactCosts, Fidelity, SearchRequest, OBJECTIVES};
use super::{InfeasibleClass, LayerChoice, Search, SearchState, Solution, StopReason};
use crate::compare::EpitomeDesign;
use crate::rng::Rng;
use crate::{Error, Result};

/// One point of the front, with named objectives.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
pub struct FrontPoint {
    /// Candidate id.
    pub id: u64,
    /// Generation it was found in.
    pub generation: usize,
    /// Chip area, µm² (cached or exact, per the fidelity).
    pub area_um2: f64,
    /// Latency, ns (cached: sequential; exact: pipelined).
    pub latency_ns: f64,
    /// Energy, pJ.
    pub energy_pj: f64,
    /// The compression-quality proxy (lower is better).
    pub quality_proxy: f64,
    /// Physical crossbars (exact).
    pub crossbars: u64,
    /// Scaled score (lower is better).
    pub score: f64,
    /// Searched layers that are epitomes.
    pub epitome_layers: usize,
}

/// What a step reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(hashmap_as_object, missing_as_null))]
pub struct RunProgress {
    /// Completed generations.
    pub generation: usize,
    /// Candidates evaluated.
    pub evaluations: usize,
    /// `asking`, `waiting` or `done`.
    pub state: &'static str,
    /// Why it stopped, when done.
    pub stop: Option<StopReason>,
    /// Infeasible candidates per class.
    pub infeasible: std::collections::BTreeMap<InfeasibleClass, u64>,
    /// Infeasible candidates in all classes.
    pub infeasible_total: u64,
    /// The class with the most infeasible candidates (ties: the first in
    /// `InfeasibleClass` order); `None` when none was infeasible.
    pub main_infeasible: Option<InfeasibleClass>,
    /// The lowest-score design so far.
    pub best: Option<FrontPoint>,
    /// The front, sorted by area.
    pub front: Vec<FrontPoint>,
}

impl RunProgress {
    /// The front's chart data ([`crate::plot::front`]): every front design, the best by
    /// score highlighted (added when it is not on the front).
    pub fn front_chart(&self, title: &str) -> crate::plot::front::FrontChart {
        use crate::plot::front::{FrontChart, FrontChartPoint};
        let point = |p: &FrontPoint| FrontChartPoint {
            area_um2: p.area_um2,
            latency_ns: p.latency_ns,
        };
        let mut points: Vec<FrontChartPoint> = self.front.iter().map(point).collect();
        let best = self.best.as_ref().map(|b| {
            self.front
                .iter()
                .position(|p| p.id == b.id)
                .unwrap_or_else(|| {
                    points.push(point(b));
                    points.len() - 1
                })
        });
        FrontChart {
            title: title.to_string(),
            points,
            best,
        }
    }
}

/// The class with the most candidates; ties go to the first in key order.
fn main_class(
    counts: &std::collections::BTreeMap<InfeasibleClass, u64>,
) -> Option<InfeasibleClass> {
    let mut main: Option<(InfeasibleClass, u64)> = None;
    for (&class, &n) in counts {
        if n > 0 && main.is_none_or(|(_, m)| n > m) {
            main = Some((class, n));
        }
    }
    main.map(|(class, _)| class)
}

/// `x` rounded up to 4 decimals, so that shown with 4 decimals it is never below `x`.
fn round_up_4(x: f64) -> f64 {
    (x * 1e4).ceil() / 1e4
}

/// Fixed facts of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[cfg_attr(target_arch = "wasm32", tsify(missing_as_null))]
pub struct RunInfo {
    /// Network name.
    pub network: String,
    /// Objective names.
    pub objectives: [&'static str; 4],
    /// The method bits B.
    pub bits: u32,
    /// Crossbar budget in force.
    pub budget_crossbars: Option<u64>,
    /// Crossbars of the dense 32-bit network.
    pub dense32_crossbars: u64,
    /// Crossbars of the smallest design in the space (every searched layer at the
    /// gene with the fewest crossbars): no design needs fewer.
    pub min_crossbars: u64,
    /// `min_crossbars / dense32_crossbars`: the smallest budget fraction any design meets.
    pub min_fraction_of_dense32: f64,
    /// `min_fraction_of_dense32` rounded up to 4 decimals: a budget fraction to
    /// suggest, shown with 4 decimals, that still reaches the smallest design.
    pub suggested_budget_fraction: f64,
    /// False when the budget is below `min_crossbars` (no design can meet it; the
    /// search is not worth running).
    pub budget_reachable: bool,
    /// Exact costs of the dense B-bit network.
    pub dense: ExactCosts,
    /// Searched layers.
    pub layers: usize,
    /// log10 of the number of designs.
    pub log10_designs: f64,
    /// Cached or exact.
    pub fidelity: Fidelity,
}

/// A search and its evaluator.
#[derive(Debug, Clone)]
pub struct SearchRun {
    search: Search,
    evaluator: Evaluator,
    min_crossbars: u64,
}

/// Mixed into the seed for the stream the first generation's seeds are drawn from.
const SEED_STREAM: u64 = 0x5EED_F1A5_7000_0001;

impl SearchRun {
    /// Builds the evaluator and the search (score scales default to the dense network's).
    ///
    /// Under a crossbar budget the first generation is seeded
    /// ([`Evaluator::seeds`]): the smallest design and random designs repaired toward
    /// the budget, so a reachable budget is met from the first generation on. The
    /// seeds come from their own RNG stream (derived from the seed), so the search's
    /// own draws do not depend on them.
    pub fn new(req: &SearchRequest) -> Result<Self> {
        let mut evaluator = Evaluator::new(req)?;
        let mut cfg = req.search.clone();
        cfg.validate()?;
        if cfg.scales.is_none() {
            cfg.scales = Some(evaluator.scales()?);
        }
        let (_, min_crossbars) = evaluator.smallest()?;
        let mut rng = Rng::new(cfg.seed ^ SEED_STREAM);
        let seeds = evaluator.seeds(cfg.population, &mut rng)?;
        let search = Search::seeded(evaluator.space().clone(), cfg, seeds)?;
        Ok(SearchRun {
            search,
            evaluator,
            min_crossbars,
        })
    }

    /// An error naming the budget and the smallest reachable crossbar count when no
    /// design of the space can meet the budget (`None` when one can, or without a
    /// budget). `field` names the setting the reader gave (a CLI flag or a JSON field).
    pub fn unreachable(&self, field: &str) -> Option<Error> {
        let budget = self.evaluator.budget_crossbars()?;
        if budget >= self.min_crossbars {
            return None;
        }
        let info = self.info();
        Some(Error::invalid(
            field,
            format!(
                "no design can meet a budget of {budget} crossbars: the smallest this search \
                 can build needs {} (each layer at its smallest epitome and fewest bits; \
                 {:.4} of dense 32-bit's {}); raise the budget to at least {} crossbars",
                self.min_crossbars,
                info.min_fraction_of_dense32,
                info.dense32_crossbars,
                self.min_crossbars
            ),
        ))
    }

    /// The search.
    pub fn search(&self) -> &Search {
        &self.search
    }

    /// The evaluator.
    pub fn evaluator(&self) -> &Evaluator {
        &self.evaluator
    }

    /// Mutable evaluator (exact re-evaluation, cache statistics).
    pub fn evaluator_mut(&mut self) -> &mut Evaluator {
        &mut self.evaluator
    }

    /// Runs up to `generations` more generations.
    pub fn step(&mut self, generations: usize) -> Result<()> {
        let ev = &mut self.evaluator;
        self.search.step(generations, |g| ev.evaluate(g))
    }

    /// Stops the search.
    pub fn cancel(&mut self) {
        self.search.cancel();
    }

    /// True when finished.
    pub fn is_done(&self) -> bool {
        self.search.is_done()
    }

    /// Fixed facts of the run.
    pub fn info(&self) -> RunInfo {
        let ev = &self.evaluator;
        let min_fraction = self.min_crossbars as f64 / ev.dense32_crossbars().max(1) as f64;
        RunInfo {
            network: ev.network().name.clone(),
            objectives: OBJECTIVES,
            bits: ev.bits(),
            budget_crossbars: ev.budget_crossbars(),
            dense32_crossbars: ev.dense32_crossbars(),
            min_crossbars: self.min_crossbars,
            min_fraction_of_dense32: min_fraction,
            suggested_budget_fraction: round_up_4(min_fraction),
            budget_reachable: ev
                .budget_crossbars()
                .is_none_or(|b| b >= self.min_crossbars),
            dense: ev.dense(),
            layers: ev.space().layers.len(),
            log10_designs: ev.space().log10_size(),
            fidelity: ev.fidelity(),
        }
    }

    /// A front point of a solution (crossbars from the cache).
    pub fn point(&mut self, s: &Solution) -> Result<FrontPoint> {
        let crossbars = self.evaluator.crossbars(&s.genome)?;
        let epitome_layers = s.genome.0.iter().filter(|g| g.epitome).count();
        let o = |i: usize| s.objectives.get(i).copied().unwrap_or(0.0);
        Ok(FrontPoint {
            id: s.id,
            generation: s.generation,
            area_um2: o(0),
            latency_ns: o(1),
            energy_pj: o(2),
            quality_proxy: o(3),
            crossbars,
            score: s.score,
            epitome_layers,
        })
    }

    /// The front as points.
    pub fn front(&mut self) -> Result<Vec<FrontPoint>> {
        let front = self.search.front();
        front.iter().map(|s| self.point(s)).collect()
    }

    /// Progress with the front.
    pub fn progress(&mut self) -> Result<RunProgress> {
        let best = match self.search.best().cloned() {
            Some(b) => Some(self.point(&b)?),
            None => None,
        };
        let (state, stop) = match self.search.state() {
            SearchState::Asking => ("asking", None),
            SearchState::Waiting => ("waiting", None),
            SearchState::Done(r) => ("done", Some(r)),
        };
        Ok(RunProgress {
            generation: self.search.generation(),
            evaluations: self.search.evaluations(),
            state,
            stop,
            infeasible: self.search.infeasible_counts().clone(),
            infeasible_total: self.search.infeasible_counts().values().sum(),
            main_infeasible: main_class(self.search.infeasible_counts()),
            best,
            front: self.front()?,
        })
    }

    fn solution(&self, id: Option<u64>) -> Option<Solution> {
        match id {
            None => self.search.best().cloned(),
            Some(id) => self.search.front().into_iter().find(|s| s.id == id),
        }
    }

    /// The design file of the best design (`id` None) or of front point `id`;
    /// `None` when there is no such feasible design.
    pub fn design(&self, id: Option<u64>) -> Result<Option<EpitomeDesign>> {
        match self.solution(id) {
            Some(s) => Ok(Some(self.evaluator.design(&s.genome)?)),
            None => Ok(None),
        }
    }

    /// The per-layer choices of the best design or of front point `id`.
    pub fn choices(&self, id: Option<u64>) -> Option<Vec<(String, LayerChoice)>> {
        let s = self.solution(id)?;
        let space = self.evaluator.space();
        Some(
            space
                .decode(&s.genome)
                .into_iter()
                .zip(&space.layers)
                .map(|(c, m)| (m.name.clone(), c))
                .collect(),
        )
    }

    /// Exact simulator totals of the best design or of front point `id`.
    pub fn exact(&self, id: Option<u64>) -> Result<Option<ExactCosts>> {
        match self.solution(id) {
            Some(s) => Ok(Some(self.evaluator.exact(&s.genome)?.0)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(id: u64, area_um2: f64, latency_ns: f64) -> FrontPoint {
        FrontPoint {
            id,
            generation: 0,
            area_um2,
            latency_ns,
            energy_pj: 1.0,
            quality_proxy: 0.0,
            crossbars: 1,
            score: 0.0,
            epitome_layers: 0,
        }
    }

    #[test]
    fn front_chart_marks_the_best_by_id_and_adds_it_when_off_the_front() {
        let mut p = RunProgress {
            generation: 1,
            evaluations: 3,
            state: "asking",
            stop: None,
            infeasible: Default::default(),
            infeasible_total: 0,
            main_infeasible: None,
            best: Some(point(7, 2.0, 5.0)),
            front: vec![point(3, 1.0, 9.0), point(7, 2.0, 5.0), point(9, 4.0, 1.0)],
        };
        let c = p.front_chart("t");
        assert_eq!(c.best, Some(1));
        assert_eq!(c.points.len(), 3);
        assert_eq!((c.points[2].area_um2, c.points[2].latency_ns), (4.0, 1.0));
        p.best = Some(point(11, 3.0, 3.0));
        let c = p.front_chart("t");
        assert_eq!((c.best, c.points.len()), (Some(3), 4));
        p.best = None;
        assert_eq!(p.front_chart("t").best, None);
    }

    #[test]
    fn main_class_is_the_largest_count_ties_to_the_first() {
        use std::collections::BTreeMap;
        use InfeasibleClass::*;
        assert_eq!(main_class(&BTreeMap::new()), None);
        let m = BTreeMap::from([(CrossbarBudget, 2), (LatencyCap, 5), (Mapping, 5)]);
        assert_eq!(main_class(&m), Some(LatencyCap));
        let m = BTreeMap::from([(CrossbarBudget, 0), (ChipCapacity, 1)]);
        assert_eq!(main_class(&m), Some(ChipCapacity));
        assert_eq!(main_class(&BTreeMap::from([(Mapping, 0)])), None);
    }

    #[test]
    fn suggested_fraction_is_4_decimals_and_not_below_the_minimum() {
        for (x, want) in [
            (0.0, 0.0),
            (0.1234, 0.1234),
            (0.12341, 0.1235),
            (0.99999, 1.0),
            (0.5, 0.5),
        ] {
            assert_eq!(round_up_4(x), want, "{x}");
        }
        // Any fraction: shown with 4 decimals (as the page does), the value read back
        // reaches it and is less than 1e-4 above it.
        for k in 1..2000u64 {
            let x = k as f64 / 1999.0 * 0.37;
            let shown: f64 = format!("{:.4}", round_up_4(x)).parse().unwrap();
            assert!(shown >= x && shown < x + 1e-4 + 1e-12, "{x} -> {shown}");
        }
    }
}
