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
