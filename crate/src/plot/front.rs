//! The design search's front as a scatter: area (mm², log scale) against latency (µs or
//! ms), one marker per front design, the best design by the search's score highlighted
//! (the page's search view; [`FrontChart`] comes with every `SearchSession` step).

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::legend::{self, marker, Entry, Shape, Swatch};
use super::{
    backend_err, fmt_tick, latency_scale, prepare_area, titled, ChartOptions, LogAxis, LABEL_PX,
};
use crate::error::{Error, Result};

/// Most points of one front chart.
pub const MAX_FRONT_POINTS: usize = 4096;

/// One design of the front.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct FrontChartPoint {
    /// Chip area, µm² (displayed in mm², log scale).
    pub area_um2: f64,
    /// Latency, ns (displayed in µs or ms).
    pub latency_ns: f64,
}

/// A search front's chart data. JSON: `{"title": "vgg8: search front", "points":
/// [{"area_um2", "latency_ns"}, ...], "best": 2 | null}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct FrontChart {
    /// Title (the caption "area vs latency" is appended).
    #[serde(default)]
    pub title: String,
    /// The front's designs (none yet: an empty plot that says so).
    pub points: Vec<FrontChartPoint>,
    /// Index in `points` of the best design (drawn highlighted), if any.
    #[serde(default)]
    pub best: Option<usize>,
}

/// Checks the data: at most [`MAX_FRONT_POINTS`] points, each finite and > 0 (a log
/// axis), `best` an index of a point; errors name the field.
pub fn validate_front(data: &FrontChart) -> Result<()> {
    if data.points.len() > MAX_FRONT_POINTS {
        return Err(Error::invalid(
            "points",
            format!(
                "at most {MAX_FRONT_POINTS} points, got {}",
                data.points.len()
            ),
        ));
    }
    for (i, p) in data.points.iter().enumerate() {
        for (field, v) in [("area_um2", p.area_um2), ("latency_ns", p.latency_ns)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::invalid(
                    format!("points[{i}].{field}"),
                    format!("must be finite and > 0, got {v}"),
                ));
            }
        }
    }
    if let Some(b) = data.best.filter(|&b| b >= data.points.len()) {
        return Err(Error::invalid(
            "best",
            format!("{b} is not a point index (0..{})", data.points.len()),
        ));
    }
    Ok(())
}

/// Draws `data` filling `area` (any plotters backend), after [`validate_front`].
pub fn draw_front<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &FrontChart,
    options: &ChartOptions,
) -> Result<()> {
    validate_front(data)?;
    let theme = prepare_area(area, options)?;
    let w = area.dim_in_pixel().0;
    let caption = if data.title.trim().is_empty() {
        "area vs latency".to_string()
    } else {
        format!("{}: area vs latency", data.title)
    };
    let area = titled(area, &caption, &theme)?;
    if data.points.is_empty() {
        let (w, h) = area.dim_in_pixel();
        let text = "no feasible design on the front yet";
        let font = theme.font(LABEL_PX);
        let (tw, _) = area.estimate_text_size(text, &font).map_err(backend_err)?;
        let x = (w.saturating_sub(tw) / 2) as i32;
        area.draw_text(text, &font, (x, (h / 2) as i32))
            .map_err(backend_err)?;
        return Ok(());
    }
    let front = theme.series(0);
    let highlight = theme.series(3);
    let mut entries = vec![Entry {
        label: "front design".into(),
        swatch: Swatch::Marker {
            colour: front,
            shape: Shape::Circle,
            filled: true,
        },
    }];
    if data.best.is_some() {
        entries.push(Entry {
            label: "best by score".into(),
            swatch: Swatch::Marker {
                colour: highlight,
                shape: Shape::Square,
                filled: true,
            },
        });
    }
    let lw = legend::width_px(&area, &entries, &theme, w * 2 / 5)?;
    let (plot_area, side) = area.split_horizontally(w.saturating_sub(lw));
    legend::draw(&side, &entries, &theme)?;

    let max_ns = data.points.iter().map(|p| p.latency_ns).fold(0.0, f64::max);
    let scale = latency_scale(max_ns);
    let pts: Vec<(f64, f64)> = data
        .points
        .iter()
        .map(|p| (p.area_um2 / 1e6, p.latency_ns / scale.div))
        .collect();
    let (xmin, xmax) = min_max(pts.iter().map(|p| p.0));
    let (ymin, ymax) = min_max(pts.iter().map(|p| p.1));
    let (x_lo, x_hi) = if xmax > xmin {
        (xmin / 1.3, xmax * 1.3)
    } else {
        (xmin / 2.0, xmax * 2.0)
    };
    let pad = if ymax > ymin {
        (ymax - ymin) * 0.08
    } else {
        ymax * 0.1
    };
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(10)
        .margin_right(20)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(LogAxis::new(x_lo, x_hi), (ymin - pad).max(0.0)..ymax + pad)
        .map_err(backend_err)?;
    let fmt = |v: &f64| fmt_tick(*v);
    let y_desc = format!("latency ({})", scale.unit);
    let x_labels = super::x_label_count(chart.plotting_area().dim_in_pixel().0);
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x_labels)
        .y_labels(6)
        .x_desc(super::bars::axis_desc("area", "mm²", true))
        .y_desc(y_desc.as_str())
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt);
    theme.draw_mesh(&mut mesh)?;
    let others = pts
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != data.best)
        .map(|(_, p)| marker(*p, Shape::Circle, front, true));
    chart.draw_series(others).map_err(backend_err)?;
    if let Some(b) = data.best {
        chart
            .draw_series(std::iter::once(marker(
                pts[b],
                Shape::Square,
                highlight,
                true,
            )))
            .map_err(backend_err)?;
    }
    Ok(())
}

fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// [`draw_front`] as an SVG document of `options.width_px` x `options.height_px`.
pub fn render_front_svg(data: &FrontChart, options: &ChartOptions) -> Result<String> {
    super::svg_document(options, |root| draw_front(root, data, options))
}
