//! `epitomeMaterialize`, `epitomeTables`, `epitomeConv` and `quantize` on the
//! golden fixtures, with typed arrays in and out, and their error paths (thrown
//! JS `Error`s, never traps).

use js_sys::{Float32Array, Int32Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use super::{get, js};
use epim::wasm::{epitome_conv, epitome_materialize, epitome_tables, quantize};

const FC: &str = include_str!("../fixtures/epitome_fc_2x2.json");
const TWO_GROUPS: &str = include_str!("../fixtures/epitome_3x3_two_groups.json");

/// The `spec` object of a fixture.
fn spec(fixture: &str) -> JsValue {
    get(&js(fixture), "spec")
}

fn f32s(v: &JsValue) -> Vec<f32> {
    v.dyn_ref::<Float32Array>()
        .expect("a Float32Array")
        .to_vec()
}

fn expected(fixture: &str, op: &str, key: &str) -> Vec<f32> {
    let arr: js_sys::Array = get(&get(&get(&js(fixture), "expected"), op), key).into();
    arr.iter().map(|v| v.as_f64().unwrap() as f32).collect()
}

fn message(err: wasm_bindgen::JsError) -> String {
    let err: js_sys::Error = JsValue::from(err).into();
    String::from(err.message())
}

fn set(obj: &JsValue, key: &str, value: &JsValue) {
    Reflect::set(obj, &JsValue::from_str(key), value).expect("settable");
}

#[wasm_bindgen_test]
fn materialize_returns_float32_weights_matching_the_fixtures() {
    for fx in [FC, TWO_GROUPS] {
        let r = epitome_materialize(spec(fx)).expect("valid layer");
        assert_eq!(f32s(&get(&r, "data")), expected(fx, "materialize", "data"));
        let want = get(&get(&js(fx), "expected"), "materialize");
        assert_eq!(
            get(&r, "compression").as_f64(),
            get(&want, "compression").as_f64()
        );
        assert_eq!(
            js_sys::JSON::stringify(&get(&r, "offsets")).unwrap(),
            js_sys::JSON::stringify(&get(&want, "offsets")).unwrap()
        );
    }
}

#[wasm_bindgen_test]
fn conv_accepts_float32_input_and_matches_the_fixtures() {
    for fx in [FC, TWO_GROUPS] {
        let s = spec(fx);
        // Replace the plain input array by a Float32Array, as a page would pass it.
        let input = get(&s, "input");
        let data: js_sys::Array = get(&input, "data").into();
        let typed: Vec<f32> = data.iter().map(|v| v.as_f64().unwrap() as f32).collect();
        set(&input, "data", &Float32Array::from(typed.as_slice()).into());
        let r = epitome_conv(s).expect("valid layer with input");
        assert_eq!(f32s(&get(&r, "data")), expected(fx, "conv", "data"));
    }
}

#[wasm_bindgen_test]
fn tables_match_the_fixtures() {
    for fx in [FC, TWO_GROUPS] {
        let r = epitome_tables(spec(fx)).expect("valid layer");
        let want = get(&get(&js(fx), "expected"), "tables");
        assert_eq!(
            js_sys::JSON::stringify(&r).unwrap(),
            js_sys::JSON::stringify(&want).unwrap()
        );
    }
}

#[wasm_bindgen_test]
fn quantize_returns_typed_codes_scales_and_bits_per_weight() {
    let r = quantize(spec(FC), JsValue::from(3)).expect("valid layer");
    let codes = get(&r, "codes")
        .dyn_into::<Int32Array>()
        .expect("an Int32Array");
    assert_eq!(codes.to_vec(), vec![1, 3, 1, -3]);
    assert_eq!(f32s(&get(&r, "scales")), expected(FC, "quantize", "scales"));
    assert_eq!(
        f32s(&get(&r, "dequantized")),
        expected(FC, "quantize", "dequantized")
    );
    assert_eq!(get(&r, "bits_per_weight").as_f64(), Some(4.75));
    assert_eq!(get(&r, "bits").as_f64(), Some(3.0));
}

#[wasm_bindgen_test]
fn wrong_data_length_throws_an_error_naming_the_field() {
    let s = spec(FC);
    set(
        &get(&s, "epitome"),
        "data",
        &Float32Array::from(&[1.0f32, 2.0, 3.0][..]).into(),
    );
    let m = message(epitome_materialize(s).expect_err("3 values for a 4-element epitome"));
    assert_eq!(
        m,
        "shape mismatch in epitome.data: expected 4 values for shape [2, 2, 1, 1], got 3 values"
    );
}

#[wasm_bindgen_test]
fn nan_in_typed_array_throws_instead_of_trapping() {
    let s = spec(FC);
    set(
        &get(&s, "epitome"),
        "data",
        &Float32Array::from(&[1.0f32, f32::NAN, 3.0, 4.0][..]).into(),
    );
    let m = message(quantize(s, JsValue::from(4)).expect_err("NaN weight"));
    assert!(
        m.starts_with("invalid epitome layer: epitome.data[1]: must be a finite number, got NaN"),
        "{m}"
    );
}

#[wasm_bindgen_test]
fn bad_bits_missing_input_and_malformed_objects_throw() {
    assert_eq!(
        message(quantize(spec(FC), JsValue::from(9)).expect_err("9 bits")),
        "invalid bits: must be an integer in 2..=8, got 9"
    );
    let s = spec(FC);
    Reflect::delete_property(
        s.unchecked_ref::<js_sys::Object>(),
        &JsValue::from_str("input"),
    )
    .unwrap();
    let m = message(epitome_conv(s).expect_err("no input"));
    assert!(m.starts_with("invalid input: is required for conv"), "{m}");
    let m = message(epitome_tables(js(r#"{"layer":{"c_out":"many"}}"#)).expect_err("malformed"));
    assert!(m.starts_with("cannot parse epitome layer"), "{m}");
    let huge_padding = js(
        r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1,"padding":4000000000},
        "epitome":{"shape":[2,2,1,1],"data":[1,2,3,4]},
        "input":{"shape":[1,4,1,1],"data":[1,2,3,4]}}"#,
    );
    let m = message(epitome_conv(huge_padding).expect_err("padding too large to allocate"));
    assert!(m.starts_with("invalid layer.padding"), "{m}");
    let bad_offsets = js(r#"{"layer":{"c_out":4,"c_in":4,"k_h":1,"k_w":1},
        "epitome":{"shape":[2,2,1,1],"data":[1,2,3,4]},"offsets":[[2,0,0]]}"#);
    assert_eq!(
        message(epitome_tables(bad_offsets).expect_err("a = 2 >= e_in")),
        "invalid offsets[0][0]: must be < e_in = 2, got 2"
    );
}
