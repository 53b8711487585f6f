//! Native tests of the chart layer (crate/src/plot) through the SVG backend: every chart
//! kind renders a well-formed SVG that names every method, carries unit-bearing axis
//! labels and draws one bar or marker per row; bad data is an error, not a panic; the
//! Pareto front has the dominance property. The sample charts are written to
//! test-results/plots/*.svg to be looked at.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;

use epim::plot::{
    pareto_front, render_svg, series_rgb, ChartData, ChartKind, ChartOptions, ChartRow,
};
use proptest::prelude::*;

/// An illustrative five-method comparison (made-up numbers in the simulator's units, of
/// the size a ResNet-50 comparison produces).
fn sample() -> ChartData {
    #[allow(clippy::too_many_arguments)]
    fn row(
        method: &str,
        area_mm2: f64,
        latency_ms: f64,
        energy_mj: f64,
        bits: f64,
        acc: f64,
        adc_share: f64,
    ) -> ChartRow {
        let a = area_mm2 * 1e6;
        let e = energy_mj * 1e9;
        let l = latency_ms * 1e6;
        ChartRow {
            method: method.into(),
            area_um2: a,
            latency_ns: l,
            energy_pj: e,
            bits_per_weight: bits,
            accuracy_pct: Some(acc),
            quality_proxy: None,
            area_breakdown_um2: vec![
                ("crossbar".into(), a * (0.9 - adc_share) * 0.5),
                ("adc".into(), a * adc_share),
                ("dac".into(), a * 0.05),
                ("digital".into(), a * (0.9 - adc_share) * 0.3),
                ("buffer".into(), a * (0.9 - adc_share) * 0.2),
                ("interconnect".into(), a * 0.05),
            ],
            energy_breakdown_pj: vec![
                ("crossbar".into(), e * 0.2),
                ("adc".into(), e * 0.5),
                ("dac".into(), e * 0.1),
                ("digital".into(), e * 0.1),
                ("buffer".into(), e * 0.1),
            ],
            latency_breakdown_ns: vec![
                ("crossbar".into(), l * 0.3),
                ("adc".into(), l * 0.4),
                ("digital".into(), l * 0.2),
                ("buffer".into(), l * 0.1),
            ],
        }
    }
    ChartData {
        title: "resnet50-imagenet on mnsim2 (illustrative)".into(),
        short_title: None,
        rows: vec![
            row("dense:bits=32", 420.0, 3.1, 9.8, 32.0, 76.1, 0.5),
            row("dense:bits=8", 110.0, 2.2, 3.0, 8.0, 75.9, 0.5),
            row("dense:bits=3", 45.0, 1.9, 1.4, 3.0, 70.2, 0.45),
            row("epitome:bits=3,ratio=2", 24.0, 2.6, 1.1, 1.6, 71.6, 0.4),
            row(
                "prune:kind=pim-prune,ratio=0.5,bits=8",
                60.0,
                1.8,
                1.9,
                5.1,
                74.8,
                0.5,
            ),
        ],
        baseline: Some("dense:bits=32".into()),
    }
}

/// One SVG element: its tag and attributes.
#[derive(Debug)]
struct Element {
    tag: String,
    attrs: HashMap<String, String>,
}

