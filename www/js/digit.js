// MNIST-style preprocessing of a hand-drawn digit, pure so `node --test` checks it.
// MNIST digits were size-normalised to fit a 20x20 box (keeping the aspect ratio,
// anti-aliased) and placed in a 28x28 image so that their centre of mass is at the
// centre. We do the same to the ink drawn on the canvas.

export const SIDE = 28;
export const BOX = 20;

/** Bounding box {x0, y0, x1, y1} (exclusive ends) of pixels above `threshold`, or null. */
export function inkBounds(ink, width, height, threshold = 0.05) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** Area-average resampling of the `w x h` crop at (x0, y0) of `ink` to `tw x th`. */
function resample(ink, width, { x0, y0 }, w, h, tw, th) {
  const out = new Float32Array(tw * th);
  const sx = w / tw, sy = h / th;
  for (let ty = 0; ty < th; ty++) {
    const fy0 = ty * sy, fy1 = fy0 + sy;
    for (let tx = 0; tx < tw; tx++) {
      const fx0 = tx * sx, fx1 = fx0 + sx;
      let sum = 0;
      for (let y = Math.floor(fy0); y < Math.min(Math.ceil(fy1), h); y++) {
        const wy = Math.min(fy1, y + 1) - Math.max(fy0, y);
        for (let x = Math.floor(fx0); x < Math.min(Math.ceil(fx1), w); x++) {
          const wx = Math.min(fx1, x + 1) - Math.max(fx0, x);
          sum += wy * wx * ink[(y0 + y) * width + (x0 + x)];
        }
      }
      out[ty * tw + tx] = sum / (sx * sy);
    }
  }
  return out;
}

/**
 * Ink image (`width x height`, values 0..1, 1 = ink) -> Float32Array(784) in 0..1, MNIST
 * layout (row-major 28x28), or null when nothing is drawn.
 */
export function preprocess(ink, width, height) {
  const b = inkBounds(ink, width, height);
  if (!b) return null;
  const w = b.x1 - b.x0, h = b.y1 - b.y0;
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale)), th = Math.max(1, Math.round(h * scale));
  const small = resample(ink, width, b, w, h, tw, th);
  // Centre of mass of the resampled digit.
  let m = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      m += v; mx += v * x; my += v * y;
    }
  }
  const cx = m > 0 ? mx / m : (tw - 1) / 2, cy = m > 0 ? my / m : (th - 1) / 2;
  const ox = Math.round((SIDE - 1) / 2 - cx), oy = Math.round((SIDE - 1) / 2 - cy);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const X = x + ox, Y = y + oy;
      if (X >= 0 && X < SIDE && Y >= 0 && Y < SIDE) out[Y * SIDE + X] = Math.min(1, small[y * tw + x]);
    }
  }
  return out;
}

/** Canvas RGBA pixels (dark ink on white, or light on dark) -> ink 0..1 from the alpha/luma. */
export function inkFromRgba(rgba, { inkIsLight = false } = {}) {
  const n = rgba.length / 4;
  const ink = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    const luma = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    ink[i] = a * (inkIsLight ? luma : 1 - luma);
  }
  return ink;
}
