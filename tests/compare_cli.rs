//! `epim compare`, driven as a user would.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/cli.rs"]
mod support;
use support::epim;

const BASE: [&str; 6] = [
    "compare",
    "--net",
    "lenet",
    "--preset",
    "mnsim2",
    "--method=dense:bits=8",
];

#[test]
fn json_has_the_documented_keys_and_ratios() {
    let mut args = BASE.to_vec();
    args.extend([
        "--method",
        "epitome:bits=3,ratio=2",
        "--method",
        "prune:kind=sre,ratio=0.5,bits=8",
        "--json",
    ]);
    let out = epim(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["network"], "lenet");
    assert_eq!(v["preset"], "mnsim2");
    assert_eq!(v["accounting"], "physical");
    assert_eq!(v["baseline"]["method"], "dense:bits=32");
    assert_eq!(v["paper"]["area_ratio"], 30.65);
    assert_eq!(v["paper"]["tolerance_0_to_1"], 0.15);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let mut keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "area_ratio",
            "area_um2",
            "bits_per_weight",
            "breakdown",
            "crossbars",
            "energy_pj",
            "energy_ratio",
            "latency_ns",
            "latency_ratio",
            "layers",
            "method",
            "near_paper_area_ratio",
            "pes",
            "power_mw",
            "quality_proxy",
            "tiles"
        ]
    );
    for r in rows {
        let ratio = v["baseline"]["area_um2"].as_f64().unwrap() / r["area_um2"].as_f64().unwrap();
        assert!((r["area_ratio"].as_f64().unwrap() - ratio).abs() < 1e-9 * ratio);
        for part in ["area_um2", "latency_ns", "energy_pj"] {
            assert!(r["breakdown"][part]["tables"].is_number(), "{part}");
        }
    }
}

#[test]
fn table_and_csv_carry_units() {
    let out = epim(&BASE);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "area mm2",
        "latency us",
        "energy uJ",
        "power mW",
        "bits/w",
        "dense:bits=32",
        "dense:bits=8",
    ] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
    let mut args = BASE.to_vec();
    args.push("--csv");
    let out = epim(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("method,crossbars,pes,tiles,area_um2,latency_ns"));
    assert_eq!(lines.count(), 2);
}

