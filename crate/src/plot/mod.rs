//! Charts of a method comparison, drawn with plotters onto any backend.
//!
//! The functions here are generic over `DrawingArea<DB: DrawingBackend, Shift>`: the CLI
//! and the tests draw through the SVG backend ([`render_svg`]), the web page through
//! plotters-canvas (the `wasm` module's `drawChart`). Nothing here knows about the web.
//!
//! Input is a small, serialisable [`ChartData`]: one [`ChartRow`] per method, in the
//! simulator's units (µm², ns, pJ). Charts convert to display units (mm², µs or ms,
//! µJ or mJ) and say so on the axis.
//!
//! Kinds ([`ChartKind`]):
//! - `area`, `latency`, `energy`: one horizontal bar per method (method names on the
//!   vertical axis, as given), the value and, with a baseline, the ratio at the bar's end;
//! - `area-breakdown`, `latency-breakdown`, `energy-breakdown`: one stacked bar per
//!   method, one colour per component, with a legend;
//! - `pareto`: area against accuracy (when every row has a measured one), else against
//!   the quality proxy (when every row has one; the chart says which rows have a
//!   measured accuracy and what the proxy is), else against bits per weight; the Pareto
//!   front (see [`pareto_front`]) filled and joined by a step line.
//!
//! Bad data (no rows, NaN, negative values, zero on a log axis, an unknown baseline) is a
//! [`crate::Error`] naming the row and field, checked by [`validate`] before anything is
//! drawn.

use std::fmt;
use std::str::FromStr;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod bars;
pub mod curve;
pub mod front;
mod legend;
mod pareto;

pub use pareto::pareto_front;

/// The data of one comparison chart: what `epim compare` measured, one row per method.
///
/// JSON: `{"title": "...", "rows": [ChartRow, ...], "baseline": "dense:bits=32" | null}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ChartData {
    /// Chart title (e.g. the network and preset); the chart kind is appended.
    #[serde(default)]
    pub title: String,
    /// One row per method, drawn in this order (top to bottom in bar charts).
    pub rows: Vec<ChartRow>,
    /// The `method` of the row the others are compared with: bar charts print
    /// `baseline / row` next to each bar. Must name a row when given.
    #[serde(default)]
    pub baseline: Option<String>,
    /// A shorter title, drawn instead of `title` when the full caption does not fit
    /// the chart's width (a phone, charts two abreast); the full one is cut with "…"
    /// when this is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_title: Option<String>,
}

/// One method's totals and breakdowns, in the simulator's units.
///
/// JSON: `{"method": "epitome:bits=3,ratio=2", "area_um2": 1.2e7, "latency_ns": 3.4e5,
/// "energy_pj": 5.6e7, "bits_per_weight": 1.6, "accuracy_pct": 71.6 | null,
/// "quality_proxy": 1.2 | null,
/// "area_breakdown_um2": [["crossbar", 4e6], ["adc", 6e6], ...],
/// "energy_breakdown_pj": [...], "latency_breakdown_ns": [...]}`. The accuracy and the
/// breakdowns may be omitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(deny_unknown_fields)]
pub struct ChartRow {
    /// The method as the comparison table names it (e.g. `prune:kind=xcs,ratio=0.5,bits=8`).
    pub method: String,
    /// Total area in µm² (displayed in mm²).
    pub area_um2: f64,
    /// Latency in ns (displayed in µs or ms).
    pub latency_ns: f64,
    /// Energy in pJ (displayed in µJ or mJ).
    pub energy_pj: f64,
    /// Stored bits per weight, including index, mask and scale overheads.
    pub bits_per_weight: f64,
    /// Accuracy in percent (0 to 100), where measured.
    #[serde(default)]
    pub accuracy_pct: Option<f64>,
    /// The compression-quality proxy of [`crate::compare::quality_proxy`] (>= 0, lower
    /// is better), where known: the Pareto chart's y axis when not every row has a
    /// measured accuracy.
    #[serde(default)]
    pub quality_proxy: Option<f64>,
    /// Area by component (name, µm²), for the `area-breakdown` chart.
    #[serde(default)]
    pub area_breakdown_um2: Vec<(String, f64)>,
    /// Energy by component (name, pJ), for the `energy-breakdown` chart.
    #[serde(default)]
    pub energy_breakdown_pj: Vec<(String, f64)>,
    /// Latency by component (name, ns), for the `latency-breakdown` chart. Drawn stacked
    /// as given, even where the components overlap in time and do not sum to the total.
    #[serde(default)]
    pub latency_breakdown_ns: Vec<(String, f64)>,
}