/// Checks that `svg` is well-formed (balanced tags, quoted attributes, one root `<svg>`,
/// no stray `<` or bare `&` in text) and returns its elements in document order.
fn parse_svg(svg: &str) -> Vec<Element> {
    let mut elements = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    let mut roots = 0;
    loop {
        let Some(open) = rest.find('<') else {
            check_text(rest);
            break;
        };
        check_text(&rest[..open]);
        let close = rest[open..].find('>').expect("every '<' has a '>'") + open;
        let inner = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if inner.starts_with('?') || inner.starts_with('!') {
            continue;
        }
        if let Some(name) = inner.strip_prefix('/') {
            let top = stack.pop().expect("closing tag has an opening tag");
            assert_eq!(top, name.trim(), "tags nest properly");
            continue;
        }
        let self_closing = inner.ends_with('/');
        let body = inner.trim_end_matches('/');
        let (tag, attr_text) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        assert!(
            attr_text.matches('"').count() % 2 == 0,
            "quotes balance in <{inner}>"
        );
        let mut attrs = HashMap::new();
        for part in attr_text.split('"').collect::<Vec<_>>().chunks(2) {
            if let [key, value] = part {
                let key = key.trim().trim_end_matches('=').trim();
                assert!(!key.is_empty(), "attribute has a name in <{inner}>");
                attrs.insert(key.to_string(), value.to_string());
            }
        }
        if stack.is_empty() {
            roots += 1;
            assert_eq!(tag, "svg", "the root element is <svg>");
        }
        if !self_closing {
            stack.push(tag.to_string());
        }
        elements.push(Element {
            tag: tag.to_string(),
            attrs,
        });
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
    elements
}

fn check_text(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        let end = entity.find(';').expect("entity ends with ';'");
        assert!(
            end > 1
                && entity[1..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '#'),
            "bare '&' in text: {text}"
        );
    }
}

/// The text content of every `<text>` element, unescaped.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let start = t.find('>')? + 1;
            let end = t.find("</text>")?;
            Some(
                t[start..end]
                    .trim()
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

fn hex(rgb: (u8, u8, u8)) -> String {
    format!("#{:02X}{:02X}{:02X}", rgb.0, rgb.1, rgb.2)
}

fn count(elements: &[Element], tag: &str, key: &str, value: &str) -> usize {
    elements
        .iter()
        .filter(|e| e.tag == tag && e.attrs.get(key).map(String::as_str) == Some(value))
        .count()
}

fn opts() -> ChartOptions {
    ChartOptions::default()
}

/// Renders every kind of the sample, light and dark, linear and log, into
/// test-results/plots/ for a person to look at; every file is read back and must be the
/// well-formed chart that was rendered, and each option must change the picture.
#[test]
fn sample_charts_are_written_for_inspection() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-results/plots");
    std::fs::create_dir_all(&dir).unwrap();
    let data = sample();
    let write = |name: String, svg: String| {
        let path = dir.join(name);
        std::fs::write(&path, &svg).unwrap();
        let back = std::fs::read_to_string(&path).unwrap();
        assert_eq!(back, svg, "{} reads back as written", path.display());
        let elements = parse_svg(&back);
        assert_eq!(elements[0].tag, "svg", "{}", path.display());
        assert!(
            texts(&back).iter().any(|t| t.starts_with(&data.title)),
            "{} has the title",
            path.display()
        );
        back
    };
    for kind in ChartKind::ALL {
        let mut variants = Vec::new();
        for (suffix, o) in [
            ("", opts()),
            (
                "-log",
                ChartOptions {
                    log_scale: true,
                    ..opts()
                },
            ),
            (
                "-dark",
                ChartOptions {
                    dark: true,
                    ..opts()
                },
            ),
        ] {
            let svg = render_svg(&data, kind, &o).unwrap();
            variants.push(write(format!("{kind}{suffix}.svg"), svg));
        }
        assert_ne!(
            variants[0], variants[1],
            "{kind}: log scale changes the chart"
        );
        assert_ne!(variants[0], variants[2], "{kind}: dark changes the chart");
    }
    let mut no_acc = data.clone();
    no_acc.rows[2].accuracy_pct = None;
    let by_bits = write(
        "pareto-bits.svg".into(),
        render_svg(&no_acc, ChartKind::Pareto, &opts()).unwrap(),
    );
    let by_accuracy = render_svg(&data, ChartKind::Pareto, &opts()).unwrap();
    assert_ne!(
        by_bits, by_accuracy,
        "a row without accuracy changes the Pareto chart"
    );
}

