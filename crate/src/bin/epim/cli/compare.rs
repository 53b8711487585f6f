//! `epim compare`: one network on one chip under several methods, one table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use epim::compare::{
    compare_weighted, CompareReport, CompareRequest, CompareRow, Method, ModelEntry,
};
use epim::model::Model;
use epim::sim::NetworkRef;

/// Arguments of `epim compare`.
#[derive(Args)]
pub struct CompareArgs {
    /// Zoo network name (see `epim nets`), a network JSON file, an ONNX file (.onnx; pruning masks
    /// from its weights in compare), a trainable
    /// architecture (`cnn`, `tiny`) or a model file (.safetensors; its dense
    /// geometry) (default with --model: the first model's own network).
    #[arg(long, required_unless_present = "models")]
    net: Option<String>,
    /// A trained model file (.safetensors; repeat): one row each, costed as stored
    /// (epitomes, pruning masks from its real weights, its bits), with its
    /// recorded accuracy. Pruning methods then choose masks from the first
    /// model's weights.
    #[arg(long = "model")]
    models: Vec<PathBuf>,
    /// The method every ratio divides by (default dense:bits=32).
    #[arg(long, default_value = "dense:bits=32")]
    baseline: String,
    /// A method (repeat): dense:bits=B, epitome:bits=B,ratio=R, epitome:bits=B,design=FILE.json,
    /// prune:kind=K,ratio=R,bits=B[,ou_rows=N,ou_cols=N].
    #[arg(long = "method", required_unless_present = "models")]
    methods: Vec<String>,
    /// Print the report as JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the table as CSV.
    #[arg(long)]
    csv: bool,
    /// Write the comparison charts as SVG files into this directory.
    #[arg(long)]
    svg: Option<PathBuf>,
    /// Also print each method's layers: crossbars, area, and energy per image
    /// by component (--json always has them, as `layers` of each row).
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    layers: bool,
    #[command(flatten)]
    hw: super::hardware::HardwareArgs,
}

/// Runs `epim compare`.
pub fn run(args: &CompareArgs) -> epim::Result<String> {
    let mut models = Vec::with_capacity(args.models.len());
    for path in &args.models {
        let bytes = epim::error::read_file(path)?;
        let model = Model::from_bytes(&bytes)
            .map_err(|e| epim::Error::parse(path.display().to_string(), e))?;
        let stem = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into(),
        );
        models.push((format!("model:{stem}"), stem, model));
    }
    let mut weights = None;
    // Without --net, the core takes the first model's own network.
    let network = match &args.net {
        Some(net) if super::import::is_onnx(net) => {
            let imported = super::import::net_import(net)?;
            weights = Some(imported.weights);
            Some(NetworkRef::Spec(imported.spec))
        }
        Some(net) => Some(super::network_ref(net)?.0),
        None if models.is_empty() => {
            return Err(epim::Error::invalid(
                "--net",
                "give --net or at least one --model",
            ))
        }
        None => None,
    };
    let mut designs = std::collections::BTreeMap::new();
    for m in args.methods.iter().chain(std::iter::once(&args.baseline)) {
        if let Method::EpitomeDesign { design, .. } = Method::parse(m)? {
            let d = epim::compare::EpitomeDesign::read(Path::new(&design))?;
            designs.insert(design, d);
        }
    }
    let req = CompareRequest {
        network,
        preset: args.hw.preset.clone(),
        accounting: args.hw.accounting()?,
        config: args.hw.config()?,
        knobs: args.hw.knobs.clone(),
        baseline: args.baseline.clone(),
        methods: args.methods.clone(),
        designs,
    };
    let entries: Vec<ModelEntry> = models
        .iter()
        .map(|(label, _, model)| ModelEntry { label, model })
        .collect();
    let report = compare_weighted(&req, &entries, weights)?;
    let mut notes = String::new();
    if let Some(dir) = &args.svg {
        let files = write_svgs(&report, dir)?;
        let _ = write!(notes, "\nwrote {} charts to {}", files, dir.display());
    }
    let out = if args.json {
        serde_json::to_string(&report).map_err(|e| epim::Error::parse("report", e))?
    } else if args.csv {
        csv(&report)
    } else if args.layers {
        table(&report) + "\n\n" + &layers_table(&report)
    } else {
        table(&report)
    };
    if args.json || args.csv || notes.is_empty() {
        if !notes.is_empty() {
            eprintln!("{}", notes.trim());
        }
        Ok(out)
    } else {
        Ok(out + &notes)
    }
}

fn all_rows(r: &CompareReport) -> impl Iterator<Item = &CompareRow> {
    std::iter::once(&r.baseline).chain(&r.rows)
}

