// Colour helpers shared by the views (pure).

// Viridis, sampled at 9 stops (perceptually uniform, colour-blind safe).
const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** t in [0, 1] -> 'rgb(r,g,b)' on the viridis scale (clamped; NaN -> the low end). */
export function viridis(t) {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const f = x * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(f), VIRIDIS.length - 2);
  const u = f - i;
  const c = VIRIDIS[i].map((v, k) => Math.round(v + u * (VIRIDIS[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** A CSS custom property of the document, or `fallback` outside a browser. */
export function cssVar(name, fallback) {
  if (typeof document === 'undefined') return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}
