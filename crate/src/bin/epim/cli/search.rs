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
use epim::search::{Fidelity, Mode, SearchRequest, SearchRun};
use epim::sim::{Accounting, ArchConfig, NetworkRef};
use serde_json::json;

use super::read_json;

/// Arguments of `epim search`.
#[derive(Args)]
pub struct SearchArgs {
    /// Zoo network name (see `epim nets`), a network JSON file, an ONNX file (.onnx; pruning masks
    /// from its weights in compare), a trainable
    /// architecture (`cnn`, `tiny`) or a model file (`.safetensors`; its layers).
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

/// What `--evaluate train` settles before the search runs.
#[cfg_attr(not(feature = "train"), allow(dead_code))]
struct EvalPlan {
    arch: epim::model::ArchSpec,
    top: usize,
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
        top: args.evaluate_top,
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
    //! `--evaluate train`: short re-training of the best designs (feature `train`).

    use epim::data::files::{load, DatasetName, Split};
    use epim::data::Dataset;
    use epim::design::EpitomeDesign;
    use epim::model::ArchSpec;
    use epim::train::{apply_design, train_and_measure, Measured, TrainConfig};

    use super::SearchArgs;

    /// The settings and data of the re-trainings.
    pub struct Retrain {
        pub cfg: TrainConfig,
        pub dataset: DatasetName,
        pub train: Dataset,
        pub test: Dataset,
        bar: indicatif::ProgressBar,
    }

