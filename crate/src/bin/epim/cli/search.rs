//! `epim search`: the layer-wise epitome design search on the simulator.
//!
//! Writes the best design to `--out` (the crate's one design format,
//! [`epim::design::EpitomeDesign`], accepted by `epim compare --method
//! epitome:bits=B,design=FILE.json` and `epim train --design FILE.json`) and
//! prints a JSON summary (or `--table`): the run's facts, the stop reason,
//! infeasible counts, evaluations per second and the front with the full
//! simulator's numbers for every point.
//!
//! `--net` may be a trainable network (`cnn`, `tiny`, a `.safetensors` model);
//! then `--evaluate train` re-trains the best `--evaluate-top` designs of the
//! front briefly (feature `train`) and reports their measured test accuracy.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use epim::search::{Fidelity, Mode, SearchRequest, SearchRun, SearchSummary};
use epim::sim::NetworkRef;

use super::read_json;

/// Arguments of `epim search`.
#[derive(Args)]
pub struct SearchArgs {
    /// Zoo network name (see `epim nets`), a network JSON file, an ONNX file (.onnx; pruning masks
    /// from its weights in compare), a trainable
    /// architecture (`cnn`, `tiny`) or a model file (`.safetensors`; its layers).
    #[arg(long)]
    net: String,
    #[command(flatten)]
    hw: super::hardware::HardwareArgs,
    /// Method bits B: the chip is the dense B-bit network's; layers not in the design stay at B.
    #[arg(long)]
    bits: Option<u32>,
    /// Crossbar budget (designs needing more are infeasible).
    #[arg(long)]
    budget_crossbars: Option<u64>,
    /// Crossbar budget as a fraction of the dense 32-bit network's (e.g. 0.0333).
    #[arg(long)]
    budget_fraction: Option<f64>,
    /// Latency cap, ns (cached fidelity: on the sequential latency).
    #[arg(long)]
    latency_cap_ns: Option<f64>,
    /// Generations (the first is the random initial population).
    #[arg(long, default_value_t = 50)]
    generations: usize,
    /// Population (candidates per generation).
    #[arg(long, default_value_t = 50)]
    population: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop after this many evaluations.
    #[arg(long)]
    max_evaluations: Option<usize>,
    /// Stop after this many generations without improvement.
    #[arg(long)]
    stagnation: Option<usize>,
    /// Scalarised mode with these weights for area,latency,energy,quality (default: Pareto).
    #[arg(long, value_delimiter = ',')]
    weights: Option<Vec<f64>>,
    /// Objective fidelity: cached (default, per-layer sums) or exact (full simulator).
    #[arg(long)]
    fidelity: Option<String>,
    /// Search request JSON file (every field of the request; flags override it).
    #[arg(long)]
    request: Option<PathBuf>,
    /// Where to write the best design (JSON).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Print a table (the front with the simulator's numbers, and the measured
    /// accuracies) instead of JSON.
    #[arg(long)]
    table: bool,
    /// Measure the best designs' accuracy: `train` re-trains them briefly
    /// (feature `train`; --net must be cnn, tiny or a .safetensors model).
    #[arg(long, value_name = "train")]
    evaluate: Option<String>,
    /// How many front designs to re-train (lowest score first).
    #[arg(long, default_value_t = 3)]
    evaluate_top: usize,
    /// Epochs of each re-training.
    #[arg(long, default_value_t = 1)]
    evaluate_epochs: usize,
    /// Training images of each re-training (the first N).
    #[arg(long, default_value_t = 10_000)]
    evaluate_limit: usize,
    /// Test images the accuracy is measured on (the first N).
    #[arg(long, default_value_t = 2_000)]
    evaluate_test_limit: usize,
    /// Dataset of the re-training: mnist or fashion-mnist.
    #[arg(long, default_value = "mnist")]
    dataset: String,
}

