// Pure helpers of the costs panel: turning a `compare` result into the chart data
// the wasm plotting layer draws, and formatting values with units.

/** 1234.5, 'mm²' -> "1,235 mm²"; 0.01234 -> "0.0123 mm²" (3 significant digits below 100). */
export function siValue(x, unit) {
  if (!Number.isFinite(x)) return '–';
  // Three significant digits, trailing zeros kept (9 -> "9.00": the precision is shown).
  const s = Math.abs(x) >= 100
    ? Math.round(x).toLocaleString('en-US')
    : x.toLocaleString('en-US', { minimumSignificantDigits: 3, maximumSignificantDigits: 3 });
  return `${s} ${unit}`;
}

const entries = (o) => Object.entries(o ?? {}).filter(([, v]) => Number.isFinite(v));

/** `compare(...)` result -> ChartData for `drawChart` (baseline first, then the methods). */
export function chartDataFromCompare(r) {
  const row = (x) => ({
    method: x.method,
    area_um2: x.area_um2,
    latency_ns: x.latency_ns,
    energy_pj: x.energy_pj,
    bits_per_weight: x.bits_per_weight,
    accuracy_pct: x.accuracy_pct ?? null,
    quality_proxy: x.quality_proxy ?? null,
    area_breakdown_um2: entries(x.breakdown?.area_um2),
    energy_breakdown_pj: entries(x.breakdown?.energy_pj),
    latency_breakdown_ns: entries(x.breakdown?.latency_ns),
  });
  return {
    title: `${r.network} on ${r.preset} (${r.accounting})`,
    rows: [row(r.baseline), ...r.rows.map(row)],
    baseline: r.baseline.method,
  };
}
