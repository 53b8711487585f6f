// The page's whole state, declared once and serialised to the URL hash, so any
// view can be linked and a link restores it exactly. Pure: no DOM, no wasm.
//
// Hash format: URLSearchParams, only non-default values, e.g.
//   #panel=costs&net=resnet50-imagenet&m=dense%3Abits%3D8~epitome%3Abits%3D3%2Cratio%3D2

/** Longest value echoed back in the "not understood" notice. */
const ECHO = 40;
export const echo = (v) => (v.length > ECHO ? `${v.slice(0, ECHO)}…` : v);

/** Most methods a link may carry (more would block the page while it simulates them). */
export const MAX_METHODS = 24;

/**
 * Field types: how a value is parsed from and written to the hash. `parse(s, warn)`
 * throws for a value it cannot use (the default is used instead) and calls `warn`
 * for a value it used in part (a list with some bad items).
 */
const T = {
  enum: (values) => ({
    parse: (s) => {
      if (!values.includes(s)) throw new Error(`must be one of ${values.join(', ')}`);
      return s;
    },
    write: String,
  }),
  // Whole numbers from a fixed list (the choices the form offers).
  choice: (values) => ({
    parse: (s) => {
      if (!/^\d{1,6}$/.test(s) || !values.includes(Number(s))) throw new Error(`must be one of ${values.join(', ')}`);
      return Number(s);
    },
    write: String,
  }),
  int: (min, max) => ({
    parse: (s) => {
      if (!/^-?\d+$/.test(s)) throw new Error('must be a whole number');
      const n = Number(s);
      if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
      return n;
    },
    write: String,
  }),
  // Free text of at most `max` characters (checked by the core where it is used).
  text: (max) => ({
    parse: (s) => {
      if (s.length > max) throw new Error(`is longer than ${max} characters`);
      return s;
    },
    write: String,
  }),
  // A decimal number in [min, max] ("2.25", "0.002", "1e-3").
  num: (min, max) => ({
    parse: (s) => {
      if (!/^\d{1,9}(\.\d{1,9})?(e-?\d{1,2})?$/.test(s)) throw new Error('must be a decimal number');
      const n = Number(s);
      if (!(n >= min && n <= max)) throw new Error(`must be between ${min} and ${max}`);
      return n;
    },
    write: String,
  }),
  // One PIM knob as `field:value` (`none` for no value); the core checks the field and value.
  knob: () => ({
    parse: (s) => {
      if (!/^[a-z0-9_]{1,32}:(none|-?\d{1,12}(\.\d{1,12})?(e[+-]?\d{1,3})?)$/.test(s)) {
        throw new Error('must look like field:number (e.g. adc_bits:7)');
      }
      return s;
    },
    write: String,
  }),
  name: () => ({
    parse: (s) => {
      if (!/^[A-Za-z0-9_.:=,+-]{1,80}$/.test(s)) throw new Error('is not a valid name');
      return s;
    },
    write: String,
  }),
  // "c_out,c_in,k_h,k_w/e_out,e_in,e_h,e_w"
  shape: () => ({
    parse: (s) => {
      if (!/^\d{1,6}(,\d{1,6}){3}\/\d{1,6}(,\d{1,6}){3}$/.test(s)) {
        throw new Error('must look like c_out,c_in,k_h,k_w/e_out,e_in,e_h,e_w');
      }
      return s;
    },
    write: String,
  }),
  // Items separated by '~'; a bad item is dropped (and reported), the rest kept; at most `max`.
  list: (item, max) => ({
    parse: (s, warn) => {
      if (s === '') return [];
      const parts = s.split('~', max + 1);
      if (parts.length > max) {
        const n = s.split('~').length;
        warn(`${n.toLocaleString('en-US')} items, only the first ${max} are used`);
        parts.length = max;
      }
      const out = [];
      for (const [i, x] of parts.entries()) {
        try {
          out.push(item.parse(x));
        } catch (e) {
          warn(`item ${i + 1} "${echo(x)}" ${e.message} (dropped)`);
        }
      }
      return out;
    },
    write: (v) => v.map(item.write).join('~'),
  }),
};

export const PANELS = ['try', 'explorer', 'costs', 'train', 'about'];
/** Training methods the Train panel offers (docs/training.md). */
export const TRAIN_METHODS = ['dense', 'epitome', 'design', 'filter', 'xrs'];
/** Training-image counts the Train panel offers. */
export const TRAIN_IMAGES = [1000, 2000, 5000, 10000, 20000, 30000, 60000];
/** Mini-batch sizes the Train panel offers. */
export const TRAIN_BATCHES = [16, 32, 64, 128];
export const ACCOUNTINGS = ['physical', 'mnsim'];
/** Crossbar sizes (rows = columns) the Costs form offers; 0 is the preset's own. */
export const CROSSBAR_SIZES = [0, 64, 128, 256, 512];