/// The default output: one line per method (baseline first), with units.
pub fn table(r: &CompareReport) -> String {
    let w = all_rows(r)
        .map(|x| x.method.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} on {} ({} accounting); ratios = baseline / method (bigger is better), baseline {}",
        r.network, r.preset, r.accounting, r.baseline.method
    );
    let _ = writeln!(
        s,
        "{:<w$} {:>10} {:>8} {:>6} {:>12} {:>12} {:>12} {:>10} {:>8} {:>8} {:>8} {:>8}",
        "method",
        "crossbars",
        "PEs",
        "tiles",
        "area mm2",
        "latency us",
        "energy uJ",
        "power mW",
        "bits/w",
        "area x",
        "lat x",
        "energy x",
    );
    let with_acc = all_rows(r).any(|x| x.accuracy_pct.is_some());
    if with_acc {
        s.pop();
        s.push_str(&format!(" {:>8}\n", "acc %"));
    }
    for x in all_rows(r) {
        let _ = write!(
            s,
            "{:<w$} {:>10} {:>8} {:>6} {:>12.3} {:>12.3} {:>12.3} {:>10.1} {:>8.3} {:>8.2} {:>8.2} {:>8.2}",
            x.method,
            x.crossbars,
            x.pes,
            x.tiles,
            x.area_um2 / 1e6,
            x.latency_ns / 1e3,
            x.energy_pj / 1e6,
            x.power_mw,
            x.bits_per_weight,
            x.area_ratio,
            x.latency_ratio,
            x.energy_ratio,
        );
        match (with_acc, x.accuracy_pct) {
            (true, Some(a)) => s.push_str(&format!(" {a:>8.2}\n")),
            (true, None) => s.push_str(&format!(" {:>8}\n", "-")),
            (false, _) => s.push('\n'),
        }
    }
    if with_acc {
        s.push_str(
            "acc %: the model file's recorded test accuracy (method rows are not trained: -)\n",
        );
    }
    s.trim_end().to_string()
}

/// `--layers`: per method, one line per layer of its network with its crossbars,
/// area and energy per image, and the energy by component (`other`:
/// interconnect and pooling).
pub fn layers_table(r: &CompareReport) -> String {
    let w = all_rows(r)
        .flat_map(|x| x.layers.iter().map(|l| l.name.len()))
        .max()
        .unwrap_or(5)
        .max(5);
    let mut s = String::from(
        "Per layer: area, latency added (after the layer's first producer), and energy per image by component\n",
    );
    for x in all_rows(r) {
        let _ = writeln!(s, "\n{}", x.method);
        let _ = writeln!(
            s,
            "  {:<w$} {:>5} {:>9} {:>9} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "layer",
            "kind",
            "crossbars",
            "area mm2",
            "latency us",
            "energy uJ",
            "crossbar",
            "adc",
            "dac",
            "digital",
            "buffer",
            "tables",
            "other",
            "energy %",
        );
        for l in &x.layers {
            let e = &l.breakdown.energy_pj;
            let share = if x.energy_pj > 0.0 {
                100.0 * l.energy_pj / x.energy_pj
            } else {
                0.0
            };
            let _ = writeln!(
                s,
                "  {:<w$} {:>5} {:>9} {:>9.3} {:>10.3} {:>10.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.1}",
                l.name,
                l.kind,
                l.crossbars,
                l.area_um2 / 1e6,
                l.latency_ns / 1e3,
                l.energy_pj / 1e6,
                e.crossbar / 1e6,
                e.adc / 1e6,
                e.dac / 1e6,
                e.digital / 1e6,
                e.buffer / 1e6,
                e.tables / 1e6,
                (e.interconnect + e.pooling) / 1e6,
                share,
            );
        }
    }
    s.trim_end().to_string()
}

/// CSV with a header; units in the column names; the baseline is the first row.
pub fn csv(r: &CompareReport) -> String {
    let mut s = String::from(
        "method,crossbars,pes,tiles,area_um2,latency_ns,energy_pj,power_mw,bits_per_weight,area_ratio,latency_ratio,energy_ratio,accuracy_pct\n",
    );
    for x in all_rows(r) {
        let _ = writeln!(
            s,
            "\"{}\",{},{},{},{},{},{},{},{},{},{},{},{}",
            x.method.replace('"', "\"\""),
            x.crossbars,
            x.pes,
            x.tiles,
            x.area_um2,
            x.latency_ns,
            x.energy_pj,
            x.power_mw,
            x.bits_per_weight,
            x.area_ratio,
            x.latency_ratio,
            x.energy_ratio,
            x.accuracy_pct.map_or(String::new(), |a| a.to_string()),
        );
    }
    s.trim_end().to_string()
}

/// Writes one SVG per chart kind (`area.svg`, `area-breakdown.svg`, `pareto.svg`, ...),
/// and `area-vs-accuracy.svg` (the rows with an accuracy) when models were compared,
/// all drawn from `chart-data.json` ([`CompareReport::charts`], which the page draws
/// too), written alongside; returns how many charts.
fn write_svgs(r: &CompareReport, dir: &Path) -> epim::Result<usize> {
    use epim::plot::{render_svg, ChartKind, ChartOptions};
    std::fs::create_dir_all(dir).map_err(|e| epim::Error::io("create directory", dir, e))?;
    let charts = r.charts();
    let json =
        serde_json::to_string_pretty(&charts).map_err(|e| epim::Error::parse("charts", e))?;
    epim::error::write_file(&dir.join("chart-data.json"), json)?;
    let data = &charts.chart;
    let options = ChartOptions::default();
    for kind in ChartKind::ALL {
        let svg = render_svg(data, kind, &options)?;
        let path = dir.join(format!("{}.svg", kind.name()));
        epim::error::write_file(&path, svg)?;
    }
    let mut n = ChartKind::ALL.len();
    if let Some(acc) = &charts.accuracy_chart {
        let svg = render_svg(acc, ChartKind::Pareto, &options)?;
        let path = dir.join("area-vs-accuracy.svg");
        epim::error::write_file(&path, svg)?;
        n += 1;
    }
    Ok(n)
}