#[test]
fn every_kind_is_well_formed_and_names_every_method() {
    let data = sample();
    for kind in ChartKind::ALL {
        for log_scale in [false, true] {
            let o = ChartOptions {
                log_scale,
                ..opts()
            };
            let svg = render_svg(&data, kind, &o).unwrap();
            let elements = parse_svg(&svg);
            assert_eq!(
                elements[0].attrs.get("width").map(String::as_str),
                Some("800")
            );
            let t = texts(&svg);
            for row in &data.rows {
                assert!(
                    t.iter().any(|s| s == &row.method),
                    "{kind} (log {log_scale}) names {}: {t:?}",
                    row.method
                );
            }
            assert!(
                t.iter().any(|s| s.starts_with(&data.title)),
                "{kind} has the title"
            );
        }
    }
}

#[test]
fn axis_labels_carry_units_chosen_by_magnitude() {
    let data = sample();
    let expect = [
        (ChartKind::Area, vec!["area (mm²)"]),
        (ChartKind::Latency, vec!["latency (ms)"]),
        (ChartKind::Energy, vec!["energy (mJ)"]),
        (ChartKind::AreaBreakdown, vec!["area (mm²)"]),
        (ChartKind::EnergyBreakdown, vec!["energy (mJ)"]),
        (ChartKind::LatencyBreakdown, vec!["latency (ms)"]),
        (ChartKind::Pareto, vec!["area (mm²)", "accuracy (%)"]),
    ];
    for (kind, labels) in expect {
        let t = texts(&render_svg(&data, kind, &opts()).unwrap());
        for l in labels {
            assert!(t.iter().any(|s| s == l), "{kind} has axis label {l}: {t:?}");
        }
    }
    // Small values switch to µs and µJ.
    let mut small = sample();
    for r in &mut small.rows {
        r.latency_ns /= 1e4;
        r.energy_pj /= 1e4;
    }
    let t = texts(&render_svg(&small, ChartKind::Latency, &opts()).unwrap());
    assert!(t.iter().any(|s| s == "latency (µs)"), "{t:?}");
    let t = texts(&render_svg(&small, ChartKind::Energy, &opts()).unwrap());
    assert!(t.iter().any(|s| s == "energy (µJ)"), "{t:?}");
    // Without an accuracy on every row the scatter uses bits per weight.
    small.rows[0].accuracy_pct = None;
    let t = texts(&render_svg(&small, ChartKind::Pareto, &opts()).unwrap());
    assert!(t.iter().any(|s| s.starts_with("bits per weight")), "{t:?}");
}

#[test]
fn bar_charts_draw_one_bar_per_row_in_its_method_colour() {
    let data = sample();
    for kind in [ChartKind::Area, ChartKind::Latency, ChartKind::Energy] {
        for log_scale in [false, true] {
            let o = ChartOptions {
                log_scale,
                ..opts()
            };
            let elements = parse_svg(&render_svg(&data, kind, &o).unwrap());
            for i in 0..data.rows.len() {
                let c = hex(series_rgb(i, false));
                assert_eq!(
                    count(&elements, "rect", "fill", &c),
                    1,
                    "{kind} row {i} ({c})"
                );
            }
        }
    }
}

#[test]
fn bar_labels_give_the_value_and_the_ratio_to_the_baseline() {
    let t = texts(&render_svg(&sample(), ChartKind::Area, &opts()).unwrap());
    // dense:bits=32 is 420 mm², epitome 24 mm²: 17.5x less.
    assert!(t.iter().any(|s| s == "420 (baseline)"), "{t:?}");
    assert!(t.iter().any(|s| s == "24.0 (17.5x less)"), "{t:?}");
    let t = texts(&render_svg(&sample(), ChartKind::Latency, &opts()).unwrap());
    assert!(t.iter().any(|s| s == "2.60 (1.19x less)"), "{t:?}");
}

