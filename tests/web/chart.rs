//! `drawChart`: every chart kind paints a canvas (checked pixel by pixel with
//! getImageData); bad data, an unknown kind and bad options throw JS `Error`s.
//!
//! Drawing needs a browser (a canvas to draw on and to measure text with), so under
//! `wasm-pack test --node` (no `window`) the drawing tests return early and only the
//! error tests, which fail before the canvas is touched, run in both places.

use wasm_bindgen::{Clamped, JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::js;
use epim::plot::series_rgb;
/// `drawChart` as JS calls it (canvas and kind as JS values).
fn draw_chart(
    canvas: HtmlCanvasElement,
    data: JsValue,
    kind: &str,
    options: JsValue,
) -> Result<(), wasm_bindgen::JsError> {
    epim::wasm::draw_chart(canvas.into(), data, JsValue::from_str(kind), options)
}

const KINDS: [&str; 7] = [
    "area",
    "latency",
    "energy",
    "area-breakdown",
    "energy-breakdown",
    "latency-breakdown",
    "pareto",
];

const W: u32 = 640;
const H: u32 = 400;

/// Three methods with breakdowns and accuracies, as the page would pass them.
fn sample() -> JsValue {
    js(
        r#"{"title": "vgg8 on mnsim2", "baseline": "dense:bits=8", "rows": [
        {"method": "dense:bits=8", "area_um2": 4.2e7, "latency_ns": 3.1e5, "energy_pj": 9.8e7,
         "bits_per_weight": 8, "accuracy_pct": 91.5,
         "area_breakdown_um2": [["crossbar", 1.2e7], ["adc", 3.0e7]],
         "energy_breakdown_pj": [["crossbar", 3.8e7], ["adc", 6.0e7]],
         "latency_breakdown_ns": [["crossbar", 1.1e5], ["adc", 2.0e5]]},
        {"method": "epitome:bits=3,ratio=2", "area_um2": 1.1e7, "latency_ns": 3.6e5, "energy_pj": 4.1e7,
         "bits_per_weight": 1.6, "accuracy_pct": 90.1,
         "area_breakdown_um2": [["crossbar", 3.0e6], ["adc", 8.0e6]],
         "energy_breakdown_pj": [["crossbar", 1.1e7], ["adc", 3.0e7]],
         "latency_breakdown_ns": [["crossbar", 1.6e5], ["adc", 2.0e5]]},
        {"method": "prune:kind=pim-prune,ratio=0.5,bits=8", "area_um2": 2.3e7, "latency_ns": 2.9e5, "energy_pj": 6.0e7,
         "bits_per_weight": 4.6, "accuracy_pct": 90.8,
         "area_breakdown_um2": [["crossbar", 6.0e6], ["adc", 1.7e7]],
         "energy_breakdown_pj": [["crossbar", 2.0e7], ["adc", 4.0e7]],
         "latency_breakdown_ns": [["crossbar", 0.9e5], ["adc", 2.0e5]]}
    ]}"#,
    )
}

/// A fresh canvas in the document, or None without a DOM (Node).
fn canvas() -> Option<HtmlCanvasElement> {
    let doc = web_sys::window()?.document()?;
    let c: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
    c.set_width(W);
    c.set_height(H);
    doc.body()?.append_child(&c).ok()?;
    Some(c)
}

/// The canvas's RGBA pixels.
fn pixels(c: &HtmlCanvasElement) -> Clamped<Vec<u8>> {
    let ctx: CanvasRenderingContext2d = c
        .get_context("2d")
        .expect("getContext")
        .expect("a 2d context")
        .dyn_into()
        .expect("a CanvasRenderingContext2d");
    ctx.get_image_data(0.0, 0.0, f64::from(W), f64::from(H))
        .expect("getImageData")
        .data()
}

/// (pixels differing from `bg`, pixels equal to `colour`).
fn census(px: &[u8], bg: (u8, u8, u8), colour: (u8, u8, u8)) -> (usize, usize) {
    let mut other = 0;
    let mut exact = 0;
    for p in px.chunks_exact(4) {
        let rgb = (p[0], p[1], p[2]);
        if rgb != bg || p[3] != 255 {
            other += 1;
        }
        if rgb == colour && p[3] == 255 {
            exact += 1;
        }
    }
    (other, exact)
}