/** Knob presets of the PIM accuracy section (the core's `pimPresetKnobs`). */
export const PIM_PRESETS = ['mnsim2', 'isaac', 'ideal'];
/** The PIM knobs a slider moves: the curve is drawn against the one moved last. */
export const PIM_CURVE_KNOBS = ['adc-bits', 'variation', 'stuck'];
/** The costs the ADC trade chart can put on its horizontal axis (the core's `TradeAxis`). */
export const PIM_TRADE_AXES = ['energy', 'area', 'latency'];
/** Models the PIM accuracy section evaluates unless a link says otherwise. */
export const PIM_DEFAULT_MODELS = ['mnist-cnn-dense-8b', 'mnist-cnn-epim2.25-8b', 'mnist-cnn-xrs0.556-8b'];

/** The schema: key -> {type, default}. Keys are short because they live in URLs. */
export const SCHEMA = {
  panel: { type: T.enum(PANELS), default: 'try' },
  model: { type: T.name(), default: 'mnist-cnn-epim2.25-8b' },
  // The explorer opens on a small real layer: conv2 of the default model (32x16x3x3 from a 16x8x4x4 epitome).
  layer: { type: T.int(0, 999), default: 3 },
  shape: { type: T.shape(), default: '32,16,3,3/16,8,4,4' },
  o: { type: T.int(0, 1e6), default: 0 },
  net: { type: T.name(), default: 'resnet50-imagenet' },
  preset: { type: T.name(), default: 'mnsim2' },
  acc: { type: T.enum(ACCOUNTINGS), default: 'physical' },
  xbar: { type: T.choice(CROSSBAR_SIZES), default: 0 }, // 0 = the preset's value
  cell: { type: T.choice([0, 1, 2, 3, 4]), default: 0 },
  adc: { type: T.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), default: 0 },
  wb: { type: T.int(0, 16), default: 0 },
  ab: { type: T.int(0, 16), default: 0 },
  base: { type: T.name(), default: 'dense:bits=32' },
  m: {
    type: T.list(T.name(), MAX_METHODS),
    default: ['dense:bits=8', 'dense:bits=3', 'epitome:bits=3,ratio=2', 'epitome:bits=3,ratio=4', 'prune:kind=pim-prune,ratio=0.5,bits=8'],
  },
  seed: { type: T.int(0, 2 ** 31 - 1), default: 1 },
  img: { type: T.int(-1, 99999), default: -1 }, // test image shown in Try it (-1: a drawing or none)
  // Training (the Train panel): a course page can link "train this model".
  tds: { type: T.enum(['mnist', 'fashion-mnist']), default: 'mnist' },
  tarch: { type: T.enum(['cnn', 'tiny']), default: 'tiny' },
  tm: { type: T.enum(TRAIN_METHODS), default: 'epitome' },
  tr: { type: T.num(0, 64), default: 2.25 }, // compression x (epitome) or fraction pruned
  td: { type: T.text(2000), default: '' }, // per-layer epitome design (JSON), method `design`
  twb: { type: T.int(1, 16), default: 8 }, // the core checks 2..=8
  tep: { type: T.int(1, 100), default: 1 },
  tn: { type: T.choice(TRAIN_IMAGES), default: 10000 },
  tb: { type: T.choice(TRAIN_BATCHES), default: 32 },
  tlr: { type: T.num(0, 1), default: 0.01 },
  tseed: { type: T.int(0, 2 ** 31 - 1), default: 1 },
  // PIM accuracy (Crossbar costs): the preset, the knobs that differ from it, chips, models, curve.
  pp: { type: T.enum(PIM_PRESETS), default: 'mnsim2' },
  pk: { type: T.list(T.knob(), 16), default: [] },
  pseeds: { type: T.int(1, 8), default: 1 },
  pm: { type: T.list(T.name(), 32), default: PIM_DEFAULT_MODELS },
  pc: { type: T.enum(PIM_CURVE_KNOBS), default: 'adc-bits' },
  // The cost on the ADC trade chart's horizontal axis.
  pt: { type: T.enum(PIM_TRADE_AXES), default: 'energy' },
};
/** The keys the PIM accuracy section reads and writes. */
export const PIM_KEYS = ['pp', 'pk', 'pseeds', 'pm', 'pc', 'pt'];

/** A fresh state holding every default. */
/**
 * The `knobs` object of a compare or search request for the hardware settings of
 * `s` (crossbar size, cell bits, ADC choice), holding only those set: one mapping
 * from the page's keys to the core's knob names, for every view that asks the core.
 */
