//! `listNetworks`, `listPresets`, `simulate`.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{get, js};
use epim::wasm::{list_networks, list_presets, simulate};

fn message(err: wasm_bindgen::JsError) -> String {
    let err: js_sys::Error = JsValue::from(err).into();
    String::from(err.message())
}

fn num(obj: &JsValue, path: &[&str]) -> f64 {
    let mut v = obj.clone();
    for k in path {
        v = get(&v, k);
    }
    v.as_f64().expect("a number")
}

#[wasm_bindgen_test]
fn list_networks_returns_the_zoo_with_counts() {
    let list: js_sys::Array = list_networks().expect("list").into();
    assert_eq!(list.length() as usize, epim::nets::ZOO.len());
    let first = list.get(0);
    assert_eq!(get(&first, "name").as_string().as_deref(), Some("lenet"));
    let net = epim::nets::builtin("lenet").unwrap();
    assert_eq!(num(&first, &["params"]), net.params() as f64);
    assert_eq!(num(&first, &["macs"]), net.macs() as f64);
}

#[wasm_bindgen_test]
fn list_presets_includes_mnsim2_with_its_arch() {
    let list: js_sys::Array = list_presets().expect("list").into();
    let names: Vec<String> = list
        .iter()
        .map(|p| get(&p, "name").as_string().unwrap())
        .collect();
    assert!(names.contains(&"mnsim2".to_string()) && names.contains(&"isaac".to_string()));
    let arch = get(&list.get(0), "arch");
    assert_eq!(num(&arch, &["crossbar", "rows"]), 256.0);
}

#[wasm_bindgen_test]
fn simulate_by_name_matches_the_native_report() {
    let r = simulate(
        JsValue::from_str("vgg8"),
        JsValue::UNDEFINED,
        js(r#"{"accounting":"mnsim"}"#),
    )
    .expect("simulates");
    let native = epim::sim::simulate(
        &epim::nets::builtin("vgg8").unwrap(),
        &epim::sim::preset("mnsim2").unwrap(),
        epim::sim::Accounting::Mnsim,
    )
    .unwrap();
    assert_eq!(num(&r, &["totals", "pes"]), native.totals.pes as f64);
    assert_eq!(num(&r, &["totals", "tiles"]), native.totals.tiles as f64);
    assert_eq!(
        num(&r, &["totals", "energy_pj"]),
        native.totals.energy_pj.value()
    );
    let layers: js_sys::Array = get(&r, "layers").into();
    assert_eq!(layers.length() as usize, native.layers.len());
    assert_eq!(get(&r, "accounting").as_string().as_deref(), Some("mnsim"));
}

#[wasm_bindgen_test]
fn simulate_accepts_a_network_object_config_and_knobs() {
    let net = js(
        r#"{"name":"tiny","input":{"c":3,"h":8,"w":8},"w_bits":8,"a_bits":8,
                     "layers":[{"kind":"conv","c_out":8,"kernel":3,"padding":1},
                               {"kind":"fc","out":10}]}"#,
    );
    let r = simulate(
        net,
        js(r#"{"preset":"isaac"}"#),
        js(r#"{"knobs":{"crossbar_size":64,"cell_bits":1}}"#),
    )
    .expect("simulates");
    assert_eq!(get(&r, "network").as_string().as_deref(), Some("tiny"));
    assert_eq!(get(&r, "preset").as_string().as_deref(), Some("isaac"));
    assert_eq!(
        get(&r, "accounting").as_string().as_deref(),
        Some("physical")
    );
    assert!(num(&r, &["totals", "latency_ns"]) > 0.0);
}

#[wasm_bindgen_test]
fn simulate_errors_are_thrown_js_errors() {
    let e = simulate(JsValue::from_str("vgg9"), JsValue::NULL, JsValue::NULL).unwrap_err();
    assert!(message(e).contains("unknown network 'vgg9'"));
    let e = simulate(
        JsValue::from_str("vgg8"),
        js(r#"{"crossbar":{"rows":0}}"#),
        JsValue::NULL,
    )
    .unwrap_err();
    assert!(message(e).contains("invalid crossbar.rows"));
    let e = simulate(
        JsValue::from_str("vgg8"),
        js(r#"{"interface":{"adc_power_w":1}}"#),
        JsValue::NULL,
    )
    .unwrap_err();
    assert!(message(e).contains("adc_power_w"));
    let e = simulate(
        JsValue::from_str("vgg8"),
        js(r#"{"chip":{"tiles_x":2,"tiles_y":2}}"#),
        JsValue::NULL,
    )
    .unwrap_err();
    assert!(message(e).contains("the chip has 4"));
    let e = simulate(
        JsValue::from_str("vgg8"),
        JsValue::NULL,
        js(r#"{"accounting":"exact"}"#),
    )
    .unwrap_err();
    assert!(message(e).starts_with("cannot parse simulate options"));
    // The knobs live under `knobs` (as in compare and search requests).
    let e = simulate(
        JsValue::from_str("vgg8"),
        JsValue::NULL,
        js(r#"{"crossbar_size":64}"#),
    )
    .unwrap_err();
    let text = message(e);
    assert!(text.contains("crossbar_size"), "{text}");
    let e = simulate(JsValue::from_f64(3.0), JsValue::NULL, JsValue::NULL).unwrap_err();
    assert!(message(e).contains("zoo name"));
    let e = simulate(js(r#"{"name":"x"}"#), JsValue::NULL, JsValue::NULL).unwrap_err();
    assert!(message(e).starts_with("cannot parse network"));
}

#[wasm_bindgen_test]
fn whole_zoo_simulates_in_wasm_in_both_accountings() {
    let arch = epim::sim::preset("mnsim2").unwrap();
    let nets: Vec<_> = epim::nets::builtin_names()
        .map(|n| epim::nets::builtin(n).unwrap())
        .collect();
    for acc in [
        epim::sim::Accounting::Mnsim,
        epim::sim::Accounting::Physical,
    ] {
        // Best of 5: the first passes run before the engine's optimising tier.
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t0 = js_sys::Date::now();
            for n in &nets {
                let r = epim::sim::simulate(n, &arch, acc).unwrap();
                assert!(r.totals.energy_pj.value() > 0.0, "{}", n.name);
            }
            best = best.min(js_sys::Date::now() - t0);
        }
        wasm_bindgen_test::console_log!("whole zoo in wasm, {}: {best} ms, best of 5", acc.name());
    }
}
