//! `drawChart`: draws a comparison chart ([`crate::plot`]) onto a canvas element through
//! plotters-canvas. The only canvas-aware code; the charts themselves are the pure core's.

use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::convert::{describe, from_js, optional, string};
use crate::error::Error;
use crate::limits::echo;
use crate::plot::front::FrontChart;
use crate::plot::{self, ChartData, ChartKind, ChartOptions};

/// Draws chart `kind` (`"area"`, `"latency"`, `"energy"`, `"area-breakdown"`,
/// `"energy-breakdown"`, `"latency-breakdown"` or `"pareto"`) of `data` (a `ChartData`
/// object: `{title, rows: [{method, area_um2, latency_ns, energy_pj, bits_per_weight,
/// accuracy_pct?, area_breakdown_um2?, energy_breakdown_pj?, latency_breakdown_ns?}],
/// baseline?}`) onto `canvas`, filling its current `width` x `height` pixels.
///
/// `options` is `null`/`undefined` or `{log_scale?, dark?}` (`width_px`/`height_px` are
/// accepted and ignored here: the canvas keeps its size). The data is checked before the
/// canvas is touched; bad data, an unknown kind or a canvas without a 2D context throws
/// an `Error` naming the problem. Text is measured with the canvas's own
/// `measureText`, so the layout does not depend on where the canvas sits in the page (or
/// whether it is in the document at all).
#[wasm_bindgen(js_name = drawChart)]
pub fn draw_chart(
    #[wasm_bindgen(unchecked_param_type = "HTMLCanvasElement")] canvas: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ChartData")] data: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] kind: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ChartOptions | null | undefined")] options: JsValue,
) -> Result<(), JsError> {
    let kind: ChartKind = string("kind", &kind)?.parse()?;
    let data: ChartData = from_js("chart data", &data)?;
    let options: ChartOptions = optional("chart options", &options)?;
    plot::validate(&data, kind, &options)?;
    let root = measured_canvas(canvas)?.into_drawing_area();
    plot::draw(&root, &data, kind, &options)?;
    root.present().map_err(plot::backend_err)?;
    Ok(())
}

/// Draws a design search's front (`SearchSession.step(...).chart`, a `FrontChart`:
/// `{title, points: [{area_um2, latency_ns}], best}`) onto `canvas`: area (mm², log
/// scale) against latency, the best design highlighted. `options` as for `drawChart`
/// (`log_scale` is ignored: the area axis is always logarithmic). Throws an `Error`
/// naming the problem for bad data or a canvas without a 2D context.
#[wasm_bindgen(js_name = drawFront)]
pub fn draw_front(
    #[wasm_bindgen(unchecked_param_type = "HTMLCanvasElement")] canvas: JsValue,
    #[wasm_bindgen(unchecked_param_type = "FrontChart")] data: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ChartOptions | null | undefined")] options: JsValue,
) -> Result<(), JsError> {
    let data: FrontChart = from_js("front chart", &data)?;
    let options: ChartOptions = optional("chart options", &options)?;
    plot::front::validate_front(&data)?;
    let root = measured_canvas(canvas)?.into_drawing_area();
    plot::front::draw_front(&root, &data, &options)?;
    root.present().map_err(plot::backend_err)?;
    Ok(())
}

/// `canvas` as a plotters backend whose text is measured by the canvas itself;
/// an error when it is not a canvas or has no 2D context.
pub(super) fn measured_canvas(canvas: JsValue) -> Result<MeasuredCanvas, JsError> {
    let canvas: HtmlCanvasElement = canvas.dyn_into().map_err(|other| {
        // `instanceof` (wasm-bindgen's checked cast) never throws.
        let got = match other.dyn_ref::<web_sys::Element>() {
            Some(e) => format!("a <{}> element", echo(&e.local_name())),
            None => describe(&other),
        };
        Error::invalid(
            "canvas",
            format!("must be an HTMLCanvasElement (a <canvas> element), got {got}"),
        )
    })?;
    if web_sys::window().is_none() {
        return Err(Error::Plot("drawing on a canvas needs a browser window".into()).into());
    }
    let context: CanvasRenderingContext2d = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into().ok())
        .ok_or_else(|| {
            Error::Plot("the canvas has no 2D context (is it already used for WebGL?)".into())
        })?;
    let inner = CanvasBackend::with_canvas_object(canvas).ok_or_else(|| {
        Error::Plot("the canvas has no 2D context (is it already used for WebGL?)".into())
    })?;
    Ok(MeasuredCanvas { inner, context })
}

/// plotters-canvas with text measured by the canvas itself.
///
/// plotters' wasm text measurement appends a `position: fixed` span to `document.body`;
/// such a span wraps at the right edge of the viewport, so a canvas laid out to the right
/// of other content got multi-line title heights and too-narrow label areas (labels cut
/// off on the left). `measureText` with the font the canvas draws with has no such
/// dependence. Every drawing call goes to the inner backend unchanged.
pub(super) struct MeasuredCanvas {
    inner: CanvasBackend,
    context: CanvasRenderingContext2d,
}

type CanvasErr = <CanvasBackend as DrawingBackend>::ErrorType;

impl DrawingBackend for MeasuredCanvas {
    type ErrorType = CanvasErr;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.draw_path(path, style)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<CanvasErr>> {
        self.inner.draw_text(text, style, pos)
    }

    /// Width from `measureText` in the font `draw_text` uses; height 1.2 font sizes (a
    /// line box), as the DOM measurement gave.
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasErr>> {
        self.context.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str(),
        ));
        let width = self
            .context
            .measure_text(text)
            .map_err(|_| DrawingErrorKind::FontError("measureText failed".into()))?
            .width();
        // Unrotated, like plotters' default estimate (callers apply the transform).
        Ok((width.ceil() as u32, (style.size() * 1.2).ceil() as u32))
    }
}
