//! `compare(request)`: happy path against the native report, and thrown `Error`s.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{get, js};
use epim::wasm::compare;

fn message(err: wasm_bindgen::JsError) -> String {
    let err: js_sys::Error = JsValue::from(err).into();
    String::from(err.message())
}

fn num(obj: &JsValue, key: &str) -> f64 {
    get(obj, key).as_f64().expect("a number")
}

#[wasm_bindgen_test]
fn compare_returns_the_cli_json_shape_and_the_native_numbers() {
    let req = r#"{"network":"lenet","preset":"mnsim2","accounting":"physical",
        "knobs":{"crossbar_size":128},"baseline":"dense:bits=32",
        "methods":["dense:bits=8","epitome:bits=3,ratio=2","prune:kind=xcs,ratio=0.5,bits=8"]}"#;
    let r = compare(js(req)).expect("compares");
    let native = epim::compare::compare(&serde_json::from_str(req).unwrap()).unwrap();
    assert_eq!(get(&r, "network").as_string().as_deref(), Some("lenet"));
    assert_eq!(
        get(&r, "accounting").as_string().as_deref(),
        Some("physical")
    );
    let base = get(&r, "baseline");
    assert_eq!(
        get(&base, "method").as_string().as_deref(),
        Some("dense:bits=32")
    );
    assert_eq!(num(&base, "area_ratio"), 1.0);
    let rows: js_sys::Array = get(&r, "rows").into();
    assert_eq!(rows.length(), 3);
    for (i, row) in rows.iter().enumerate() {
        let n = &native.rows[i];
        assert_eq!(get(&row, "method").as_string().unwrap(), n.method);
        assert_eq!(num(&row, "area_um2"), n.area_um2);
        assert_eq!(num(&row, "crossbars"), n.crossbars as f64);
        assert_eq!(num(&row, "energy_ratio"), n.energy_ratio);
        for key in [
            "pes",
            "tiles",
            "latency_ns",
            "energy_pj",
            "power_mw",
            "bits_per_weight",
            "area_ratio",
            "latency_ratio",
        ] {
            assert!(num(&row, key).is_finite(), "{key}");
        }
        let b = get(&get(&row, "breakdown"), "area_um2");
        assert!(num(&b, "crossbar") > 0.0);
        assert!(num(&b, "tables") >= 0.0);
    }
}

#[wasm_bindgen_test]
fn compare_accepts_a_network_object_and_a_config() {
    let r = compare(js(
        r#"{"network":{"name":"tiny","input":{"c":3,"h":8,"w":8},"w_bits":8,"a_bits":8,
            "layers":[{"kind":"conv","c_out":16,"kernel":3,"padding":1},{"kind":"fc","out":10}]},
        "config":{"preset":"isaac"},"accounting":"mnsim",
        "baseline":"dense","methods":["epitome:bits=4,ratio=4"]}"#,
    ))
    .expect("compares");
    assert_eq!(get(&r, "network").as_string().as_deref(), Some("tiny"));
    assert_eq!(get(&r, "preset").as_string().as_deref(), Some("isaac"));
}

#[wasm_bindgen_test]
fn compare_errors_are_thrown_with_the_problem_named() {
    for (req, needle) in [
        (
            r#"{"network":"lenet","baseline":"dense:bits=32","methods":["dense:bits=8,ratio=2"]}"#,
            "ratio: unknown key",
        ),
        (
            r#"{"network":"lenet","baseline":"dense:bits=32","methods":["prune:kind=magic,ratio=0.5"]}"#,
            "unknown pruning kind 'magic'",
        ),
        (
            r#"{"network":"nonet","baseline":"dense","methods":["dense"]}"#,
            "unknown network 'nonet'",
        ),
        (
            r#"{"network":"lenet","preset":"nope","baseline":"dense","methods":["dense"]}"#,
            "nope",
        ),
        (
            r#"{"network":"lenet","baseline":"dense","methods":["dense"],"knob":{}}"#,
            "knob",
        ),
        (
            r#"{"network":"lenet","baseline":"dense","methods":[]}"#,
            "at least one method",
        ),
        (
            r#"{"network":"lenet","baseline":"dense","methods":["epitome:design=x.json"]}"#,
            "no design named 'x.json'",
        ),
    ] {
        let e = message(compare(js(req)).expect_err(req));
        assert!(e.contains(needle), "{req}: {e}");
    }
    let e = message(compare(JsValue::from_str("lenet")).expect_err("a string"));
    assert!(e.contains("must be an object"), "{e}");
}