/// Which chart to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChartKind {
    /// Area per method (mm²).
    Area,
    /// Latency per method (µs or ms).
    Latency,
    /// Energy per method (µJ or mJ).
    Energy,
    /// Stacked area components per method.
    AreaBreakdown,
    /// Stacked energy components per method.
    EnergyBreakdown,
    /// Stacked latency components per method.
    LatencyBreakdown,
    /// Area against accuracy or bits per weight, with the Pareto front.
    Pareto,
}

impl ChartKind {
    /// Every kind, in the order the CLI writes them.
    pub const ALL: [ChartKind; 7] = [
        ChartKind::Area,
        ChartKind::Latency,
        ChartKind::Energy,
        ChartKind::AreaBreakdown,
        ChartKind::EnergyBreakdown,
        ChartKind::LatencyBreakdown,
        ChartKind::Pareto,
    ];

    /// The kind's name as parsed (`"area-breakdown"`); also the CLI's SVG file stem.
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Area => "area",
            ChartKind::Latency => "latency",
            ChartKind::Energy => "energy",
            ChartKind::AreaBreakdown => "area-breakdown",
            ChartKind::EnergyBreakdown => "energy-breakdown",
            ChartKind::LatencyBreakdown => "latency-breakdown",
            ChartKind::Pareto => "pareto",
        }
    }
}

impl fmt::Display for ChartKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ChartKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        ChartKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| Error::Unknown {
                kind: "chart kind".into(),
                name: s.into(),
                known: ChartKind::ALL.map(ChartKind::name).join(", "),
            })
    }
}

/// How to draw a chart. Every field has a default, so `{}` (or JS `null`) is valid.
///
/// JSON: `{"log_scale": false, "dark": false, "width_px": 800, "height_px": 480}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify_next::Tsify))]
#[serde(default, deny_unknown_fields)]
pub struct ChartOptions {
    /// Logarithmic value axis (bars) or area axis (pareto). Needs positive values.
    pub log_scale: bool,
    /// Colours for a dark page (`prefers-color-scheme: dark`).
    pub dark: bool,
    /// Width of the SVG in pixels ([`render_svg`] only; [`draw`] fills its area and a
    /// canvas keeps its own size).
    pub width_px: u32,
    /// Height of the SVG in pixels ([`render_svg`] only).
    pub height_px: u32,
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            log_scale: false,
            dark: false,
            width_px: 800,
            height_px: 480,
        }
    }
}

/// Smallest drawing area a chart is laid out in (pixels).
pub const MIN_SIZE_PX: (u32, u32) = (240, 160);
/// Largest SVG [`render_svg`] produces (pixels, each side).
pub const MAX_SIZE_PX: u32 = 8192;

/// The Okabe-Ito palette (Okabe and Ito, "Color Universal Design", 2008), safe for the
/// common colour-vision deficiencies, ordered so neighbours contrast; the last entry is
/// black on a light background and light grey on a dark one.
pub const OKABE_ITO: [(u8, u8, u8); 8] = [
    (0, 114, 178),   // blue
    (230, 159, 0),   // orange
    (0, 158, 115),   // bluish green
    (213, 94, 0),    // vermillion
    (204, 121, 167), // reddish purple
    (86, 180, 233),  // sky blue
    (240, 228, 66),  // yellow
    (0, 0, 0),       // black
];

/// The colour of series `index` (method or component), as RGB: [`OKABE_ITO`] cycled.
pub fn series_rgb(index: usize, dark: bool) -> (u8, u8, u8) {
    let i = index % OKABE_ITO.len();
    if dark && i == OKABE_ITO.len() - 1 {
        (200, 200, 200)
    } else {
        OKABE_ITO[i]
    }
}

/// Background, text and grid colours for light or dark pages.
#[derive(Clone, Copy)]
pub(crate) struct Theme {
    pub bg: RGBColor,
    pub text: RGBColor,
    pub grid: RGBColor,
    pub axis: RGBColor,
    pub dark: bool,
}