    /// Checks the settings before the search runs (B must be trainable).
    pub fn check(args: &SearchArgs, bits: u32) -> epim::Result<()> {
        DatasetName::parse(&args.dataset)?;
        if !(2..=8).contains(&bits) {
            return Err(epim::Error::invalid(
                "--evaluate train",
                format!(
                    "layers a design does not list train at the method bits B = {bits}; \
                     quantization-aware training supports 2..=8 (use --bits 2..8)"
                ),
            ));
        }
        if args.evaluate_test_limit == 0 {
            return Err(epim::Error::invalid(
                "--evaluate-test-limit",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    impl Retrain {
        /// Loads the data; `runs` trainings share one progress bar.
        pub fn new(args: &SearchArgs, bits: u32, runs: usize) -> epim::Result<Self> {
            let dataset = DatasetName::parse(&args.dataset)?;
            let train = load(dataset, Split::Train)?;
            let test = load(dataset, Split::Test)?.take(args.evaluate_test_limit);
            let cfg = TrainConfig {
                epochs: args.evaluate_epochs,
                w_bits: Some(bits),
                seed: args.seed,
                train_limit: Some(args.evaluate_limit),
                ..TrainConfig::default()
            };
            cfg.validate()?;
            let n = args.evaluate_limit.min(train.len());
            if n < cfg.batch {
                return Err(epim::Error::invalid(
                    "--evaluate-limit",
                    format!("must be at least one batch ({} images), got {n}", cfg.batch),
                ));
            }
            let steps = (n / cfg.batch) * cfg.epochs * runs;
            let bar = if args.quiet {
                indicatif::ProgressBar::hidden()
            } else {
                indicatif::ProgressBar::new(steps as u64)
            };
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            Ok(Retrain {
                cfg,
                dataset,
                train,
                test,
                bar,
            })
        }

        /// Trains `base` with `design` (`None`: the dense network) and measures it.
        pub fn measure(
            &self,
            base: &ArchSpec,
            design: Option<&EpitomeDesign>,
            label: &str,
        ) -> epim::Result<Measured> {
            let arch = match design {
                Some(d) => apply_design(base, d)?,
                None => base.clone(),
            };
            let bar = &self.bar;
            let epochs = self.cfg.epochs;
            train_and_measure(
                &arch,
                &self.cfg,
                &self.train,
                &self.test,
                |epoch, step, _, loss, _| {
                    bar.inc(1);
                    if step % 10 == 0 {
                        bar.set_message(format!(
                            "training {label}, epoch {}/{epochs}, loss {loss:.3}",
                            epoch + 1
                        ));
                    }
                },
            )
        }

        /// Clears the progress bar.
        pub fn finish(&self) {
            self.bar.finish_and_clear();
        }
    }
}

/// Trains the best designs (lowest score first) and the dense B-bit network
/// for reference; the `evaluation` object of the report.
#[cfg(feature = "train")]
fn evaluate(
    args: &SearchArgs,
    plan: &EvalPlan,
    run: &SearchRun,
    front: &[epim::search::FrontPoint],
    info: &epim::search::RunInfo,
) -> epim::Result<serde_json::Value> {
    let mut ranked: Vec<&epim::search::FrontPoint> = front.iter().collect();
    ranked.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.id.cmp(&b.id)));
    ranked.truncate(plan.top);
    let bits = info.bits;
    let r = retrain::Retrain::new(args, bits, ranked.len() + 1)?;
    let t0 = Instant::now();
    let reference = r.measure(&plan.arch, None, "the dense network")?;
    let mut designs = Vec::with_capacity(ranked.len());
    for (i, p) in ranked.iter().enumerate() {
        let design = run.design(Some(p.id))?.ok_or_else(|| {
            epim::Error::invalid(
                "--evaluate train",
                format!("front point {} has no design", p.id),
            )
        })?;
        let exact = run.exact(Some(p.id))?;
        let label = format!("design {}/{} (id {})", i + 1, ranked.len(), p.id);
        let measured = r.measure(&plan.arch, Some(&design), &label)?;
        designs.push(json!({
            "rank": i + 1,
            "id": p.id,
            "point": p,
            "exact": exact,
            "measured": measured,
            "design": design,
        }));
    }
    r.finish();
    let note = format!(
        "each design trained from scratch for {} epoch(s) on the first {} {} training images; \
         accuracy of the exported model (weights at the design's bits, else {bits}; {}-bit \
         activations) on the first {} test images. A short run that ranks designs, not their \
         final accuracy.",
        r.cfg.epochs,
        reference.train_images,
        r.dataset.name(),
        r.cfg.a_bits,
        reference.test_images
    );
    Ok(json!({
        "method": "train",
        "dataset": r.dataset.name(),
        "epochs": r.cfg.epochs,
        "train_images": reference.train_images,
        "test_images": reference.test_images,
        "w_bits": bits,
        "a_bits": r.cfg.a_bits,
        "seed": r.cfg.seed,
        "seconds": t0.elapsed().as_secs_f64(),
        "note": note,
        "reference": {"method": format!("dense:bits={bits}"), "exact": info.dense, "measured": reference},
        "designs": designs,
    }))
}

/// `--table`: the evaluated designs (with the dense reference) when there
/// are any, else the front; the simulator's exact numbers.
fn table(out: &serde_json::Value) -> String {
    use serde_json::Value;
    use std::fmt::Write as _;
    let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let info = &out["info"];
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} searched layers, B = {} bits, {} evaluations in {:.2} s, front {} points, stop {}",
        info["network"].as_str().unwrap_or("?"),
        info["layers"],
        info["bits"],
        out["evaluations"],
        f(out, "seconds"),
        out["front"].as_array().map_or(0, Vec::len),
        out["stop"].as_str().unwrap_or("?"),
    );
    let header = |s: &mut String, acc: bool| {
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
            if acc { "  accuracy %  train s" } else { "" }
        );
    };
    let row =
        |s: &mut String, name: &str, exact: &Value, point: Option<&Value>, m: Option<&Value>| {
            let _ = write!(
                s,
                "{:<16} {:>9} {:>10.3} {:>11.3} {:>10.3} {:>7} {:>8}",
                name,
                exact["crossbars"].to_string(),
                f(exact, "area_um2") / 1e6,
                f(exact, "latency_ns") / 1e3,
                f(exact, "energy_pj") / 1e6,
                point.map_or("-".to_string(), |p| format!("{:.3}", f(p, "quality_proxy"))),
                point.map_or("-".to_string(), |p| p["epitome_layers"].to_string()),
            );
            if let Some(m) = m {
                let _ = write!(
                    s,
                    "  {:>10.2}  {:>7.1}",
                    100.0 * f(m, "accuracy_0_to_1"),
                    f(m, "seconds")
                );
            }
            s.push('\n');
        };
    match out.get("evaluation").filter(|e| !e.is_null()) {
        Some(e) => {
            let _ = writeln!(s, "{}", e["note"].as_str().unwrap_or(""));
            header(&mut s, true);
            let r = &e["reference"];
            row(
                &mut s,
                r["method"].as_str().unwrap_or("dense"),
                &r["exact"],
                None,
                Some(&r["measured"]),
            );
            for d in e["designs"].as_array().into_iter().flatten() {
                let name = format!("#{} (id {})", d["rank"], d["id"]);
                row(
                    &mut s,
                    &name,
                    &d["exact"],
                    Some(&d["point"]),
                    Some(&d["measured"]),
                );
            }
        }
        None => {
            header(&mut s, false);
            for p in out["front"].as_array().into_iter().flatten() {
                let name = format!("id {}", p["point"]["id"]);
                row(&mut s, &name, &p["exact"], Some(&p["point"]), None);
            }
        }
    }
    if let Some(path) = out["out"].as_str() {
        let _ = writeln!(s, "best design written to {path}");
    }
    s.trim_end().to_string()
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
    let mut front = Vec::with_capacity(progress.front.len());
    for p in &progress.front {
        let exact = run.exact(Some(p.id))?;
        front.push(json!({"point": p, "exact": exact}));
    }
    let best_exact = run.exact(None)?;
    let design = run.design(None)?;
    if design.is_none() {
        return Err(no_design(&info, &progress));
    }
    if let (Some(path), Some(d)) = (&args.out, &design) {
        std::fs::write(path, d.to_json()? + "\n").map_err(|e| {
            epim::Error::invalid("--out", format!("cannot write {}: {e}", path.display()))
        })?;
    }
    let evaluation: Option<serde_json::Value> = match &plan {
        #[cfg(feature = "train")]
        Some(p) => Some(evaluate(args, p, &run, &progress.front, &info)?),
        #[cfg(not(feature = "train"))]
        Some(_) => None,
        None => None,
    };
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
        "evaluation": evaluation,
    });
    if args.table {
        return Ok(table(&out));
    }
    serde_json::to_string_pretty(&out).map_err(|e| epim::Error::parse("search report", e))
}
