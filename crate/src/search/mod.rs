//! A seeded, deterministic ask/tell evolutionary search over layer-wise designs
//! (dense or epitome shape, replication, weight bits per layer).
//!
//! The caller drives it (ask/tell, in the style of Timeloop's search interface):
//! [`Search::ask`] hands out a [`Candidate`], the caller evaluates its genome and
//! reports an [`Outcome`] with [`Search::tell`]. An infeasible candidate is a result
//! ([`Outcome::Infeasible`], counted per [`InfeasibleClass`]), not an error: a search
//! is expected to meet infeasible designs. When every candidate of a generation has
//! been told, the search selects survivors, checks its termination counters and
//! breeds the next generation. [`Search::step`] runs whole generations with a
//! closure, which is how the CLI and the browser's `SearchSession` step it
//! incrementally.
//!
//! - **Selection**: tournament over the population sorted best first.
//! - **Variation**: uniform crossover per layer, per-gene mutation that flips
//!   dense/epitome or steps one axis to a neighbouring menu entry.
//! - **Visited set**: no genome is handed out twice; a child that repeats one is
//!   mutated again (up to `max_retries`), then replaced by a random genome.
//! - **Survivors** (elitist, μ+λ): parents and children are ranked together and the
//!   best `population` survive. Ranking: feasible before infeasible; feasible by
//!   non-domination rank then crowding distance (Pareto mode, NSGA-II) or by the
//!   weighted score (scalarised mode); infeasible by their `excess`; ties by id.
//! - **Archive**: every feasible non-dominated point seen so far (the front).
//! - **Termination**: generations, evaluation budget, stagnation (generations
//!   without a change of the front, or of the best score in scalarised mode),
//!   exhaustion (no unvisited child could be bred), or [`Search::cancel`].
//!
//! All randomness comes from one [`Rng`] seeded by [`SearchConfig::seed`] and
//! every collection that is iterated is ordered, so the same seed and the same
//! outcomes give the same front natively and in wasm.

use std::collections::{BTreeMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use crate::rng::Rng;
use crate::{Error, Result};

pub mod evaluate;
pub mod evolve;
pub mod genome;
pub mod pareto;
// Reads the dataset files: native only, like `data::files`.
#[cfg(all(feature = "train", not(target_arch = "wasm32")))]
pub mod retrain;
pub mod run;
pub mod summary;

pub use evaluate::{Evaluator, ExactCosts, Fidelity, SearchRequest, OBJECTIVES};
pub use genome::{Gene, Genome, LayerChoice, LayerMenu, SearchSpace, SpaceConfig};
pub use run::{FrontPoint, RunInfo, RunProgress, SearchRun};
pub use summary::{Measured, SearchSummary};

/// Why a candidate is infeasible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum InfeasibleClass {
    /// Needs more crossbars than the budget.
    CrossbarBudget,
    /// Slower than the latency cap.
    LatencyCap,
    /// Needs more tiles than the chip has.
    ChipCapacity,
    /// The simulator could not map the design.
    Mapping,
}

impl InfeasibleClass {
    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            InfeasibleClass::CrossbarBudget => "crossbar_budget",
            InfeasibleClass::LatencyCap => "latency_cap",
            InfeasibleClass::ChipCapacity => "chip_capacity",
            InfeasibleClass::Mapping => "mapping",
        }
    }
}

/// What the caller reports for a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Objective values, all minimised, finite, the same count for every candidate.
    Evaluated {
        /// The objectives.
        objectives: Vec<f64>,
    },
    /// The candidate violates a constraint.
    Infeasible {
        /// The constraint class (counted per class).
        class: InfeasibleClass,
        /// A sentence for a person.
        reason: String,
        /// How far it is from feasible, >= 0 (e.g. crossbars / budget - 1); ranks
        /// infeasible candidates against each other so the search can walk back into
        /// the feasible region (Deb's constraint-domination). Not in the issue's
        /// two-field sketch; 0 when unknown.
        excess: f64,
    },
}

/// A genome handed out by [`Search::ask`], to be evaluated and told back by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// Unique, increasing from 0 in ask order.
    pub id: u64,
    /// The design to evaluate.
    pub genome: Genome,
}

