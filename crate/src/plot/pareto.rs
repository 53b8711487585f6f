//! The Pareto front and the area-vs-quality scatter.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::{self, marker, Entry, Shape, Swatch};
use super::{backend_err, fmt_num, fmt_tick, pareto_y, ChartData, ChartOptions, ParetoY, Theme};
use super::{titled, LogAxis, LABEL_PX};
use crate::error::Result;

/// Indices of the Pareto-optimal points when **both coordinates are minimised**, sorted by
/// the first coordinate, then the second, then index.
///
/// A point `q` dominates `p` when `q` is no worse in both coordinates and better in at
/// least one; the front is the points no other point dominates. Equal points do not
/// dominate each other, so duplicates are on the front together. To maximise a
/// coordinate (accuracy), negate it. Points with a NaN or infinite coordinate are
/// ignored: never on the front and never dominating. O(n²), for tens of methods.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let finite = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite();
    let dominates =
        |q: &(f64, f64), p: &(f64, f64)| q.0 <= p.0 && q.1 <= p.1 && (q.0 < p.0 || q.1 < p.1);
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| finite(&points[i]))
        .filter(|&i| !points.iter().any(|q| finite(q) && dominates(q, &points[i])))
        .collect();
    front.sort_by(|&a, &b| {
        points[a]
            .0
            .total_cmp(&points[b].0)
            .then(points[a].1.total_cmp(&points[b].1))
            .then(a.cmp(&b))
    });
    front
}

/// The step line through front points sorted by x: right along the current y, then to
/// the next point's y (the boundary of the region the front dominates).
fn step_line(front: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut line = Vec::with_capacity(front.len() * 2);
    for (k, p) in front.iter().enumerate() {
        if k > 0 {
            line.push((p.0, front[k - 1].1));
        }
        line.push(*p);
    }
    line
}

/// A padded axis range around `[min, max]`, never below `floor`.
fn padded(min: f64, max: f64, floor: f64) -> (f64, f64) {
    let span = max - min;
    let pad = if span > 0.0 {
        span * 0.08
    } else if max.abs() > 0.0 {
        max.abs() * 0.1
    } else {
        1.0
    };
    ((min - pad).max(floor), max + pad)
}

/// Area (x, mm²) against accuracy (y, %, maximised) when every row has a measured one,
/// else against the quality proxy (minimised) when every row has one, else against bits
/// per weight (minimised); front points filled and joined by a step line; every method in
/// the legend with its marker. On the proxy axis a note under the plot says what the
/// proxy is and which rows have a measured accuracy (their legend entries carry it).
pub(crate) fn draw_pareto<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &ChartData,
    caption: &str,
    options: &ChartOptions,
    theme: &Theme,
) -> Result<()> {
    let axis = pareto_y(data);
    let accuracy = axis == ParetoY::Accuracy;
    let points: Vec<(f64, f64)> = data
        .rows
        .iter()
        .map(|r| {
            let y = match axis {
                ParetoY::Accuracy => r.accuracy_pct.unwrap_or(f64::NAN),
                ParetoY::Proxy => r.quality_proxy.unwrap_or(f64::NAN),
                ParetoY::Bits => r.bits_per_weight,
            };
            (r.area_um2 / 1e6, y)
        })
        .collect();
    let costs: Vec<(f64, f64)> = points
        .iter()
        .map(|&(x, y)| (x, if accuracy { -y } else { y }))
        .collect();
    let front = pareto_front(&costs);
    let on_front: Vec<bool> = (0..points.len()).map(|i| front.contains(&i)).collect();

    let mut entries = vec![Entry {
        label: "Pareto front (filled)".into(),
        swatch: Swatch::Line(theme.axis),
    }];
    for (i, row) in data.rows.iter().enumerate() {
        let label = match (axis, row.accuracy_pct) {
            (ParetoY::Proxy, Some(a)) => format!("{} % measured: {}", fmt_num(a), row.method),
            _ => row.method.clone(),
        };
        entries.push(Entry {
            label,
            swatch: Swatch::Marker {
                colour: theme.series(i),
                shape: Shape::of(i),
                filled: on_front[i],
            },
        });
    }

    let (w, _) = area.dim_in_pixel();
    let area = titled(area, caption, theme)?;
    let lw = legend::width_px(&area, &entries, theme, w * 2 / 5)?;
    let (plot_area, side) = area.split_horizontally(w.saturating_sub(lw));
    legend::draw(&side, &entries, theme)?;
    let plot_area = match axis {
        ParetoY::Proxy => with_note(&plot_area, &proxy_note(data), theme)?,
        _ => plot_area,
    };

    let xmin = points.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let xmax = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let ymin = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let ymax = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (y_lo, y_hi) = padded(ymin, ymax, 0.0);
    let y_desc = match axis {
        ParetoY::Accuracy => "accuracy (%)",
        ParetoY::Proxy => "quality proxy (lower is better)",
        ParetoY::Bits => "bits per weight (incl. overheads)",
    };
    let line: Vec<(f64, f64)> = step_line(&front.iter().map(|&i| points[i]).collect::<Vec<_>>());
    let scatter = Scatter {
        points: &points,
        on_front: &on_front,
        line,
        x_desc: super::bars::axis_desc("area", "mm²", options.log_scale),
        y_desc,
    };
    if options.log_scale {
        let (lo, hi) = if xmax > xmin {
            (xmin / 1.3, xmax * 1.3)
        } else {
            (xmin / 2.0, xmax * 2.0)
        };
        scatter_on(
            &plot_area,
            LogAxis::new(lo, hi),
            y_lo..y_hi,
            &scatter,
            theme,
        )
    } else {
        let (lo, hi) = padded(xmin, xmax, 0.0);
        scatter_on(&plot_area, lo..hi, y_lo..y_hi, &scatter, theme)
    }
}

