//! `epim eval`: accuracy and speed of a model file on a test set.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use epim::data::files::{load, DatasetName, Split};
use epim::model::runtime::Engine;
use epim::model::Model;
use epim::Error;

/// Which executor runs the model.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineName {
    /// The crate's own executor (`Model::forward`).
    Crate,
    /// tract-core (needs a build with `--features tract`).
    Tract,
}

impl EngineName {
    fn name(self) -> &'static str {
        match self {
            EngineName::Crate => "crate",
            EngineName::Tract => "tract",
        }
    }
}

/// Arguments of `epim eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Model file (.safetensors).
    #[arg(long)]
    model: PathBuf,
    /// `mnist` or `fashion-mnist`.
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Evaluate the first N test images only.
    #[arg(long)]
    limit: Option<usize>,
    /// Executor: `crate` (the crate's own) or `tract` (tract-core; build with
    /// `--features tract`).
    #[arg(long, value_enum, default_value = "crate")]
    engine: EngineName,
    /// Print `{"model","dataset","engine","images","accuracy","images_per_s"}`.
    #[arg(long)]
    json: bool,
    /// Also report params, bits per weight, crossbars and area under mnsim2
    /// (physical accounting) as `"cost"`.
    #[arg(long)]
    cost: bool,
}

/// Runs `epim eval`.
pub fn run(args: &EvalArgs) -> epim::Result<String> {
    let dataset = DatasetName::parse(&args.dataset)?;
    let bytes = epim::error::read_file(&args.model)?;
    let model =
        Model::from_bytes(&bytes).map_err(|e| Error::parse(args.model.display().to_string(), e))?;
    // Built before the data load, so a missing feature fails fast.
    let tract_model: Box<dyn Engine>;
    let engine: &dyn Engine = match args.engine {
        EngineName::Crate => &model,
        EngineName::Tract => {
            tract_model = tract_engine(&model)?;
            tract_model.as_ref()
        }
    };
    let test = load(dataset, Split::Test)?;
    let n = args.limit.unwrap_or(test.len()).min(test.len());
    if n == 0 {
        return Err(Error::invalid("--limit", "must be at least 1"));
    }
    // The timing covers inference only (tract's graph is built and optimized above).
    let start = std::time::Instant::now();
    let acc = engine.accuracy(&test, Some(n))?;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let engine_name = args.engine.name();
    let name = args.model.display().to_string();
    let cost = if args.cost {
        let c = epim::model::cost::model_cost(model.arch(), "mnsim2")?;
        Some(serde_json::json!({
            "params": model.param_count(),
            "stored_bits": c.stored_bits,
            "dense_weights": c.dense_weights,
            "crossbars": c.crossbars,
            "area_um2": c.area_um2,
            "layers": c.layers,
        }))
    } else {
        None
    };
    if args.json {
        let mut v = serde_json::json!({
            "model": name,
            "dataset": dataset.name(),
            "engine": engine_name,
            "images": n,
            "accuracy": acc,
            "images_per_s": n as f64 / secs,
        });
        if let Some(c) = cost {
            v["cost"] = c;
        }
        Ok(v.to_string())
    } else {
        Ok(format!(
            "model {name}\ndataset {}\nengine {engine_name}\nimages {n}\naccuracy {:.2} %\nimages/s {:.0}",
            dataset.name(),
            100.0 * acc,
            n as f64 / secs
        ) + &cost.map_or(String::new(), |c| format!("\ncost (mnsim2, physical) {c}")))
    }
}

#[cfg(feature = "tract")]
/// tract-core's executor for `model` (graph built and optimized).
fn tract_engine(model: &Model) -> epim::Result<Box<dyn Engine>> {
    Ok(Box::new(epim::model::tract::TractModel::from_model(model)?))
}

#[cfg(not(feature = "tract"))]
/// Without the feature `tract`: an error naming the feature.
fn tract_engine(_model: &Model) -> epim::Result<Box<dyn Engine>> {
    Err(Error::invalid(
        "--engine",
        "tract is not compiled into this epim; rebuild with the `tract` feature (`cargo run --release --features tract -p epim -- eval --engine tract ...`)",
    ))
}
