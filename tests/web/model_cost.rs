//! `Model.cost(preset)`: the crossbar cost of a loaded model, as the core computes it.

use std::collections::BTreeMap;

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use epim::model::{ArchSpec, LayerSpec, Model, WeightLayerSpec};
use epim::wasm::WasmModel;

use super::get;

fn arch() -> ArchSpec {
    let fc = WeightLayerSpec {
        name: "fc".into(),
        c_in: 300,
        c_out: 10,
        k: 1,
        stride: 1,
        padding: 0,
        epitome: None,
        w_bits: Some(8),
        act: None,
        prune: None,
    };
    ArchSpec {
        input: [3, 10, 10],
        classes: 10,
        layers: vec![LayerSpec::Flatten, LayerSpec::Dense(fc)],
    }
}

fn bytes() -> Vec<u8> {
    Model::from_float(
        arch(),
        vec![(vec![0.01; 3000], vec![0.0; 10])],
        BTreeMap::new(),
    )
    .unwrap()
    .to_bytes()
    .unwrap()
}

#[wasm_bindgen_test]
fn model_cost_matches_the_core_and_is_positive() {
    let model = WasmModel::load(super::u8a(&bytes())).expect("valid model");
    let js = model
        .cost(JsValue::from_str("mnsim2"))
        .expect("known preset");
    let core = epim::model::cost::model_cost(&arch(), "mnsim2").unwrap();
    assert!(core.crossbars > 0);
    assert_eq!(get(&js, "crossbars").as_f64(), Some(core.crossbars as f64));
    assert_eq!(get(&js, "area_um2").as_f64(), Some(core.area_um2));
    assert_eq!(get(&js, "preset").as_string().as_deref(), Some("mnsim2"));
}

#[wasm_bindgen_test]
fn model_cost_of_unknown_preset_throws() {
    let model = WasmModel::load(super::u8a(&bytes())).expect("valid model");
    let err: js_sys::Error = JsValue::from(
        model
            .cost(JsValue::from_str("nope"))
            .expect_err("unknown preset"),
    )
    .into();
    let msg = String::from(err.message());
    assert!(msg.contains("nope") && msg.contains("mnsim2"), "{msg}");
}