/// What the proxy axis means, and which rows have a measured accuracy (never invented:
/// only the rows' own `accuracy_pct`).
pub(crate) fn proxy_note(data: &ChartData) -> String {
    let measured: Vec<&str> = data
        .rows
        .iter()
        .filter(|r| r.accuracy_pct.is_some())
        .map(|r| r.method.as_str())
        .collect();
    let which = if measured.is_empty() {
        "No row here has a measured accuracy (that needs a trained model).".to_string()
    } else {
        format!(
            "Measured accuracy only for {} (in the legend); the rest have none.",
            measured.join(", ")
        )
    };
    format!(
        "Quality proxy, not accuracy: mean over layers of ln(8-bit dense bits / stored bits), \
         0 for 8-bit dense; more compression, higher. {which}"
    )
}

/// Splits `note` into lines that fit `width` px in `font` (words are not broken).
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    note: &str,
    font: &TextStyle,
    width: u32,
) -> Result<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in note.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        let (w, _) = area
            .estimate_text_size(&candidate, font)
            .map_err(backend_err)?;
        if w > width && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// Draws `note` (wrapped) at the bottom of `area`; returns the area above it.
fn with_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    note: &str,
    theme: &Theme,
) -> Result<DrawingArea<DB, Shift>> {
    let font = theme.font(LABEL_PX - 2);
    let (w, h) = area.dim_in_pixel();
    let lines = wrap(area, note, &font, w.saturating_sub(16))?;
    let line_px = LABEL_PX + 2;
    let note_px = (lines.len() as u32 * line_px + 8).min(h / 3);
    let (plot, foot) = area.split_vertically(h.saturating_sub(note_px));
    for (k, text) in lines.iter().enumerate() {
        let y = 4 + (k as u32 * line_px) as i32;
        if y as u32 + line_px > note_px {
            break;
        }
        foot.draw_text(text, &font, (8, y)).map_err(backend_err)?;
    }
    Ok(plot)
}

struct Scatter<'a> {
    points: &'a [(f64, f64)],
    on_front: &'a [bool],
    line: Vec<(f64, f64)>,
    x_desc: String,
    y_desc: &'a str,
}

fn scatter_on<DB, X>(
    area: &DrawingArea<DB, Shift>,
    x_spec: X,
    y_range: std::ops::Range<f64>,
    s: &Scatter,
    theme: &Theme,
) -> Result<()>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .margin(10)
        .margin_right(20)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x_spec, y_range)
        .map_err(backend_err)?;
    let fmt = |v: &f64| fmt_tick(*v);
    let x_labels = super::x_label_count(chart.plotting_area().dim_in_pixel().0);
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x_labels)
        .y_labels(6)
        .x_desc(s.x_desc.as_str())
        .y_desc(s.y_desc)
        .x_label_formatter(&fmt)
        .y_label_formatter(&fmt);
    theme.draw_mesh(&mut mesh)?;
    if s.line.len() > 1 {
        chart
            .draw_series(std::iter::once(PathElement::new(
                s.line.clone(),
                theme.axis.stroke_width(2),
            )))
            .map_err(backend_err)?;
    }
    for (i, p) in s.points.iter().enumerate() {
        chart
            .draw_series(std::iter::once(marker(
                *p,
                Shape::of(i),
                theme.series(i),
                s.on_front[i],
            )))
            .map_err(backend_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_of_a_hand_made_set() {
        // (1,5) and (2,2) and (4,1) are optimal; (3,3) is dominated by (2,2); (5,5) by all.
        let pts = [(3.0, 3.0), (1.0, 5.0), (5.0, 5.0), (4.0, 1.0), (2.0, 2.0)];
        assert_eq!(pareto_front(&pts), vec![1, 4, 3]);
    }

    #[test]
    fn duplicates_share_the_front_and_nan_is_ignored() {
        let pts = [(1.0, 1.0), (1.0, 1.0), (f64::NAN, 0.0), (2.0, 2.0)];
        assert_eq!(pareto_front(&pts), vec![0, 1]);
    }

    #[test]
    fn step_line_turns_at_each_front_point() {
        let line = step_line(&[(1.0, 3.0), (2.0, 2.0), (4.0, 1.0)]);
        assert_eq!(
            line,
            vec![(1.0, 3.0), (2.0, 3.0), (2.0, 2.0), (4.0, 2.0), (4.0, 1.0)]
        );
    }
}