fn message(err: wasm_bindgen::JsError) -> String {
    let v = JsValue::from(err);
    assert!(v.is_instance_of::<js_sys::Error>(), "a JS Error is thrown");
    let err: js_sys::Error = v.into();
    String::from(err.message())
}

#[wasm_bindgen_test]
fn draw_chart_paints_every_kind_with_bars_or_markers_in_series_colours() {
    let Some(c) = canvas() else {
        return; // Node: no DOM and no canvas; the browser run checks this.
    };
    let total = (W * H) as usize;
    for kind in KINDS {
        draw_chart(c.clone(), sample(), kind, JsValue::NULL).expect("draws");
        let (drawn, first_series) = census(&pixels(&c), (255, 255, 255), series_rgb(0, false));
        // Axes, text and bars cover well over 2% of the canvas; a blank or
        // background-only canvas has none.
        assert!(
            drawn > total / 50,
            "{kind}: only {drawn} non-background pixels"
        );
        // The first method's bar (or first component's segments, or its marker).
        assert!(
            first_series > 60,
            "{kind}: {first_series} pixels of series colour 0"
        );
    }
}

#[wasm_bindgen_test]
fn draw_chart_dark_and_log_options_change_the_picture() {
    let Some(c) = canvas() else {
        return; // Node: see draw_chart_paints_every_kind_with_bars_or_markers_in_series_colours.
    };
    draw_chart(c.clone(), sample(), "energy", js(r#"{"dark": true}"#)).expect("draws dark");
    let dark_bg = (0x1e, 0x1e, 0x22);
    let (_, bg_pixels) = census(&pixels(&c), (0, 0, 0), dark_bg);
    assert!(
        bg_pixels > (W * H) as usize / 2,
        "dark background: {bg_pixels}"
    );

    draw_chart(c.clone(), sample(), "area", JsValue::NULL).expect("draws linear");
    let linear = pixels(&c).0;
    draw_chart(c.clone(), sample(), "area", js(r#"{"log_scale": true}"#)).expect("draws log");
    let log = pixels(&c).0;
    assert_ne!(linear, log, "the log axis draws a different chart");
}

#[wasm_bindgen_test]
fn draw_chart_layout_does_not_depend_on_the_page_and_keeps_labels_inside() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return; // Node: see draw_chart_paints_every_kind_with_bars_or_markers_in_series_colours.
    };
    // A float filling the page width: plotters' own DOM text measurement (a
    // fixed-position span appended to the body) then wraps at the hyphen of
    // "pim-prune", the label area comes out too narrow and the name is cut off at the
    // canvas's left edge (this test fails with that measurement).
    let wide = doc.create_element("div").expect("div");
    wide.set_attribute("style", "float:left;width:97vw;height:20px")
        .expect("style");
    doc.body()
        .expect("body")
        .append_child(&wide)
        .expect("append");
    // A canvas that is not in the document at all.
    let c: HtmlCanvasElement = doc
        .create_element("canvas")
        .expect("canvas")
        .dyn_into()
        .expect("a canvas");
    c.set_width(W);
    c.set_height(H);
    let result = draw_chart(c.clone(), sample(), "area", JsValue::NULL);
    wide.remove();
    result.expect("draws on a detached canvas");
    let px = pixels(&c);
    // The margin (10 px) left of the method names stays background in every row.
    let mut inked = 0;
    for y in 0..H as usize {
        for x in 0..6 {
            let p = &px[(y * W as usize + x) * 4..][..3];
            if p != [255, 255, 255] {
                inked += 1;
            }
        }
    }
    assert_eq!(inked, 0, "pixels drawn in the left margin: labels overflow");
}

/// An object standing in for a canvas: bad input must be rejected before it is used,
/// so these run under Node as well.
fn not_a_canvas() -> HtmlCanvasElement {
    JsValue::from(js_sys::Object::new()).unchecked_into()
}

#[wasm_bindgen_test]
fn draw_chart_bad_data_throws_an_error_naming_the_problem() {
    let m = message(
        draw_chart(
            not_a_canvas(),
            js(r#"{"title": "t", "rows": []}"#),
            "area",
            JsValue::NULL,
        )
        .unwrap_err(),
    );
    assert!(m.contains("no rows"), "{m}");

    let negative = js(
        r#"{"rows": [{"method": "m", "area_um2": 1, "latency_ns": -5,
        "energy_pj": 1, "bits_per_weight": 8}]}"#,
    );
    let m = message(draw_chart(not_a_canvas(), negative, "latency", JsValue::NULL).unwrap_err());
    assert!(
        m.contains("rows[0].latency_ns") && m.contains(">= 0"),
        "{m}"
    );

    let zero = js(r#"{"rows": [{"method": "m", "area_um2": 0, "latency_ns": 1,
        "energy_pj": 1, "bits_per_weight": 8}]}"#);
    let m = message(
        draw_chart(not_a_canvas(), zero, "area", js(r#"{"log_scale": true}"#)).unwrap_err(),
    );
    assert!(m.contains("log axis"), "{m}");

    let missing = js(r#"{"rows": [{"method": "m", "area_um2": 1}]}"#);
    let m = message(draw_chart(not_a_canvas(), missing, "area", JsValue::NULL).unwrap_err());
    assert!(m.contains("chart data"), "{m}");

    let typo = js(r#"{"rows": [{"method": "m", "area_mm2": 1, "latency_ns": 1,
        "energy_pj": 1, "bits_per_weight": 8}]}"#);
    let m = message(draw_chart(not_a_canvas(), typo, "area", JsValue::NULL).unwrap_err());
    assert!(m.contains("chart data") && m.contains("area_mm2"), "{m}");

    let no_parts = js(r#"{"rows": [{"method": "m", "area_um2": 1, "latency_ns": 1,
        "energy_pj": 1, "bits_per_weight": 8}]}"#);
    let m =
        message(draw_chart(not_a_canvas(), no_parts, "area-breakdown", JsValue::NULL).unwrap_err());
    assert!(m.contains("area_breakdown_um2"), "{m}");
}

