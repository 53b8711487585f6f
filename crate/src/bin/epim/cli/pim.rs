//! `epim pim-eval`: accuracy of model files on crossbars (ADC, DAC, cells,
//! variation, stuck-at faults, on/off ratio), over seeds, optionally swept
//! over one knob with an SVG chart.

use std::path::PathBuf;

use clap::Args;
use epim::compare::ModelEntry;
use epim::data::files::{load, DatasetName, Split};
use epim::data::Dataset;
use epim::model::Model;
use epim::pim::trade::{
    adc_costs, sim_preset_of, trade_curve, AdcCost, ModelAdcCosts, TradeAxis, TradePoint,
    TradeSeries,
};
use epim::pim::{evaluate, layer_errors, sweep, EvalResult, PimKnobs, SweepKnob, SweepPoint};
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
    /// With `--sweep adc-bits=...`: the other side of the ADC trade. Each point
    /// also gets the simulator's area, latency and energy with an ADC of that
    /// resolution from MNSIM's table (physical accounting; resolutions the
    /// table lacks are reported uncosted), and `--svg` draws accuracy against
    /// this cost: energy (per image), area or latency (per image).
    #[arg(long, value_name = "energy|area|latency")]
    trade: Option<String>,
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

/// The flags that choose what `run` does, checked against each other.
struct Plan {
    sweep: Option<SweepKnob>,
    trade: Option<TradeAxis>,
}

/// Parses `--sweep` and `--trade` and refuses flags that do not go together.
fn plan(args: &PimEvalArgs) -> epim::Result<Plan> {
    let sweep = args.sweep.as_deref().map(SweepKnob::parse).transpose()?;
    if args.svg.is_some() && sweep.is_none() {
        return Err(Error::invalid(
            "--svg",
            "draws a sweep; add --sweep KNOB=a..b",
        ));
    }
    let trade = args
        .trade
        .as_deref()
        .map(|t| TradeAxis::parse("--trade", t))
        .transpose()?;
    if trade.is_some() && sweep.as_ref().is_none_or(|s| s.knob != "adc-bits") {
        return Err(Error::invalid(
            "--trade",
            "costs the ADC resolutions of a sweep; add --sweep adc-bits=a..b",
        ));
    }
    if args.layers && sweep.is_some() {
        return Err(Error::invalid(
            "--layers",
            "reports one set of knobs; drop --sweep (or run once per value)",
        ));
    }
    Ok(Plan { sweep, trade })
}

/// The `--model` files, loaded, with their labels (file stems).
fn load_models(paths: &[PathBuf]) -> epim::Result<Vec<(String, Model)>> {
    if paths.len() > epim::limits::MAX_METHODS {
        return Err(Error::invalid(
            "--model",
            format!(
                "at most {} models, got {}",
                epim::limits::MAX_METHODS,
                paths.len()
            ),
        ));
    }
    paths
        .iter()
        .map(|path| {
            let what = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| Error::parse(&what, e))?;
            Ok((
                label(path),
                Model::from_bytes(&bytes).map_err(|e| Error::parse(&what, e))?,
            ))
        })
        .collect()
}

/// `--threads`, or the machine's cores.
fn threads(args: &PimEvalArgs) -> epim::Result<usize> {
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if threads == 0 || threads > 256 {
        return Err(Error::invalid(
            "--threads",
            format!("must be in 1..=256, got {threads}"),
        ));
    }
    Ok(threads)
}

/// What one evaluation runs on: the knobs, the test images and how many, seeds, threads.
struct Bench<'a> {
    base: PimKnobs,
    test: &'a Dataset,
    limit: usize,
    seeds: usize,
    threads: usize,
}

