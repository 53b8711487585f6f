//! `epim pim-eval`: accuracy of model files on crossbars (ADC, DAC, cells,
//! variation, stuck-at faults, on/off ratio), over seeds, optionally swept
//! over one knob with an SVG chart.

use std::path::PathBuf;

use clap::Args;
use epim::data::files::{load, DatasetName, Split};
use epim::model::Model;
use epim::pim::{evaluate, layer_errors, sweep, EvalResult, PimKnobs, SweepKnob};
use epim::plot::curve::{render_curve_svg, CurveData, CurvePoint, CurveSeries};
use epim::plot::ChartOptions;
use epim::Error;

/// Arguments of `epim pim-eval`.
#[derive(Args, Debug)]
pub struct PimEvalArgs {
    /// Model file (.safetensors); repeat for several models.
    #[arg(long, required = true)]
    model: Vec<PathBuf>,
    /// `mnist` or `fashion` (`fashion-mnist`).
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// Knob preset: mnsim2 (256 rows, 1-bit cells, 1-bit DAC, 6-bit ADC), isaac
    /// (128 rows, 2-bit cells, 1-bit DAC, 8-bit ADC) or ideal (mnsim2 with a
    /// 16-bit ADC). The flags below override it.
    #[arg(long, default_value = "mnsim2")]
    preset: String,
    /// ADC resolution, bits (1..=16).
    #[arg(long)]
    adc_bits: Option<u32>,
    /// ADC full scale as a fraction of the largest possible column sum, (0, 1].
    #[arg(long)]
    adc_range: Option<f64>,
    /// Input bits per DAC cycle (1..=8).
    #[arg(long)]
    dac_bits: Option<u32>,
    /// Bits per cell (1..=4).
    #[arg(long)]
    cell_bits: Option<u32>,
    /// Word lines per crossbar (rows per column sum, 1..=1024).
    #[arg(long)]
    crossbar_size: Option<usize>,
    /// Lognormal conductance variation sigma (0..=1).
    #[arg(long)]
    variation: Option<f64>,
    /// Fraction of cells stuck at the lowest conductance (0..=0.5).
    #[arg(long)]
    sa0: Option<f64>,
    /// Fraction of cells stuck at the highest conductance (0..=0.5).
    #[arg(long)]
    sa1: Option<f64>,
    /// On/off conductance ratio (2..=1e9; default infinite).
    #[arg(long)]
    on_off: Option<f64>,
    /// Chips drawn per point (seeds 1..=N, 1..=64).
    #[arg(long, default_value_t = 5)]
    seeds: usize,
    /// Evaluate the first N test images only.
    #[arg(long)]
    limit: Option<usize>,
    /// Worker threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Sweep one knob: NAME=a..b[:step] or NAME=v1,v2,... (names: adc-bits,
    /// dac-bits, cell-bits, crossbar-size, adc-range, variation, sa0, sa1,
    /// stuck (half sa0, half sa1), on-off).
    #[arg(long)]
    sweep: Option<String>,
    /// Write the sweep's chart (accuracy against the knob, one line per model) here.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Also report each weight layer's own error: its outputs on the crossbars
    /// against the digital executor's on the same input (RMS and mean, relative
    /// to the digital outputs' RMS), pooled over the images and chips.
    #[arg(long)]
    layers: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn knobs(args: &PimEvalArgs) -> epim::Result<PimKnobs> {
    let mut k = PimKnobs::preset(&args.preset).map_err(|e| Error::invalid("--preset", e))?;
    let flag = |name: &str, e: Error| Error::invalid(format!("--{name}"), e);
    for (name, v) in [
        ("adc-bits", args.adc_bits.map(f64::from)),
        ("adc-range", args.adc_range),
        ("dac-bits", args.dac_bits.map(f64::from)),
        ("cell-bits", args.cell_bits.map(f64::from)),
        ("crossbar-size", args.crossbar_size.map(|v| v as f64)),
        ("variation", args.variation),
        ("sa0", args.sa0),
        ("sa1", args.sa1),
        ("on-off", args.on_off),
    ] {
        if let Some(v) = v {
            k.set(name, v).map_err(|e| flag(name, e))?;
        }
    }
    k.validate()?;
    Ok(k)
}

fn label(path: &std::path::Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

fn pct(r: &EvalResult) -> String {
    format!(
        "{:.2} % ± {:.2} (min {:.2}, max {:.2})",
        100.0 * r.mean_0_to_1,
        100.0 * r.std_0_to_1,
        100.0 * r.min_0_to_1,
        100.0 * r.max_0_to_1
    )
}

/// Runs `epim pim-eval`.
pub fn run(args: &PimEvalArgs) -> epim::Result<String> {
    let name = match args.dataset.as_str() {
        "fashion" => "fashion-mnist",
        other => other,
    };
    let dataset = DatasetName::parse(name)?;
    let base = knobs(args)?;
    let sw = args.sweep.as_deref().map(SweepKnob::parse).transpose()?;
    if args.svg.is_some() && sw.is_none() {
        return Err(Error::invalid(
            "--svg",
            "draws a sweep; add --sweep KNOB=a..b",
        ));
    }
    if args.layers && sw.is_some() {
        return Err(Error::invalid(
            "--layers",
            "reports one set of knobs; drop --sweep (or run once per value)",
        ));
    }
    if args.model.len() > epim::limits::MAX_METHODS {
        return Err(Error::invalid(
            "--model",
            format!(
                "at most {} models, got {}",
                epim::limits::MAX_METHODS,
                args.model.len()
            ),
        ));
    }
    let mut models = Vec::new();
    for path in &args.model {
        let what = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::parse(&what, e))?;
        models.push((
            label(path),
            Model::from_bytes(&bytes).map_err(|e| Error::parse(&what, e))?,
        ));
    }
    let test = load(dataset, Split::Test)?;
    let limit = args.limit.unwrap_or(test.len());
    if limit == 0 {
        return Err(Error::invalid("--limit", "must be at least 1"));
    }
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if threads == 0 || threads > 256 {
        return Err(Error::invalid(
            "--threads",
            format!("must be in 1..=256, got {threads}"),
        ));
    }
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    let mut text = Vec::new();
    for (label, m) in &models {
        let digital = m.accuracy(&test, Some(limit))?;
        match &sw {
            None => {
                let r = evaluate(m, &base, &test, limit, args.seeds, threads)
                    .map_err(|e| Error::invalid(label.clone(), e))?;
                text.push(format!(
                    "{label}: {} over {} seeds ({} images; digital {:.2} %, {} crossbars)",
                    pct(&r),
                    r.seeds.len(),
                    r.images,
                    100.0 * digital,
                    r.crossbars
                ));
                let mut entry =
                    serde_json::json!({"model": label, "digital_0_to_1": digital, "result": r});
                if args.layers {
                    let layers = layer_errors(m, &base, &test, limit, args.seeds, threads)
                        .map_err(|e| Error::invalid(label.clone(), e))?;
                    for l in &layers {
                        text.push(format!(
                            "  layer {} ({} word lines in {} row block{}, {} input cycles): output error {:.2} % RMS, mean {:+.2} %",
                            l.name,
                            l.mapping.rows,
                            l.mapping.row_blocks,
                            if l.mapping.row_blocks == 1 { "" } else { "s" },
                            l.mapping.cycles,
                            100.0 * l.rel_rms_error,
                            100.0 * l.rel_mean_error
                        ));
                    }
                    entry["layers"] =
                        serde_json::to_value(&layers).map_err(|e| Error::invalid("--layers", e))?;
                }
                out.push(entry);
            }
            Some(s) => {
                let points = sweep(m, &base, s, &test, limit, args.seeds, threads)
                    .map_err(|e| Error::invalid(label.clone(), e))?;
                text.push(format!("{label} (digital {:.2} %):", 100.0 * digital));
                for p in &points {
                    text.push(format!("  {} = {}: {}", s.knob, p.value, pct(&p.result)));
                }
                out.push(serde_json::json!({"model": label, "digital_0_to_1": digital, "points": points}));
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    if let (Some(path), Some(s)) = (&args.svg, &sw) {
        let series = out
            .iter()
            .map(|v| CurveSeries {
                label: v["model"].as_str().unwrap_or("model").to_string(),
                points: v["points"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| CurvePoint {
                                x: p["value"].as_f64().unwrap_or(0.0),
                                y: 100.0 * p["result"]["mean_0_to_1"].as_f64().unwrap_or(0.0),
                                spread: 100.0 * p["result"]["std_0_to_1"].as_f64().unwrap_or(0.0),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let data = CurveData {
            title: format!("{} on crossbars ({} preset)", dataset.name(), args.preset),
            x_desc: s.knob.clone(),
            y_desc: "accuracy (%), mean ± sd over seeds".into(),
            series,
        };
        let svg = render_curve_svg(&data, &ChartOptions::default())?;
        std::fs::write(path, svg).map_err(|e| Error::parse(path.display().to_string(), e))?;
    }
    if args.json {
        Ok(serde_json::json!({
            "dataset": dataset.name(),
            "preset": args.preset,
            "knobs": base,
            "sweep": sw,
            "threads": threads,
            "seconds": seconds,
            "models": out,
        })
        .to_string())
    } else {
        text.push(format!("{:.1} s on {threads} threads", seconds));
        Ok(text.join("\n"))
    }
}