#[wasm_bindgen_test]
fn draw_chart_unknown_kind_or_option_throws_an_error() {
    let m = message(draw_chart(not_a_canvas(), sample(), "pie", JsValue::NULL).unwrap_err());
    assert!(
        m.contains("unknown chart kind 'pie'") && m.contains("pareto"),
        "{m}"
    );
    let m = message(
        draw_chart(
            not_a_canvas(),
            sample(),
            "area",
            js(r#"{"logscale": true}"#),
        )
        .unwrap_err(),
    );
    assert!(m.contains("chart options"), "{m}");
}

/// What `drawChart`, `drawFront` and `drawCurve` say about a `canvas` argument that is
/// not a canvas (the data valid, so the canvas is the first problem).
fn not_a_canvas_messages(canvas: JsValue) -> Vec<String> {
    let front =
        js(r#"{"title": "t", "points": [{"area_um2": 1e6, "latency_ns": 1e4}], "best": 0}"#);
    let curve = js(r#"{"x_desc": "ADC bits", "y_desc": "accuracy (%)",
        "series": [{"label": "m", "points": [{"x": 4, "y": 90}]}]}"#);
    [
        epim::wasm::draw_chart(canvas.clone(), sample(), "area".into(), JsValue::NULL),
        epim::wasm::draw_front(canvas.clone(), front, JsValue::NULL),
        epim::wasm::draw_curve_js(canvas, curve, JsValue::NULL),
    ]
    .into_iter()
    .map(|r| message(r.expect_err("not a canvas")))
    .collect()
}

#[wasm_bindgen_test]
fn draw_exports_name_a_canvas_argument_that_is_not_a_canvas() {
    for (value, got) in [
        (JsValue::from(js_sys::Object::new()), "got an object"),
        (JsValue::NULL, "got null"),
        (JsValue::from_str("#chart"), "got the string \"#chart\""),
    ] {
        for m in not_a_canvas_messages(value) {
            assert!(
                m.contains("canvas")
                    && m.contains("must be an HTMLCanvasElement")
                    && m.contains(got),
                "{m}"
            );
        }
    }
    // In a browser: another element is named by its tag.
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let div = doc.create_element("div").expect("a div");
    for m in not_a_canvas_messages(div.into()) {
        assert!(m.contains("got a <div> element"), "{m}");
    }
}
