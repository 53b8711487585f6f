//! Golden fixtures (tests/fixtures/epitome_*.json): small hand-checkable layers
//! whose expected outputs were computed by hand (the arithmetic is in each
//! fixture's `comment`). The library's materialize, conv (fast path and the
//! reference), tables and quantize reports must match them.
#![cfg(not(target_arch = "wasm32"))]

use epim::epitome::EpitomeLayerSpec;
use epim::nn::{conv2d, ConvParams};
use serde_json::Value;

const FIXTURES: [(&str, &str); 2] = [
    (
        "epitome_fc_2x2",
        include_str!("fixtures/epitome_fc_2x2.json"),
    ),
    (
        "epitome_3x3_two_groups",
        include_str!("fixtures/epitome_3x3_two_groups.json"),
    ),
];

/// Compares JSON values, numbers within 1e-6 relative.
fn assert_json_close(path: &str, got: &Value, want: &Value) {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(
                (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                "{path}: got {g}, want {w}"
            );
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{path}: length");
            for (k, (g, w)) in g.iter().zip(w).enumerate() {
                assert_json_close(&format!("{path}[{k}]"), g, w);
            }
        }
        (Value::Object(g), Value::Object(w)) => {
            let mut gk: Vec<_> = g.keys().collect();
            let mut wk: Vec<_> = w.keys().collect();
            gk.sort();
            wk.sort();
            assert_eq!(gk, wk, "{path}: keys");
            for (k, wv) in w {
                assert_json_close(&format!("{path}.{k}"), &g[k], wv);
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

fn load(text: &str) -> (EpitomeLayerSpec, Value) {
    let v: Value = serde_json::from_str(text).unwrap();
    assert!(
        v["comment"].is_array(),
        "every fixture explains its arithmetic"
    );
    (
        serde_json::from_value(v["spec"].clone()).unwrap(),
        v["expected"].clone(),
    )
}

#[test]
fn materialize_matches_hand_computed_fixtures() {
    for (name, text) in FIXTURES {
        let (spec, want) = load(text);
        let got =
            serde_json::to_value(spec.build().unwrap().materialize_report().unwrap()).unwrap();
        assert_json_close(name, &got, &want["materialize"]);
    }
}

#[test]
fn fast_and_reference_conv_match_hand_computed_fixtures() {
    for (name, text) in FIXTURES {
        let (spec, want) = load(text);
        let layer = spec.build().unwrap();
        let got = serde_json::to_value(layer.conv_report().unwrap()).unwrap();
        assert_json_close(name, &got, &want["conv"]);
        let l = &layer.epitome.spec().layer;
        let reference = conv2d(
            layer.input.as_ref().unwrap(),
            &layer.epitome.materialize().unwrap(),
            layer.bias.as_deref(),
            ConvParams {
                stride: l.stride,
                padding: l.padding,
            },
        )
        .unwrap();
        let reference: Vec<Value> = reference
            .data()
            .iter()
            .map(|v| Value::from(f64::from(*v)))
            .collect();
        assert_json_close(name, &Value::Array(reference), &want["conv"]["data"]);
    }
}

#[test]
fn tables_match_hand_computed_fixtures() {
    for (name, text) in FIXTURES {
        let (spec, want) = load(text);
        let got = serde_json::to_value(spec.build().unwrap().tables().unwrap()).unwrap();
        assert_json_close(name, &got, &want["tables"]);
    }
}

#[test]
fn quantize_matches_hand_computed_fixtures() {
    for (name, text) in FIXTURES {
        let (spec, want) = load(text);
        let bits = want["quantize"]["bits"].as_u64().unwrap() as u32;
        let got =
            serde_json::to_value(spec.build().unwrap().quantize_report(bits).unwrap()).unwrap();
        assert_json_close(name, &got, &want["quantize"]);
    }
}
