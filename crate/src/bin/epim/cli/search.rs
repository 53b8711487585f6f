//! `epim search`: the layer-wise epitome design search on the simulator.
//!
//! Writes the best design to `--out` (the comparison's design format, accepted by
//! `epim compare --method epitome:bits=B,design=FILE.json`) and prints a JSON
//! summary: the run's facts, the stop reason, infeasible counts, evaluations per
//! second and the front with the full simulator's numbers for every point.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use epim::search::{Fidelity, Mode, SearchRequest, SearchRun};
use epim::sim::{Accounting, ArchConfig, NetworkRef};
use serde_json::json;

use super::read_json;

/// Arguments of `epim search`.
#[derive(Args)]
pub struct SearchArgs {
    /// Zoo network name (see `epim nets`) or a network JSON file.
    #[arg(long)]
    net: String,
    /// Hardware preset: mnsim2 (default) or isaac.
    #[arg(long)]
    preset: Option<String>,
    /// Hardware config JSON file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Accounting: physical (default) or mnsim.
    #[arg(long)]
    accounting: Option<String>,
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
}

fn request(args: &SearchArgs) -> epim::Result<SearchRequest> {
    let mut req = match &args.request {
        Some(p) => read_json::<SearchRequest>(p)?,
        None => SearchRequest::for_network(&args.net),
    };
    let path = std::path::Path::new(&args.net);
    req.network = if args.net.ends_with(".json") || path.is_file() {
        NetworkRef::Spec(read_json(path)?)
    } else {
        NetworkRef::Name(args.net.clone())
    };
    if args.preset.is_some() {
        req.preset = args.preset.clone();
    }
    if let Some(c) = &args.config {
        req.config = Some(read_json::<ArchConfig>(c)?);
    }
    if let Some(a) = &args.accounting {
        req.accounting = Some(Accounting::parse(a)?);
    }
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

/// Runs the search; returns the JSON summary.
pub fn run(args: &SearchArgs) -> epim::Result<String> {
    let req = request(args)?;
    let mut run = SearchRun::new(&req)?;
    let info = run.info();
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
    let mut front = Vec::with_capacity(progress.front.len());
    for p in &progress.front {
        let exact = run.exact(Some(p.id))?;
        front.push(json!({"point": p, "exact": exact}));
    }
    let best_exact = run.exact(None)?;
    let design = run.design(None)?;
    if let (Some(path), Some(d)) = (&args.out, &design) {
        let text = serde_json::to_string_pretty(d).map_err(|e| epim::Error::parse("design", e))?;
        std::fs::write(path, text + "\n").map_err(|e| {
            epim::Error::invalid("--out", format!("cannot write {}: {e}", path.display()))
        })?;
    }
    let (hits, misses) = run.evaluator().cache_stats();
    let evaluations = progress.evaluations;
    let out = json!({
        "info": info,
        "generation": progress.generation,
        "evaluations": evaluations,
        "stop": progress.stop,
        "infeasible": progress.infeasible,
        "seconds": secs,
        "evaluations_per_s": if secs > 0.0 { evaluations as f64 / secs } else { 0.0 },
        "cache": {"hits": hits, "misses": misses},
        "best": progress.best,
        "best_exact": best_exact,
        "best_layers": run.choices(None),
        "front": front,
        "out": args.out.as_ref().filter(|_| design.is_some()).map(|p| p.display().to_string()),
    });
    serde_json::to_string_pretty(&out).map_err(|e| epim::Error::parse("search report", e))
}
