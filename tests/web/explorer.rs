//! The explorer's links: `epitomeSampling`, `epitomeWindow`, `epitomeReaders` give the
//! native `epitome::links` answers, and bad arguments are thrown `Error`s naming them.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{get, js};
use epim::epitome::{links, EpitomeShape, EpitomeSpec, LayerGeometry};
use epim::wasm::{epitome_readers, epitome_sampling, epitome_window};

const SPEC: &str = r#"{"layer":{"c_out":32,"c_in":16,"k_h":3,"k_w":3},
                       "epitome":{"e_out":16,"e_in":8,"e_h":4,"e_w":4}}"#;

fn native() -> EpitomeSpec {
    EpitomeSpec::new(
        LayerGeometry {
            c_out: 32,
            c_in: 16,
            k_h: 3,
            k_w: 3,
            stride: 1,
            padding: 0,
        },
        EpitomeShape {
            e_out: 16,
            e_in: 8,
            e_h: 4,
            e_w: 4,
        },
    )
}

fn message(err: wasm_bindgen::JsError) -> String {
    let err: js_sys::Error = JsValue::from(err).into();
    String::from(err.message())
}

fn numbers(v: &JsValue) -> Vec<f64> {
    js_sys::Array::from(v)
        .iter()
        .filter_map(|x| x.as_f64())
        .collect()
}

#[wasm_bindgen_test]
fn sampling_window_and_readers_are_the_native_links() {
    let s = epitome_sampling(js(SPEC)).expect("sampling");
    let index = js_sys::Uint32Array::new(&get(&s, "index")).to_vec();
    let counts = js_sys::Uint32Array::new(&get(&s, "counts")).to_vec();
    let want = links::sampling(&native()).unwrap();
    assert_eq!(index, want.index);
    assert_eq!(counts, want.counts);
    assert_eq!(
        get(&s, "max_count").as_f64(),
        Some(f64::from(want.max_count))
    );

    let w = epitome_window(js(SPEC), JsValue::from(17), JsValue::from(6)).expect("window");
    let want = links::window(&native(), 17, Some(6)).unwrap();
    let elements: Vec<usize> = numbers(&get(&w, "elements"))
        .iter()
        .map(|&x| x as usize)
        .collect();
    assert_eq!(elements, want.elements);
    assert_eq!(get(&w, "wraps").as_f64(), Some(want.wraps as f64));
    assert_eq!(get(&w, "next_i").as_f64(), Some(7.0));
    // i omitted: the whole output channel.
    let all = epitome_window(js(SPEC), JsValue::from(17), JsValue::NULL).expect("window");
    assert!(get(&all, "channel").is_null());
    assert_eq!(numbers(&get(&all, "elements")).len(), 72);

    let r = epitome_readers(js(SPEC), JsValue::from(want.elements[0] as f64)).expect("readers");
    let kernels = js_sys::Array::from(&get(&r, "kernels"));
    let native_r = links::readers(&native(), want.elements[0]).unwrap();
    assert_eq!(kernels.length() as usize, native_r.kernels.len());
    assert!(native_r.kernels.contains(&[17, 6]));
}

#[wasm_bindgen_test]
fn bad_arguments_are_errors_naming_them() {
    let e = epitome_window(js(SPEC), JsValue::from(32), JsValue::NULL).unwrap_err();
    assert!(message(e).contains("o: must be below c_out = 32"));
    let e = epitome_window(js(SPEC), JsValue::from(3.5), JsValue::NULL).unwrap_err();
    assert!(message(e).contains("o"));
    let e = epitome_window(js(SPEC), JsValue::from(0), JsValue::from(16)).unwrap_err();
    assert!(message(e).contains("i: must be below c_in = 16"));
    let e = epitome_readers(js(SPEC), JsValue::from(2048)).unwrap_err();
    assert!(message(e).contains("element"));
    let e = epitome_readers(js(SPEC), JsValue::from_str("7")).unwrap_err();
    assert!(message(e).contains("element"));
    let huge = js(r#"{"layer":{"c_out":4096,"c_in":4096,"k_h":3,"k_w":3},
                      "epitome":{"e_out":64,"e_in":64,"e_h":3,"e_w":3}}"#);
    let e = epitome_sampling(huge).unwrap_err();
    assert!(message(e).contains("at most"));
    let e = epitome_sampling(js(r#"{"layer":{"c_out":8}}"#)).unwrap_err();
    assert!(message(e).contains("epitome spec"));
}
