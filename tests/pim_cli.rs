//! `epim pim-eval`, driven as a user would (needs the MNIST test set, `npm ci`).
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/cli.rs"]
mod support;
use support::{assert_clean_error, epim, json_out, temp_file};

fn model(name: &str) -> String {
    format!(
        "{}/../models/{name}.safetensors",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn json_reports_mean_and_spread_over_seeds_per_model() {
    let dense = model("mnist-cnn-dense-8b");
    let epim_m = model("mnist-cnn-epim2.25-3b");
    let out = epim(&[
        "pim-eval",
        "--model",
        &dense,
        "--model",
        &epim_m,
        "--limit",
        "40",
        "--seeds",
        "3",
        "--variation",
        "0.3",
        "--json",
    ]);
    let v = json_out(&out);
    assert_eq!(v["dataset"], "mnist");
    assert_eq!(v["knobs"]["variation_sigma"], 0.3);
    assert_eq!(v["knobs"]["adc_bits"], 6, "the mnsim2 preset by default");
    let models = v["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    for m in models {
        let r = &m["result"];
        let per: Vec<f64> = r["accuracy_per_seed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_f64().unwrap())
            .collect();
        assert_eq!(per.len(), 3);
        let mean = per.iter().sum::<f64>() / 3.0;
        assert!((r["mean_0_to_1"].as_f64().unwrap() - mean).abs() < 1e-12);
        assert!(per.iter().all(|a| (0.0..=1.0).contains(a)));
        assert_eq!(r["images"], 40);
    }
    assert_eq!(models[0]["model"], "mnist-cnn-dense-8b");
    assert_eq!(
        models[0]["result"]["crossbars"], 98,
        "README: 98 crossbars under mnsim2"
    );
    assert_eq!(models[1]["result"]["crossbars"], 16);
}

#[test]
fn the_ideal_preset_gives_the_digital_accuracy() {
    let out = epim(&[
        "pim-eval",
        "--model",
        &model("mnist-cnn-xrs0.556-8b"),
        "--preset",
        "ideal",
        "--limit",
        "60",
        "--seeds",
        "2",
        "--json",
    ]);
    let v = json_out(&out);
    let m = &v["models"][0];
    assert_eq!(m["result"]["mean_0_to_1"], m["digital_0_to_1"]);
    assert_eq!(m["result"]["std_0_to_1"], 0.0);
}

/// `--layers`: one line and one JSON entry per weight layer, each layer's own
/// error; at mnsim2's 6-bit ADC the first convolution (9 word lines: steps of one
/// level) reads exactly and conv2 (144: 2.3 levels) does not.
#[test]
fn layers_report_each_layers_error() {
    let args = [
        "pim-eval",
        "--model",
        &model("mnist-cnn-dense-8b"),
        "--limit",
        "30",
        "--seeds",
        "1",
        "--layers",
    ];
    let v = json_out(&epim(&[&args[..], &["--json"]].concat()));
    let layers = v["models"][0]["layers"].as_array().unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["conv1", "conv2", "conv3", "fc"]);
    assert_eq!(layers[0]["rel_rms_error"], 0.0);
    assert_eq!(layers[1]["mapping"]["rows"], 144);
    assert_eq!(layers[1]["mapping"]["cycles"], 8);
    let e = layers[1]["rel_rms_error"].as_f64().unwrap();
    assert!(e > 0.01 && e < 1.0, "conv2 at 6 bits: {e}");
    assert_eq!(layers[1]["values"], 30 * 32 * 14 * 14);
    let out = epim(&args);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("layer conv2 (144 word lines in 1 row block, 8 input cycles): output error"),
        "{text}"
    );
    assert!(text.contains("layer conv1 (9 word lines in 1 row block, 8 input cycles): output error 0.00 % RMS, mean +0.00 %"), "{text}");
}

#[test]
fn a_sweep_gives_a_curve_and_an_svg_with_every_model() {
    let svg = temp_file("sweep.svg", "");
    let svg_s = svg.to_str().unwrap();
    let out = epim(&[
        "pim-eval",
        "--model",
        &model("mnist-cnn-dense-8b"),
        "--model",
        &model("mnist-cnn-filter0.5625-8b"),
        "--preset",
        "ideal",
        "--sweep",
        "adc-bits=2..4",
        "--limit",
        "30",
        "--seeds",
        "1",
        "--json",
        "--svg",
        svg_s,
    ]);
    let v = json_out(&out);
    assert_eq!(v["sweep"]["knob"], "adc-bits");
    for m in v["models"].as_array().unwrap() {
        let pts = m["points"].as_array().unwrap();
        let xs: Vec<f64> = pts.iter().map(|p| p["value"].as_f64().unwrap()).collect();
        assert_eq!(xs, [2.0, 3.0, 4.0]);
        // Two ADC bits for 256-row column sums: far below the digital accuracy.
        let at2 = pts[0]["result"]["mean_0_to_1"].as_f64().unwrap();
        assert!(at2 < m["digital_0_to_1"].as_f64().unwrap() - 0.2, "{at2}");
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"), "{}", &text[..40.min(text.len())]);
    for label in [
        "mnist-cnn-dense-8b",
        "mnist-cnn-filter0.5625-8b",
        "adc-bits",
    ] {
        assert!(text.contains(label), "svg lacks {label}");
    }
    // Text output: one line per point.
    let out = epim(&[
        "pim-eval",
        "--model",
        &model("mnist-cnn-dense-8b"),
        "--sweep",
        "stuck=0,0.05",
        "--limit",
        "10",
        "--seeds",
        "1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("stuck = 0.05:"), "{text}");
}

#[test]
fn a_trade_costs_each_adc_resolution_as_epim_compare_does() {
    let svg = temp_file("trade.svg", "");
    let svg_s = svg.to_str().unwrap();
    let dense = model("mnist-cnn-dense-8b");
    let epim_m = model("mnist-cnn-epim2.25-8b");
    let out = epim(&[
        "pim-eval",
        "--model",
        &dense,
        "--model",
        &epim_m,
        "--sweep",
        "adc-bits=5..8",
        "--trade",
        "energy",
        "--limit",
        "20",
        "--seeds",
        "1",
        "--json",
        "--svg",
        svg_s,
    ]);
    let v = json_out(&out);
    assert_eq!(v["trade"], "energy");
    assert_eq!(v["uncosted_adc_bits"], serde_json::json!([5, 7]));
    // The same chip in `epim compare`: the preset's own 6-bit ADC, and row 2 of MNSIM's
    // ADC table for 8 bits (the first 8-bit row).
    let compare = |extra: &[&str]| {
        let mut args = vec![
            "compare",
            "--model",
            dense.as_str(),
            "--model",
            epim_m.as_str(),
            "--json",
        ];
        args.extend_from_slice(extra);
        json_out(&epim(&args))
    };
    let at6 = compare(&[]);
    let at8 = compare(&["--adc-choice", "2"]);
    for (i, m) in v["models"].as_array().unwrap().iter().enumerate() {
        let costs = m["costs"].as_array().unwrap();
        let bits: Vec<u64> = costs
            .iter()
            .map(|c| c["adc_bits"].as_u64().unwrap())
            .collect();
        assert_eq!(bits, [1, 4, 6, 8, 10], "every resolution of MNSIM's table");
        let at = |b: u64| costs.iter().find(|c| c["adc_bits"] == b).unwrap();
        for (b, report) in [(6, &at6), (8, &at8)] {
            let row = &report["rows"][i];
            for field in ["energy_pj", "area_um2", "latency_ns"] {
                let (ours, theirs) = (at(b)[field].as_f64().unwrap(), row[field].as_f64().unwrap());
                assert!(
                    (ours - theirs).abs() <= 1e-9 * theirs,
                    "{b} bits {field}: {ours} vs {theirs}"
                );
            }
        }
        assert_eq!(at(8)["adc_choice"], 2);
        assert!(at(8)["energy_pj"].as_f64() > at(6)["energy_pj"].as_f64());
    }
    let text = std::fs::read_to_string(&svg).unwrap();
    let labels: Vec<&str> = text
        .split("</text>")
        .filter_map(|t| t.rsplit('>').next())
        .map(str::trim)
        .collect();
    for needle in [
        "energy per image in the simulator (µJ)",
        "6 b",
        "8 b",
        "mnist-cnn-epim2.25-8b",
    ] {
        assert!(labels.contains(&needle), "svg lacks {needle}: {labels:?}");
    }
    assert!(
        !labels.contains(&"5 b"),
        "an uncosted resolution is left out of the chart"
    );
    // Text output: the cost beside each costed point, and what was not costed.
    let out = epim(&[
        "pim-eval",
        "--model",
        &dense,
        "--sweep",
        "adc-bits=7,8",
        "--trade",
        "area",
        "--limit",
        "5",
        "--seeds",
        "1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("adc-bits = 8:") && text.contains("mm²") && text.contains("(ADC choice 2)"),
        "{text}"
    );
    assert!(
        text.contains("not costed (no ADC of that resolution in MNSIM's table): 7 bits"),
        "{text}"
    );
}

#[test]
fn bad_knobs_and_flags_are_one_line_errors_naming_the_knob() {
    let m = model("mnist-cnn-dense-8b");
    let cases: [(&[&str], &str); 12] = [
        (&["--adc-bits", "0"], "adc_bits"),
        (&["--variation=-0.1"], "variation_sigma"),
        (&["--sa1", "0.9"], "sa1_0_to_1"),
        (&["--on-off", "1"], "on_off_ratio"),
        (&["--crossbar-size", "5000"], "crossbar_rows"),
        (&["--sweep", "bogus=1..2"], "bogus"),
        (&["--svg", "/tmp/x.svg"], "--svg"),
        (&["--preset", "nope"], "--preset"),
        (&["--layers", "--sweep", "adc-bits=5..6"], "--layers"),
        (&["--trade", "energy"], "--trade"),
        (&["--trade", "power", "--sweep", "adc-bits=5..6"], "--trade"),
        (
            &[
                "--trade",
                "area",
                "--sweep",
                "adc-bits=5..6",
                "--dac-bits",
                "5",
            ],
            "dac_bits",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec![
            "pim-eval",
            "--model",
            m.as_str(),
            "--limit",
            "5",
            "--seeds",
            "1",
        ];
        args.extend_from_slice(extra);
        assert_clean_error(&epim(&args), needle);
    }
    assert_clean_error(
        &epim(&[
            "pim-eval",
            "--model",
            &m,
            "--sweep",
            "adc-bits=0..2",
            "--limit",
            "5",
        ]),
        "adc_bits",
    );
    assert_clean_error(
        &epim(&["pim-eval", "--model", "/nonexistent.safetensors"]),
        "/nonexistent",
    );
}
