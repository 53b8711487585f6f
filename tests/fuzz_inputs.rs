//! Proptest fuzz targets (offline; `cargo fuzz` needs nightly and a network-fetched
//! toolchain) for everything the CLI and the wasm API parse: layer files, epitome
//! specs, network, hardware and design JSON, method strings. Inputs are valid
//! documents with one or two values replaced by hostile ones (negative, fractional,
//! huge, NaN-like, wrong type, unknown key) and arbitrary JSON. Every target must
//! return `Ok` or an error that is one line of at most 300 characters, never panic,
//! and finish (sizes are bounded before allocation, nothing is quadratic).
//!
//! `PROPTEST_CASES` sets the cases per target (256 by default; `npm run fuzz` uses
//! more, see docs/limits.md).
#![cfg(not(target_arch = "wasm32"))]

use epim::compare::Method;
use epim::design::EpitomeDesign;
use epim::epitome::EpitomeLayerSpec;
use epim::error::from_json_str;
use epim::nets::NetworkSpec;
use epim::sim::{simulate_with, ArchConfig, NetworkRef, SimOptions};
use epim::EpitomeSpec;
use proptest::prelude::*;
use serde_json::{json, Value};

fn check_message(r: epim::Result<()>) -> Result<(), TestCaseError> {
    if let Err(e) = r {
        let m = e.to_string();
        prop_assert!(!m.contains('\n'), "multi-line error: {m}");
        prop_assert!(
            m.chars().count() <= 300,
            "error of {} characters: {m}",
            m.len()
        );
    }
    Ok(())
}

/// Hostile leaves.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            json!(-1),
            json!(0),
            json!(1),
            json!(2),
            json!(3),
            json!(65536),
            json!(65537),
            json!(268435456),
            json!(4294967299u64),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1e300),
            json!(-1e-300),
            json!(1e-300),
            json!(3.7),
            json!(null),
            json!(true),
            json!(""),
            json!("auto"),
            json!("vgg8"),
            json!([]),
            json!({}),
            json!([[0, 0, 0]]),
            json!({"unknown": 1}),
        ]),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |v| v.is_finite())
            .prop_map(Value::from),
        "[a-z0-9:=,x.]{0,40}".prop_map(Value::from),
        (1usize..2000).prop_map(|n| Value::from("9".repeat(n))),
    ]
}

/// Arbitrary small JSON.
fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path (object keys and array indices) of `v`, at most 4096.
fn paths(v: &Value, at: &mut Vec<Vec<Value>>, prefix: Vec<Value>) {
    if at.len() >= 4096 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = prefix.clone();
                p.push(Value::from(k.as_str()));
                at.push(p.clone());
                paths(x, at, p);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate().take(64) {
                let mut p = prefix.clone();
                p.push(Value::from(i));
                at.push(p.clone());
                paths(x, at, p);
            }
        }
        _ => {}
    }
}

fn pointer(p: &[Value]) -> String {
    p.iter()
        .map(|k| {
            format!(
                "/{}",
                k.as_str().map_or_else(|| k.to_string(), str::to_string)
            )
        })
        .collect()
}

/// `base` with the values at up to two chosen paths replaced (or a key added).
fn mutated(base: Value) -> impl Strategy<Value = Value> {
    let mut all = Vec::new();
    paths(&base, &mut all, Vec::new());
    prop::collection::vec((any::<prop::sample::Index>(), leaf(), 0u8..10), 1..3).prop_map(
        move |edits| {
            let mut v = base.clone();
            for (i, new, how) in edits {
                if all.is_empty() {
                    return new;
                }
                let p = &all[i.index(all.len())];
                if how == 0 {
                    if let Some(Value::Object(m)) = v.pointer_mut(&pointer(&p[..p.len() - 1])) {
                        m.insert("unknown_key".into(), new);
                        continue;
                    }
                }
                if let Some(slot) = v.pointer_mut(&pointer(p)) {
                    *slot = new;
                }
            }
            v
        },
    )
}

fn layer_file() -> Value {
    json!({"layer": {"c_out": 8, "c_in": 4, "k_h": 3, "k_w": 3, "stride": 1, "padding": 1},
           "epitome": {"shape": [4, 2, 4, 4], "data": (0..128).map(|i| (i % 9) as f64 - 4.0).collect::<Vec<_>>()},
           "offsets": [[0, 0, 0], [1, 1, 0]], "rep": 1,
           "input": {"shape": [1, 4, 5, 5], "data": (0..100).map(|i| i as f64 / 50.0).collect::<Vec<_>>()},
           "bias": [0, 1, 2, 3, 4, 5, 6, 7]})
}

fn spec_file() -> Value {
    json!({"layer": {"c_out": 65536, "c_in": 1, "k_h": 1, "k_w": 1},
           "epitome": {"e_out": 1, "e_in": 1, "e_h": 256, "e_w": 256}})
}

