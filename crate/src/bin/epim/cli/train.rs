//! `epim train`: trains a model on MNIST or Fashion-MNIST and writes a
//! `.safetensors` model file (feature `train`).

use std::path::PathBuf;

use clap::Args;

/// Arguments of `epim train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// `mnist` or `fashion-mnist`.
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Architecture: `cnn` (the playground's model) or `tiny` (tests).
    #[arg(long, default_value = "cnn")]
    arch: String,
    /// Epochs over the 60,000 training images.
    #[arg(long, default_value_t = 2)]
    epochs: usize,
    /// Weight bits (2..=8), quantization-aware training; omit for float weights.
    #[arg(long)]
    w_bits: Option<u32>,
    /// Activation bits stored in the model (calibrated after training).
    #[arg(long, default_value_t = 8)]
    a_bits: u32,
    /// Epitome compression of every weight layer but the first (e.g. 2.25).
    #[arg(long, conflicts_with = "design")]
    epitome: Option<f64>,
    /// Epitome design file, as `epim search --out` writes it: {"network"?, "layers":
    /// [{"layer": NAME|INDEX, "epitome": [e_out,e_in,e_h,e_w], "offsets"?, "w_bits"?, "rep"?}]}.
    #[arg(long)]
    design: Option<PathBuf>,
    /// Pruning `METHOD:RATIO` (`filter:0.5625`, `xrs:0.556`): the last epoch
    /// fine-tunes the pruned network.
    #[arg(long)]
    prune: Option<String>,
    /// Seed of initialisation and shuffling.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Mini-batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Peak learning rate (Adam, cosine decay).
    #[arg(long, default_value_t = 2e-3)]
    lr: f32,
    /// Worker threads (1 or 2); the model does not depend on it.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Train on the first N images only.
    #[arg(long)]
    limit: Option<usize>,
    /// Evaluate on the first N test images only (default: all 10,000).
    #[arg(long)]
    test_limit: Option<usize>,
    /// Training backend: `native` (the crate's trainer) or `burn` (burn's
    /// `flex` CPU backend with autodiff; needs the `burn` feature).
    #[arg(long, default_value = "native")]
    backend: String,
    /// Output model file (.safetensors).
    #[arg(long)]
    out: PathBuf,
}

/// Runs `epim train`.
#[cfg(not(feature = "train"))]
pub fn run(_args: &TrainArgs) -> epim::Result<String> {
    Err(epim::Error::invalid(
        "train",
        "this epim was built without the `train` feature; use `cargo run --release --features train -p epim -- train ...`",
    ))
}

/// Runs `epim train`.
#[cfg(feature = "train")]
pub fn run(args: &TrainArgs) -> epim::Result<String> {
    use epim::data::files::{load, DatasetName, Split};
    use epim::train::TrainSettings;
    use epim::Error;

    let settings = TrainSettings {
        dataset: args.dataset.clone(),
        arch: args.arch.clone(),
        epochs: args.epochs,
        w_bits: args.w_bits,
        a_bits: args.a_bits,
        epitome: args.epitome,
        design: args
            .design
            .as_deref()
            .map(epim::design::EpitomeDesign::read)
            .transpose()?,
        prune: args.prune.clone(),
        seed: args.seed,
        batch: args.batch,
        lr: args.lr,
        limit: args.limit,
    };
    let plan = settings.plan(args.threads)?;
    let (arch, cfg) = (&plan.arch, &plan.config);
    let dataset = DatasetName::parse(plan.dataset)?;
    let train = load(dataset, Split::Train)?;
    let test = load(dataset, Split::Test)?;
    let test = match args.test_limit {
        Some(n) => test.take(n),
        None => test,
    };
    let backend = epim::train::Backend::parse(&args.backend)?;
    let mut net = epim::train::Trainer::new(backend, arch, cfg.w_bits, cfg.seed)?;
    let steps = epim_steps(&train, cfg);
    let bar = indicatif::ProgressBar::new(steps as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .map_err(|e| Error::invalid("progress", e))?
            .progress_chars("=> "),
    );
    let epochs = cfg.epochs;
    let mut test_acc = Vec::new();
    let report = net.fit(
        &train,
        cfg,
        |epoch, step, _, loss, acc| {
            bar.inc(1);
            if step % 20 == 0 {
                bar.set_message(format!(
                    "epoch {}/{epochs} loss {loss:.4} train acc {:.2}%",
                    epoch + 1,
                    100.0 * acc
                ));
            }
        },
        |epoch, net| {
            let a = net.quick_accuracy(&test, 2000).unwrap_or(0.0);
            test_acc.push(a);
            let line = format!(
                "epoch {}/{epochs}: test accuracy (first 2000, float) {:.2}%",
                epoch + 1,
                100.0 * a
            );
            if bar.is_hidden() {
                eprintln!("{line}");
            } else {
                bar.println(line);
            }
        },
    )?;
    bar.finish_and_clear();
    let mut meta = plan.metadata();
    let command: Vec<String> = std::env::args().skip(1).collect();
    meta.insert(
        "epim.train_command".into(),
        format!("epim {}", command.join(" ")),
    );
    meta.insert("epim.git_commit".into(), git_commit());
    meta.insert(
        "epim.train_seconds".into(),
        format!("{:.1}", report.seconds),
    );
    let mut model = net.export(&train, cfg.a_bits, meta)?;
    let acc = model.accuracy(&test, None)?;
    model.set_metadata("epim.accuracy_0_to_1", format!("{acc:.4}"));
    model.set_metadata("epim.test_images", test.len().to_string());
    let bytes = model.to_bytes()?;
    epim::error::write_file(&args.out, &bytes)?;
    let cost = epim::model::cost::model_cost(model.arch(), "mnsim2")?;
    Ok(serde_json::json!({
        "out": args.out.display().to_string(),
        "dataset": dataset.name(),
        "backend": backend.name(),
        "accuracy": acc,
        "test_images": test.len(),
        "params": model.param_count(),
        "crossbars": cost.crossbars,
        "area_um2": cost.area_um2,
        "train_seconds": report.seconds,
        "last_loss": report.last_loss,
        "epoch_test_accuracy_first_2000": test_acc,
    })
    .to_string())
}

#[cfg(feature = "train")]
fn epim_steps(train: &epim::data::Dataset, cfg: &epim::train::TrainConfig) -> usize {
    let n = cfg.train_limit.unwrap_or(train.len()).min(train.len());
    (n / cfg.batch) * cfg.epochs
}

#[cfg(feature = "train")]
fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}