/// A feasible, evaluated design.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// The candidate id.
    pub id: u64,
    /// Generation (1-based) in which it was evaluated.
    pub generation: usize,
    /// The design.
    pub genome: Genome,
    /// Its objectives.
    pub objectives: Vec<f64>,
    /// Weighted, scaled sum of the objectives (lower is better).
    pub score: f64,
}

/// Pareto (multi-objective) or scalarised (weighted sum) selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Mode {
    /// Non-dominated sorting and crowding distance (NSGA-II).
    Pareto,
    /// Minimise `sum_i weights[i] * objectives[i] / scales[i]`.
    Scalarised {
        /// One weight per objective, finite and >= 0.
        weights: Vec<f64>,
    },
}

/// Search parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Seed of the one RNG.
    pub seed: u64,
    /// Candidates per generation and survivors kept (>= 2).
    pub population: usize,
    /// Stop after this many generations (>= 1; the initial population is generation 1).
    pub generations: usize,
    /// Stop after this many evaluations (tells).
    pub max_evaluations: Option<usize>,
    /// Stop after this many consecutive generations without improvement.
    pub stagnation_generations: Option<usize>,
    /// Tournament size (>= 1).
    pub tournament: usize,
    /// Probability that a child is a crossover of two parents (else a copy of one).
    pub crossover_rate: f64,
    /// Per-gene mutation probability (default 1 / number of layers).
    pub mutation_rate: Option<f64>,
    /// Re-mutations of a child that repeats a visited genome before a random one is tried.
    pub max_retries: usize,
    /// Pareto or scalarised.
    pub mode: Mode,
    /// Objective scales for the score (default: the first feasible objectives).
    pub scales: Option<Vec<f64>>,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            seed: 0,
            population: 50,
            generations: 50,
            max_evaluations: None,
            stagnation_generations: None,
            tournament: 2,
            crossover_rate: 0.9,
            mutation_rate: None,
            max_retries: 20,
            mode: Mode::Pareto,
            scales: None,
        }
    }
}

fn finite_nonneg(field: &str, v: &[f64]) -> Result<()> {
    if let Some(x) = v.iter().find(|x| !x.is_finite() || **x < 0.0) {
        return Err(Error::invalid(
            field,
            format!("values must be finite and >= 0, got {x}"),
        ));
    }
    Ok(())
}

impl SearchConfig {
    /// Checks every bound, naming the field.
    pub fn validate(&self) -> Result<()> {
        if !(2..=100_000).contains(&self.population) {
            return Err(Error::invalid(
                "population",
                format!("must be in 2..=100000, got {}", self.population),
            ));
        }
        if !(1..=1_000_000).contains(&self.generations) {
            return Err(Error::invalid(
                "generations",
                format!("must be in 1..=1000000, got {}", self.generations),
            ));
        }
        if self.max_evaluations == Some(0) {
            return Err(Error::invalid("max_evaluations", "must be >= 1, got 0"));
        }
        if self.stagnation_generations == Some(0) {
            return Err(Error::invalid(
                "stagnation_generations",
                "must be >= 1, got 0",
            ));
        }
        if self.tournament == 0 || self.tournament > self.population {
            return Err(Error::invalid(
                "tournament",
                format!(
                    "must be in 1..=population ({}), got {}",
                    self.population, self.tournament
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.crossover_rate) {
            return Err(Error::invalid(
                "crossover_rate",
                format!("must be in 0..=1, got {}", self.crossover_rate),
            ));
        }
        if let Some(m) = self.mutation_rate {
            if !(0.0..=1.0).contains(&m) {
                return Err(Error::invalid(
                    "mutation_rate",
                    format!("must be in 0..=1, got {m}"),
                ));
            }
        }
        if self.max_retries > 10_000 {
            return Err(Error::invalid(
                "max_retries",
                format!("must be <= 10000, got {}", self.max_retries),
            ));
        }
        if let Mode::Scalarised { weights } = &self.mode {
            if weights.is_empty() {
                return Err(Error::invalid("mode.weights", "must not be empty"));
            }
            finite_nonneg("mode.weights", weights)?;
        }
        if let Some(s) = &self.scales {
            if let Some(x) = s.iter().find(|x| !x.is_finite() || **x <= 0.0) {
                return Err(Error::invalid(
                    "scales",
                    format!("values must be finite and > 0, got {x}"),
                ));
            }
        }
        Ok(())
    }
}

/// Why a search stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `generations` generations completed.
    Generations,
    /// `max_evaluations` candidates evaluated.
    Budget,
    /// `stagnation_generations` generations without improvement.
    Stagnation,
    /// No unvisited child could be bred (the space is used up).
    Exhausted,
    /// [`Search::cancel`] was called.
    Cancelled,
}

impl StopReason {
    /// The snake_case name (as serialised).
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Generations => "generations",
            StopReason::Budget => "budget",
            StopReason::Stagnation => "stagnation",
            StopReason::Exhausted => "exhausted",
            StopReason::Cancelled => "cancelled",
        }
    }
}

