//! A legend drawn in its own column beside the plot (so it never covers data), marker
//! shapes shared by the scatter and its legend, and text fitting.

use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendCoord, DrawingErrorKind};

use super::{backend_err, Theme, LABEL_PX};
use crate::error::Result;

/// Marker shape of series `index`: circles for the first eight colours, then triangles,
/// then squares, so more than eight methods stay distinguishable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Circle,
    Triangle,
    Square,
}

impl Shape {
    pub fn of(index: usize) -> Shape {
        match (index / super::OKABE_ITO.len()) % 3 {
            0 => Shape::Circle,
            1 => Shape::Triangle,
            _ => Shape::Square,
        }
    }
}

/// Marker radius in pixels.
pub(crate) const MARKER_PX: i32 = 6;

/// A scatter marker at one point: a plotters element drawn by any backend.
pub(crate) struct Marker<C> {
    at: C,
    shape: Shape,
    style: ShapeStyle,
}

/// A marker of `shape` centred at `at`, filled or outlined in `colour`.
pub(crate) fn marker<C>(at: C, shape: Shape, colour: RGBColor, filled: bool) -> Marker<C> {
    let style = if filled {
        colour.filled()
    } else {
        colour.stroke_width(2)
    };
    Marker { at, shape, style }
}

impl<'a, C: 'a> PointCollection<'a, C> for &'a Marker<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;
    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for Marker<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut points: I,
        backend: &mut DB,
        _parent_dim: (u32, u32),
    ) -> std::result::Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = points.next() else {
            return Ok(());
        };
        let r = MARKER_PX;
        let filled = self.style.filled;
        match self.shape {
            Shape::Circle => backend.draw_circle((x, y), r as u32, &self.style, filled),
            Shape::Square => backend.draw_rect(
                (x - r + 1, y - r + 1),
                (x + r - 1, y + r - 1),
                &self.style,
                filled,
            ),
            Shape::Triangle => {
                let h = r + 1;
                let dx = (f64::from(h) * 0.866).round() as i32;
                let pts = [(x, y - h), (x - dx, y + h / 2), (x + dx, y + h / 2)];
                if filled {
                    backend.fill_polygon(pts, &self.style)
                } else {
                    backend.draw_path([pts[0], pts[1], pts[2], pts[0]], &self.style)
                }
            }
        }
    }
}

/// What sits left of a legend label.
pub(crate) enum Swatch {
    /// A filled box (a bar colour).
    Box(RGBColor),
    /// A scatter marker.
    Marker {
        colour: RGBColor,
        shape: Shape,
        filled: bool,
    },
    /// A line (the Pareto step line).
    Line(RGBColor),
}

/// One legend line.
pub(crate) struct Entry {
    pub label: String,
    pub swatch: Swatch,
}

const ROW_PX: i32 = 22;
const SWATCH_PX: i32 = 14;
const TEXT_X_PX: i32 = 30;
const TOP_PX: i32 = 14;

/// `text` shortened with an ellipsis so it is at most `max_px` wide in `style`.
pub(crate) fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_px: u32,
) -> Result<String> {
    let width =
        |s: &str| -> Result<u32> { Ok(area.estimate_text_size(s, style).map_err(backend_err)?.0) };
    if width(text)? <= max_px {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let s: String = chars[..n].iter().collect::<String>() + "…";
        if width(&s)? <= max_px {
            return Ok(s);
        }
    }
    Ok("…".to_string())
}

/// The width the legend column needs (swatch, gap, the widest label), at most `max_px`.
pub(crate) fn width_px<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    theme: &Theme,
    max_px: u32,
) -> Result<u32> {
    let style = theme.font(LABEL_PX);
    let mut widest = 0;
    for e in entries {
        widest = widest.max(
            area.estimate_text_size(&e.label, &style)
                .map_err(backend_err)?
                .0,
        );
    }
    Ok((widest + TEXT_X_PX as u32 + 12).min(max_px))
}

/// Draws `entries` top-down in `area`, labels shortened to fit its width.
pub(crate) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    theme: &Theme,
) -> Result<()> {
    let style = theme.font(LABEL_PX);
    let text_style = style.pos(Pos::new(HPos::Left, VPos::Center));
    let (w, h) = area.dim_in_pixel();
    let max_label = w.saturating_sub(TEXT_X_PX as u32 + 4);
    let rows_fit = ((h as i32 - TOP_PX) / ROW_PX).max(1) as usize;
    let shown = if entries.len() > rows_fit {
        rows_fit - 1
    } else {
        entries.len()
    };
    for (k, e) in entries.iter().take(shown).enumerate() {
        let y = TOP_PX + k as i32 * ROW_PX;
        let half = SWATCH_PX / 2;
        let cx = 8 + half;
        match &e.swatch {
            Swatch::Box(c) => area
                .draw(&Rectangle::new(
                    [(8, y - half), (8 + SWATCH_PX, y + half)],
                    c.filled(),
                ))
                .map_err(backend_err)?,
            Swatch::Marker {
                colour,
                shape,
                filled,
            } => area
                .draw(&marker((cx, y), *shape, *colour, *filled))
                .map_err(backend_err)?,
            Swatch::Line(c) => area
                .draw(&PathElement::new(
                    vec![(4, y), (8 + SWATCH_PX + 4, y)],
                    c.stroke_width(2),
                ))
                .map_err(backend_err)?,
        }
        let label = fit_text(area, &e.label, &style, max_label)?;
        area.draw(&Text::new(label, (TEXT_X_PX, y), text_style.clone()))
            .map_err(backend_err)?;
    }
    if shown < entries.len() {
        let y = TOP_PX + shown as i32 * ROW_PX;
        let more = format!("… {} more", entries.len() - shown);
        area.draw(&Text::new(more, (TEXT_X_PX, y), text_style))
            .map_err(backend_err)?;
    }
    Ok(())
}