impl Theme {
    fn new(dark: bool) -> Self {
        if dark {
            Theme {
                bg: RGBColor(0x1e, 0x1e, 0x22),
                text: RGBColor(0xe8, 0xe8, 0xe8),
                grid: RGBColor(0x3a, 0x3a, 0x40),
                axis: RGBColor(0xa0, 0xa0, 0xa8),
                dark,
            }
        } else {
            Theme {
                bg: RGBColor(0xff, 0xff, 0xff),
                text: RGBColor(0x22, 0x22, 0x22),
                grid: RGBColor(0xe2, 0xe2, 0xe2),
                axis: RGBColor(0x55, 0x55, 0x55),
                dark,
            }
        }
    }

    pub fn series(&self, index: usize) -> RGBColor {
        let (r, g, b) = series_rgb(index, self.dark);
        RGBColor(r, g, b)
    }

    /// A text style of `size` px in the theme's text colour.
    pub fn font(&self, size: u32) -> TextStyle<'static> {
        let mut style = TextStyle::from((FontFamily::SansSerif, size));
        style.color = self.text.to_backend_color();
        style
    }

    /// Styles a chart's mesh as every chart of the crate does (label and axis
    /// fonts, axis colour, grid lines without the light minor ones) and draws it.
    pub(crate) fn draw_mesh<X, Y, XT, YT, DB>(
        &self,
        mesh: &mut plotters::chart::MeshStyle<'_, '_, X, Y, DB>,
    ) -> Result<()>
    where
        X: plotters::coord::ranged1d::Ranged<ValueType = XT>
            + plotters::coord::ranged1d::ValueFormatter<XT>,
        Y: plotters::coord::ranged1d::Ranged<ValueType = YT>
            + plotters::coord::ranged1d::ValueFormatter<YT>,
        DB: DrawingBackend,
    {
        mesh.label_style(self.font(LABEL_PX))
            .axis_desc_style(self.font(DESC_PX))
            .axis_style(self.axis)
            .bold_line_style(self.grid)
            .light_line_style(TRANSPARENT_LINE)
            .draw()
            .map_err(backend_err)
    }
}

/// `area` with `title` drawn on top in the theme's title font, the title cut with an
/// ellipsis when it is wider than the area (a long network and preset name on a chart
/// two abreast or on a phone was clipped at both edges).
pub(crate) fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    theme: &Theme,
) -> Result<DrawingArea<DB, Shift>> {
    let font = theme.font(TITLE_PX);
    let room = area.dim_in_pixel().0.saturating_sub(16);
    let text = fit_text(title, room, |t| {
        area.estimate_text_size(t, &font)
            .map(|(w, _)| w)
            .unwrap_or(0)
    });
    area.titled(&text, font).map_err(backend_err)
}

/// The longest prefix of `text` (whole characters) that, with an ellipsis, is at
/// most `room` wide as `width` measures it; `text` itself when it fits. Measures
/// O(log n) candidates.
pub(crate) fn fit_text(text: &str, room: u32, width: impl Fn(&str) -> u32) -> String {
    if width(text) <= room {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let cut = |n: usize| format!("{}…", chars[..n].iter().collect::<String>().trim_end());
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if width(&cut(mid)) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    cut(lo)
}

/// How many value labels a horizontal axis `plot_px` wide gets: about one per 90 px,
/// 2 to 6, so a phone-wide chart's labels do not run into each other.
pub(crate) fn x_label_count(plot_px: u32) -> usize {
    (plot_px as usize / 90).clamp(2, 6)
}

/// Font sizes (px) shared by the charts.
pub(crate) const TITLE_PX: u32 = 20;
pub(crate) const LABEL_PX: u32 = 14;
pub(crate) const DESC_PX: u32 = 15;
/// Light mesh lines are not drawn (bold grid lines only).
pub(crate) const TRANSPARENT_LINE: RGBAColor = RGBAColor(0, 0, 0, 0.0);

/// A logarithmic value axis with ticks at 1, 2 and 5 times powers of ten (or fewer,
/// down to every decade, when the range is wide), so a range within one decade still
/// gets labels; plotters' own log axis labels only powers of ten.
#[derive(Clone)]
pub(crate) struct LogAxis {
    lo: f64,
    hi: f64,
}

impl LogAxis {
    /// `lo` and `hi` must be positive and finite with `lo < hi` (callers validate).
    pub fn new(lo: f64, hi: f64) -> Self {
        LogAxis { lo, hi }
    }
}

impl Ranged for LogAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi.ln() - self.lo.ln();
        let f = if span > 0.0 && *value > 0.0 {
            (value.ln() - self.lo.ln()) / span
        } else {
            0.0
        };
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        log_ticks(self.lo, self.hi, hint.max_num_points().max(3))
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for LogAxis {
    fn format(value: &f64) -> String {
        fmt_tick(*value)
    }
}

/// Tick values in `[lo, hi]`: the densest of 1..9, 1-2-5, 1-3 and 1 per decade with at most
/// `max` ticks, else every n-th decade.
pub(crate) fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) || max == 0 {
        return Vec::new();
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let within = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let all = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    for mults in [&all[..], &[1.0, 2.0, 5.0][..], &[1.0, 3.0][..], &[1.0][..]] {
        let ticks: Vec<f64> = (k0..=k1)
            .flat_map(|k| mults.iter().map(move |m| m * 10f64.powi(k)))
            .filter(within)
            .collect();
        if ticks.len() <= max {
            return ticks;
        }
    }
    let decades = (k1 - k0 + 1).max(1) as usize;
    let stride = decades.div_ceil(max).max(1);
    (k0..=k1)
        .step_by(stride)
        .map(|k| 10f64.powi(k))
        .filter(within)
        .collect()
}

