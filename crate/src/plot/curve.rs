//! Line charts: one or more series of `(x, y ± spread)` points on shared axes
//! (the crossbar accuracy curves of `epim pim-eval --sweep` and the page's PIM
//! accuracy view). Each series has a colour and marker of the shared palette and
//! a legend entry; the spread is drawn as a vertical bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::legend::{self, marker, Entry, Shape, Swatch};
use super::{backend_err, fmt_tick, titled, ChartOptions, Theme, LABEL_PX};
use crate::error::{Error, Result};

/// Most series and points per series of one curve chart.
pub const MAX_CURVE_SERIES: usize = 64;
/// See [`MAX_CURVE_SERIES`].
pub const MAX_CURVE_POINTS: usize = 256;
/// Series with more points than this are drawn as lines without a marker per
/// point (only the last point and points with a spread are marked).
const MARKER_POINTS: usize = 40;

/// Longest point label, in characters.
pub const MAX_POINT_LABEL_CHARS: usize = 16;

/// One point: `x`, `y`, the half-height of its spread bar (0: none) and an
/// optional short label drawn beside its marker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    /// Horizontal value.
    pub x: f64,
    /// Vertical value.
    pub y: f64,
    /// Spread drawn as `y - spread ..= y + spread` (e.g. one standard deviation).
    #[serde(default)]
    pub spread: f64,
    /// Drawn beside the marker (e.g. `6 b` for a 6-bit ADC); empty: none. At
    /// most [`MAX_POINT_LABEL_CHARS`] characters.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

/// One series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct CurveSeries {
    /// Legend label.
    pub label: String,
    /// Points, drawn joined in this order.
    pub points: Vec<CurvePoint>,
}

/// A curve chart's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct CurveData {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Horizontal axis description (with its unit).
    pub x_desc: String,
    /// Vertical axis description (with its unit).
    pub y_desc: String,
    /// The series.
    pub series: Vec<CurveSeries>,
}

/// Checks the data: 1..=[`MAX_CURVE_SERIES`] series of 1..=[`MAX_CURVE_POINTS`]
/// finite points with non-negative spreads; errors name the field.
pub fn validate_curve(data: &CurveData) -> Result<()> {
    if data.series.is_empty() || data.series.len() > MAX_CURVE_SERIES {
        return Err(Error::invalid(
            "series",
            format!(
                "must have 1..={MAX_CURVE_SERIES} series, got {}",
                data.series.len()
            ),
        ));
    }
    for (i, s) in data.series.iter().enumerate() {
        if s.points.is_empty() || s.points.len() > MAX_CURVE_POINTS {
            return Err(Error::invalid(
                format!("series[{i}].points"),
                format!(
                    "must have 1..={MAX_CURVE_POINTS} points, got {}",
                    s.points.len()
                ),
            ));
        }
        for (j, p) in s.points.iter().enumerate() {
            if !(p.x.is_finite() && p.y.is_finite() && p.spread.is_finite() && p.spread >= 0.0) {
                return Err(Error::invalid(
                    format!("series[{i}].points[{j}]"),
                    "x, y must be finite and spread finite and >= 0",
                ));
            }
            if p.label.chars().count() > MAX_POINT_LABEL_CHARS {
                return Err(Error::invalid(
                    format!("series[{i}].points[{j}].label"),
                    format!("at most {MAX_POINT_LABEL_CHARS} characters"),
                ));
            }
        }
    }
    Ok(())
}

/// Draws `data` filling `area`: series joined by lines with markers, spread
/// bars, a legend on the right.
pub fn draw_curve<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &CurveData,
    options: &ChartOptions,
) -> Result<()> {
    validate_curve(data)?;
    let theme = Theme::new(options.dark);
    area.fill(&theme.bg).map_err(backend_err)?;
    let entries: Vec<Entry> = data
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| Entry {
            label: s.label.clone(),
            swatch: Swatch::Marker {
                colour: theme.series(i),
                shape: Shape::of(i),
                filled: true,
            },
        })
        .collect();
    let (w, _) = area.dim_in_pixel();
    let area = if data.title.trim().is_empty() {
        area.clone()
    } else {
        titled(area, &data.title, &theme)?
    };
    let lw = legend::width_px(&area, &entries, &theme, w * 2 / 5)?;
    let (plot_area, side) = area.split_horizontally(w.saturating_sub(lw));
    legend::draw(&side, &entries, &theme)?;
    let pts = data.series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for p in pts {
        x0 = x0.min(p.x);
        x1 = x1.max(p.x);
        y0 = y0.min(p.y - p.spread);
        y1 = y1.max(p.y + p.spread);
    }
    let pad = |lo: f64, hi: f64| {
        let d = if hi > lo {
            (hi - lo) * 0.05
        } else {
            lo.abs().max(1.0) * 0.05
        };
        (lo - d, hi + d)
    };
    let (x0, x1) = pad(x0, x1);
    let (y0, y1) = pad(y0, y1);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(10)
        .margin_right(20)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(backend_err)?;
    // A tick at zero may come out of the axis arithmetic as a rounding residue
    // (-0.04 + 2 * 0.02 = 6.9e-18): labelled as the zero it is.
    let fmt_x = |v: &f64| fmt_tick(snap_zero(*v, x1 - x0));
    let fmt_y = |v: &f64| fmt_tick(snap_zero(*v, y1 - y0));
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(8)
        .y_labels(6)
        .x_desc(data.x_desc.as_str())
        .y_desc(data.y_desc.as_str())
        .x_label_formatter(&fmt_x)
        .y_label_formatter(&fmt_y);
    theme.draw_mesh(&mut mesh)?;
    for (i, s) in data.series.iter().enumerate() {
        let colour = theme.series(i);
        let line: Vec<(f64, f64)> = s.points.iter().map(|p| (p.x, p.y)).collect();
        chart
            .draw_series(std::iter::once(PathElement::new(
                line,
                colour.stroke_width(2),
            )))
            .map_err(backend_err)?;
        for (j, p) in s.points.iter().enumerate() {
            if p.spread > 0.0 {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(p.x, p.y - p.spread), (p.x, p.y + p.spread)],
                        colour.stroke_width(1),
                    )))
                    .map_err(backend_err)?;
            }
            // A dense series (a training curve) is a line; markers would merge into a band.
            let last = j + 1 == s.points.len();
            if s.points.len() <= MARKER_POINTS || p.spread > 0.0 || last {
                chart
                    .draw_series(std::iter::once(marker(
                        (p.x, p.y),
                        Shape::of(i),
                        colour,
                        true,
                    )))
                    .map_err(backend_err)?;
            }
            if !p.label.is_empty() {
                // Above and right of the marker, in the series' colour.
                let style = theme.font(LABEL_PX - 2).color(&colour);
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((p.x, p.y)) + Text::new(p.label.clone(), (6, -16), style),
                    ))
                    .map_err(backend_err)?;
            }
        }
    }
    Ok(())
}

