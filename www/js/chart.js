// Draws a wasm chart (core.drawChart) into a canvas sized to its box at the
// device pixel ratio, and redraws on resize and on a light/dark switch.
//
// drawChart fills the canvas's `width` x `height`; to get crisp HiDPI charts with
// text at its CSS size, the backing store is made `dpr` times larger, the context
// scaled by `dpr`, and the canvas reports its CSS size to the core while it draws.

const dark = () => matchMedia('(prefers-color-scheme: dark)').matches;

/** Sizes `canvas` to its box (height = width * `aspect`, at least `minHeight`) at the device pixel ratio. */
export function fitCanvas(canvas, { aspect = 0.625, minHeight = 240, maxHeight = 520 } = {}) {
  const boxW = Math.max(200, Math.round(canvas.parentElement?.clientWidth || canvas.clientWidth || 640));
  const boxH = Math.round(Math.min(maxHeight, Math.max(minHeight, boxW * aspect)));
  const dpr = Math.min(3, window.devicePixelRatio || 1);
  canvas.style.width = `${boxW}px`;
  canvas.style.height = `${boxH}px`;
  // The drawing fills the content box (inside any border).
  const w = canvas.clientWidth || boxW, h = canvas.clientHeight || boxH;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    delete canvas.width;
    delete canvas.height;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  return { w, h, dpr };
}

/**
 * Draws chart `kind` of `data` with the core onto `canvas`, sized to its box.
 * Throws what drawChart throws.
 */
export function drawCoreChart(core, canvas, data, kind, options = {}, fit = {}) {
  withCssSize(canvas, fit, (w, h) => {
    core.drawChart(canvas, data, kind, { ...options, dark: dark(), width_px: w, height_px: h });
  });
}

/** Draws a curve chart (`CurveData`: PIM accuracy, training loss) with the core onto `canvas`, sized to its box. */
export function drawCoreCurve(core, canvas, data, fit = {}) {
  withCssSize(canvas, fit, () => core.drawCurve(canvas, data, { dark: dark() }));
}

/** Fits `canvas`, then runs `draw(w, h)` while the canvas reports its CSS size, the context scaled by the pixel ratio. */
function withCssSize(canvas, fit, draw) {
  const { w, h, dpr } = fitCanvas(canvas, fit);
  const g = canvas.getContext('2d');
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  Object.defineProperty(canvas, 'width', { configurable: true, get: () => w });
  Object.defineProperty(canvas, 'height', { configurable: true, get: () => h });
  try {
    draw(w, h);
  } finally {
    delete canvas.width;
    delete canvas.height;
    g.setTransform(1, 0, 0, 1, 0, 0);
  }
}

/** Draws a search front (`SearchSession.step(...).chart`) with the core onto `canvas`, sized to its box. */
export function drawCoreFront(core, canvas, data) {
  withCssSize(canvas, { aspect: 0.5, minHeight: 240, maxHeight: 400 }, (w, h) => {
    core.drawFront(canvas, data, { dark: dark(), width_px: w, height_px: h });
  });
}

/** Writes `msg` into the canvas in place of a chart. */
export function drawMessage(canvas, msg, color = '#a4161a') {
  const { dpr } = fitCanvas(canvas);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = color;
  g.font = '14px system-ui, sans-serif';
  g.fillText(msg.slice(0, 90), 10, 24);
  g.setTransform(1, 0, 0, 1, 0, 0);
}

/** Calls `redraw` on a theme switch and when `el`'s width changes (debounced to a frame). */
export function onLayoutOrTheme(el, redraw) {
  let frame = 0, lastW = -1;
  const later = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(redraw);
  };
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', later);
  new ResizeObserver(() => {
    const w = Math.round(el.clientWidth);
    if (w !== lastW) {
      lastW = w;
      later();
    }
  }).observe(el);
}
