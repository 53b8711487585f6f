//! `epim simulate` and `epim nets`, driven as a user would.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/cli.rs"]
mod support;
use support::{assert_clean_error, epim, json_out, temp_file};

use epim::nets::builtin;
use epim::sim::{preset, simulate, Accounting};

fn log_pes(log: &str) -> u64 {
    log.lines()
        .find_map(|l| l.strip_prefix("Total crossbar number:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("log has the crossbar number")
}

#[test]
fn simulate_json_has_the_documented_shape_and_mnsim_counts() {
    let v = json_out(&epim(&[
        "simulate",
        "--net",
        "vgg8",
        "--accounting",
        "mnsim",
        "--json",
    ]));
    assert_eq!(v["network"], "vgg8");
    assert_eq!(v["preset"], "mnsim2");
    assert_eq!(v["accounting"], "mnsim");
    let pes = log_pes(include_str!("fixtures/mnsim2/vgg8.log"));
    assert_eq!(v["totals"]["pes"], pes);
    assert_eq!(v["totals"]["crossbars"], 2 * pes);
    for key in ["tiles", "area_um2", "latency_ns", "power_mw", "energy_pj"] {
        assert!(v["totals"][key].as_f64().is_some_and(|x| x > 0.0), "{key}");
    }
    let l0 = &v["layers"][0];
    for key in [
        "index",
        "name",
        "kind",
        "pes",
        "crossbars",
        "tiles",
        "area_um2",
        "latency_ns",
        "power_mw",
        "energy_pj",
        "breakdown",
    ] {
        assert!(!l0[key].is_null(), "layer field {key}");
    }
    assert_eq!(l0["kind"], "conv");
    assert!(l0["breakdown"]["energy_pj"]["adc"].as_f64().is_some());
}

#[test]
fn simulate_json_equals_the_library_report() {
    let v = json_out(&epim(&["simulate", "--net", "lenet", "--json"]));
    let lib = simulate(
        &builtin("lenet").unwrap(),
        &preset("mnsim2").unwrap(),
        Accounting::Physical,
    )
    .unwrap();
    // Through the same text round trip as the CLI's output.
    let lib: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&lib).unwrap()).unwrap();
    assert_eq!(v, lib);
    assert_eq!(v["accounting"], "physical", "physical is the default");
}

#[test]
fn crossbar_size_knob_reproduces_the_xbar128_run() {
    let v = json_out(&epim(&[
        "simulate",
        "--net",
        "vgg8",
        "--accounting",
        "mnsim",
        "--crossbar-size",
        "128",
        "--json",
    ]));
    assert_eq!(
        v["totals"]["pes"],
        log_pes(include_str!("fixtures/mnsim2/vgg8_xbar128.log"))
    );
}

#[test]
fn knob_flags_change_the_hardware() {
    let base = json_out(&epim(&["simulate", "--net", "lenet", "--json"]));
    let two_bit = json_out(&epim(&[
        "simulate",
        "--net",
        "lenet",
        "--cell-bits",
        "2",
        "--json",
    ]));
    // Physical slices: ceil(8 / 2) = 4 instead of 8.
    assert!(two_bit["totals"]["crossbars"].as_u64() < base["totals"]["crossbars"].as_u64());
    let adc8 = json_out(&epim(&[
        "simulate",
        "--net",
        "lenet",
        "--adc-choice",
        "2",
        "--json",
    ]));
    assert_ne!(adc8["totals"]["area_um2"], base["totals"]["area_um2"]);
    let w5 = json_out(&epim(&[
        "simulate", "--net", "lenet", "--w-bits", "5", "--a-bits", "4", "--json",
    ]));
    assert!(w5["totals"]["pes"].as_u64() < base["totals"]["pes"].as_u64());
    let isaac = json_out(&epim(&[
        "simulate", "--net", "lenet", "--preset", "isaac", "--json",
    ]));
    assert_eq!(isaac["preset"], "isaac");
}

