//! The reproducers of issue 16 (hostile input), natively: each gives a one-line error
//! naming the field (or a valid result) quickly. Times are printed, never asserted
//! (the machine is shared); a regression to the quadratic scan would take minutes.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/cli.rs"]
mod support;

use std::time::Instant;

use epim::epitome::EpitomeLayerSpec;
use epim::error::from_json_str;
use epim::sim::ArchConfig;
use epim::EpitomeSpec;
use support::{assert_clean_error, epim, json_out, temp_file};

/// `{"layer":{"c_out":N,"c_in":1,"k_h":1,"k_w":1},"epitome":{"shape":[1,N,1,1],...}}`:
/// N groups, each with its own offset (a = g).
fn one_pattern_per_group(n: usize) -> String {
    let data: Vec<String> = (0..n).map(|i| (i % 7).to_string()).collect();
    format!(
        r#"{{"layer":{{"c_out":{n},"c_in":1,"k_h":1,"k_w":1}},"epitome":{{"shape":[1,{n},1,1],"data":[{}]}},"input":{{"shape":[1,1,2,2],"data":[1,2,3,4]}}}}"#,
        data.join(",")
    )
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    println!("{what}: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    r
}

#[test]
fn a_layer_with_65536_distinct_patterns_builds_tables_and_convolves() {
    let n = 1 << 16;
    let file = temp_file("p65536.json", &one_pattern_per_group(n));
    let f = file.to_str().unwrap();
    let tables = timed("epim epitome tables, 65,536 patterns", || {
        json_out(&epim(&["epitome", "tables", f]))
    });
    assert_eq!(tables["patterns"], n);
    assert_eq!(tables["ofat"].as_array().unwrap().len(), n);
    let conv = timed("epim epitome conv, 65,536 patterns", || {
        json_out(&epim(&["epitome", "conv", f]))
    });
    assert_eq!(conv["shape"], serde_json::json!([1, n, 2, 2]));
    // Output channel o reads epitome channel o (a = o, e_in = c_out, c_in = 1).
    let data = conv["data"].as_array().unwrap();
    assert_eq!(data[4 * 3].as_f64(), Some(3.0)); // o = 3, weight 3, input 1
                                                 // The library path, with the pattern index against the tables it produced.
    let spec: EpitomeLayerSpec = from_json_str("layer", &one_pattern_per_group(n)).unwrap();
    let layer = spec.build().unwrap();
    let t = timed("DatapathTables::build, 65,536 patterns", || {
        layer.tables().unwrap()
    });
    assert_eq!(t.patterns, n);
}

#[test]
fn sizes_beyond_the_limits_are_one_line_errors_naming_the_field() {
    // The 90-byte file that aborted `epim info` (6 GB allocation).
    let spec = r#"{"layer":{"c_out":268435456,"c_in":1,"k_h":1,"k_w":1},"epitome":{"e_out":1,"e_in":1,"e_h":1,"e_w":1}}"#;
    let file = temp_file("c_out_2_28.json", spec);
    let out = timed("epim info, c_out = 2^28", || {
        epim(&["info", file.to_str().unwrap()])
    });
    assert_clean_error(
        &out,
        "invalid layer.c_out: must be an integer in 1..=65536, got 268435456",
    );
    // N = 2^20 through tables and conv.
    let big = temp_file("p2_20.json", &one_pattern_per_group(1 << 20));
    for op in ["tables", "conv"] {
        let out = timed(&format!("epim epitome {op}, N = 2^20"), || {
            epim(&["epitome", op, big.to_str().unwrap()])
        });
        assert_clean_error(
            &out,
            "invalid layer.c_out: must be an integer in 1..=65536, got 1048576",
        );
    }
    // The page's freezing links: shape=262144,1,1,1/1,1,512,512 and 999999,1,1,1/1,1,999,1001.
    for (c_out, e_h, e_w, needle) in [
        (
            262_144,
            512,
            512,
            "layer.c_out: must be an integer in 1..=65536, got 262144",
        ),
        (
            999_999,
            999,
            1001,
            "layer.c_out: must be an integer in 1..=65536, got 999999",
        ),
    ] {
        let s: EpitomeSpec = from_json_str(
            "spec",
            &format!(
                r#"{{"layer":{{"c_out":{c_out},"c_in":1,"k_h":1,"k_w":1}},"epitome":{{"e_out":1,"e_in":1,"e_h":{e_h},"e_w":{e_w}}}}}"#
            ),
        )
        .unwrap();
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
    // 65536,1,1,1/1,1,256,256 is valid and fast (13 s before).
    let s: EpitomeSpec = from_json_str(
        "spec",
        r#"{"layer":{"c_out":65536,"c_in":1,"k_h":1,"k_w":1},"epitome":{"e_out":1,"e_in":1,"e_h":256,"e_w":256}}"#,
    )
    .unwrap();
    s.validate().unwrap();
    assert_eq!(
        timed("patterns of 65536,1,1,1/1,1,256,256", || s.patterns().len()),
        65536
    );
}

#[test]
fn cli_json_errors_name_the_field_path() {
    for (json, needle) in [
        (
            r#"{"layer":{"c_out":-1,"c_in":1,"k_h":1,"k_w":1},"epitome":{"e_out":1,"e_in":1,"e_h":1,"e_w":1}}"#,
            "layer.c_out: invalid value: integer `-1`, expected usize",
        ),
        (
            r#"{"layer":{"c_out":8,"c_in":1.5,"k_h":1,"k_w":1},"epitome":{"e_out":1,"e_in":1,"e_h":1,"e_w":1}}"#,
            "layer.c_in: invalid type: floating point `1.5`, expected usize",
        ),
        (
            r#"{"layer":{"c_out":8,"c_in":1,"k_h":1,"k_w":1,"colour":2},"epitome":{"e_out":1,"e_in":1,"e_h":1,"e_w":1}}"#,
            "layer.colour: unknown field `colour`",
        ),
        (
            r#"{"layer":{"c_out":8,"c_in":1,"k_h":1,"k_w":1},"epitome":{"e_out":1,"e_in":1,"e_h":1,"e_w":1},"offsets":[[0,0,0],[0,"a",0]]}"#,
            "offsets[1][1]: invalid type: string",
        ),
    ] {
        let file = temp_file("path.json", json);
        assert_clean_error(&epim(&["info", file.to_str().unwrap()]), needle);
    }
    // An echoed 300-digit number is cut: the whole line stays within 300 characters.
    let long = format!(
        r#"{{"layer":{{"c_out":{},"c_in":1,"k_h":1,"k_w":1}},"epitome":{{"e_out":1,"e_in":1,"e_h":1,"e_w":1}}}}"#,
        "9".repeat(300)
    );
    let file = temp_file("long.json", &long);
    let out = epim(&["info", file.to_str().unwrap()]);
    assert_clean_error(&out, "layer.c_out");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .trim_end()
            .chars()
            .count()
            <= 6 + 300
    );
}

#[test]
fn hardware_configs_whose_derived_values_overflow_are_errors_naming_the_field() {
    let cfg = temp_file("clock.json", r#"{"digital":{"clock_mhz":1e-300}}"#);
    let out = timed("epim simulate, clock_mhz = 1e-300", || {
        epim(&[
            "simulate",
            "--net",
            "vgg8",
            "--config",
            cfg.to_str().unwrap(),
        ])
    });
    assert_clean_error(
        &out,
        "invalid digital.clock_mhz: must be in 1e-12..=1e12, got 1e-300",
    );
    let c = ArchConfig::from_json(r#"{"crossbar":{"rows":1.5}}"#).unwrap_err();
    assert!(
        c.to_string()
            .contains("crossbar.rows: invalid type: floating point"),
        "{c}"
    );
}

#[test]
fn a_model_with_a_degenerate_activation_scale_is_rejected() {
    use epim::model::{LayerSpec, Model};
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../models/mnist-cnn-epim2.25-8b.safetensors"
    ))
    .unwrap();
    let model = Model::from_bytes(&bytes).unwrap();
    for scale in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
        let mut arch = model.arch().clone();
        let mut set = false;
        for l in arch.layers.iter_mut() {
            if let LayerSpec::Conv(w) | LayerSpec::Dense(w) = l {
                if let Some(a) = w.act.as_mut() {
                    if !set {
                        a.scale = scale;
                        set = true;
                    }
                }
            }
        }
        let e = arch.validate().unwrap_err().to_string();
        assert!(
            e.contains("act.scale: must be a finite number > 0"),
            "{scale}: {e}"
        );
    }
}
