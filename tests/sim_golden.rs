//! The simulator's `mnsim` accounting against MNSIM 2.0's real outputs
//! (tests/fixtures/mnsim2/: three logs and the per-layer checkpoints of the same
//! runs, see its README.md). Every expected number is parsed from those files.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;

use epim::nets::builtin;
use epim::sim::{simulate, Accounting, Knobs, LayerReport, SimOptions, SimReport};

const TOL: f64 = 1e-6;

#[derive(Default, Debug)]
struct GLayer {
    kind: String,
    occupancy: f64,
    total_latency: f64,
    layer_latency: f64,
    latency: HashMap<String, f64>,
    area: f64,
    power: f64,
    energy: f64,
}

#[derive(Default, Debug)]
struct Golden {
    pes: u64,
    layers: Vec<GLayer>,
    entire_latency: f64,
    area: f64,
    power: f64,
    energy: f64,
    area_lines: HashMap<String, f64>,
    power_lines: HashMap<String, f64>,
    energy_lines: HashMap<String, f64>,
    /// From the optional "SUMMARY" block of vgg8_xbar128.log.
    summary_tiles: Option<u64>,
    summary_layers: HashMap<usize, HashMap<String, u64>>,
}

fn num(s: &str) -> f64 {
    s.split_whitespace()
        .next()
        .unwrap_or_else(|| panic!("no number in {s:?}"))
        .parse()
        .unwrap_or_else(|e| panic!("bad number {s:?}: {e}"))
}

fn parse_log(text: &str) -> Golden {
    let mut g = Golden::default();
    let mut section = "";
    let mut layer: Option<usize> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("Total crossbar number:") {
            g.pes = num(rest) as u64;
        } else if line.starts_with("=====") && line.contains("Results") {
            section = if line.contains("Latency") {
                "latency"
            } else if line.contains("Area") {
                "area"
            } else if line.contains("Power") {
                "power"
            } else {
                "energy"
            };
            layer = None;
        } else if let Some(rest) = line.strip_prefix("Layer ") {
            let idx: usize = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|s| s.parse().ok())
                .expect("layer index");
            while g.layers.len() <= idx {
                g.layers.push(GLayer::default());
            }
            if let Some(t) = rest.split("type:").nth(1) {
                g.layers[idx].kind = t.trim().to_string();
            }
            layer = Some(idx);
        } else if let Some(rest) = line.strip_prefix("Occupancy:") {
            g.layers[layer.expect("layer")].occupancy = num(rest);
        } else if let Some(rest) = line.strip_prefix("total latency:") {
            g.layers[layer.expect("layer")].total_latency = num(rest);
        } else if let Some(rest) = line.strip_prefix("layer latency:") {
            g.layers[layer.expect("layer")].layer_latency = num(rest);
        } else if line.contains(" latency of layer ") {
            let (name, rest) = line.split_once(" latency of layer ").expect("component");
            let value = rest.split_once(':').expect("colon").1;
            g.layers[layer.expect("layer")]
                .latency
                .insert(name.to_string(), num(value));
        } else if let Some(rest) = line.strip_prefix("Entire latency:") {
            g.entire_latency = num(rest);
        } else if let Some(rest) = line.strip_prefix("Hardware area") {
            let v = num(rest.split_once(':').expect("colon").1);
            match layer {
                Some(l) => g.layers[l].area = v,
                None => g.area = v,
            }
        } else if let Some(rest) = line.strip_prefix("Hardware power") {
            let v = num(rest.split_once(':').expect("colon").1);
            match layer {
                Some(l) => g.layers[l].power = v,
                None => g.power = v,
            }
        } else if let Some(rest) = line.strip_prefix("Hardware energy") {
            let v = num(rest.split_once(':').expect("colon").1);
            match layer {
                Some(l) => g.layers[l].energy = v,
                None => g.energy = v,
            }
        } else if let Some(rest) = line.strip_prefix("tiles_used:") {
            g.summary_tiles = Some(num(rest) as u64);
        } else if line.starts_with("layer ") && line.contains("tilenum=") {
            let idx: usize = line[6..]
                .split_whitespace()
                .next()
                .and_then(|s| s.parse().ok())
                .expect("summary layer index");
            let kv = line
                .split_whitespace()
                .filter_map(|w| w.split_once('='))
                .filter_map(|(k, v)| v.parse::<u64>().ok().map(|v| (k.to_string(), v)))
                .collect();
            g.summary_layers.insert(idx, kv);
        } else if section != "latency" && layer.is_none() {
            // Breakdown lines: "crossbar area: 1.0 um^2", "|---adder power: 0.0 W".
            let l = line.trim_start_matches("|---");
            for (sec, unit, map) in [
                ("area", " area:", &mut g.area_lines),
                ("power", " power:", &mut g.power_lines),
                ("energy", " energy:", &mut g.energy_lines),
            ] {
                if section == sec {
                    if let Some((name, v)) = l.split_once(unit) {
                        map.insert(name.to_string(), num(v));
                    }
                }
            }
        }
    }
    g
}