#[test]
fn simulate_table_has_units_and_totals() {
    let out = epim(&["simulate", "--net", "lenet"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "area mm2",
        "latency us",
        "power mW",
        "energy nJ",
        "total",
        "conv1",
        "breakdown",
    ] {
        assert!(text.contains(needle), "{needle} missing in\n{text}");
    }
}

#[test]
fn network_and_config_files_are_accepted() {
    let net = temp_file(
        "tiny_net.json",
        r#"{"name":"tiny","input":{"c":3,"h":8,"w":8},"w_bits":8,"a_bits":8,
            "layers":[{"kind":"conv","c_out":16,"kernel":3,"padding":1},
                      {"kind":"pool","kernel":2},
                      {"kind":"fc","out":10}]}"#,
    );
    let cfg = temp_file(
        "cfg.json",
        r#"{"crossbar":{"rows":128,"cols":128,"subarray_rows":128}}"#,
    );
    let v = json_out(&epim(&[
        "simulate",
        "--net",
        net.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(v["network"], "tiny");
    assert_eq!(v["layers"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_input_gives_one_clean_line() {
    assert_clean_error(
        &epim(&["simulate", "--net", "vgg9"]),
        "unknown network 'vgg9'",
    );
    assert_clean_error(
        &epim(&["simulate", "--net", "vgg8", "--preset", "nope"]),
        "unknown preset 'nope'",
    );
    assert_clean_error(
        &epim(&["simulate", "--net", "vgg8", "--accounting", "exact"]),
        "unknown accounting 'exact'",
    );
    assert_clean_error(
        &epim(&["simulate", "--net", "vgg8", "--adc-choice", "10"]),
        "interface.adc_choice",
    );
    let cfg = temp_file("bad_cfg.json", r#"{"interface":{"adc_power_w":1}}"#);
    assert_clean_error(
        &epim(&[
            "simulate",
            "--net",
            "vgg8",
            "--config",
            cfg.to_str().unwrap(),
        ]),
        "adc_power_w",
    );
    let cfg = temp_file("zero_cfg.json", r#"{"crossbar":{"rows":0}}"#);
    assert_clean_error(
        &epim(&[
            "simulate",
            "--net",
            "vgg8",
            "--config",
            cfg.to_str().unwrap(),
        ]),
        "invalid crossbar.rows",
    );
    let small = temp_file("small_chip.json", r#"{"chip":{"tiles_x":4,"tiles_y":4}}"#);
    assert_clean_error(
        &epim(&[
            "simulate",
            "--net",
            "vgg8",
            "--config",
            small.to_str().unwrap(),
        ]),
        "tiles, the chip has 16",
    );
    let net = temp_file(
        "bad_net.json",
        r#"{"name":"x","input":{"c":3,"h":4,"w":4},"w_bits":8,"a_bits":8,"layers":[{"kind":"conv","c_out":4,"kernel":7}]}"#,
    );
    assert_clean_error(
        &epim(&["simulate", "--net", net.to_str().unwrap()]),
        "layers[0].kernel",
    );
    assert_clean_error(
        &epim(&["simulate", "--net", "/nonexistent/net.json"]),
        "cannot read /nonexistent/net.json: ",
    );
}

#[test]
fn nets_lists_the_zoo_with_params_and_macs() {
    let v = json_out(&epim(&["nets", "--json"]));
    let list = v.as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|e| e["name"].as_str().unwrap()).collect();
    for n in [
        "lenet",
        "alexnet",
        "vgg8",
        "vgg16",
        "resnet18",
        "resnet18-imagenet",
        "resnet50-imagenet",
        "vgg16-imagenet",
        "mobilenetv2-imagenet",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    for e in list {
        let net = builtin(e["name"].as_str().unwrap()).unwrap();
        assert_eq!(e["params"], net.params());
        assert_eq!(e["macs"], net.macs());
    }
    let out = epim(&["nets"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("MACs") && text.contains("mnsim2"));
}
