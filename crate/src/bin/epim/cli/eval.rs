//! `epim eval`: accuracy and speed of a model file on a test set.

use std::path::PathBuf;

use clap::Args;
use epim::data::files::{load, DatasetName, Split};
use epim::model::Model;
use epim::Error;

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
    /// Print `{"model","dataset","images","accuracy","images_per_s"}`.
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
    let bytes = std::fs::read(&args.model)
        .map_err(|e| Error::parse(args.model.display().to_string(), e))?;
    let model =
        Model::from_bytes(&bytes).map_err(|e| Error::parse(args.model.display().to_string(), e))?;
    let test = load(dataset, Split::Test)?;
    let n = args.limit.unwrap_or(test.len()).min(test.len());
    if n == 0 {
        return Err(Error::invalid("--limit", "must be at least 1"));
    }
    let start = std::time::Instant::now();
    let acc = model.accuracy(&test, Some(n))?;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
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
            "model {name}\ndataset {}\nimages {n}\naccuracy {:.2} %\nimages/s {:.0}",
            dataset.name(),
            100.0 * acc,
            n as f64 / secs
        ) + &cost.map_or(String::new(), |c| format!("\ncost (mnsim2, physical) {c}")))
    }
}