#[test]
fn breakdowns_draw_one_segment_per_row_and_component_plus_a_legend_swatch() {
    let data = sample();
    for (kind, components) in [
        (ChartKind::AreaBreakdown, 6),
        (ChartKind::EnergyBreakdown, 5),
        (ChartKind::LatencyBreakdown, 4),
    ] {
        let svg = render_svg(&data, kind, &opts()).unwrap();
        let elements = parse_svg(&svg);
        for c in 0..components {
            let fill = hex(series_rgb(c, false));
            assert_eq!(
                count(&elements, "rect", "fill", &fill),
                data.rows.len() + 1,
                "{kind} component {c}"
            );
        }
        let t = texts(&svg);
        for name in ["crossbar", "adc", "digital", "buffer"] {
            assert!(t.iter().any(|s| s == name), "{kind} legend names {name}");
        }
    }
}

#[test]
fn breakdown_components_missing_in_some_rows_still_stack() {
    let mut data = sample();
    data.rows[1].area_breakdown_um2.truncate(2);
    data.rows[2]
        .area_breakdown_um2
        .push(("pooling".into(), 1e6));
    let elements = parse_svg(&render_svg(&data, ChartKind::AreaBreakdown, &opts()).unwrap());
    // "dac" (component 2) is missing in row 1; "pooling" (component 6) only in row 2.
    assert_eq!(
        count(&elements, "rect", "fill", &hex(series_rgb(2, false))),
        5
    );
    assert_eq!(
        count(&elements, "rect", "fill", &hex(series_rgb(6, false))),
        2
    );
}

#[test]
fn pareto_marks_front_points_filled_and_others_hollow() {
    let data = sample();
    // Front (minimise area, maximise accuracy): epitome (24, 71.6), prune (60, 74.8),
    // dense:bits=8 (110, 75.9), dense:bits=32 (420, 76.1); dense:bits=3 (45, 70.2) is
    // dominated by the epitome.
    let on_front = [true, true, false, true, true];
    for log_scale in [false, true] {
        let o = ChartOptions {
            log_scale,
            ..opts()
        };
        let svg = render_svg(&data, ChartKind::Pareto, &o).unwrap();
        let elements = parse_svg(&svg);
        for (i, front) in on_front.iter().enumerate() {
            let c = hex(series_rgb(i, false));
            let filled = count(&elements, "circle", "fill", &c);
            let hollow = elements
                .iter()
                .filter(|e| {
                    e.tag == "circle"
                        && e.attrs.get("stroke") == Some(&c)
                        && e.attrs.get("fill").map(String::as_str) == Some("none")
                })
                .count();
            // One marker in the plot and one in the legend.
            if *front {
                assert_eq!((filled, hollow), (2, 0), "row {i} is on the front");
            } else {
                assert_eq!((filled, hollow), (0, 2), "row {i} is dominated");
            }
        }
        // The step line: 4 front points -> 7 vertices.
        let steps: Vec<_> = elements
            .iter()
            .filter(|e| e.tag == "polyline")
            .filter_map(|e| e.attrs.get("points"))
            .filter(|p| p.split_whitespace().count() == 7)
            .collect();
        assert_eq!(steps.len(), 1, "one step line through the 4 front points");
    }
}

#[test]
fn pareto_by_bits_per_weight_minimises_bits() {
    let mut data = sample();
    data.rows[0].accuracy_pct = None;
    let elements = parse_svg(&render_svg(&data, ChartKind::Pareto, &opts()).unwrap());
    // (area, bits): (420,32) (110,8) (45,3) (24,1.6) (60,5.1): only the epitome is optimal.
    for i in 0..5 {
        let filled = count(&elements, "circle", "fill", &hex(series_rgb(i, false)));
        assert_eq!(filled, if i == 3 { 2 } else { 0 }, "row {i}");
    }
}

