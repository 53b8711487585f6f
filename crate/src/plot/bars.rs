//! Horizontal bars: one per method (totals) or one stacked bar per method (breakdowns).
//!
//! Bars run horizontally so long method names (`prune:kind=pim-prune,ratio=0.5,bits=8`)
//! read on the vertical axis without rotation or overlap.

use plotters::coord::ranged1d::{
    AsRangedCoord, KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter,
};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{self, Entry, Swatch};
use super::{backend_err, fmt_num, fmt_tick, ChartData, ChartOptions, Metric, Theme, LABEL_PX};
use super::{titled, LogAxis};
use crate::error::Result;

/// Half the height of a bar, in rows (each row is 1.0 high).
const HALF_BAR: f64 = 0.33;

/// What [`hbars`] draws.
struct Bars {
    caption: String,
    x_desc: String,
    names: Vec<String>,
    /// Per row, the stacked segments (colour, value in display units).
    stacks: Vec<Vec<(RGBColor, f64)>>,
    end_labels: Vec<String>,
    legend: Vec<Entry>,
    log: bool,
}

/// One bar per method of `metric`'s total, coloured per method; with a baseline the bar
/// label says how many times less (or more) than the baseline the method needs.
pub(crate) fn draw_totals<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &ChartData,
    metric: Metric,
    caption: &str,
    options: &ChartOptions,
    theme: &Theme,
) -> Result<()> {
    let max = data
        .rows
        .iter()
        .map(|r| metric.total(r))
        .fold(0.0, f64::max);
    let scale = metric.scale(max);
    let base = data
        .baseline
        .as_ref()
        .and_then(|b| data.rows.iter().find(|r| &r.method == b))
        .map(|r| metric.total(r));
    let mut stacks = Vec::new();
    let mut end_labels = Vec::new();
    for (i, row) in data.rows.iter().enumerate() {
        let v = metric.total(row);
        stacks.push(vec![(theme.series(i), v / scale.div)]);
        let shown = fmt_num(v / scale.div);
        let label = match (base, &data.baseline) {
            (Some(_), Some(b)) if &row.method == b => format!("{shown} (baseline)"),
            (Some(b), _) if v > 0.0 => {
                let ratio = b / v;
                if ratio >= 1.0 {
                    format!("{shown} ({}x less)", fmt_num(ratio))
                } else {
                    format!("{shown} ({}x more)", fmt_num(1.0 / ratio))
                }
            }
            _ => shown,
        };
        end_labels.push(label);
    }
    hbars(
        area,
        Bars {
            caption: caption.to_string(),
            x_desc: axis_desc(metric.quantity(), scale.unit, options.log_scale),
            names: data.rows.iter().map(|r| r.method.clone()).collect(),
            stacks,
            end_labels,
            legend: Vec::new(),
            log: options.log_scale,
        },
        theme,
    )
}

/// One stacked bar per method; components (the union over rows, in first-seen order) get
/// one colour each and a legend entry. The bar label is the sum of the components.
pub(crate) fn draw_breakdown<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &ChartData,
    metric: Metric,
    caption: &str,
    options: &ChartOptions,
    theme: &Theme,
) -> Result<()> {
    let mut components: Vec<&str> = Vec::new();
    for row in &data.rows {
        for (name, _) in metric.parts(row) {
            if !components.contains(&name.as_str()) {
                components.push(name);
            }
        }
    }
    let sums: Vec<f64> = data
        .rows
        .iter()
        .map(|r| metric.parts(r).iter().map(|p| p.1).sum())
        .collect();
    let scale = metric.scale(sums.iter().copied().fold(0.0, f64::max));
    let stacks = data
        .rows
        .iter()
        .map(|row| {
            components
                .iter()
                .enumerate()
                .map(|(c, name)| {
                    let v: f64 = metric
                        .parts(row)
                        .iter()
                        .filter(|p| p.0 == *name)
                        .map(|p| p.1)
                        .sum();
                    (theme.series(c), v / scale.div)
                })
                .collect()
        })
        .collect();
    let legend = components
        .iter()
        .enumerate()
        .map(|(c, name)| Entry {
            label: (*name).to_string(),
            swatch: Swatch::Box(theme.series(c)),
        })
        .collect();
    hbars(
        area,
        Bars {
            caption: caption.to_string(),
            x_desc: axis_desc(metric.quantity(), scale.unit, options.log_scale),
            names: data.rows.iter().map(|r| r.method.clone()).collect(),
            stacks,
            end_labels: sums.iter().map(|s| fmt_num(s / scale.div)).collect(),
            legend,
            log: options.log_scale,
        },
        theme,
    )
}

/// `quantity (unit)`, or `quantity (unit, log scale)`.
pub(crate) fn axis_desc(quantity: &str, unit: &str, log: bool) -> String {
    if log {
        format!("{quantity} ({unit}, log scale)")
    } else {
        format!("{quantity} ({unit})")
    }
}

