// Pure helpers for the page: parsing form values and formatting numbers.
// No DOM and no wasm here, so `node --test` can check them.

/** Integer fields of an epitome spec, grouped as the wasm API expects. */
export const LAYER_FIELDS = ['c_out', 'c_in', 'k_h', 'k_w'];
export const EPITOME_FIELDS = ['e_out', 'e_in', 'e_h', 'e_w'];

/**
 * Turns raw form values (strings) into an epitome spec object, or throws an Error
 * naming the first field that is not a positive whole number. Bounds between fields
 * (e_h >= k_h, ...) are the Rust core's job.
 */
export function specFromForm(values) {
  const read = (name) => {
    const raw = String(values[name] ?? '').trim();
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
      throw new Error(`${name} must be a positive whole number, got "${raw}"`);
    }
    return Number(raw);
  };
  const layer = Object.fromEntries(LAYER_FIELDS.map((f) => [f, read(f)]));
  const epitome = Object.fromEntries(EPITOME_FIELDS.map((f) => [f, read(f)]));
  return { layer, epitome };
}

/** 36864 -> "36,864". */
export function formatCount(n) {
  return Math.round(n).toLocaleString('en-US');
}

/** 0.15 -> "15 %" (a fraction as a percentage, one decimal at most). */
export function formatPercent(f) {
  return `${(f * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })} %`;
}

/** 2.25 -> "2.25×"; 30.6543 -> "30.7×"; 1234.5 -> "1,235×". */
export function formatRatio(x) {
  if (!Number.isFinite(x)) return '–';
  const digits = x < 10 ? 2 : x < 100 ? 1 : 0;
  return `${x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })}×`;
}
