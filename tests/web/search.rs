//! `SearchSession`: stepping to the end, the same front as native, cancel, design
//! files, thrown `Error`s, and evaluations per second.

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{get, js};
use epim::search::{SearchRequest, SearchRun};
use epim::wasm::SearchSession;

fn message(err: wasm_bindgen::JsError) -> String {
    let err: js_sys::Error = JsValue::from(err).into();
    String::from(err.message())
}

fn num(obj: &JsValue, key: &str) -> f64 {
    get(obj, key).as_f64().expect("a number")
}

const SMALL: &str = r#"{"network":"resnet18","budget_fraction_of_dense32":0.1,
    "search":{"population":12,"generations":4,"seed":3}}"#;

#[wasm_bindgen_test]
fn session_steps_to_done_with_the_native_front() {
    let mut s = SearchSession::new(js(SMALL)).expect("session");
    let p = s.step(JsValue::from(1)).expect("step");
    assert_eq!(num(&p, "generation"), 1.0);
    assert_eq!(get(&p, "state").as_string().as_deref(), Some("asking"));
    let mut p = p;
    while get(&p, "state").as_string().as_deref() != Some("done") {
        p = s.step(JsValue::from(1)).expect("step");
    }
    assert_eq!(get(&p, "stop").as_string().as_deref(), Some("generations"));
    assert_eq!(num(&p, "evaluations"), 48.0);
    let info = get(&p, "info");
    assert_eq!(
        get(&info, "network").as_string().as_deref(),
        Some("resnet18")
    );

    let req: SearchRequest = serde_json::from_str(SMALL).unwrap();
    let mut native = SearchRun::new(&req).unwrap();
    native.step(usize::MAX).unwrap();
    let nf = native.front().unwrap();
    let front: js_sys::Array = s.front().expect("front").into();
    assert_eq!(front.length() as usize, nf.len());
    for (a, b) in front.iter().zip(&nf) {
        assert_eq!(num(&a, "id"), b.id as f64);
        assert_eq!(num(&a, "area_um2"), b.area_um2);
        assert_eq!(num(&a, "latency_ns"), b.latency_ns);
        assert_eq!(num(&a, "energy_pj"), b.energy_pj);
        assert_eq!(num(&a, "crossbars"), b.crossbars as f64);
    }
    let design = s.best_design(JsValue::UNDEFINED).expect("design");
    assert_eq!(
        get(&design, "network").as_string().as_deref(),
        Some("resnet18")
    );
    assert!(js_sys::Array::from(&get(&design, "layers")).length() > 0);
    let exact = s.exact(JsValue::UNDEFINED).expect("exact");
    let budget = num(&get(&p, "info"), "budget_crossbars");
    assert!(num(&exact, "crossbars") <= budget);
}

#[wasm_bindgen_test]
fn cancel_finishes_the_session() {
    let mut s = SearchSession::new(js(SMALL)).expect("session");
    s.step(JsValue::from(1)).expect("step");
    s.cancel();
    let p = s.progress().expect("progress");
    assert_eq!(get(&p, "state").as_string().as_deref(), Some("done"));
    assert_eq!(get(&p, "stop").as_string().as_deref(), Some("cancelled"));
    let p = s
        .step(JsValue::from(5))
        .expect("stepping a cancelled session is a no-op");
    assert_eq!(num(&p, "generation"), 1.0);
}

#[wasm_bindgen_test]
fn impossible_budget_gives_null_design_and_counted_infeasibles() {
    let mut s = SearchSession::new(js(
        r#"{"network":"lenet","budget_crossbars":1,"search":{"population":6,"generations":2}}"#,
    ))
    .expect("session");
    let p = s.step(JsValue::from(10)).expect("step");
    assert!(s
        .best_design(JsValue::UNDEFINED)
        .expect("no error")
        .is_null());
    assert!(get(&p, "best").is_null());
    assert_eq!(num(&get(&p, "infeasible"), "crossbar_budget"), 12.0);
}

#[wasm_bindgen_test]
fn bad_requests_throw_errors_naming_the_field() {
    let e = SearchSession::new(js(r#"{"network":"lenet","budget":3}"#))
        .err()
        .expect("unknown key");
    assert!(message(e).contains("budget"));
    let e = SearchSession::new(js(r#"{"network":"lenet","search":{"population":1}}"#))
        .err()
        .expect("bad population");
    assert!(message(e).contains("population"));
    let e = SearchSession::new(js(r#"{"network":"nope"}"#))
        .err()
        .expect("unknown network");
    assert!(message(e).contains("nope"));
    let e = SearchSession::new(JsValue::UNDEFINED)
        .err()
        .expect("no request");
    assert!(message(e).contains("search request"));
}

#[wasm_bindgen_test]
fn resnet50_50x50_search_speed() {
    // 2,500 evaluations on resnet50-imagenet under 1/30 of dense 32-bit crossbars.
    // Timed, not asserted: `wasm-pack test` builds without optimisation; the
    // release number is in docs/search.md.
    let t0 = js_sys::Date::now();
    let mut s = SearchSession::new(js(
        r#"{"network":"resnet50-imagenet","budget_fraction_of_dense32":0.0333333333,
            "search":{"population":50,"generations":50,"seed":1}}"#,
    ))
    .expect("session");
    let p = s.step(JsValue::from(50)).expect("step");
    let ms = js_sys::Date::now() - t0;
    let n = num(&p, "evaluations");
    assert_eq!(n, 2500.0);
    assert!(js_sys::Array::from(&get(&p, "front")).length() > 0);
    wasm_bindgen_test::console_log!(
        "search 50x50 resnet50-imagenet in wasm: {ms} ms, {:.0} evaluations/s",
        n / (ms / 1000.0)
    );
}
