// Pure helpers of the costs panel: formatting values with units. (The chart data
// comes from the core: `compare(...).chart`, `compareModels(...).accuracy_chart`.)

/** 1234.5, 'mm²' -> "1,235 mm²"; 0.01234 -> "0.0123 mm²" (3 significant digits below 100). */
export function siValue(x, unit) {
  if (!Number.isFinite(x)) return '–';
  // Three significant digits, trailing zeros kept (9 -> "9.00": the precision is shown).
  const s = Math.abs(x) >= 100
    ? Math.round(x).toLocaleString('en-US')
    : x.toLocaleString('en-US', { minimumSignificantDigits: 3, maximumSignificantDigits: 3 });
  return `${s} ${unit}`;
}

/** A time in ns with the unit that keeps it short: ms from 1 ms, µs from 1 µs, else ns; 0 as "0" (negative as negative). */
export function timeValue(ns) {
  if (!Number.isFinite(ns)) return '–';
  if (ns === 0) return '0';
  const a = Math.abs(ns);
  return a >= 1e6 ? siValue(ns / 1e6, 'ms') : a >= 1e3 ? siValue(ns / 1e3, 'µs') : siValue(ns, 'ns');
}

/** An energy in pJ with the unit that keeps it short: µJ from 1 µJ, nJ from 1 nJ, else pJ; 0 as "0". */
export function energyValue(pj) {
  if (!Number.isFinite(pj)) return '–';
  if (pj === 0) return '0';
  const a = Math.abs(pj);
  return a >= 1e6 ? siValue(pj / 1e6, 'µJ') : a >= 1e3 ? siValue(pj / 1e3, 'nJ') : siValue(pj, 'pJ');
}