/// A quantity's display unit: divide the stored value by `div` to get `unit`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub div: f64,
    pub unit: &'static str,
}

const AREA_SCALE: Scale = Scale {
    div: 1e6,
    unit: "mm²",
};

/// The larger unit `big` from its divisor on (by the largest value), else `small`.
fn pick_scale(max: f64, big: (f64, &'static str), small: (f64, &'static str)) -> Scale {
    let (div, unit) = if max >= big.0 { big } else { small };
    Scale { div, unit }
}

/// µs below one millisecond, ms from there (by the largest value).
fn latency_scale(max_ns: f64) -> Scale {
    pick_scale(max_ns, (1e6, "ms"), (1e3, "µs"))
}

/// µJ below one millijoule, mJ from there (by the largest value).
fn energy_scale(max_pj: f64) -> Scale {
    pick_scale(max_pj, (1e9, "mJ"), (1e6, "µJ"))
}

/// The three per-method quantities drawn as bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Area,
    Latency,
    Energy,
}

impl Metric {
    fn total(self, row: &ChartRow) -> f64 {
        match self {
            Metric::Area => row.area_um2,
            Metric::Latency => row.latency_ns,
            Metric::Energy => row.energy_pj,
        }
    }

    fn total_field(self) -> &'static str {
        match self {
            Metric::Area => "area_um2",
            Metric::Latency => "latency_ns",
            Metric::Energy => "energy_pj",
        }
    }

    fn parts(self, row: &ChartRow) -> &[(String, f64)] {
        match self {
            Metric::Area => &row.area_breakdown_um2,
            Metric::Latency => &row.latency_breakdown_ns,
            Metric::Energy => &row.energy_breakdown_pj,
        }
    }

    fn parts_field(self) -> &'static str {
        match self {
            Metric::Area => "area_breakdown_um2",
            Metric::Latency => "latency_breakdown_ns",
            Metric::Energy => "energy_breakdown_pj",
        }
    }

    fn quantity(self) -> &'static str {
        match self {
            Metric::Area => "area",
            Metric::Latency => "latency",
            Metric::Energy => "energy",
        }
    }

    /// The display unit for values up to `max` (stored units).
    fn scale(self, max: f64) -> Scale {
        match self {
            Metric::Area => AREA_SCALE,
            Metric::Latency => latency_scale(max),
            Metric::Energy => energy_scale(max),
        }
    }
}