/// [`draw_curve`] as an SVG document of `options.width_px` x `options.height_px`.
pub fn render_curve_svg(data: &CurveData, options: &ChartOptions) -> Result<String> {
    super::svg_document(options, |root| draw_curve(root, data, options))
}

/// `v`, or 0 where it is below a billionth of the axis `span` (a tick at zero).
fn snap_zero(v: f64, span: f64) -> f64 {
    if v.abs() <= span.abs() * 1e-9 {
        0.0
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize) -> CurveData {
        CurveData {
            title: "t".into(),
            x_desc: "ADC bits".into(),
            y_desc: "accuracy (%)".into(),
            series: (0..n)
                .map(|i| CurveSeries {
                    label: format!("model {i}"),
                    points: (3..9)
                        .map(|x| CurvePoint {
                            x: f64::from(x),
                            y: 50.0 + f64::from(x) * i as f64,
                            spread: 1.0,
                            label: String::new(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn svg_has_every_series_in_the_legend() {
        let svg = render_curve_svg(&data(3), &ChartOptions::default()).unwrap();
        for i in 0..3 {
            assert!(svg.contains(&format!("model {i}")), "model {i}");
        }
        assert!(svg.contains("ADC bits"));
    }

    #[test]
    fn a_tick_at_zero_reads_zero() {
        // One point at 0 (the page's curve before its other points are in): the axis
        // runs from -0.05 to 0.05, and its middle tick is a rounding residue of 0.
        let mut d = data(1);
        d.series[0].points = vec![CurvePoint {
            x: 0.0,
            y: 90.0,
            spread: 0.0,
            label: String::new(),
        }];
        let svg = render_curve_svg(&d, &ChartOptions::default()).unwrap();
        let labels: Vec<&str> = svg
            .split("</text>")
            .filter_map(|t| t.rsplit('>').next())
            .map(str::trim)
            .collect();
        assert!(labels.contains(&"0"), "a tick labelled 0: {labels:?}");
        assert!(labels.contains(&"-0.02"), "{labels:?}");
        assert!(
            !labels.iter().any(|l| l.contains("e-")),
            "no rounding residue: {labels:?}"
        );
        assert_eq!(snap_zero(6.938893903907228e-18, 0.1), 0.0);
        assert_eq!(snap_zero(0.02, 0.1), 0.02);
        assert_eq!(snap_zero(-1e-12, 0.0), -1e-12);
    }

    #[test]
    fn bad_points_are_named() {
        let mut d = data(2);
        d.series[1].points[2].y = f64::NAN;
        let e = validate_curve(&d).unwrap_err().to_string();
        assert!(e.contains("series[1].points[2]"), "{e}");
        assert!(validate_curve(&data(0)).is_err());
        let mut d = data(1);
        d.series[0].points[1].label = "x".repeat(MAX_POINT_LABEL_CHARS + 1);
        let e = validate_curve(&d).unwrap_err().to_string();
        assert!(e.contains("series[0].points[1].label"), "{e}");
    }

    #[test]
    fn point_labels_are_drawn() {
        let mut d = data(1);
        d.series[0].points[0].label = "4 b".into();
        d.series[0].points[3].label = "7 b".into();
        let texts = |d: &CurveData| -> Vec<String> {
            let svg = render_curve_svg(d, &ChartOptions::default()).unwrap();
            svg.split("</text>")
                .filter_map(|t| t.rsplit('>').next())
                .map(|t| t.trim().to_string())
                .collect()
        };
        let with = texts(&d);
        assert!(
            with.iter().any(|t| t == "4 b") && with.iter().any(|t| t == "7 b"),
            "{with:?}"
        );
        assert!(!texts(&data(1)).iter().any(|t| t.ends_with(" b")));
    }
}