fn request(args: &SearchArgs, network: NetworkRef) -> epim::Result<SearchRequest> {
    let mut req = match &args.request {
        Some(p) => read_json::<SearchRequest>(p)?,
        None => SearchRequest::for_network(&args.net),
    };
    req.network = network;
    args.hw.overlay(
        &mut req.preset,
        &mut req.accounting,
        &mut req.config,
        &mut req.knobs,
    )?;
    if args.bits.is_some() {
        req.bits = args.bits;
    }
    if args.budget_crossbars.is_some() {
        req.budget_crossbars = args.budget_crossbars;
    }
    if args.budget_fraction.is_some() {
        req.budget_fraction_of_dense32 = args.budget_fraction;
    }
    if args.latency_cap_ns.is_some() {
        req.latency_cap_ns = args.latency_cap_ns;
    }
    if let Some(f) = &args.fidelity {
        req.fidelity = match f.as_str() {
            "cached" => Fidelity::Cached,
            "exact" => Fidelity::Exact,
            _ => {
                return Err(epim::Error::Unknown {
                    kind: "fidelity".into(),
                    name: f.clone(),
                    known: "cached, exact".into(),
                })
            }
        };
    }
    let s = &mut req.search;
    s.generations = args.generations;
    s.population = args.population;
    s.seed = args.seed;
    if args.max_evaluations.is_some() {
        s.max_evaluations = args.max_evaluations;
    }
    if args.stagnation.is_some() {
        s.stagnation_generations = args.stagnation;
    }
    if let Some(w) = &args.weights {
        s.mode = Mode::Scalarised { weights: w.clone() };
    }
    Ok(req)
}

#[cfg(feature = "progress")]
fn bar(args: &SearchArgs, total: usize) -> indicatif::ProgressBar {
    if args.quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] generation {pos}/{len} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// What `--evaluate train` settles before the search runs.
#[cfg_attr(not(feature = "train"), allow(dead_code))]
struct EvalPlan {
    arch: epim::model::ArchSpec,
}

fn eval_plan(
    args: &SearchArgs,
    trainable: Option<(String, epim::model::ArchSpec)>,
) -> epim::Result<Option<EvalPlan>> {
    let Some(how) = &args.evaluate else {
        return Ok(None);
    };
    if how != "train" {
        return Err(epim::Error::Unknown {
            kind: "--evaluate method".into(),
            name: how.clone(),
            known: "train".into(),
        });
    }
    let Some((_, arch)) = trainable else {
        return Err(epim::Error::invalid(
            "--evaluate train",
            format!(
                "needs a trainable --net (cnn, tiny or a .safetensors model), got '{}'",
                args.net
            ),
        ));
    };
    if args.evaluate_top == 0 {
        return Err(epim::Error::invalid("--evaluate-top", "must be at least 1"));
    }
    Ok(Some(EvalPlan {
        arch: epim::model::network::dense_geometry(&arch),
    }))
}

#[cfg(not(feature = "train"))]
mod retrain {
    //! Without the `train` feature: `--evaluate train` is an error.

    /// Always an error naming the feature.
    pub fn check(_args: &super::SearchArgs, _bits: u32) -> epim::Result<()> {
        Err(epim::Error::invalid(
            "--evaluate train",
            "this epim was built without the `train` feature; use `cargo run --release --features train -p epim -- search ...`",
        ))
    }
}

#[cfg(feature = "train")]
mod retrain {
    //! `--evaluate train` through [`epim::search::retrain`], with a progress bar.

    use epim::data::files::DatasetName;
    use epim::search::retrain::{self, RetrainSettings, Retrainer};
    use epim::search::summary::Evaluation;
    use epim::search::{FrontPoint, RunInfo, SearchRun};

    use super::{EvalPlan, SearchArgs};

    fn settings(args: &SearchArgs) -> epim::Result<RetrainSettings> {
        Ok(RetrainSettings {
            dataset: DatasetName::parse(&args.dataset)?,
            epochs: args.evaluate_epochs,
            train_limit: args.evaluate_limit,
            test_limit: args.evaluate_test_limit,
            seed: args.seed,
            top: args.evaluate_top,
        })
    }

    /// Checks the settings before the search runs (B must be trainable).
    pub fn check(args: &SearchArgs, bits: u32) -> epim::Result<()> {
        retrain::check(&settings(args)?, bits)
    }

