//! `epitomeInfo`.

use wasm_bindgen_test::wasm_bindgen_test;

use super::{get, js};
use epim::wasm::epitome_info;

#[wasm_bindgen_test]
fn epitome_info_counts_a_valid_spec() {
    let spec = js(r#"{"layer":{"c_out":64,"c_in":64,"k_h":3,"k_w":3},
                      "epitome":{"e_out":32,"e_in":32,"e_h":4,"e_w":4}}"#);
    let info = epitome_info(spec).expect("valid spec");
    assert_eq!(get(&info, "weight_count").as_f64(), Some(36864.0));
    assert_eq!(get(&info, "param_count").as_f64(), Some(16384.0));
    assert_eq!(get(&info, "compression").as_f64(), Some(2.25));
    assert_eq!(get(&info, "groups").as_f64(), Some(2.0));
    // Offsets (0,0,0) and (16,1,0) differ: patterns 0 and 1.
    let ids: Vec<f64> = js_sys::Array::from(&get(&info, "group_patterns"))
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert_eq!(ids, vec![0.0, 1.0]);
}

#[wasm_bindgen_test]
fn epitome_info_rejects_small_epitome_with_js_error() {
    let spec = js(r#"{"layer":{"c_out":8,"c_in":4,"k_h":3,"k_w":3},
                      "epitome":{"e_out":4,"e_in":2,"e_h":2,"e_w":4}}"#);
    let err = epitome_info(spec).expect_err("e_h < k_h must be rejected");
    let err: wasm_bindgen::JsValue = err.into();
    let err: js_sys::Error = err.into();
    assert_eq!(
        String::from(err.message()),
        "invalid epitome.e_h: must be >= k_h = 3, got 2"
    );
}

#[wasm_bindgen_test]
fn epitome_info_rejects_malformed_object() {
    let err = epitome_info(js(r#"{"layer":{"c_out":"many"}}"#)).expect_err("malformed");
    let err: js_sys::Error = wasm_bindgen::JsValue::from(err).into();
    assert!(
        String::from(err.message()).starts_with("cannot parse epitome spec"),
        "{}",
        String::from(err.message())
    );
}

#[wasm_bindgen_test]
fn epitome_info_accepts_a_large_layer_on_32_bit_wasm() {
    // 512x512x3x3 weights (2.4 M) and a 256x256x4x4 epitome (1 M): each count fits
    // in 32 bits, their product (2.5e12) does not. Regression: validation once
    // multiplied all eight sizes together and rejected this layer in wasm only.
    let spec = js(r#"{"layer":{"c_out":512,"c_in":512,"k_h":3,"k_w":3},
                      "epitome":{"e_out":256,"e_in":256,"e_h":4,"e_w":4}}"#);
    let info = epitome_info(spec).expect("valid spec");
    assert_eq!(get(&info, "weight_count").as_f64(), Some(2_359_296.0));
    assert_eq!(get(&info, "param_count").as_f64(), Some(1_048_576.0));
}