/// Where the search is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "stop", rename_all = "snake_case")]
pub enum SearchState {
    /// [`Search::ask`] has candidates to hand out.
    Asking,
    /// Every candidate of the generation is out; waiting for [`Search::tell`].
    Waiting,
    /// Finished; `ask` returns `None`.
    Done(StopReason),
}

/// A summary for progress displays.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Completed generations.
    pub generation: usize,
    /// Candidates told.
    pub evaluations: usize,
    /// Of which infeasible, per class.
    pub infeasible: BTreeMap<InfeasibleClass, u64>,
    /// Distinct genomes handed out or queued.
    pub visited: usize,
    /// Points on the front.
    pub front_size: usize,
    /// Consecutive generations without improvement.
    pub stagnant_generations: usize,
    /// Lowest score seen.
    pub best: Option<Solution>,
    /// The state.
    pub state: SearchState,
}

#[derive(Debug, Clone)]
enum Fit {
    Feasible(Vec<f64>),
    Infeasible(f64),
}

#[derive(Debug, Clone)]
struct Member {
    id: u64,
    genome: Genome,
    fit: Fit,
}

/// The search: configuration, space, RNG, population, archive and counters.
#[derive(Debug, Clone)]
pub struct Search {
    cfg: SearchConfig,
    space: SearchSpace,
    rng: Rng,
    population: Vec<Member>,
    offspring: Vec<Member>,
    queue: VecDeque<Candidate>,
    outstanding: BTreeMap<u64, (usize, Genome)>,
    visited: HashSet<Genome>,
    next_id: u64,
    generation: usize,
    evaluations: usize,
    infeasible: BTreeMap<InfeasibleClass, u64>,
    archive: Vec<Solution>,
    best: Option<Solution>,
    n_objectives: Option<usize>,
    scales: Option<Vec<f64>>,
    stagnant: usize,
    improved: bool,
    state: SearchState,
}

impl Search {
    /// A search over `space`, with its first generation (random genomes) queued.
    pub fn new(space: SearchSpace, cfg: SearchConfig) -> Result<Self> {
        Self::seeded(space, cfg, Vec::new())
    }

    /// A search whose first generation starts with `seeds` (in order, repeats
    /// dropped, at most `population` of them) and is filled up with random genomes.
    /// The caller picks seeds it knows are good starts, e.g. designs repaired to meet
    /// a crossbar budget ([`SearchRun`]). A seed outside the space is an error naming
    /// `seeds[i]`.
    pub fn seeded(space: SearchSpace, cfg: SearchConfig, seeds: Vec<Genome>) -> Result<Self> {
        cfg.validate()?;
        for (i, g) in seeds.iter().enumerate() {
            space
                .check(g)
                .map_err(|e| Error::invalid(format!("seeds[{i}]"), e.to_string()))?;
        }
        if space.layers.is_empty() {
            return Err(Error::invalid("space", "has no layers"));
        }
        let mut s = Search {
            rng: Rng::new(cfg.seed),
            scales: cfg.scales.clone(),
            cfg,
            space,
            population: Vec::new(),
            offspring: Vec::new(),
            queue: VecDeque::new(),
            outstanding: BTreeMap::new(),
            visited: HashSet::new(),
            next_id: 0,
            generation: 0,
            evaluations: 0,
            infeasible: BTreeMap::new(),
            archive: Vec::new(),
            best: None,
            n_objectives: None,
            stagnant: 0,
            improved: false,
            state: SearchState::Asking,
        };
        let mut seeded = 0;
        for g in seeds {
            if seeded >= s.cfg.population {
                break;
            }
            if s.enqueue(g) {
                seeded += 1;
            }
        }
        for _ in seeded..s.cfg.population {
            let mut placed = false;
            for _ in 0..=s.cfg.max_retries {
                let g = s.space.random_genome(&mut s.rng);
                if s.enqueue(g) {
                    placed = true;
                    break;
                }
            }
            if !placed {
                break;
            }
        }
        Ok(s)
    }