/// One model at one set of knobs: its text lines and JSON entry (with `--layers`,
/// each weight layer's own error).
fn one_setting(
    b: &Bench,
    label: &str,
    m: &Model,
    digital: f64,
    layers: bool,
    text: &mut Vec<String>,
) -> epim::Result<serde_json::Value> {
    let r = evaluate(m, &b.base, b.test, b.limit, b.seeds, b.threads)
        .map_err(|e| Error::invalid(label, e))?;
    text.push(format!(
        "{label}: {} over {} seeds ({} images; digital {:.2} %, {} crossbars)",
        pct(&r),
        r.seeds.len(),
        r.images,
        100.0 * digital,
        r.crossbars
    ));
    let mut entry = serde_json::json!({"model": label, "digital_0_to_1": digital, "result": r});
    if layers {
        let layers = layer_errors(m, &b.base, b.test, b.limit, b.seeds, b.threads)
            .map_err(|e| Error::invalid(label, e))?;
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
    Ok(entry)
}

/// One model's sweep: its points, text lines (with `costs`, each costed point's
/// simulator cost) and JSON entry (with `costs`, the model's costs).
fn one_sweep(
    b: &Bench,
    s: &SweepKnob,
    (label, m, digital): (&str, &Model, f64),
    costs: Option<&[AdcCost]>,
    text: &mut Vec<String>,
) -> epim::Result<(Vec<SweepPoint>, serde_json::Value)> {
    let points = sweep(m, &b.base, s, b.test, b.limit, b.seeds, b.threads)
        .map_err(|e| Error::invalid(label, e))?;
    text.push(format!("{label} (digital {:.2} %):", 100.0 * digital));
    for p in &points {
        let mut line = format!("  {} = {}: {}", s.knob, p.value, pct(&p.result));
        if let Some(costs) = costs {
            line += &match costs.iter().find(|c| f64::from(c.adc_bits) == p.value) {
                Some(c) => format!(
                    "; simulator: {:.4} µJ, {:.3} mm², {:.3} µs per image (ADC choice {})",
                    c.energy_pj / 1e6,
                    c.area_um2 / 1e6,
                    c.latency_ns / 1e3,
                    c.adc_choice
                ),
                None => "; simulator: no ADC of this resolution in MNSIM's table".into(),
            };
        }
        text.push(line);
    }
    let mut entry =
        serde_json::json!({"model": label, "digital_0_to_1": digital, "points": points});
    if let Some(costs) = costs {
        entry["costs"] = serde_json::to_value(costs).map_err(|e| Error::invalid("--trade", e))?;
    }
    Ok((points, entry))
}

/// The sweep's chart: accuracy against the knob, or with `--trade` against the
/// simulator's cost (written to `--svg` when given). Returns the ADC resolutions
/// the trade left uncosted.
fn sweep_chart(
    args: &PimEvalArgs,
    s: &SweepKnob,
    trade: Option<TradeAxis>,
    swept: &[(String, Vec<SweepPoint>)],
    costs: &[ModelAdcCosts],
    title: String,
) -> epim::Result<Vec<u32>> {
    let (data, uncosted) = match trade {
        Some(axis) => {
            let series: Vec<TradeSeries> = swept
                .iter()
                .zip(costs)
                .map(|((label, points), c)| TradeSeries {
                    label: label.clone(),
                    costs: c.costs.clone(),
                    points: points
                        .iter()
                        .map(|p| TradePoint {
                            adc_bits: p.value as u32,
                            mean_0_to_1: p.result.mean_0_to_1,
                            std_0_to_1: p.result.std_0_to_1,
                        })
                        .collect(),
                })
                .collect();
            let t = trade_curve(&series, axis, &title).map_err(|e| Error::invalid("--trade", e))?;
            (t.curve, t.uncosted_adc_bits)
        }
        None => {
            let series = swept
                .iter()
                .map(|(label, points)| CurveSeries {
                    label: label.clone(),
                    points: points
                        .iter()
                        .map(|p| CurvePoint {
                            x: p.value,
                            y: 100.0 * p.result.mean_0_to_1,
                            spread: 100.0 * p.result.std_0_to_1,
                            label: String::new(),
                        })
                        .collect(),
                })
                .collect();
            let data = CurveData {
                title,
                x_desc: s.knob.clone(),
                y_desc: "accuracy (%), mean ± sd over seeds".into(),
                series,
            };
            (data, Vec::new())
        }
    };
    if let Some(path) = &args.svg {
        let svg = render_curve_svg(&data, &ChartOptions::default())?;
        std::fs::write(path, svg).map_err(|e| Error::parse(path.display().to_string(), e))?;
    }
    Ok(uncosted)
}

/// Runs `epim pim-eval`.
pub fn run(args: &PimEvalArgs) -> epim::Result<String> {
    let name = match args.dataset.as_str() {
        "fashion" => "fashion-mnist",
        other => other,
    };
    let dataset = DatasetName::parse(name)?;
    let base = knobs(args)?;
    let Plan { sweep, trade } = plan(args)?;
    let models = load_models(&args.model)?;
    // The simulator's cost of each ADC resolution (before the long evaluation, so
    // knobs it cannot cost fail at once).
    let costs = match trade {
        Some(_) => {
            let entries: Vec<ModelEntry> = models
                .iter()
                .map(|(label, model)| ModelEntry { label, model })
                .collect();
            adc_costs(sim_preset_of(&args.preset)?, &base, &entries)
                .map_err(|e| Error::invalid("--trade", e))?
        }
        None => Vec::new(),
    };
    let test = load(dataset, Split::Test)?;
    let limit = args.limit.unwrap_or(test.len());
    if limit == 0 {
        return Err(Error::invalid("--limit", "must be at least 1"));
    }
    let threads = threads(args)?;
    let bench = Bench {
        base,
        test: &test,
        limit,
        seeds: args.seeds,
        threads,
    };
    let start = std::time::Instant::now();
    let mut out = Vec::new();
    let mut text = Vec::new();
    let mut swept: Vec<(String, Vec<SweepPoint>)> = Vec::new();
    for (mi, (label, m)) in models.iter().enumerate() {
        let digital = m.accuracy(&test, Some(limit))?;
        match &sweep {
            None => out.push(one_setting(
                &bench,
                label,
                m,
                digital,
                args.layers,
                &mut text,
            )?),
            Some(s) => {
                let model_costs = costs.get(mi).map(|c| c.costs.as_slice());
                let (points, entry) =
                    one_sweep(&bench, s, (label, m, digital), model_costs, &mut text)?;
                out.push(entry);
                swept.push((label.clone(), points));
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let title = format!("{} on crossbars ({} preset)", dataset.name(), args.preset);
    let uncosted = match &sweep {
        Some(s) => sweep_chart(args, s, trade, &swept, &costs, title)?,
        None => Vec::new(),
    };
    if !uncosted.is_empty() {
        text.push(format!(
            "not costed (no ADC of that resolution in MNSIM's table): {} bits",
            uncosted
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if args.json {
        Ok(serde_json::json!({
            "dataset": dataset.name(),
            "preset": args.preset,
            "knobs": base,
            "sweep": sweep,
            "trade": trade,
            "uncosted_adc_bits": uncosted,
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
