//! The reproducers of issue 16 through the wasm API: each gives a thrown `Error` with
//! a one-line message naming the field (or a valid result), and the instance stays
//! healthy after thousands of failures. (Freed objects are a JS-glue matter, tested
//! against the built package by tests/wasm-node/hostile.test.mjs.)

use js_sys::{Float32Array, Function, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use super::{get, js};
use epim::wasm::{
    epitome_conv, epitome_info, epitome_tables, limits, quantize, simulate, WasmModel,
};

fn message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    v.unchecked_into::<js_sys::Error>().message().into()
}

/// Evaluates a JS expression (getters and Proxies cannot be written as JSON).
fn eval(expr: &str) -> JsValue {
    Function::new_no_args(&format!("return ({expr});"))
        .call0(&JsValue::NULL)
        .expect("test expression runs")
}

fn assert_one_line(m: &str, needle: &str) {
    assert!(m.contains(needle), "{m:?} lacks {needle:?}");
    assert!(!m.contains('\n') && m.chars().count() <= 300, "{m:?}");
}

fn valid_info() -> usize {
    let r = epitome_info(js(
        r#"{"layer":{"c_out":8,"c_in":4,"k_h":3,"k_w":3},"epitome":{"e_out":4,"e_in":2,"e_h":4,"e_w":4}}"#,
    ))
    .expect("a valid spec");
    get(&r, "groups").as_f64().unwrap() as usize
}

#[wasm_bindgen_test]
fn sizes_beyond_the_limits_name_the_field_before_allocating() {
    let m = message(
        epitome_info(js(
            r#"{"layer":{"c_out":268435456,"c_in":1,"k_h":1,"k_w":1},"epitome":{"e_out":1,"e_in":1,"e_h":1,"e_w":1}}"#,
        ))
        .unwrap_err(),
    );
    assert_eq!(
        m,
        "invalid layer.c_out: must be an integer in 1..=65536, got 268435456"
    );
    let l = limits().unwrap();
    assert_eq!(get(&l, "max_channels").as_f64(), Some(65536.0));
    assert_eq!(get(&l, "max_error_chars").as_f64(), Some(300.0));
}

#[wasm_bindgen_test]
fn a_layer_with_65536_distinct_patterns_is_fast() {
    let n = 1usize << 16;
    let data: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
    let layer = js(&format!(
        r#"{{"layer":{{"c_out":{n},"c_in":1,"k_h":1,"k_w":1}},"epitome":{{"shape":[1,{n},1,1]}},"input":{{"shape":[1,1,1,1],"data":[2]}}}}"#
    ));
    js_sys::Reflect::set(
        &get(&layer, "epitome"),
        &"data".into(),
        &Float32Array::from(&data[..]),
    )
    .unwrap();
    let t = epitome_tables(layer.clone()).expect("tables");
    assert_eq!(get(&t, "patterns").as_f64(), Some(n as f64));
    let c = epitome_conv(layer).expect("conv");
    let out: Vec<f32> = get(&c, "data").unchecked_into::<Float32Array>().to_vec();
    assert_eq!(out.len(), n);
    assert_eq!(out[10], 2.0 * 3.0); // channel 10 reads epitome channel 10 (10 % 7 = 3)
}

#[wasm_bindgen_test]
fn throwing_getters_and_proxies_are_errors_and_the_instance_survives_20000() {
    let getter = eval(
        "{layer: {get c_out() { throw new Error('boom'); }, c_in: 1, k_h: 1, k_w: 1}, epitome: {e_out: 1, e_in: 1, e_h: 1, e_w: 1}}",
    );
    let proxy = eval("new Proxy({}, {get() { throw new Error('trap'); }, ownKeys() { throw new Error('keys'); }})");
    for i in 0..20_000 {
        let m = if i % 2 == 0 {
            message(epitome_info(getter.clone()).unwrap_err())
        } else {
            message(quantize(proxy.clone(), JsValue::from(3)).unwrap_err())
        };
        if i < 2 {
            let needle = if i == 0 {
                "layer.c_out: reading it threw: boom"
            } else {
                "reading it threw: keys"
            };
            assert_one_line(&m, needle);
        }
    }
    assert_eq!(valid_info(), 2);
}

#[wasm_bindgen_test]
fn non_json_values_are_errors_never_defaults() {
    let nan = eval("{crossbar: {rows: NaN}}");
    let m = message(simulate("vgg8".into(), nan, JsValue::NULL).unwrap_err());
    assert_one_line(&m, "crossbar.rows: must be a finite number, got NaN");
    let inf = eval("{digital: {clock_mhz: Infinity}}");
    let m = message(simulate("vgg8".into(), inf, JsValue::NULL).unwrap_err());
    assert_one_line(&m, "digital.clock_mhz: must be a finite number, got inf");
    let f = eval("{crossbar: {rows: () => 1}}");
    let m = message(simulate("vgg8".into(), f, JsValue::NULL).unwrap_err());
    assert_one_line(&m, "crossbar.rows: must be JSON data");
    let tiny = js(r#"{"digital":{"clock_mhz":1e-300}}"#);
    let m = message(simulate("vgg8".into(), tiny, JsValue::NULL).unwrap_err());
    assert_one_line(
        &m,
        "invalid digital.clock_mhz: must be in 1e-12..=1e12, got 1e-300",
    );
    let unknown = js(
        r#"{"layer":{"c_out":8,"c_in":4,"k_h":3,"k_w":3},"epitome":{"e_out":4,"e_in":2,"e_h":4,"e_w":4},"colour":1}"#,
    );
    assert_one_line(
        &message(epitome_info(unknown).unwrap_err()),
        "colour: unknown field `colour`",
    );
    let m = message(
        simulate(
            JsValue::from("x".repeat(1 << 20)),
            JsValue::NULL,
            JsValue::NULL,
        )
        .unwrap_err(),
    );
    assert_one_line(&m, "unknown network 'xxx");
}

#[wasm_bindgen_test]
fn quantize_bits_never_wrap() {
    let layer = || {
        js(
            r#"{"layer":{"c_out":2,"c_in":1,"k_h":1,"k_w":1},"epitome":{"shape":[1,1,1,1],"data":[1]}}"#,
        )
    };
    for (bits, got) in [
        (JsValue::from(4294967299.0), "4294967299"),
        (JsValue::from(3.7), "3.7"),
        (JsValue::from(-1), "-1"),
        (JsValue::from(f64::NAN), "NaN"),
        (JsValue::from("3"), "the string \"3\""),
    ] {
        let m = message(quantize(layer(), bits).unwrap_err());
        assert_eq!(
            m,
            format!("invalid bits: must be an integer in 2..=8, got {got}")
        );
    }
    let r = quantize(layer(), JsValue::from(3.0)).expect("3.0 is the integer 3");
    assert_eq!(get(&r, "bits").as_f64(), Some(3.0));
}

#[wasm_bindgen_test]
fn model_inputs_are_checked_before_copying() {
    let m = message(WasmModel::load(eval("{length: -1}")).err().unwrap());
    assert_one_line(&m, "invalid bytes: must be a Uint8Array, got an object");
    let big = Uint8Array::new_with_length(65 << 20);
    let m = message(WasmModel::load(big.into()).err().unwrap());
    assert_one_line(
        &m,
        "invalid bytes: must have at most 67108864 bytes, got 68157440",
    );
}