    /// The search space.
    pub fn space(&self) -> &SearchSpace {
        &self.space
    }

    /// The configuration.
    pub fn config(&self) -> &SearchConfig {
        &self.cfg
    }

    /// The state.
    pub fn state(&self) -> SearchState {
        self.state
    }

    /// True when finished.
    pub fn is_done(&self) -> bool {
        matches!(self.state, SearchState::Done(_))
    }

    /// Completed generations.
    pub fn generation(&self) -> usize {
        self.generation
    }

    /// Candidates told so far.
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// Infeasible tells per class.
    pub fn infeasible_counts(&self) -> &BTreeMap<InfeasibleClass, u64> {
        &self.infeasible
    }

    fn enqueue(&mut self, genome: Genome) -> bool {
        if self.visited.contains(&genome) {
            return false;
        }
        self.visited.insert(genome.clone());
        let id = self.next_id;
        self.next_id += 1;
        self.queue.push_back(Candidate { id, genome });
        true
    }

    fn budget_left(&self) -> usize {
        match self.cfg.max_evaluations {
            Some(m) => m.saturating_sub(self.evaluations + self.outstanding.len()),
            None => usize::MAX,
        }
    }

    /// The next candidate, or `None` when the generation's candidates are all out
    /// (tell them first), the budget is spent, or the search is done.
    pub fn ask(&mut self) -> Option<Candidate> {
        if self.is_done() {
            return None;
        }
        if self.budget_left() == 0 {
            if !self.outstanding.is_empty() {
                self.state = SearchState::Waiting;
            }
            return None;
        }
        match self.queue.pop_front() {
            Some(c) => {
                self.outstanding
                    .insert(c.id, (self.generation + 1, c.genome.clone()));
                if self.queue.is_empty() {
                    self.state = SearchState::Waiting;
                }
                Some(c)
            }
            None => None,
        }
    }