/// Per-layer rows of one "| # | type | ... |" table of checkpoints.md under `heading`.
fn checkpoint_rows(heading: &str) -> Vec<HashMap<String, String>> {
    let text = include_str!("fixtures/mnsim2/checkpoints.md");
    let start = text
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} missing"));
    let body = &text[start..];
    let end = body[3..].find("\n### ").map_or(body.len(), |e| e + 3);
    let body = &body[..end];
    let mut tables: Vec<Vec<HashMap<String, String>>> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    for line in body.lines() {
        if !line.starts_with('|') {
            header.clear();
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        if cells.iter().all(|c| c.chars().all(|ch| ch == '-')) {
            continue;
        }
        if header.is_empty() {
            header = cells;
            tables.push(Vec::new());
        } else if let Some(t) = tables.last_mut() {
            t.push(header.iter().cloned().zip(cells).collect());
        }
    }
    // Merge the two tables (mapping, then timing) row by row.
    let mut rows = tables.remove(0);
    for t in tables {
        for (r, extra) in rows.iter_mut().zip(t) {
            r.extend(extra);
        }
    }
    rows
}

fn rel(got: f64, want: f64) -> f64 {
    if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

/// Max relative error per quantity, for the report.
#[derive(Default)]
struct Errs(HashMap<&'static str, f64>);

impl Errs {
    fn check(&mut self, what: &'static str, ctx: &str, got: f64, want: f64) {
        let e = rel(got, want);
        assert!(
            e < TOL,
            "{ctx}: {what} got {got}, MNSIM printed {want} (relative error {e:e})"
        );
        let m = self.0.entry(what).or_insert(0.0);
        *m = m.max(e);
    }
}

fn latency_line(l: &LayerReport, name: &str) -> f64 {
    let d = &l.detail.latency_ns;
    let v = |x: epim::units::TimeNs| x.value();
    match name {
        "Buffer" => v(d.buffer_read) + v(d.buffer_write),
        "read buffer" => v(d.buffer_read),
        "write buffer" => v(d.buffer_write),
        "Computing" => v(d.dac) + v(d.xbar) + v(d.adc),
        "DAC" => v(d.dac),
        "ADC" => v(d.adc),
        "xbar" => v(d.xbar),
        "Digital part" => v(d.digital()),
        "iReg" => v(d.ireg),
        "oReg" => v(d.oreg),
        "input demux" => v(d.input_demux),
        "output mux" => v(d.output_mux),
        "shiftreg" => v(d.shiftreg),
        "adder" => v(d.adder),
        "Jointmodule" => v(d.jointmodule),
        "Pooling module" => v(d.pooling),
        "Intra tile communication" => v(d.intra_tile),
        "Inter tile communication" => v(d.merge) + v(d.transfer),
        "One layer merge" => v(d.merge),
        "Inter tile transfer" => v(d.transfer),
        other => panic!("unknown latency line {other:?}"),
    }
}

/// A breakdown line of the totals, in MNSIM's units (area µm², power W, energy nJ).
fn total_line(r: &SimReport, section: &str, name: &str) -> f64 {
    let t = &r.totals.detail;
    let acc = &r.totals.accumulator;
    // The global accumulator appears only in MNSIM's breakdown lines
    // (docs/mnsim-model.md#power, #energy, #area).
    let gbuf_area = acc.area_um2.value() - acc.adders_area_um2.value();
    let (p, scale, g_digital, g_read, g_write) = match section {
        "area" => (
            t.area_um2.map(|x| x.value()),
            1.0,
            acc.adders_area_um2.value(),
            gbuf_area,
            0.0,
        ),
        "power" => (
            t.power_mw.map(|x| x.value()),
            1e-3,
            acc.adders_power_mw.value(),
            acc.buffer_read_power_mw.value(),
            acc.buffer_write_power_mw.value(),
        ),
        _ => (
            t.energy_pj.map(|x| x.value()),
            1e-3,
            acc.adders_energy_pj.value(),
            0.0,
            0.0,
        ),
    };
    let v = match name {
        "crossbar" => p.xbar,
        "DAC" => p.dac,
        "ADC" => p.adc,
        "Buffer" => p.buffer_read + p.buffer_write + g_read + g_write,
        "read buffer" => p.buffer_read + g_read,
        "write buffer" => p.buffer_write + g_write,
        "Pooling" => p.pooling,
        "Other digital part" => p.digital() + g_digital,
        "adder" => p.adder + g_digital,
        "output-shift-reg" => p.shiftreg,
        "input-reg" => p.ireg,
        "output-reg" => p.oreg,
        "input_demux" => p.input_demux,
        "output_mux" => p.output_mux,
        "joint_module" => p.jointmodule,
        "NoC part" => 0.0,
        other => panic!("unknown {section} line {other:?}"),
    };
    v * scale
}

fn run(net: &str, log: &str, heading: &str, options: SimOptions) -> Errs {
    let golden = parse_log(log);
    let network = builtin(net).expect("zoo network");
    let arch = options.arch(&Default::default()).expect("arch");
    let r = simulate(&network, &arch, Accounting::Mnsim).expect("simulates");
    let mut errs = Errs::default();

    // Counts: exact.
    assert_eq!(r.totals.pes, golden.pes, "{net}: total PEs");
    assert_eq!(
        r.totals.crossbars,
        golden.pes * 2,
        "{net}: crossbars = PEs x polarity"
    );
    assert_eq!(r.layers.len(), golden.layers.len(), "{net}: layer count");
    let rows = checkpoint_rows(heading);
    assert_eq!(rows.len(), r.layers.len(), "{net}: checkpoint rows");
    let tiles_line = text_field(heading, "tiles used = ");
    assert_eq!(r.totals.tiles, tiles_line, "{net}: tiles used");
    if let Some(t) = golden.summary_tiles {
        assert_eq!(r.totals.tiles, t, "{net}: summary tiles_used");
    }
    let tile_area = text_field_f(heading, "tile area = ");
    errs.check("tile area", net, r.totals.tile_area_um2.value(), tile_area);

    for (l, (ours, row)) in r.layers.iter().zip(&rows).enumerate() {
        let ctx = format!("{net} layer {l}");
        let gl = &golden.layers[l];
        let kind = if ours.kind == "pool" {
            "pooling"
        } else {
            &ours.kind
        };
        assert_eq!(kind, gl.kind, "{ctx}: kind");
        let int = |k: &str| -> u64 { row[k].parse().unwrap_or_else(|_| panic!("{ctx}: {k}")) };
        let flt = |k: &str| -> f64 { row[k].parse().unwrap_or_else(|_| panic!("{ctx}: {k}")) };
        assert_eq!(ours.tiles, int("tiles"), "{ctx}: tiles");
        assert_eq!(ours.mapping.start_tile, int("startid"), "{ctx}: start tile");
        assert_eq!(ours.mapping.max_pe, int("max_PE"), "{ctx}: max_PE");
        assert_eq!(ours.mapping.gather_hops, int("inLayer"), "{ctx}: inLayer");
        assert_eq!(
            ours.mapping.send_hops,
            int("transLayer"),
            "{ctx}: transLayer"
        );
        if ours.kind == "conv" || ours.kind == "fc" {
            assert_eq!(ours.pes, int("PEnum"), "{ctx}: PEs");
            assert_eq!(ours.crossbars, 2 * int("PEnum"), "{ctx}: crossbars");
            assert_eq!(
                (ours.mapping.mx, ours.mapping.my),
                (int("mx"), int("my")),
                "{ctx}"
            );
            assert_eq!(ours.mapping.max_row, int("max_row"), "{ctx}: max_row");
            assert_eq!(ours.mapping.max_col, int("max_col"), "{ctx}: max_col");
            if let Some(s) = golden.summary_layers.get(&l) {
                assert_eq!(ours.pes, s["PEnum"], "{ctx}: summary PEnum");
                assert_eq!(ours.tiles, s["tilenum"], "{ctx}: summary tilenum");
            }
        }
        errs.check(
            "first finish",
            &ctx,
            ours.first_finish_ns.value(),
            flt("first finish (ns)"),
        );
        errs.check(
            "last finish",
            &ctx,
            ours.last_finish_ns.value(),
            flt("last finish (ns)"),
        );
        errs.check("occupancy", &ctx, ours.occupancy_0_to_1, gl.occupancy);
        errs.check(
            "layer latency",
            &ctx,
            ours.latency_ns.value(),
            gl.layer_latency,
        );
        errs.check(
            "total latency",
            &ctx,
            ours.busy_ns.value(),
            gl.total_latency,
        );
        for (name, want) in &gl.latency {
            errs.check("latency components", &ctx, latency_line(ours, name), *want);
        }
        errs.check("area", &ctx, ours.area_um2.value(), gl.area);
        errs.check("power", &ctx, ours.power_mw.value() * 1e-3, gl.power);
        errs.check("energy", &ctx, ours.energy_pj.value() * 1e-3, gl.energy);
    }
    errs.check(
        "entire latency",
        net,
        r.totals.latency_ns.value(),
        golden.entire_latency,
    );
    errs.check("area", net, r.totals.area_um2.value(), golden.area);
    errs.check("power", net, r.totals.power_mw.value() * 1e-3, golden.power);
    errs.check(
        "energy",
        net,
        r.totals.energy_pj.value() * 1e-3,
        golden.energy,
    );
    for (section, lines) in [
        ("area", &golden.area_lines),
        ("power", &golden.power_lines),
        ("energy", &golden.energy_lines),
    ] {
        assert!(
            lines.len() >= 13,
            "{net}: {section} breakdown lines parsed: {lines:?}"
        );
        for (name, want) in lines {
            let got = total_line(&r, section, name);
            let what = match section {
                "area" => "area breakdown",
                "power" => "power breakdown",
                _ => "energy breakdown",
            };
            errs.check(what, &format!("{net} {section} {name}"), got, *want);
        }
    }
    let mut keys: Vec<_> = errs.0.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    for (k, v) in keys {
        eprintln!("{net}: max relative error {k}: {v:e}");
    }
    errs
}

fn section_of(heading: &str) -> &'static str {
    let text = include_str!("fixtures/mnsim2/checkpoints.md");
    let start = text.find(heading).expect("heading");
    let body = &text[start..];
    let end = body[3..].find("\n### ").map_or(body.len(), |e| e + 3);
    &body[..end]
}

fn text_field_f(heading: &str, key: &str) -> f64 {
    let body = section_of(heading);
    let at = body.find(key).unwrap_or_else(|| panic!("{key} missing")) + key.len();
    let s: String = body[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == '-')
        .collect();
    s.trim_end_matches('.').parse().expect("number")
}

fn text_field(heading: &str, key: &str) -> u64 {
    text_field_f(heading, key) as u64
}

#[test]
fn lenet_matches_mnsim2_per_layer_and_total() {
    run(
        "lenet",
        include_str!("fixtures/mnsim2/lenet.log"),
        "### B.1 lenet",
        SimOptions::default(),
    );
}

#[test]
fn vgg8_matches_mnsim2_per_layer_and_total() {
    run(
        "vgg8",
        include_str!("fixtures/mnsim2/vgg8.log"),
        "### B.3 vgg8",
        SimOptions::default(),
    );
}

#[test]
fn vgg8_with_128x128_crossbars_matches_mnsim2() {
    run(
        "vgg8",
        include_str!("fixtures/mnsim2/vgg8_xbar128.log"),
        "### B.6 vgg8",
        SimOptions {
            knobs: Knobs {
                crossbar_size: Some(128),
                ..Knobs::default()
            },
            ..SimOptions::default()
        },
    );
}

#[test]
fn log_parser_reads_every_layer_section() {
    // Guards the parser itself: every layer gets its 20 latency lines and the
    // three per-layer hardware lines.
    for log in [
        include_str!("fixtures/mnsim2/lenet.log"),
        include_str!("fixtures/mnsim2/vgg8.log"),
        include_str!("fixtures/mnsim2/vgg8_xbar128.log"),
    ] {
        let g = parse_log(log);
        assert!(g.pes > 0 && g.entire_latency > 0.0);
        for l in &g.layers {
            assert_eq!(l.latency.len(), 20, "{l:?}");
            assert!(l.area > 0.0 && l.power > 0.0 && l.energy > 0.0, "{l:?}");
        }
    }
}