/// Rows with a quality proxy and only some measured accuracies: the proxy is the y axis
/// (minimised), the chart says what it is, and only the measured rows carry an accuracy.
#[test]
fn pareto_by_quality_proxy_says_which_rows_have_measured_accuracy() {
    let mut data = sample();
    // (area, proxy): (420,0) (110,0) (45,0.98) (24,1.6) (60,0.7): dense:bits=32 is
    // dominated by dense:bits=8 (same proxy, more area); every other row trades area
    // against proxy, so it is on the front.
    let proxies = [0.0, 0.0, 0.98, 1.6, 0.7];
    for (r, q) in data.rows.iter_mut().zip(proxies) {
        r.quality_proxy = Some(q);
        r.accuracy_pct = None;
    }
    data.rows[4].accuracy_pct = Some(74.8);
    let svg = render_svg(&data, ChartKind::Pareto, &opts()).unwrap();
    let t = texts(&svg).join(" ");
    assert!(t.contains("area vs quality proxy"), "{t}");
    assert!(t.contains("quality proxy (lower is better)"), "{t}");
    assert!(t.contains("ln(8-bit dense bits / stored bits)"), "{t}");
    let measured = &data.rows[4].method;
    assert!(t.contains("74.8 % measured: prune:"), "{t}");
    assert!(
        t.contains(&format!("Measured accuracy only for {measured}")),
        "{t}"
    );
    for (i, r) in data.rows.iter().enumerate().filter(|(i, _)| *i != 4) {
        assert!(
            !t.contains(&format!("{} (", r.method)),
            "row {i} has no accuracy: {t}"
        );
    }
    let elements = parse_svg(&svg);
    let on_front = [false, true, true, true, true];
    for (i, front) in on_front.iter().enumerate() {
        let filled = count(&elements, "circle", "fill", &hex(series_rgb(i, false)));
        assert_eq!(filled, if *front { 2 } else { 0 }, "row {i}");
    }
    // No measured accuracy at all: said so.
    data.rows[4].accuracy_pct = None;
    let t = texts(&render_svg(&data, ChartKind::Pareto, &opts()).unwrap()).join(" ");
    assert!(t.contains("No row here has a measured accuracy"), "{t}");
    // Every row measured: the accuracy axis, no note.
    let t = texts(&render_svg(&sample(), ChartKind::Pareto, &opts()).unwrap()).join(" ");
    assert!(
        t.contains("accuracy (%)") && !t.contains("Quality proxy"),
        "{t}"
    );
    // A bad proxy is an error naming it.
    data.rows[1].quality_proxy = Some(f64::NAN);
    assert!(err(&data, ChartKind::Pareto, &opts()).contains("rows[1].quality_proxy"));
}

#[test]
fn dark_option_paints_a_dark_background() {
    let svg = render_svg(
        &sample(),
        ChartKind::Area,
        &ChartOptions {
            dark: true,
            ..opts()
        },
    )
    .unwrap();
    let elements = parse_svg(&svg);
    let bg = elements.iter().find(|e| e.tag == "rect").unwrap();
    assert_eq!(bg.attrs.get("fill").map(String::as_str), Some("#1E1E22"));
}

#[test]
fn many_methods_reuse_colours_with_other_marker_shapes() {
    let mut data = sample();
    let base = data.rows[3].clone();
    for k in 0..6 {
        let mut r = base.clone();
        r.method = format!("epitome:bits=3,ratio={}", k + 3);
        r.area_um2 /= f64::from(k + 2);
        r.accuracy_pct = Some(71.0 - f64::from(k));
        data.rows.push(r);
    }
    let elements = parse_svg(&render_svg(&data, ChartKind::Pareto, &opts()).unwrap());
    // Rows 8..=10 are triangles: three-vertex polygons or closed paths.
    assert_eq!(
        count(&elements, "circle", "r", "6"),
        16,
        "8 circle rows x 2"
    );
}

fn err(data: &ChartData, kind: ChartKind, o: &ChartOptions) -> String {
    render_svg(data, kind, o)
        .expect_err("bad data is an error")
        .to_string()
}

#[test]
fn empty_rows_is_error_not_panic() {
    let data = ChartData {
        title: "x".into(),
        short_title: None,
        rows: vec![],
        baseline: None,
    };
    for kind in ChartKind::ALL {
        assert!(err(&data, kind, &opts()).contains("no rows"));
    }
}