    /// Trains the best designs and the dense reference, with a progress bar.
    pub fn evaluate(
        args: &SearchArgs,
        plan: &EvalPlan,
        run: &SearchRun,
        front: &[FrontPoint],
        info: &RunInfo,
    ) -> epim::Result<Evaluation> {
        let s = settings(args)?;
        let r = Retrainer::new(&s, info.bits)?;
        let runs = front.len().min(s.top) + 1;
        let bar = if args.quiet {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(r.steps(runs) as u64)
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        let epochs = s.epochs;
        let mut on_step = |label: &str, epoch: usize, step: usize, loss: f64| {
            bar.inc(1);
            if step % 10 == 0 {
                bar.set_message(format!(
                    "training {label}, epoch {}/{epochs}, loss {loss:.3}",
                    epoch + 1
                ));
            }
        };
        let out = r.evaluate(run, front, info, &plan.arch, &mut on_step);
        bar.finish_and_clear();
        out
    }
}

/// The error of a search that ended without a feasible design (the budget was
/// reachable, so another constraint ruled every candidate out): the counts per
/// constraint and what to change.
fn no_design(info: &epim::search::RunInfo, p: &epim::search::RunProgress) -> epim::Error {
    let counts: Vec<String> = p
        .infeasible
        .iter()
        .map(|(class, n)| format!("{} {n}", class.name()))
        .collect();
    let budget = info.budget_crossbars.map_or(String::new(), |b| {
        format!(
            "; the budget is {b} crossbars, the smallest design needs {}",
            info.min_crossbars
        )
    });
    epim::Error::invalid(
        "search",
        format!(
            "no feasible design in {} evaluations ({}){budget}; relax the latency cap or \
             the chip size, or run more generations",
            p.evaluations,
            if counts.is_empty() {
                "none infeasible".to_string()
            } else {
                format!("infeasible: {}", counts.join(", "))
            }
        ),
    )
}

/// Runs the search; returns the JSON summary.
pub fn run(args: &SearchArgs) -> epim::Result<String> {
    let (network, trainable) = super::network_ref(&args.net)?;
    let plan = eval_plan(args, trainable)?;
    let req = request(args, network)?;
    let mut run = SearchRun::new(&req)?;
    let info = run.info();
    let budget_flag = match (args.budget_crossbars, args.budget_fraction) {
        (Some(_), _) => "--budget-crossbars",
        (None, Some(_)) => "--budget-fraction",
        _ if req.budget_crossbars.is_some() => "budget_crossbars",
        _ => "budget_fraction_of_dense32",
    };
    if let Some(e) = run.unreachable(budget_flag) {
        return Err(e);
    }
    if plan.is_some() {
        retrain::check(args, info.bits)?;
    }
    #[cfg(feature = "progress")]
    let bar = bar(args, req.search.generations);
    let t0 = Instant::now();
    while !run.is_done() {
        run.step(1)?;
        #[cfg(feature = "progress")]
        {
            let s = run.search();
            bar.set_position(s.generation() as u64);
            bar.set_message(format!(
                "{} evaluations, front {}",
                s.evaluations(),
                s.front().len()
            ));
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    #[cfg(feature = "progress")]
    bar.finish_and_clear();
    let progress = run.progress()?;
    let design = run.design(None)?;
    let Some(design) = design else {
        return Err(no_design(&info, &progress));
    };
    if let Some(path) = &args.out {
        std::fs::write(path, design.to_json()? + "\n").map_err(|e| {
            epim::Error::invalid("--out", format!("cannot write {}: {e}", path.display()))
        })?;
    }
    let evaluation = match &plan {
        #[cfg(feature = "train")]
        Some(p) => Some(retrain::evaluate(args, p, &run, &progress.front, &info)?),
        #[cfg(not(feature = "train"))]
        Some(_) => None,
        None => None,
    };
    let out = args.out.as_ref().map(|p| p.display().to_string());
    let summary = SearchSummary::of(&mut run, secs, out, evaluation)?;
    if args.table {
        return Ok(summary.table());
    }
    serde_json::to_string_pretty(&summary).map_err(|e| epim::Error::parse("search report", e))
}
