//! The `Model` class: load, predict, evaluate; errors are thrown JS `Error`s.

use std::collections::BTreeMap;

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use epim::model::{ArchSpec, LayerSpec, Model, WeightLayerSpec};
use epim::wasm::WasmModel;

use super::{f32a, u8a};

/// A 2x2-input model that predicts class 1 when the top-left pixel is bright
/// and class 0 otherwise (dense weights chosen by hand).
fn tiny_bytes() -> Vec<u8> {
    let fc = WeightLayerSpec {
        name: "fc".into(),
        c_in: 4,
        c_out: 2,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: Some(8),
        act: None,
        prune: None,
    };
    let arch = ArchSpec {
        input: [1, 2, 2],
        classes: 2,
        layers: vec![LayerSpec::Flatten, LayerSpec::Dense(fc)],
    };
    let w = vec![-4.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0];
    Model::from_float(arch, vec![(w, vec![0.0, 0.0])], BTreeMap::new())
        .unwrap()
        .to_bytes()
        .unwrap()
}

fn message(e: wasm_bindgen::JsError) -> String {
    let e: js_sys::Error = JsValue::from(e).into();
    String::from(e.message())
}

#[wasm_bindgen_test]
fn predict_returns_probabilities_that_follow_the_weights() {
    let m = WasmModel::load(u8a(&tiny_bytes())).unwrap();
    assert_eq!(m.classes(), 2);
    let p = m.predict(f32a(&[1.0, 0.0, 0.0, 0.0])).unwrap().to_vec();
    assert_eq!(p.len(), 2);
    assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
    assert!(p[1] > 0.99, "{p:?}");
    let p = m.predict(f32a(&[0.0, 1.0, 1.0, 1.0])).unwrap().to_vec();
    assert!((p[0] - 0.5).abs() < 1e-6, "{p:?}");
}

#[wasm_bindgen_test]
fn evaluate_counts_correct_labels() {
    let m = WasmModel::load(u8a(&tiny_bytes())).unwrap();
    // Image 0 bright top-left (class 1), image 1 dark: logits equal, argmax 0.
    let images = [255u8, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(m.evaluate(u8a(&images), u8a(&[1, 0])).unwrap(), 1.0);
    assert_eq!(m.evaluate(u8a(&images), u8a(&[0, 0])).unwrap(), 0.5);
}

#[wasm_bindgen_test]
fn info_exposes_metadata_and_architecture() {
    let m = WasmModel::load(u8a(&tiny_bytes())).unwrap();
    let info = m.info().unwrap();
    let params = js_sys::Reflect::get(&info, &"params".into()).unwrap();
    assert_eq!(params.as_f64(), Some(10.0));
    let arch = js_sys::Reflect::get(&info, &"arch".into()).unwrap();
    let classes = js_sys::Reflect::get(&arch, &"classes".into()).unwrap();
    assert_eq!(classes.as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
fn bad_bytes_and_bad_inputs_throw_errors() {
    let e = WasmModel::load(u8a(&[1, 2, 3])).err().unwrap();
    assert!(message(e).contains("shorter than the 8-byte"));
    let mut b = tiny_bytes();
    b.truncate(b.len() - 4);
    assert!(message(WasmModel::load(u8a(&b)).err().unwrap()).contains("outside the data area"));
    let m = WasmModel::load(u8a(&tiny_bytes())).unwrap();
    assert!(message(m.predict(f32a(&[0.0; 3])).unwrap_err())
        .contains("image: expected 4 values, got 3"));
    assert!(
        message(m.predict(f32a(&[f32::NAN, 0.0, 0.0, 0.0])).unwrap_err()).contains("non-finite")
    );
    assert!(message(m.evaluate(u8a(&[0; 4]), u8a(&[0, 1])).unwrap_err()).contains("bytes"));
    assert!(message(m.evaluate(u8a(&[0; 4]), u8a(&[12])).unwrap_err()).contains("labels[0]"));
}