#[test]
fn non_finite_or_negative_values_are_errors_naming_row_and_field() {
    let mut data = sample();
    data.rows[1].area_um2 = f64::NAN;
    let e = err(&data, ChartKind::Area, &opts());
    assert!(
        e.contains("rows[1].area_um2") && e.contains("finite"),
        "{e}"
    );
    assert!(e.contains("dense:bits=8"), "{e}");
    // Fields a chart does not use do not matter.
    assert!(render_svg(&data, ChartKind::Energy, &opts()).is_ok());

    let mut data = sample();
    data.rows[2].energy_pj = -1.0;
    let e = err(&data, ChartKind::Energy, &opts());
    assert!(e.contains("rows[2].energy_pj") && e.contains(">= 0"), "{e}");

    let mut data = sample();
    data.rows[0].latency_breakdown_ns[1].1 = f64::INFINITY;
    let e = err(&data, ChartKind::LatencyBreakdown, &opts());
    assert!(e.contains("rows[0].latency_breakdown_ns[1] (adc)"), "{e}");

    let mut data = sample();
    data.rows[4].accuracy_pct = Some(120.0);
    let e = err(&data, ChartKind::Pareto, &opts());
    assert!(e.contains("rows[4].accuracy_pct"), "{e}");
}

#[test]
fn zero_on_a_log_axis_is_error_but_fine_on_a_linear_one() {
    let mut data = sample();
    data.baseline = None;
    data.rows[3].latency_ns = 0.0;
    let log = ChartOptions {
        log_scale: true,
        ..opts()
    };
    let e = err(&data, ChartKind::Latency, &log);
    assert!(e.contains("rows[3].latency_ns") && e.contains("log"), "{e}");
    assert!(render_svg(&data, ChartKind::Latency, &opts()).is_ok());

    let mut data = sample();
    data.rows[0].area_um2 = 0.0;
    assert!(err(&data, ChartKind::Pareto, &log).contains("rows[0].area_um2"));
    assert!(render_svg(&data, ChartKind::Pareto, &opts()).is_ok());

    let mut data = sample();
    for p in &mut data.rows[2].energy_breakdown_pj {
        p.1 = 0.0;
    }
    assert!(err(&data, ChartKind::EnergyBreakdown, &log).contains("rows[2].energy_breakdown_pj"));
}

#[test]
fn missing_breakdown_unknown_baseline_and_bad_sizes_are_errors() {
    let mut data = sample();
    data.rows[3].area_breakdown_um2.clear();
    let e = err(&data, ChartKind::AreaBreakdown, &opts());
    assert!(
        e.contains("rows[3].area_breakdown_um2") && e.contains("empty"),
        "{e}"
    );

    let mut data = sample();
    data.baseline = Some("dense:bits=16".into());
    let e = err(&data, ChartKind::Area, &opts());
    assert!(e.contains("baseline") && e.contains("dense:bits=16"), "{e}");

    let mut data = sample();
    data.rows[0].method = " ".into();
    assert!(err(&data, ChartKind::Area, &opts()).contains("rows[0].method"));

    for (w, h) in [(0, 480), (800, 10), (100_000, 480)] {
        let o = ChartOptions {
            width_px: w,
            height_px: h,
            ..opts()
        };
        assert!(err(&sample(), ChartKind::Area, &o).contains("width_px"));
    }
}

#[test]
fn chart_data_json_shape_is_snake_case_with_optional_fields() {
    let json = r#"{"title":"t","rows":[{"method":"dense:bits=8","area_um2":1e6,
        "latency_ns":1e3,"energy_pj":1e6,"bits_per_weight":8,
        "area_breakdown_um2":[["crossbar",5e5],["adc",5e5]]}],"baseline":null}"#;
    let data: ChartData = serde_json::from_str(json).unwrap();
    assert_eq!(data.rows[0].area_breakdown_um2[1], ("adc".to_string(), 5e5));
    assert!(render_svg(&data, ChartKind::AreaBreakdown, &opts()).is_ok());
    let typo = json.replace("area_um2", "area_mm2");
    assert!(serde_json::from_str::<ChartData>(&typo).is_err());
    let back = serde_json::to_value(sample()).unwrap();
    assert!(back["rows"][0]["accuracy_pct"].is_number());
    assert!(back["rows"][0]["energy_breakdown_pj"][0][0].is_string());
}