/// Checks `data` for `kind` before anything is drawn: at least one row, non-empty method
/// names, a baseline that names a row, and for the fields the chart uses finite,
/// non-negative values (positive where a log axis needs them), accuracies within 0..=100
/// and a non-empty breakdown per row. Errors name the row index, the method and the field.
pub fn validate(data: &ChartData, kind: ChartKind, options: &ChartOptions) -> Result<()> {
    if data.rows.is_empty() {
        return Err(Error::invalid(
            "rows",
            "no rows to plot; give at least one method",
        ));
    }
    for (i, row) in data.rows.iter().enumerate() {
        if row.method.trim().is_empty() {
            return Err(Error::invalid(
                format!("rows[{i}].method"),
                "must name the method, got an empty string",
            ));
        }
    }
    if let Some(b) = &data.baseline {
        if !data.rows.iter().any(|r| &r.method == b) {
            return Err(Error::invalid(
                "baseline",
                format!("'{b}' is not the method of any row"),
            ));
        }
    }
    let log = options.log_scale;
    match kind {
        ChartKind::Area | ChartKind::Latency | ChartKind::Energy => {
            let m = metric_of(kind);
            for (i, row) in data.rows.iter().enumerate() {
                check_value(i, row, m.total_field(), m.total(row), log)?;
            }
            if data.baseline.is_some() {
                // A ratio against a zero baseline value would be meaningless.
                for (i, row) in data.rows.iter().enumerate() {
                    if Some(&row.method) == data.baseline.as_ref() && m.total(row) <= 0.0 {
                        return Err(Error::invalid(
                            format!("rows[{i}].{}", m.total_field()),
                            format!(
                                "the baseline's value must be > 0 to form ratios, got {} (method '{}')",
                                m.total(row),
                                row.method
                            ),
                        ));
                    }
                }
            }
        }
        ChartKind::AreaBreakdown | ChartKind::EnergyBreakdown | ChartKind::LatencyBreakdown => {
            let m = metric_of(kind);
            for (i, row) in data.rows.iter().enumerate() {
                let parts = m.parts(row);
                let field = m.parts_field();
                if parts.is_empty() {
                    return Err(Error::invalid(
                        format!("rows[{i}].{field}"),
                        format!(
                            "is empty; the {} chart needs the components of every row (method '{}')",
                            kind, row.method
                        ),
                    ));
                }
                for (j, (name, v)) in parts.iter().enumerate() {
                    if name.trim().is_empty() {
                        return Err(Error::invalid(
                            format!("rows[{i}].{field}[{j}]"),
                            format!("component name is empty (method '{}')", row.method),
                        ));
                    }
                    check_value(i, row, &format!("{field}[{j}] ({name})"), *v, false)?;
                }
                let total: f64 = parts.iter().map(|p| p.1).sum();
                if !total.is_finite() || (log && total <= 0.0) {
                    return Err(Error::invalid(
                        format!("rows[{i}].{field}"),
                        format!(
                            "components sum to {total}; a log axis needs a positive finite sum (method '{}')",
                            row.method
                        ),
                    ));
                }
            }
        }
        ChartKind::Pareto => {
            for (i, row) in data.rows.iter().enumerate() {
                check_value(i, row, "area_um2", row.area_um2, log)?;
            }
            for (i, row) in data.rows.iter().enumerate() {
                if let Some(a) = row.accuracy_pct {
                    if !(0.0..=100.0).contains(&a) {
                        return Err(Error::invalid(
                            format!("rows[{i}].accuracy_pct"),
                            format!("must be within 0..=100, got {a} (method '{}')", row.method),
                        ));
                    }
                }
                match pareto_y(data) {
                    ParetoY::Accuracy => {}
                    ParetoY::Proxy => check_value(
                        i,
                        row,
                        "quality_proxy",
                        row.quality_proxy.unwrap_or(f64::NAN),
                        false,
                    )?,
                    ParetoY::Bits => {
                        check_value(i, row, "bits_per_weight", row.bits_per_weight, false)?
                    }
                }
            }
        }
    }
    Ok(())
}

fn metric_of(kind: ChartKind) -> Metric {
    match kind {
        ChartKind::Latency | ChartKind::LatencyBreakdown => Metric::Latency,
        ChartKind::Energy | ChartKind::EnergyBreakdown => Metric::Energy,
        _ => Metric::Area,
    }
}

/// The y axis of the Pareto chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParetoY {
    /// Measured accuracy (%), maximised: every row has one.
    Accuracy,
    /// The quality proxy, minimised: every row has one, not every row an accuracy.
    Proxy,
    /// Bits per weight, minimised: neither is known for every row.
    Bits,
}

pub(crate) fn pareto_y(data: &ChartData) -> ParetoY {
    if data.rows.iter().all(|r| r.accuracy_pct.is_some()) {
        ParetoY::Accuracy
    } else if data.rows.iter().all(|r| r.quality_proxy.is_some()) {
        ParetoY::Proxy
    } else {
        ParetoY::Bits
    }
}

