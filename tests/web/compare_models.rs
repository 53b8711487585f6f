//! `compareModels(request, models)`: shipped model files as rows, against the
//! native report, and thrown `Error`s for bad model entries.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{get, js};
use epim::compare::{compare_models as native, model_network, CompareRequest, ModelEntry};
use epim::model::Model;
use epim::sim::NetworkRef;
use epim::wasm::compare_models;

const DENSE: &[u8] = include_bytes!("../../models/mnist-cnn-dense-8b.safetensors");
const EPIM3: &[u8] = include_bytes!("../../models/mnist-cnn-epim2.25-3b.safetensors");

fn entry(label: &str, bytes: &[u8]) -> JsValue {
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"label".into(), &label.into()).unwrap();
    js_sys::Reflect::set(&o, &"bytes".into(), &js_sys::Uint8Array::from(bytes).into()).unwrap();
    o.into()
}

fn message(err: wasm_bindgen::JsError) -> String {
    let err: js_sys::Error = JsValue::from(err).into();
    String::from(err.message())
}

#[wasm_bindgen_test]
fn model_rows_carry_accuracy_and_equal_the_native_report() {
    let models = js_sys::Array::of2(&entry("dense", DENSE), &entry("epim", EPIM3));
    let req = r#"{"preset":"mnsim2","baseline":"dense:bits=32","methods":["dense:bits=3"]}"#;
    let r = compare_models(js(req), models.into()).expect("compares");
    let rows: js_sys::Array = get(&r, "rows").into();
    assert_eq!(rows.length(), 3);
    let epim = rows.get(2);
    assert_eq!(get(&epim, "method").as_string().as_deref(), Some("epim"));
    assert_eq!(get(&epim, "crossbars").as_f64(), Some(16.0));
    assert_eq!(get(&epim, "accuracy_pct").as_f64(), Some(98.52));
    assert!(get(&rows.get(0), "accuracy_pct").is_undefined());

    let (d, e) = (
        Model::from_bytes(DENSE).unwrap(),
        Model::from_bytes(EPIM3).unwrap(),
    );
    let mut want: CompareRequest = serde_json::from_str(
        r#"{"network":"x","preset":"mnsim2","baseline":"dense:bits=32","methods":["dense:bits=3"]}"#,
    )
    .unwrap();
    want.network = Some(NetworkRef::Spec(model_network(d.arch(), "dense").unwrap()));
    let n = native(
        &want,
        &[
            ModelEntry {
                label: "dense",
                model: &d,
            },
            ModelEntry {
                label: "epim",
                model: &e,
            },
        ],
    )
    .unwrap();
    assert_eq!(get(&epim, "energy_pj").as_f64(), Some(n.rows[2].energy_pj));
    assert_eq!(get(&epim, "area_um2").as_f64(), Some(n.rows[2].area_um2));
}

#[wasm_bindgen_test]
fn bad_model_entries_throw_errors_naming_them() {
    let req = || js(r#"{"baseline":"dense:bits=32","methods":[]}"#);
    let bad = js_sys::Array::of1(&entry("broken", b"not a model"));
    let m = message(compare_models(req(), bad.into()).unwrap_err());
    assert!(m.contains("models[0] (broken)"), "{m}");
    let no_bytes = js_sys::Array::of1(&js(r#"{"label":"x","bytes":[1,2,3]}"#));
    let m = message(compare_models(req(), no_bytes.into()).unwrap_err());
    assert!(m.contains("models[0].bytes"), "{m}");
    // Nothing to compare at all: the methods are named first.
    let m = message(compare_models(req(), js_sys::Array::new().into()).unwrap_err());
    assert!(
        m.contains("methods") && m.contains("at least one method"),
        "{m}"
    );
    // A method but neither a network nor a model: the network is named.
    let with_method = || js(r#"{"baseline":"dense:bits=32","methods":["dense:bits=8"]}"#);
    let m = message(compare_models(with_method(), js_sys::Array::new().into()).unwrap_err());
    assert!(
        m.contains("network") && m.contains("at least one model"),
        "{m}"
    );
    // `compare` takes the same request type: without a network it names the field.
    let m = message(epim::wasm::compare(with_method()).unwrap_err());
    assert!(
        m.contains("network") && m.contains("at least one model"),
        "{m}"
    );
}