fn dominates(q: (f64, f64), p: (f64, f64)) -> bool {
    q.0 <= p.0 && q.1 <= p.1 && (q.0 < p.0 || q.1 < p.1)
}

proptest! {
    /// No point on the front is dominated by any point; every point off the front is
    /// dominated by a point on it; the front is sorted by the first coordinate.
    /// Coordinates come from a small grid so ties and duplicates are common.
    #[test]
    fn pareto_front_is_exactly_the_non_dominated_set(
        pts in prop::collection::vec((0u8..12, 0u8..12), 0..40)
    ) {
        let pts: Vec<(f64, f64)> = pts.iter().map(|&(a, b)| (f64::from(a), f64::from(b))).collect();
        let front = pareto_front(&pts);
        for &i in &front {
            prop_assert!(pts.iter().all(|&q| !dominates(q, pts[i])), "front point {i} dominated");
        }
        for (i, &p) in pts.iter().enumerate() {
            if !front.contains(&i) {
                prop_assert!(front.iter().any(|&f| dominates(pts[f], p)), "point {i} off the front but not dominated by it");
            }
        }
        prop_assert!(front.windows(2).all(|w| pts[w[0]].0 <= pts[w[1]].0));
        prop_assert!(pts.is_empty() || !front.is_empty());
    }
}

#[test]
fn a_narrow_chart_draws_the_short_title_a_wide_one_the_full() {
    let mut data = sample();
    data.short_title = Some("resnet50-imagenet".into());
    let with = |w: u32| {
        let o = ChartOptions {
            width_px: w,
            ..opts()
        };
        render_svg(&data, ChartKind::Area, &o).unwrap()
    };
    let wide = with(1600);
    assert!(wide.contains("\nresnet50-imagenet on mnsim2 (illustrative): area per method\n"));
    let narrow = with(320);
    assert!(narrow.contains("\nresnet50-imagenet: area"), "{narrow}");
    assert!(!narrow.contains("(illustrative)"));
}

/// The search front: one filled circle per design in the front colour, the best one a
/// square in the highlight colour (plus one legend swatch each); area on a log axis.
#[test]
fn front_chart_draws_every_design_and_highlights_the_best() {
    use epim::plot::front::{render_front_svg, FrontChart, FrontChartPoint};
    let pt = |a: f64, l: f64| FrontChartPoint {
        area_um2: a * 1e6,
        latency_ns: l * 1e6,
    };
    let data = FrontChart {
        title: "vgg8: search front".into(),
        points: vec![pt(2.0, 9.0), pt(5.0, 4.0), pt(40.0, 1.5), pt(300.0, 1.2)],
        best: Some(1),
    };
    for dark in [false, true] {
        let o = ChartOptions { dark, ..opts() };
        let svg = render_front_svg(&data, &o).unwrap();
        let elements = parse_svg(&svg);
        let front = hex(series_rgb(0, dark));
        let best = hex(series_rgb(3, dark));
        assert_eq!(
            count(&elements, "circle", "fill", &front),
            3 + 1,
            "3 designs + legend"
        );
        assert_eq!(
            count(&elements, "rect", "fill", &best),
            1 + 1,
            "the best + legend"
        );
        assert!(svg.contains("area (mm², log scale)") && svg.contains("latency (ms)"));
        assert!(svg.contains("vgg8: search front: area vs latency"));
    }
    let mut none = data.clone();
    none.best = None;
    let svg = render_front_svg(&none, &opts()).unwrap();
    assert_eq!(
        count(
            &parse_svg(&svg),
            "circle",
            "fill",
            &hex(series_rgb(0, false))
        ),
        5
    );
    assert!(!svg.contains("best by score"));
    let empty = FrontChart {
        title: String::new(),
        points: vec![],
        best: None,
    };
    assert!(render_front_svg(&empty, &opts())
        .unwrap()
        .contains("no feasible design on the front yet"));
}