/// A value must be finite and >= 0, and > 0 when `positive` (a log axis).
fn check_value(i: usize, row: &ChartRow, field: &str, v: f64, positive: bool) -> Result<()> {
    let bad = if !v.is_finite() {
        Some("must be finite")
    } else if v < 0.0 {
        Some("must be >= 0")
    } else if positive && v <= 0.0 {
        Some("must be > 0 on a log axis")
    } else {
        None
    };
    match bad {
        Some(why) => Err(Error::invalid(
            format!("rows[{i}].{field}"),
            format!("{why}, got {v} (method '{}')", row.method),
        )),
        None => Ok(()),
    }
}

/// Turns a plotters error into [`Error::Plot`].
pub(crate) fn backend_err<E: std::error::Error + Send + Sync>(
    e: plotters::drawing::DrawingAreaErrorKind<E>,
) -> Error {
    Error::Plot(e.to_string())
}

/// Formats a display value with about three significant digits.
pub(crate) fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// Formats an axis tick: like [`fmt_num`] without trailing zeros (`2`, `0.5`, `76`).
pub(crate) fn fmt_tick(v: f64) -> String {
    let s = fmt_num(v);
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Draws `kind` of `data` filling `area` (any plotters backend), after [`validate`].
///
/// The caller presents the backend (`area.present()`) when done; [`render_svg`] does.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &ChartData,
    kind: ChartKind,
    options: &ChartOptions,
) -> Result<()> {
    validate(data, kind, options)?;
    let theme = prepare_area(area, options)?;
    let caption = caption_text(area, data, kind, &theme);
    match kind {
        ChartKind::Area | ChartKind::Latency | ChartKind::Energy => {
            bars::draw_totals(area, data, metric_of(kind), &caption, options, &theme)
        }
        ChartKind::AreaBreakdown | ChartKind::EnergyBreakdown | ChartKind::LatencyBreakdown => {
            bars::draw_breakdown(area, data, metric_of(kind), &caption, options, &theme)
        }
        ChartKind::Pareto => pareto::draw_pareto(area, data, &caption, options, &theme),
    }
}

/// Checks that `area` is at least [`MIN_SIZE_PX`] and fills it with the theme's
/// background; returns the theme.
pub(crate) fn prepare_area<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    options: &ChartOptions,
) -> Result<Theme> {
    let (w, h) = area.dim_in_pixel();
    if w < MIN_SIZE_PX.0 || h < MIN_SIZE_PX.1 {
        return Err(Error::invalid(
            "drawing area",
            format!(
                "{w}x{h} px is too small for a chart; need at least {}x{}",
                MIN_SIZE_PX.0, MIN_SIZE_PX.1
            ),
        ));
    }
    let theme = Theme::new(options.dark);
    area.fill(&theme.bg).map_err(backend_err)?;
    Ok(theme)
}

/// `title: caption of the kind`, with the short title when the full one does not fit.
fn caption_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &ChartData,
    kind: ChartKind,
    theme: &Theme,
) -> String {
    let with = |title: &str| {
        if title.trim().is_empty() {
            caption_of(kind, data).to_string()
        } else {
            format!("{title}: {}", caption_of(kind, data))
        }
    };
    let full = with(&data.title);
    let Some(short) = &data.short_title else {
        return full;
    };
    let room = area.dim_in_pixel().0.saturating_sub(16);
    let fits = area
        .estimate_text_size(&full, &theme.font(TITLE_PX))
        .map_or(true, |(w, _)| w <= room);
    if fits {
        full
    } else {
        with(short)
    }
}

fn caption_of(kind: ChartKind, data: &ChartData) -> &'static str {
    match kind {
        ChartKind::Area => "area per method",
        ChartKind::Latency => "latency per method",
        ChartKind::Energy => "energy per method",
        ChartKind::AreaBreakdown => "area by component",
        ChartKind::EnergyBreakdown => "energy by component",
        ChartKind::LatencyBreakdown => "latency by component",
        ChartKind::Pareto => match pareto_y(data) {
            ParetoY::Accuracy => "area vs accuracy",
            ParetoY::Proxy => "area vs quality proxy",
            ParetoY::Bits => "area vs bits per weight",
        },
    }
}

