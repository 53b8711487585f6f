//! `epim simulate` and `epim nets`: the PIM simulator on the command line.

use std::fmt::Write as _;

use clap::Args;
use epim::nets::{NetworkSpec, ZOO};
use epim::sim::{simulate, Breakdown, SimReport};
use epim::units::{AreaUm2, EnergyPj, PowerMw, TimeNs};
use serde_json::json;

/// Arguments of `epim simulate`.
#[derive(Args)]
pub struct SimulateArgs {
    /// Zoo network name (see `epim nets`), a network JSON file, an ONNX file (.onnx; pruning masks
    /// from its weights in compare), a trainable
    /// architecture (`cnn`, `tiny`) or a model file (`.safetensors`).
    #[arg(long)]
    net: String,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hw: super::hardware::HardwareArgs,
}

/// Arguments of `epim nets`.
#[derive(Args)]
pub struct NetsArgs {
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

fn network_spec(net: &str) -> epim::Result<NetworkSpec> {
    super::network_ref(net)?.0.spec()
}

/// Runs `epim simulate`.
pub fn run_simulate(args: &SimulateArgs) -> epim::Result<String> {
    let options = args.hw.options()?;
    let config = args.hw.config()?.unwrap_or_default();
    let net = options.network(&network_spec(&args.net)?)?;
    let arch = options.arch(&config)?;
    let report = simulate(&net, &arch, options.accounting())?;
    if args.json {
        serde_json::to_string(&report).map_err(|e| epim::Error::parse("report", e))
    } else {
        Ok(table(&report))
    }
}

fn mm2(a: AreaUm2) -> String {
    format!("{:.4}", a.mm2())
}

fn us(t: TimeNs) -> String {
    format!("{:.3}", t.value() / 1e3)
}

fn mw(p: PowerMw) -> String {
    format!("{:.3}", p.value())
}

fn nj(e: EnergyPj) -> String {
    format!("{:.3}", e.value() / 1e3)
}

fn pct(part: f64, total: f64) -> String {
    if total > 0.0 {
        format!("{:5.1}%", 100.0 * part / total)
    } else {
        "    -".into()
    }
}

/// The human-readable report.
fn table(r: &SimReport) -> String {
    let mut s = String::new();
    let t = &r.totals;
    let _ = writeln!(
        s,
        "network {}  preset {}  accounting {}",
        r.network, r.preset, r.accounting
    );
    let _ = writeln!(
        s,
        "{:>3} {:<12} {:<5} {:>6} {:>7} {:>5} {:>11} {:>12} {:>12} {:>11} {:>12} {:>6}",
        "#",
        "layer",
        "kind",
        "PEs",
        "xbars",
        "tiles",
        "area mm2",
        "latency us",
        "busy us",
        "power mW",
        "energy nJ",
        "util"
    );
    for l in &r.layers {
        let _ = writeln!(
            s,
            "{:>3} {:<12} {:<5} {:>6} {:>7} {:>5} {:>11} {:>12} {:>12} {:>11} {:>12} {:>5.1}%",
            l.index,
            l.name,
            l.kind,
            l.pes,
            l.crossbars,
            l.tiles,
            mm2(l.area_um2),
            us(l.latency_ns),
            us(l.busy_ns),
            mw(l.power_mw),
            nj(l.energy_pj),
            100.0 * l.utilization_0_to_1
        );
    }
    let _ = writeln!(
        s,
        "{:>3} {:<12} {:<5} {:>6} {:>7} {:>5} {:>11} {:>12} {:>12} {:>11} {:>12} {:>5.1}%",
        "",
        "total",
        "",
        t.pes,
        t.crossbars,
        t.tiles,
        mm2(t.area_um2),
        us(t.latency_ns),
        "",
        mw(t.power_mw),
        nj(t.energy_pj),
        100.0 * t.utilization_0_to_1
    );
    let _ = writeln!(
        s,
        "\nbreakdown        area mm2          busy us           power mW          energy nJ"
    );
    let b = &t.breakdown;
    let rows: [(&str, Getter); 7] = [
        ("crossbar", |b| b.crossbar),
        ("adc", |b| b.adc),
        ("dac", |b| b.dac),
        ("digital", |b| b.digital),
        ("buffer", |b| b.buffer),
        ("interconnect", |b| b.interconnect),
        ("pooling", |b| b.pooling),
    ];
    let area = raw(&b.area_um2, |v| v.value());
    let lat = raw(&b.latency_ns, |v| v.value());
    let pow = raw(&b.power_mw, |v| v.value());
    let en = raw(&b.energy_pj, |v| v.value());
    let sum = |x: &Breakdown<f64>| rows.iter().map(|(_, f)| f(x)).sum::<f64>();
    for (name, f) in rows {
        let _ = writeln!(
            s,
            "{:<12} {:>12.4} {} {:>12.3} {} {:>12.3} {} {:>12.3} {}",
            name,
            f(&area) * 1e-6,
            pct(f(&area), sum(&area)),
            f(&lat) / 1e3,
            pct(f(&lat), sum(&lat)),
            f(&pow),
            pct(f(&pow), sum(&pow)),
            f(&en) / 1e3,
            pct(f(&en), sum(&en)),
        );
    }
    let _ = write!(
        s,
        "\ntile area {} mm2; PE input buffer {} KB; tile output buffer {} KB; \
         global accumulator: {} adders, {} KB ({} the totals)",
        mm2(t.tile_area_um2),
        t.pe_inbuf_kb,
        t.tile_outbuf_kb,
        t.accumulator.adders,
        t.accumulator.buffer_kb,
        if t.accumulator.in_totals {
            "in"
        } else {
            "not in"
        }
    );
    s
}

/// Reads one component of a breakdown.
type Getter = fn(&Breakdown<f64>) -> f64;

fn raw<T: Copy>(b: &Breakdown<T>, f: impl Fn(T) -> f64) -> Breakdown<f64> {
    Breakdown {
        crossbar: f(b.crossbar),
        adc: f(b.adc),
        dac: f(b.dac),
        digital: f(b.digital),
        buffer: f(b.buffer),
        interconnect: f(b.interconnect),
        pooling: f(b.pooling),
    }
}

/// Runs `epim nets`.
pub fn run_nets(args: &NetsArgs) -> epim::Result<String> {
    let mut rows = Vec::new();
    for e in ZOO {
        let n = e.spec().build()?;
        rows.push((e, n));
    }
    if args.json {
        let list: Vec<_> = rows
            .iter()
            .map(|(e, n)| {
                json!({
                    "name": e.name,
                    "description": e.description,
                    "input": n.input,
                    "w_bits": n.w_bits,
                    "a_bits": n.a_bits,
                    "layers": n.layers.len(),
                    "params": n.params(),
                    "macs": n.macs(),
                })
            })
            .collect();
        return Ok(serde_json::Value::from(list).to_string());
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<22} {:>9} {:>6} {:>7} {:>12} {:>14}  description",
        "name", "input", "bits", "layers", "params", "MACs"
    );
    for (e, n) in &rows {
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>6} {:>7} {:>12} {:>14}  {}",
            e.name,
            format!("{}x{}x{}", n.input.c, n.input.h, n.input.w),
            format!("w{}a{}", n.w_bits, n.a_bits),
            n.layers.len(),
            n.params(),
            n.macs(),
            e.description
        );
    }
    let _ = write!(s, "\npresets:");
    for p in epim::sim::PRESETS {
        let _ = write!(s, "\n  {:<8} {}", p.name, p.description);
    }
    Ok(s)
}