#[test]
fn front_chart_bad_data_is_an_error_naming_the_field() {
    use epim::plot::front::{render_front_svg, FrontChart, FrontChartPoint};
    let ok = FrontChartPoint {
        area_um2: 1e6,
        latency_ns: 1e3,
    };
    let cases = [
        (
            vec![
                ok,
                FrontChartPoint {
                    area_um2: 0.0,
                    ..ok
                },
            ],
            None,
            "points[1].area_um2",
        ),
        (
            vec![FrontChartPoint {
                latency_ns: f64::NAN,
                ..ok
            }],
            None,
            "points[0].latency_ns",
        ),
        (vec![ok], Some(1), "best"),
        (
            vec![ok; epim::plot::front::MAX_FRONT_POINTS + 1],
            None,
            "at most",
        ),
    ];
    for (points, best, needle) in cases {
        let data = FrontChart {
            title: String::new(),
            points,
            best,
        };
        let e = render_front_svg(&data, &opts()).unwrap_err().to_string();
        assert!(e.contains(needle), "{e}");
    }
}

/// A phone-wide front chart labels its log area axis sparsely (the labels overlapped at
/// six ticks in 390 px).
#[test]
fn a_narrow_front_chart_has_few_area_labels() {
    use epim::plot::front::{render_front_svg, FrontChart, FrontChartPoint};
    let points = [135.0, 200.0, 300.0, 450.0, 590.0]
        .map(|a| FrontChartPoint {
            area_um2: a * 1e6,
            latency_ns: 1.4e8,
        })
        .to_vec();
    let data = FrontChart {
        title: String::new(),
        points,
        best: None,
    };
    let labels = |w: u32| {
        let svg = render_front_svg(
            &data,
            &ChartOptions {
                width_px: w,
                ..opts()
            },
        )
        .unwrap();
        // Area tick labels sit under the plot and centred (latency labels are right-aligned).
        svg.split("<text")
            .skip(1)
            .filter(|t| t.contains("text-anchor=\"middle\""))
            .filter_map(|t| {
                t.split_once('>')
                    .and_then(|(_, rest)| rest.split_once("</text>"))
            })
            .filter(|(body, _)| body.trim().parse::<f64>().is_ok())
            .count()
    };
    let (narrow, wide) = (labels(340), labels(1000));
    assert!(narrow <= 3, "{narrow} labels in 340 px");
    assert!(wide > narrow, "{wide} labels in 1000 px");
}

/// Bar and scatter charts too: few value labels on a phone-wide chart, more on a wide one.
#[test]
fn narrow_bar_and_pareto_charts_have_few_value_labels() {
    let data = sample();
    for kind in [
        ChartKind::Area,
        ChartKind::Energy,
        ChartKind::AreaBreakdown,
        ChartKind::Pareto,
    ] {
        let labels = |w: u32| {
            let o = ChartOptions {
                width_px: w,
                log_scale: kind != ChartKind::AreaBreakdown,
                ..opts()
            };
            let svg = render_svg(&data, kind, &o).unwrap();
            svg.split("<text")
                .skip(1)
                .filter(|t| t.contains("text-anchor=\"middle\""))
                .filter_map(|t| t.split_once('>').and_then(|(_, r)| r.split_once("</text>")))
                .filter(|(body, _)| body.trim().parse::<f64>().is_ok())
                .count()
        };
        let narrow = labels(320);
        assert!(
            (1..=3).contains(&narrow),
            "{kind}: {narrow} labels in 320 px"
        );
    }
}