    fn score(&self, objectives: &[f64]) -> f64 {
        let weights: &[f64] = match &self.cfg.mode {
            Mode::Scalarised { weights } => weights,
            Mode::Pareto => &[],
        };
        objectives
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let w = if weights.is_empty() {
                    1.0
                } else {
                    weights.get(i).copied().unwrap_or(0.0)
                };
                let s = self
                    .scales
                    .as_ref()
                    .and_then(|s| s.get(i).copied())
                    .unwrap_or(1.0);
                w * o / s
            })
            .sum()
    }

    /// Reports the outcome of candidate `id`. Errors (not infeasibility) are for
    /// misuse: an id that is not outstanding, non-finite or negative numbers, or an
    /// objective count that differs from the first candidate's or the weights'.
    pub fn tell(&mut self, id: u64, outcome: Outcome) -> Result<()> {
        let Some((generation, _)) = self.outstanding.get(&id) else {
            return Err(Error::invalid(
                "tell.id",
                format!("candidate {id} is not outstanding (never asked, or already told)"),
            ));
        };
        let generation = *generation;
        let fit = match outcome {
            Outcome::Evaluated { objectives } => {
                if let Some(i) = objectives.iter().position(|x| !x.is_finite()) {
                    return Err(Error::NonFinite {
                        what: "objectives".into(),
                        index: i,
                        value: objectives[i],
                    });
                }
                let expected = match (&self.cfg.mode, self.n_objectives) {
                    (_, Some(n)) => Some(n),
                    (Mode::Scalarised { weights }, None) => Some(weights.len()),
                    (Mode::Pareto, None) => self.scales.as_ref().map(Vec::len),
                };
                if objectives.is_empty() || expected.is_some_and(|n| n != objectives.len()) {
                    return Err(Error::shape(
                        "objectives",
                        expected
                            .map_or("at least one value".to_string(), |n| format!("{n} values")),
                        objectives.len(),
                    ));
                }
                self.n_objectives = Some(objectives.len());
                if self.scales.is_none() {
                    self.scales = Some(
                        objectives
                            .iter()
                            .map(|o| if o.abs() > 0.0 { o.abs() } else { 1.0 })
                            .collect(),
                    );
                }
                Fit::Feasible(objectives)
            }
            Outcome::Infeasible { class, excess, .. } => {
                if !excess.is_finite() || excess < 0.0 {
                    return Err(Error::invalid(
                        "outcome.excess",
                        format!("must be finite and >= 0, got {excess}"),
                    ));
                }
                *self.infeasible.entry(class).or_insert(0) += 1;
                Fit::Infeasible(excess)
            }
        };
        let Some((_, genome)) = self.outstanding.remove(&id) else {
            return Ok(());
        };
        self.evaluations += 1;
        if let Fit::Feasible(obj) = &fit {
            let sol = Solution {
                id,
                generation,
                genome: genome.clone(),
                objectives: obj.clone(),
                score: self.score(obj),
            };
            if self.best.as_ref().is_none_or(|b| sol.score < b.score) {
                self.best = Some(sol.clone());
                if matches!(self.cfg.mode, Mode::Scalarised { .. }) {
                    self.improved = true;
                }
            }
            if self.archive_insert(sol) && self.cfg.mode == Mode::Pareto {
                self.improved = true;
            }
        }
        self.offspring.push(Member { id, genome, fit });
        if self.is_done() {
            return Ok(());
        }
        let budget_spent = self.budget_left() == 0;
        if self.outstanding.is_empty() && (self.queue.is_empty() || budget_spent) {
            self.end_generation();
        }
        Ok(())
    }

    /// Adds a feasible point to the archive unless it is dominated or repeats an
    /// archived objective vector; drops the points it dominates. True if added.
    fn archive_insert(&mut self, sol: Solution) -> bool {
        let dominated = self.archive.iter().any(|a| {
            pareto::dominates(&a.objectives, &sol.objectives) || a.objectives == sol.objectives
        });
        if dominated {
            return false;
        }
        self.archive
            .retain(|a| !pareto::dominates(&sol.objectives, &a.objectives));
        self.archive.push(sol);
        true
    }

    /// Sorts `members` best first (see the module docs for the order).
    fn rank(&self, members: &mut Vec<Member>) {
        let feasible: Vec<usize> = (0..members.len())
            .filter(|&i| matches!(members[i].fit, Fit::Feasible(_)))
            .collect();
        let points: Vec<Vec<f64>> = feasible
            .iter()
            .map(|&i| match &members[i].fit {
                Fit::Feasible(o) => o.clone(),
                Fit::Infeasible(_) => Vec::new(),
            })
            .collect();
        // key: (infeasible?, rank, primary, id)
        let mut keys: Vec<(u8, usize, f64, u64)> = members
            .iter()
            .map(|m| match m.fit {
                Fit::Infeasible(e) => (1, 0, e, m.id),
                Fit::Feasible(_) => (0, 0, 0.0, m.id),
            })
            .collect();
        match &self.cfg.mode {
            Mode::Scalarised { .. } => {
                for (k, &i) in feasible.iter().enumerate() {
                    keys[i].2 = self.score(&points[k]);
                }
            }
            Mode::Pareto => {
                let ranks = pareto::ranks(&points);
                let max_rank = ranks.iter().copied().max().unwrap_or(0);
                for r in 0..=max_rank {
                    let group: Vec<usize> = (0..points.len()).filter(|&k| ranks[k] == r).collect();
                    let crowd = pareto::crowding(&points, &group);
                    for (j, &k) in group.iter().enumerate() {
                        keys[feasible[k]].1 = r;
                        keys[feasible[k]].2 = -crowd[j];
                    }
                }
            }
        }
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by(|&a, &b| {
            let (ka, kb) = (keys[a], keys[b]);
            ka.0.cmp(&kb.0)
                .then(ka.1.cmp(&kb.1))
                .then(ka.2.total_cmp(&kb.2))
                .then(ka.3.cmp(&kb.3))
        });
        let mut taken: Vec<Option<Member>> = members.drain(..).map(Some).collect();
        members.extend(order.into_iter().filter_map(|i| taken[i].take()));
    }

    fn end_generation(&mut self) {
        let mut all = std::mem::take(&mut self.population);
        all.append(&mut self.offspring);
        self.rank(&mut all);
        all.truncate(self.cfg.population);
        self.population = all;
        self.generation += 1;
        if self.improved {
            self.stagnant = 0;
        } else {
            self.stagnant += 1;
        }
        self.improved = false;
        let stop = if self
            .cfg
            .max_evaluations
            .is_some_and(|m| self.evaluations >= m)
        {
            Some(StopReason::Budget)
        } else if self.generation >= self.cfg.generations {
            Some(StopReason::Generations)
        } else if self
            .cfg
            .stagnation_generations
            .is_some_and(|s| self.stagnant >= s)
        {
            Some(StopReason::Stagnation)
        } else {
            None
        };
        if let Some(r) = stop {
            self.queue.clear();
            self.state = SearchState::Done(r);
            return;
        }
        self.breed();
        self.state = if self.queue.is_empty() {
            SearchState::Done(StopReason::Exhausted)
        } else {
            SearchState::Asking
        };
    }

    fn breed(&mut self) {
        let n = self.population.len();
        if n == 0 {
            // Nothing survived (cannot happen after a told generation); restart randomly.
            for _ in 0..self.cfg.population {
                let g = self.space.random_genome(&mut self.rng);
                self.enqueue(g);
            }
            return;
        }
        let rate = self
            .cfg
            .mutation_rate
            .unwrap_or(1.0 / self.space.layers.len() as f64);
        for _ in 0..self.cfg.population {
            let a = evolve::tournament(n, self.cfg.tournament, &mut self.rng);
            let b = evolve::tournament(n, self.cfg.tournament, &mut self.rng);
            let mut child = if self.rng.chance(self.cfg.crossover_rate) {
                evolve::crossover(
                    &self.population[a].genome,
                    &self.population[b].genome,
                    &mut self.rng,
                )
            } else {
                self.population[a].genome.clone()
            };
            evolve::mutate(&self.space, &mut child, rate, &mut self.rng);
            let mut placed = false;
            for _ in 0..self.cfg.max_retries {
                if !self.visited.contains(&child) {
                    break;
                }
                evolve::mutate_one(&self.space, &mut child, &mut self.rng);
            }
            if self.enqueue(child) {
                placed = true;
            }
            if !placed {
                let fresh = self.space.random_genome(&mut self.rng);
                self.enqueue(fresh);
            }
        }
    }

    /// Stops the search; `ask` returns `None` from now on.
    pub fn cancel(&mut self) {
        if !self.is_done() {
            self.queue.clear();
            self.state = SearchState::Done(StopReason::Cancelled);
        }
    }

    /// Runs up to `generations` more generations, evaluating every candidate with
    /// `evaluate`. Returns early when the search finishes.
    pub fn step<F>(&mut self, generations: usize, mut evaluate: F) -> Result<()>
    where
        F: FnMut(&Genome) -> Outcome,
    {
        let target = self.generation.saturating_add(generations);
        while !self.is_done() && self.generation < target {
            let Some(c) = self.ask() else {
                // Candidates are out with another caller: nothing to do here.
                break;
            };
            let outcome = evaluate(&c.genome);
            self.tell(c.id, outcome)?;
        }
        Ok(())
    }

    /// Runs to the end.
    pub fn run<F>(&mut self, evaluate: F) -> Result<()>
    where
        F: FnMut(&Genome) -> Outcome,
    {
        self.step(usize::MAX, evaluate)
    }

    /// The non-dominated feasible points seen so far, sorted by objectives.
    pub fn front(&self) -> Vec<Solution> {
        let mut f = self.archive.clone();
        f.sort_by(|a, b| pareto::lex_cmp(&a.objectives, &b.objectives).then(a.id.cmp(&b.id)));
        f
    }

    /// The lowest-score feasible design seen so far.
    pub fn best(&self) -> Option<&Solution> {
        self.best.as_ref()
    }

    /// A progress summary.
    pub fn progress(&self) -> Progress {
        Progress {
            generation: self.generation,
            evaluations: self.evaluations,
            infeasible: self.infeasible.clone(),
            visited: self.visited.len(),
            front_size: self.archive.len(),
            stagnant_generations: self.stagnant,
            best: self.best.clone(),
            state: self.state,
        }
    }
}
