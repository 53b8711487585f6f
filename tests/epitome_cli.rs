//! `epim epitome materialize|tables|conv` and `epim quantize`, driven as a user
//! would: a layer file in, JSON out; bad input gives one clear stderr line and
//! a non-zero exit, never a panic.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use serde_json::{json, Value};

#[path = "support/cli.rs"]
mod support;
use support::{assert_clean_error, epim, json_out, temp_file};

/// The spec part of a golden fixture, written to a file.
fn fixture_file(name: &str) -> (PathBuf, Value) {
    let text = std::fs::read_to_string(format!(
        "{}/../tests/fixtures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture");
    let v: Value = serde_json::from_str(&text).expect("fixture JSON");
    let path = temp_file(&format!("{name}.json"), &v["spec"].to_string());
    (path, v["expected"].clone())
}

/// The issue's example file: 8 <- 4 channels, 3x3, epitome [4,2,4,4], two
/// explicit offsets, a 1x4x5x5 input.
fn issue_example() -> String {
    let e: Vec<f32> = (0..128)
        .map(|k| ((k * 37) % 17) as f32 / 8.0 - 1.0)
        .collect();
    let x: Vec<f32> = (0..100)
        .map(|k| ((k * 13) % 11) as f32 / 5.0 - 1.0)
        .collect();
    json!({
        "layer": {"c_out": 8, "c_in": 4, "k_h": 3, "k_w": 3, "stride": 1, "padding": 1},
        "epitome": {"shape": [4, 2, 4, 4], "data": e},
        "offsets": [[0, 0, 0], [1, 1, 1]],
        "input": {"shape": [1, 4, 5, 5], "data": x},
        "bias": [0.5, 0, 0, 0, 0, 0, 0, -0.5]
    })
    .to_string()
}

#[test]
fn materialize_tables_conv_print_the_issue_formats() {
    let f = temp_file("example.json", &issue_example());
    let f = f.to_str().unwrap();
    let m = json_out(&epim(&["epitome", "materialize", f]));
    assert_eq!(m["shape"], json!([8, 4, 3, 3]));
    assert_eq!(m["data"].as_array().unwrap().len(), 288);
    assert_eq!(m["offsets"], json!([[0, 0, 0], [1, 1, 1]]));
    assert_eq!(m["compression"], 2.25);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&m), ["compression", "data", "offsets", "shape"]);

    let t = json_out(&epim(&["epitome", "tables", f]));
    assert_eq!(keys(&t), ["ifat", "ifrt", "ofat", "patterns"]);
    assert_eq!(t["patterns"], 2);
    // c_in 4 on e_in 2: every used word line is fed by two inputs.
    assert_eq!(
        t["ifat"].as_array().unwrap().len(),
        t["ifrt"].as_array().unwrap().len()
    );

    let c = json_out(&epim(&["epitome", "conv", f]));
    assert_eq!(keys(&c), ["data", "shape"]);
    assert_eq!(c["shape"], json!([1, 8, 5, 5]));
    assert_eq!(c["data"].as_array().unwrap().len(), 200);

    let q = json_out(&epim(&["quantize", f, "--bits", "4"]));
    assert_eq!(
        keys(&q),
        ["bits", "bits_per_weight", "codes", "dequantized", "scales"]
    );
    assert_eq!(q["bits"], 4);
    assert_eq!(q["scales"].as_array().unwrap().len(), 4);
    assert!(q["codes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c.as_i64().unwrap().abs() <= 7));
    // (4*128 + 32*4) / 288
    assert!((q["bits_per_weight"].as_f64().unwrap() - 640.0 / 288.0).abs() < 1e-12);
}

#[test]
fn cli_matches_the_golden_fixtures() {
    for name in ["epitome_fc_2x2", "epitome_3x3_two_groups"] {
        let (f, want) = fixture_file(name);
        let f = f.to_str().unwrap();
        let conv = json_out(&epim(&["epitome", "conv", f]));
        assert_eq!(conv["shape"], want["conv"]["shape"], "{name}");
        let got: Vec<f64> = conv["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let exp: Vec<f64> = want["conv"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(got, exp, "{name}");
        assert_eq!(
            json_out(&epim(&["epitome", "tables", f])),
            want["tables"],
            "{name}"
        );
        let m = json_out(&epim(&["epitome", "materialize", f]));
        assert_eq!(m["offsets"], want["materialize"]["offsets"], "{name}");
        let bits = want["quantize"]["bits"].to_string();
        let q = json_out(&epim(&["quantize", f, "--bits", &bits]));
        assert_eq!(q["codes"], want["quantize"]["codes"], "{name}");
    }
}

#[test]
fn bad_layer_files_fail_with_one_line() {
    let cases = [
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},"epitome":{"shape":[2,2,1,1],"data":[1,2,3]}}"#,
            "epitome.data: expected 4 values",
        ),
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},"epitome":{"shape":[2,2,1],"data":[1,2,3,4]}}"#,
            "epitome.shape",
        ),
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":3,"k_w":3},"epitome":{"shape":[2,2,2,3],"data":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}}"#,
            "invalid epitome.e_h: must be >= k_h = 3, got 2",
        ),
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},"epitome":{"shape":[2,2,1,1],"data":[1,2,3,4]},"offsets":[[0,0,0],[0,0,0],[0,0,0]]}"#,
            "only 2 groups",
        ),
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},"epitome":{"shape":[2,2,1,1],"data":[1,2,3,1e39]}}"#,
            "non-finite value in epitome.data at index 3",
        ),
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},"epitome":{"shape":[2,2,1,1],"data":[1,2,3,4]},"bias":[1]}"#,
            "bias",
        ),
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},"epitome":{"shape":[2,2,1,1],"data":[1,2,3,4]},"input":{"shape":[1,3,1,1],"data":[1,2,3]}}"#,
            "input.shape[1]",
        ),
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},"epitome":{"shape":[2,2,1,1],"data":[1,2,3,4]},"extra":1}"#,
            "unknown field `extra`",
        ),
        (
            r#"{"layer":{"c_out":100000000,"c_in":100,"k_h":1,"k_w":1},"epitome":{"shape":[1,1,1,1],"data":[1]}}"#,
            "layer.c_out: must be an integer in 1..=65536, got 100000000",
        ),
        (
            r#"{"layer":{"c_out":65536,"c_in":65536,"k_h":1,"k_w":1},"epitome":{"shape":[1,1,1,1],"data":[1]}}"#,
            "c_out*c_in*k_h*k_w must be at most",
        ),
        (
            r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1,"padding":4000000000},"epitome":{"shape":[2,2,1,1],"data":[1,2,3,4]},"input":{"shape":[1,4,1,1],"data":[1,2,3,4]}}"#,
            "invalid layer.padding",
        ),
        ("{not json", "cannot parse"),
    ];
    for (k, (text, needle)) in cases.iter().enumerate() {
        let f = temp_file(&format!("bad{k}.json"), text);
        assert_clean_error(
            &epim(&["epitome", "materialize", f.to_str().unwrap()]),
            needle,
        );
    }
}

#[test]
fn conv_without_input_and_bad_bits_fail_with_one_line() {
    let f = temp_file(
        "noinput.json",
        r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},"epitome":{"shape":[2,2,1,1],"data":[1,2,3,4]}}"#,
    );
    let f = f.to_str().unwrap();
    assert_clean_error(
        &epim(&["epitome", "conv", f]),
        "invalid input: is required for conv",
    );
    assert_clean_error(
        &epim(&["quantize", f, "--bits", "1"]),
        "weight bits must be in 2..=8, got 1",
    );
    assert_clean_error(
        &epim(&["quantize", f, "--bits", "9"]),
        "weight bits must be in 2..=8, got 9",
    );
    assert_clean_error(
        &epim(&["epitome", "tables", "/nonexistent/x.json"]),
        "cannot read /nonexistent/x.json: ",
    );
}