#[test]
fn bad_methods_are_one_line_errors_naming_the_key() {
    for (m, needle) in [
        (
            "--method=dense:bits=8,ratio=2",
            "ratio: unknown key for 'dense'",
        ),
        ("--method=prune:kind=xcs,ratio=2", "prune.ratio"),
        (
            "--method=epitome:bits=3,design=/nonexistent/d.json",
            "cannot read /nonexistent/d.json: ",
        ),
    ] {
        let out = epim(&["compare", "--net", "lenet", m]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(err.contains(needle), "{m}: {err}");
        assert!(!err.contains("panicked"));
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[test]
fn missing_files_are_io_errors_naming_the_path() {
    let cases: [(&[&str], &str); 2] = [
        (
            &["compare", "--model", "/nonexistent/m.safetensors"],
            "cannot read /nonexistent/m.safetensors: ",
        ),
        (
            // A regular file where the chart directory should be created.
            &[
                "compare",
                "--net",
                "lenet",
                "--method=dense:bits=8",
                "--svg",
                "/dev/null/charts",
            ],
            "cannot create directory /dev/null/charts: ",
        ),
    ];
    for (args, needle) in cases {
        let out = epim(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("cannot parse"), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[test]
fn design_file_is_read() {
    let dir = std::env::temp_dir().join(format!("epim-compare-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("design.json");
    std::fs::write(
        &path,
        r#"{"network":"lenet","layers":[{"layer":"conv2","epitome":[8,6,5,5]}]}"#,
    )
    .unwrap();
    let m = format!("--method=epitome:bits=4,design={}", path.display());
    let out = epim(&["compare", "--net", "lenet", &m, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["rows"][0]["bits_per_weight"].as_f64().unwrap() < 4.5);
}

#[test]
fn svg_dir_gets_one_chart_per_kind() {
    let dir = std::env::temp_dir().join(format!("epim-compare-svg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.display().to_string();
    let mut args = BASE.to_vec();
    args.extend(["--method", "epitome:bits=3,ratio=2", "--svg", &d]);
    let out = epim(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for kind in epim::plot::ChartKind::ALL {
        let path = dir.join(format!("{}.svg", kind.name()));
        let svg = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{path:?}"));
        assert!(
            svg.contains("<svg") && svg.contains("epitome:bits=3,ratio=2"),
            "{kind}"
        );
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote 7 charts"));
}

/// `--svg DIR` writes the chart data it drew from (`chart-data.json`, the data the page
/// draws: tests/wasm-node/charts.test.mjs compares it with the wasm `compare`), every SVG
/// is that data rendered, and a repeated method (or one equal to the baseline) is drawn
/// once.
#[test]
fn svg_dir_holds_the_chart_data_the_charts_are_drawn_from() {
    use epim::compare::{compare, CompareCharts, CompareRequest};
    use epim::plot::{render_svg, ChartKind, ChartOptions};
    let dir = std::env::temp_dir().join(format!("epim-compare-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.display().to_string();
    let methods = [
        "dense:bits=8",
        "epitome:bits=3,ratio=2",
        "dense:bits=8",
        "dense:bits=32",
    ];
    let mut args = vec!["compare", "--net", "lenet", "--preset", "mnsim2"];
    for m in methods {
        args.extend(["--method", m]);
    }
    args.extend(["--svg", &d]);
    let out = epim(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("chart-data.json")).unwrap();
    let req: CompareRequest = serde_json::from_value(serde_json::json!({
        "network": "lenet", "preset": "mnsim2", "baseline": "dense:bits=32", "methods": methods,
    }))
    .unwrap();
    let charts = compare(&req).unwrap().charts();
    // Compared as text: serde_json writes floats exactly (shortest round trip), but
    // reads them back only to within an ulp.
    assert_eq!(text, serde_json::to_string_pretty(&charts).unwrap());
    let drawn: Vec<&str> = charts
        .chart
        .rows
        .iter()
        .map(|r| r.method.as_str())
        .collect();
    assert_eq!(
        drawn,
        ["dense:bits=32", "dense:bits=8", "epitome:bits=3,ratio=2"]
    );
    assert_eq!(charts.accuracy_chart, None, "no row has an accuracy");
    let written: CompareCharts = serde_json::from_str(&text).unwrap();
    assert_eq!(written.chart.rows.len(), 3);
    for kind in ChartKind::ALL {
        let svg = std::fs::read_to_string(dir.join(format!("{}.svg", kind.name()))).unwrap();
        let again = render_svg(&charts.chart, kind, &ChartOptions::default()).unwrap();
        assert_eq!(
            svg, again,
            "{kind} is drawn from the data in chart-data.json"
        );
    }
}

/// A layer's `latency_ns` is the simulator's layer latency (MNSIM's: the time
/// it adds after its first producer), the same number `epim simulate` reports;
/// with residual branches the layers' latencies overlap, so they add up to
/// more than the row's latency.
#[test]
fn a_layers_latency_is_the_simulators_layer_latency() {
    let json = |args: &[&str]| -> serde_json::Value {
        let out = epim(args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let c = json(&[
        "compare",
        "--net",
        "resnet18",
        "--method=dense:bits=8",
        "--json",
    ]);
    let s = json(&["simulate", "--net", "resnet18", "--w-bits", "8", "--json"]);
    let row = &c["rows"][0];
    let (ours, sim) = (
        row["layers"].as_array().unwrap(),
        s["layers"].as_array().unwrap(),
    );
    assert_eq!(ours.len(), 31);
    assert_eq!(ours.len(), sim.len());
    for (a, b) in ours.iter().zip(sim) {
        assert_eq!(a["name"], b["name"]);
        assert_eq!(
            a["latency_ns"].as_f64(),
            b["latency_ns"].as_f64(),
            "{}",
            a["name"]
        );
    }
    let sum: f64 = ours.iter().map(|l| l["latency_ns"].as_f64().unwrap()).sum();
    let total = row["latency_ns"].as_f64().unwrap();
    assert_eq!(total, s["totals"]["latency_ns"].as_f64().unwrap());
    assert!(sum > 1.05 * total, "{sum} vs {total}");
}