/// Lays out title, legend column, method labels and value-label room, then draws.
fn hbars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: Bars,
    theme: &Theme,
) -> Result<()> {
    let (w, _) = area.dim_in_pixel();
    let area = titled(area, &bars.caption, theme)?;
    let plot_area = if bars.legend.is_empty() {
        area
    } else {
        let lw = legend::width_px(&area, &bars.legend, theme, w * 2 / 5)?;
        let (plot, side) = area.split_horizontally(w.saturating_sub(lw));
        legend::draw(&side, &bars.legend, theme)?;
        plot
    };
    let (pw, _) = plot_area.dim_in_pixel();
    let style = theme.font(LABEL_PX);
    let mut names = Vec::with_capacity(bars.names.len());
    let mut name_w = 0;
    for n in &bars.names {
        let fitted = legend::fit_text(&plot_area, n, &style, pw * 2 / 5)?;
        name_w = name_w.max(
            plot_area
                .estimate_text_size(&fitted, &style)
                .map_err(backend_err)?
                .0,
        );
        names.push(fitted);
    }
    let mut end_w = 0;
    for l in &bars.end_labels {
        end_w = end_w.max(
            plot_area
                .estimate_text_size(l, &style)
                .map_err(backend_err)?
                .0,
        );
    }
    let y_label_w = name_w + 16;
    let inner_w = pw.saturating_sub(y_label_w + 30).max(1);
    // Fraction of the plot width kept free right of the longest bar for its label.
    let room = ((end_w + 12) as f64 / inner_w as f64).min(0.6);

    let totals: Vec<f64> = bars
        .stacks
        .iter()
        .map(|s| s.iter().map(|p| p.1).sum())
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max);
    let layout = Layout { names, y_label_w };
    if bars.log {
        // The axis starts a decade boundary below every bar's first visible segment, so
        // on a stacked bar the first component is not cut away by the axis start.
        let min = bars
            .stacks
            .iter()
            .filter_map(|s| s.iter().map(|p| p.1).find(|v| *v > 0.0))
            .fold(f64::INFINITY, f64::min);
        let mut lo = 10f64.powf(min.log10().floor());
        if lo >= min {
            lo /= 10.0;
        }
        let span = max.ln() - lo.ln();
        let hi = (lo.ln() + span / (1.0 - room)).exp() * 1.05;
        hbars_on(&plot_area, LogAxis::new(lo, hi), lo, &bars, &layout, theme)
    } else {
        let hi = if max > 0.0 {
            max / (1.0 - room) * 1.02
        } else {
            1.0
        };
        hbars_on(&plot_area, 0.0..hi, 0.0, &bars, &layout, theme)
    }
}

/// The method axis: `0..n` with one tick (and label) at the centre of each row.
#[derive(Clone)]
struct RowAxis {
    linear: RangedCoordf64,
    n: usize,
}

impl RowAxis {
    fn new(n: usize) -> Self {
        RowAxis {
            linear: (0.0..n as f64).into(),
            n,
        }
    }
}

impl Ranged for RowAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        (0..self.n).map(|k| k as f64 + 0.5).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.linear.range()
    }
}

impl ValueFormatter<f64> for RowAxis {
    fn format(value: &f64) -> String {
        fmt_num(*value)
    }
}

struct Layout {
    names: Vec<String>,
    y_label_w: u32,
}

/// Draws the bars on a value axis `x_spec` (linear or log) whose left end is `x_lo`.
fn hbars_on<DB, X>(
    area: &DrawingArea<DB, Shift>,
    x_spec: X,
    x_lo: f64,
    bars: &Bars,
    layout: &Layout,
    theme: &Theme,
) -> Result<()>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let n = bars.stacks.len();
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(20)
        .x_label_area_size(48)
        .y_label_area_size(layout.y_label_w)
        .build_cartesian_2d(x_spec, RowAxis::new(n))
        .map_err(backend_err)?;
    // Row 0 is drawn at the top: key point k (from the bottom) is row n-1-k.
    let name_of = |y: &f64| -> String {
        let k = y.floor().max(0.0) as usize;
        n.checked_sub(k + 1)
            .and_then(|i| layout.names.get(i))
            .cloned()
            .unwrap_or_default()
    };
    let fmt_x = |v: &f64| fmt_tick(*v);
    let x_labels = super::x_label_count(chart.plotting_area().dim_in_pixel().0);
    let mut mesh = chart.configure_mesh();
    mesh.disable_y_mesh()
        .x_labels(x_labels)
        .x_desc(bars.x_desc.as_str())
        .x_label_formatter(&fmt_x)
        .y_label_formatter(&name_of);
    theme.draw_mesh(&mut mesh)?;

    let label_style = theme.font(LABEL_PX).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, stack) in bars.stacks.iter().enumerate() {
        let yc = (n - 1 - i) as f64 + 0.5;
        let mut cum = 0.0;
        let single = stack.len() == 1;
        for (colour, v) in stack {
            let x0 = cum;
            cum += v;
            if !single && *v <= 0.0 {
                continue;
            }
            let a = x0.max(x_lo);
            if cum < a {
                continue;
            }
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, yc - HALF_BAR), (cum, yc + HALF_BAR)],
                    colour.filled(),
                )))
                .map_err(backend_err)?;
        }
        let label = bars.end_labels.get(i).cloned().unwrap_or_default();
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((cum.max(x_lo), yc))
                    + Text::new(label, (6, 0), label_style.clone()),
            ))
            .map_err(backend_err)?;
    }
    Ok(())
}