export function knobsOf(s) {
  const knobs = {};
  if (s.xbar) knobs.crossbar_size = s.xbar;
  if (s.cell) knobs.cell_bits = s.cell;
  if (s.adc) knobs.adc_choice = s.adc;
  return knobs;
}

export function defaults() {
  return Object.fromEntries(Object.entries(SCHEMA).map(([k, f]) => [k, structuredClone(f.default)]));
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** State -> hash string (without '#'), listing only values that differ from the defaults. */
export function encode(state) {
  const p = new URLSearchParams();
  for (const [k, f] of Object.entries(SCHEMA)) {
    if (state[k] !== undefined && !same(state[k], f.default)) p.set(k, f.type.write(state[k]));
  }
  return p.toString();
}

/**
 * Hash string (with or without '#') -> {state, errors}. Unknown keys and invalid values
 * are reported in `errors` ("xbar: must be between 0 and 4096") and fall back to defaults,
 * so a damaged link still opens a working page.
 */
export function decode(hash) {
  const state = defaults();
  const errors = [];
  const p = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  for (const [k, v] of p) {
    const f = SCHEMA[k];
    if (!f) {
      errors.push(`${k}: unknown setting (ignored)`);
      continue;
    }
    try {
      state[k] = f.type.parse(v, (msg) => errors.push(`${k}: ${msg}`));
    } catch (e) {
      errors.push(`${k}: ${e.message} (got "${echo(v)}", using the default)`);
    }
  }
  return { state, errors };
}

/**
 * Checks names that only the loaded page knows (networks and presets from the core,
 * models from the manifest): an unknown one is reported, with the reader's words, and
 * replaced by the default. `known`: {net?: string[], preset?: string[], model?: string[]}.
 * Returns {state, errors}; `state` is a new object.
 */
export function checkNames(state, known) {
  const out = { ...state };
  const errors = [];
  for (const [k, names] of Object.entries(known)) {
    if (!names || out[k] === undefined || names.includes(out[k])) continue;
    const fallback = names.includes(SCHEMA[k].default) ? SCHEMA[k].default : names[0];
    if (k === 'net' && String(out[k]).startsWith('file:')) {
      // An ONNX file dropped on the costs panel lives in its tab only (www/js/onnx.js).
      errors.push(`net: "${echo(String(out[k]).slice(5))}" was a file dropped on the page, which a link cannot carry: `
        + `drop it on the Crossbar costs panel again (using ${fallback})`);
    } else {
      errors.push(`${k}: no ${k === 'net' ? 'network' : k} named "${echo(String(out[k]))}" (using ${fallback})`);
    }
    out[k] = fallback;
  }
  return { state: out, errors };
}

/**
 * Checks the methods of a link (`m` and `base`) with the core's own parser
 * (`check(text)` throws an Error for a method `compare` would reject): a bad item of
 * `m` is dropped, a bad `base` replaced by the default, each reported with the core's
 * reason. When no item of `m` is left, the default list is used. Returns
 * {state, errors}; `state` is a new object.
 */
export function checkMethods(state, check) {
  const out = { ...state };
  const errors = [];
  const reason = (text) => {
    try {
      check(text);
      return null;
    } catch (e) {
      return String(e?.message ?? e).split('\n')[0].slice(0, 200);
    }
  };
  const kept = [];
  for (const [i, text] of (out.m ?? []).entries()) {
    const why = reason(text);
    if (why === null) kept.push(text);
    else errors.push(`m: item ${i + 1} "${echo(text)}" dropped: ${why}`);
  }
  if (out.m?.length && !kept.length) {
    errors.push('m: no usable method left (using the default list)');
    out.m = structuredClone(SCHEMA.m.default);
  } else {
    out.m = kept;
  }
  if (out.base !== undefined) {
    const why = reason(out.base);
    if (why !== null) {
      errors.push(`base: "${echo(out.base)}" not used: ${why} (using ${SCHEMA.base.default})`);
      out.base = SCHEMA.base.default;
    }
  }
  return { state: out, errors };
}

/** Attribute names of <epim-playground> that mirror the state: `network` for `net`, etc. */
export const ATTRIBUTE_KEYS = {
  panel: 'panel', model: 'model', layer: 'layer', network: 'net', preset: 'preset',
  accounting: 'acc', 'crossbar-size': 'xbar', 'cell-bits': 'cell', 'adc-choice': 'adc',
  'w-bits': 'wb', 'a-bits': 'ab', baseline: 'base', methods: 'm', seed: 'seed',
};

/** Element attributes ({name: value}) -> hash string, through the same parser. */
export function hashFromAttributes(attrs) {
  const p = new URLSearchParams();
  for (const [attr, key] of Object.entries(ATTRIBUTE_KEYS)) {
    if (attrs[attr] !== undefined && attrs[attr] !== null) p.set(key, attrs[attr]);
  }
  return p.toString();
}