/// Renders `kind` of `data` as an SVG document of `options.width_px` x
/// `options.height_px` pixels (for `epim compare --svg DIR` and the tests).
pub fn render_svg(data: &ChartData, kind: ChartKind, options: &ChartOptions) -> Result<String> {
    svg_document(options, |root| draw(root, data, kind, options))
}

/// An SVG document of `options.width_px` x `options.height_px` (checked against
/// the chart size bounds) holding what `draw` draws: every chart's SVG renderer.
pub(crate) fn svg_document(
    options: &ChartOptions,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>,
) -> Result<String> {
    let (w, h) = (options.width_px, options.height_px);
    if !(MIN_SIZE_PX.0..=MAX_SIZE_PX).contains(&w) || !(MIN_SIZE_PX.1..=MAX_SIZE_PX).contains(&h) {
        return Err(Error::invalid(
            "width_px/height_px",
            format!(
                "{w}x{h} px is outside {}x{} ..= {MAX_SIZE_PX}x{MAX_SIZE_PX}",
                MIN_SIZE_PX.0, MIN_SIZE_PX.1
            ),
        ));
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        draw(&root)?;
        root.present().map_err(backend_err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    #[test]
    fn titles_too_wide_are_cut_with_an_ellipsis() {
        let w = |t: &str| 10 * t.chars().count() as u32;
        assert_eq!(fit_text("vgg8", 100, w), "vgg8");
        let cut = fit_text("resnet50-imagenet on isaac (physical)", 100, w);
        assert_eq!(cut, "resnet50-…");
        assert!(w(&cut) <= 100);
        assert_eq!(fit_text("abc", 5, w), "…");
    }

    use super::*;

    #[test]
    fn kind_names_round_trip_and_unknown_is_error() {
        for k in ChartKind::ALL {
            assert_eq!(k.name().parse::<ChartKind>().unwrap(), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
        }
        let e = "pie".parse::<ChartKind>().unwrap_err().to_string();
        assert!(e.contains("pie") && e.contains("area-breakdown"), "{e}");
    }

    #[test]
    fn display_units_follow_magnitude() {
        assert_eq!(latency_scale(999_999.0).unit, "µs");
        assert_eq!(latency_scale(1e6).unit, "ms");
        assert_eq!(energy_scale(5e8).unit, "µJ");
        assert_eq!(energy_scale(2e9).unit, "mJ");
    }

    #[test]
    fn fmt_num_keeps_three_significant_digits() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(1.2345), "1.23");
        assert_eq!(fmt_num(12.345), "12.3");
        assert_eq!(fmt_num(123.45), "123");
        assert_eq!(fmt_num(0.012345), "0.012");
        assert_eq!(fmt_num(2.5e6), "2.50e6");
        assert_eq!(fmt_tick(2.0), "2");
        assert_eq!(fmt_tick(76.0), "76");
        assert_eq!(fmt_tick(0.5), "0.5");
        assert_eq!(fmt_tick(120.0), "120");
    }

    #[test]
    fn log_ticks_label_short_and_wide_ranges() {
        let close = |a: Vec<f64>, b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x / y - 1.0).abs() < 1e-12)
        };
        assert!(close(
            log_ticks(1.0, 6.0, 6),
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        ));
        assert!(close(
            log_ticks(1.0, 60.0, 6),
            &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
        ));
        assert!(close(log_ticks(0.1, 100.0, 6), &[0.1, 1.0, 10.0, 100.0]));
        assert!(close(
            log_ticks(0.1, 100.0, 7),
            &[0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
        ));
        assert!(close(log_ticks(1e-3, 1e6, 5), &[1e-3, 1e-1, 1e1, 1e3, 1e5]));
        assert!(log_ticks(0.0, 1.0, 5).is_empty());
    }

    #[test]
    fn options_default_from_empty_json() {
        let o: ChartOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(o, ChartOptions::default());
        assert!(serde_json::from_str::<ChartOptions>(r#"{"log":true}"#).is_err());
    }

    #[test]
    fn palette_is_distinct_and_dark_replaces_black() {
        let light: Vec<_> = (0..8).map(|i| series_rgb(i, false)).collect();
        for (i, a) in light.iter().enumerate() {
            assert!(light[i + 1..].iter().all(|b| b != a));
        }
        assert_eq!(series_rgb(7, false), (0, 0, 0));
        assert_ne!(series_rgb(7, true), (0, 0, 0));
        assert_eq!(series_rgb(9, false), series_rgb(1, false));
    }
}