fn network_file() -> Value {
    json!({"name": "n", "input": {"c": 3, "h": 32, "w": 32}, "w_bits": 8, "a_bits": 8,
           "layers": [{"kind": "conv", "name": "c1", "c_out": 16, "kernel": 3, "stride": 1, "padding": 1},
                      {"kind": "pool", "kernel": 2, "stride": 2},
                      {"kind": "fc", "name": "fc", "out": 10}]})
}

fn hardware_file() -> Value {
    json!({"crossbar": {"rows": 128, "cols": 128, "subarray_rows": 128},
           "digital": {"clock_mhz": 100.0, "add_latency_ns": 1.0},
           "device": {"hrs_ohm": 1e6, "lrs_ohm": 1e4}, "chip": {"tiles_x": 8, "tiles_y": 8}})
}

fn design_file() -> Value {
    json!({"network": "vgg8", "layers": [{"layer": "conv2", "epitome": [32, 32, 3, 3], "rep": 1, "w_bits": 3},
                                         {"layer": 3, "epitome": [16, 16, 4, 4], "offsets": [[0, 0, 0]]}]})
}

fn layer_ops(v: &Value) -> epim::Result<()> {
    let spec: EpitomeLayerSpec = from_json_str("layer file", &v.to_string())?;
    let layer = spec.build()?;
    layer.tables()?;
    layer.materialize_report()?;
    if layer.input.is_some() {
        layer.conv_report()?;
    }
    layer.quantize_report(3)?;
    Ok(())
}

fn spec_ops(v: &Value) -> epim::Result<()> {
    let spec: EpitomeSpec = from_json_str("spec", &v.to_string())?;
    spec.validate()?;
    let _ = (
        spec.patterns(),
        spec.distinct_patterns(),
        spec.compression(),
    );
    Ok(())
}

fn network_ops(v: &Value) -> epim::Result<()> {
    let spec = NetworkSpec::from_json(&v.to_string())?;
    spec.build()?;
    let r = simulate_with(
        &NetworkRef::Spec(spec),
        &ArchConfig::default(),
        &SimOptions::default(),
    )?;
    let _ = r;
    Ok(())
}

fn hardware_ops(v: &Value) -> epim::Result<()> {
    let config = ArchConfig::from_json(&v.to_string())?;
    config.resolve()?;
    let r = simulate_with(
        &NetworkRef::Name("lenet".into()),
        &config,
        &SimOptions::default(),
    );
    match r {
        Ok(report) => {
            let s = serde_json::to_string(&report).unwrap_or_default();
            if s.contains("null") || s.contains("inf") || s.contains("NaN") {
                return Err(epim::Error::invalid(
                    "report",
                    "non-finite value in the report",
                ));
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Runs `cases` (PROPTEST_CASES, 256 by default) of `f` on `strategy`; prints the
/// counts per outcome (`cargo test --test fuzz_inputs -- --nocapture`).
fn fuzz<S: Strategy>(name: &str, strategy: S, f: impl Fn(&S::Value) -> epim::Result<()>)
where
    S::Value: std::fmt::Debug,
{
    use std::cell::Cell;
    let (ok, err) = (Cell::new(0usize), Cell::new(0usize));
    let config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&strategy, |v| {
        let r = f(&v);
        if r.is_ok() {
            ok.set(ok.get() + 1);
        } else {
            err.set(err.get() + 1);
        }
        check_message(r)
    });
    println!(
        "fuzz {name}: {} cases: ok {}, error {} (one line, <= 300 characters)",
        ok.get() + err.get(),
        ok.get(),
        err.get()
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[test]
fn layer_files() {
    fuzz(
        "layer files",
        prop_oneof![4 => mutated(layer_file()), 1 => any_json()],
        layer_ops,
    );
}

#[test]
fn epitome_specs() {
    fuzz(
        "epitome specs",
        prop_oneof![4 => mutated(spec_file()), 1 => any_json()],
        spec_ops,
    );
}

#[test]
fn network_files() {
    fuzz(
        "network files",
        prop_oneof![4 => mutated(network_file()), 1 => any_json()],
        network_ops,
    );
}

#[test]
fn hardware_configs() {
    fuzz(
        "hardware configs",
        prop_oneof![4 => mutated(hardware_file()), 1 => any_json()],
        |v| {
            let r = hardware_ops(v);
            if let Err(e) = &r {
                assert!(
                    !e.to_string().contains("non-finite value in the report"),
                    "{v}: {e}"
                );
            }
            r
        },
    );
}

#[test]
fn design_files() {
    fuzz(
        "design files",
        prop_oneof![4 => mutated(design_file()), 1 => any_json()],
        |v| EpitomeDesign::from_json(&v.to_string()).map(|_| ()),
    );
}

#[test]
fn method_strings() {
    fuzz(
        "method strings",
        prop_oneof![
            "(dense|epitome|prune|xrs|filter)?(:([a-z_]{0,8}=[0-9a-zx.\\-]{0,12},?){0,4})?",
            ".{0,200}",
        ],
        |s: &String| Method::parse(s).map(|_| ()),
    );
}
