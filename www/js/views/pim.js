// PIM accuracy inside the Crossbar costs panel: chosen trained MNIST models run
// through the core's functional crossbar model (crate/src/pim, docs/pim-accuracy.md)
// on the first 500 images of the page's test subset, in a pool of Web Workers (one per
// core, at most 8: www/js/pim-worker.js). Each model's images are split into one part
// per worker, so every core works on every model and a move takes the machine's cores,
// not one per model. Moving a slider gives every worker a job (debounced; a newer job
// replaces the running one between steps): its part of each chosen model. Results
// arrive a few images at a time, per part, and carry the knobs they were computed for
// (settingsKey); the core merges a model's parts (`pimMerge`). The curve "accuracy
// against the knob last moved" is drawn by the core (`pimCurve` makes the chart data,
// `drawCurve` draws it) from the finished points; once the current point is done, the
// workers fill in the other points of that knob's curve in the background. The other
// side of the ADC trade: the core costs every chosen model with each ADC resolution of
// MNSIM's table (`pimAdcCosts`: area, latency, energy in the simulator), and draws accuracy
// against one of those costs, a point per resolution (`pimTradeCurve`); those settings are
// computed last in the background.
import { load, isTrap, reinstantiate } from '../wasm.js';
import { formatCount } from '../format.js';
import { siValue } from '../costs-model.js';
import { settingsKey } from '../store.js';
import { echo, PIM_DEFAULT_MODELS, PIM_KEYS, PIM_TRADE_AXES } from '../state.js';
import { drawCoreCurve, drawMessage, onLayoutOrTheme } from '../chart.js';
import { mnistModels, modelBytes } from '../models.js';
import { testSet } from '../testset.js';
import { headerRow } from '../table.js';

/** Images of the page's test subset each point is evaluated on. */
export const PIM_IMAGES = 500;
/** Workers in the pool: one per core the browser reports, at least 1, at most 8. */
const POOL = Math.max(1, Math.min(8, globalThis.navigator?.hardwareConcurrency || 2));
/**
 * Images per worker step: a small first step (an early estimate of every model: about 20
 * images over the pool's parts), then larger ones.
 */
const STEPS = [Math.max(4, Math.ceil(20 / POOL)), 40];
/**
 * Steps of background (curve) jobs: small, so a newer slider position takes the worker over
 * quickly (a step under way is finished first: 5 images are 5-15 ms).
 */
const FILL_STEPS = [5, 5];
const DEBOUNCE_MS = 40;
/**
 * While results stream in, the table is redrawn at most this often (each redraw rebuilds it on
 * the main thread, which shares the cores with the workers); a model's first estimate and its
 * last result are drawn at once.
 */
const REDRAW_MS = 150;
/** Images of the per-layer errors (on demand: each image runs every layer twice). */
const LAYER_IMAGES = 100;

/** The sliders: the knob (CLI name, as `pimCurve` takes it), its range, and the values a curve is filled with. */
const SLIDERS = [
  { knob: 'adc-bits', label: 'ADC resolution (bits)', min: 3, max: 16, step: 1, curve: [3, 4, 5, 6, 7, 8, 9, 10] },
  { knob: 'variation', label: 'Conductance variation (lognormal σ)', min: 0, max: 0.3, step: 0.02, curve: [0, 0.06, 0.1, 0.16, 0.2, 0.3] },
  { knob: 'stuck', label: 'Stuck cells (fraction; half at 0, half at 1)', min: 0, max: 0.1, step: 0.005, curve: [0, 0.01, 0.02, 0.05, 0.1] },
];
/** The fields (knob field of PimKnobs). */
const FIELDS = [
  { field: 'cell_bits', label: 'Cell bits' },
  { field: 'dac_bits', label: 'DAC bits (input bits per cycle)' },
  { field: 'crossbar_rows', label: 'Crossbar rows' },
  { field: 'on_off_ratio', label: 'On/off ratio (empty: infinite)' },
  { field: 'adc_range_0_to_1', label: 'ADC full scale (fraction of the largest possible sum)' },
];

/** The trade chart's axes as the select names them. */
const TRADE_LABELS = { energy: 'energy per image', area: 'chip area', latency: 'latency per image' };

const TEMPLATE = `
  <h3>PIM accuracy: trained models on imperfect crossbars</h3>
  <p class="hint">Each chosen MNIST model is mapped onto crossbars as the simulator maps it (its epitome, its kept rows,
    its dense weights as bit-sliced cells on two polarities) and run through ADCs, DACs and faulty, varying cells, all in
    this project's model (the repository's <code>docs/pim-accuracy.md</code> says what is and is not modelled: no IR drop,
    read noise or drift, among others). Accuracy is on the first ${PIM_IMAGES} images of the page's MNIST test subset,
    computed in your browser (each model's images shared among one worker per core); the spread is over simulated chips.</p>
  <form id="pim-form" class="costs-controls" autocomplete="off">
    <label>Start from <select name="preset" id="pim-preset"></select></label>
    ${SLIDERS.map((s) => `<label class="span2">${s.label}: <output id="pim-${s.knob}-out"></output>
      <input type="range" name="${s.knob}" min="${s.min}" max="${s.max}" step="${s.step}" aria-label="${s.label}"></label>`).join('')}
    ${FIELDS.map((f) => `<label>${f.label} <input type="number" name="${f.field}" step="any" inputmode="decimal"></label>`).join('')}
    <label>Chips (seeds) <input type="number" name="seeds" step="1" value="1"></label>
    <fieldset class="wide" id="pim-models"><legend>Models</legend></fieldset>
  </form>
  <p id="pim-error" class="error" role="alert" hidden></p>
  <div id="pim-results" class="results">
    <p id="pim-status" class="hint" aria-live="polite"></p>
    <div class="table-wrap"><table id="pim-table"></table></div>
    <p id="pim-cost-note" class="hint" aria-live="polite"></p>
    <figure><canvas id="pim-chart" width="640" height="400" role="img"
      aria-label="Accuracy against the knob last moved, per model"></canvas>
      <figcaption class="hint" id="pim-caption">Accuracy against the knob last moved (the others as set above); points
        appear as they are computed.</figcaption></figure>
    <h4>The ADC trade</h4>
    <p class="hint">A finer ADC reads the crossbars more exactly and costs more. Each point is one ADC resolution that
      MNSIM's ADC table has (the other knobs as set above): a model's accuracy on these crossbars against its
      <label class="inline"><select id="pim-trade-axis" aria-label="The cost on the horizontal axis">${PIM_TRADE_AXES.map((a) => `<option value="${a}">${TRADE_LABELS[a]}</option>`).join('')}</select></label>
      in the simulator with that ADC.</p>
    <figure><canvas id="pim-trade" width="640" height="400" role="img"
      aria-label="Accuracy against the simulator's cost, one point per ADC resolution, per model"></canvas>
      <figcaption class="hint" id="pim-trade-caption"></figcaption></figure>
  </div>
  <h4>Where each model loses</h4>
  <p class="hint">Every weight layer of each chosen model runs both on these crossbars and as the digital executor runs it,
    on the input the crossbars' earlier layers gave it, so each layer's error is its own: the RMS of the difference
    over the RMS of the digital outputs, and the mean difference on the same scale (negative: the crossbars read low).
    First ${LAYER_IMAGES} test images, the chips chosen above.</p>
  <p><button type="button" id="pim-layers-run">Compute the per-layer errors</button></p>
  <p id="pim-layers-status" class="hint" aria-live="polite"></p>
  <div class="table-wrap"><table id="pim-layers-table"></table></div>`;

let ctx, root, core, presets = {}, manifest = [], presetName = 'mnsim2';
/**
 * The simulator's side of the trade, for the chosen models and the knobs it depends on (not
 * the ADC's): {key, costs: Map(label -> AdcCost[]) | null, error}.
 */
let cost = null;
let tradeAxis = 'energy';
let knobs = null; // the current PimKnobs
let seeds = 1, chosen = [...PIM_DEFAULT_MODELS], curveKnob = 'adc-bits';
let stepUp = true; // the slider last moved went up (its next step ahead is computed that way first)
// The sliders the reader moved since the form was filled: only their positions are read. A
// slider snaps to its step, so an unmoved one keeps the knob it was filled from (a link's
// variation 0.05 on a 0.02 grid, or stuck-at-0 and -1 fractions that differ).
const moved = new Set();
let live = false; // the section has been scrolled into view and computes
let inView = false; // the section is on screen (it computes ahead only then)
const pool = []; // per worker: {worker, job: {id, key, models} | null, ready: Promise, models: Set (ids sent)}
let jobCount = 0, imageTotal = PIM_IMAGES; // images of a full result (fewer if the test subset has fewer)
// `${model}|${key}` -> {parts: Map(`${from}-${to}` -> {result, secs, done}), result (merged), secs, done}
const results = new Map();
const failed = new Set(); // `${model}|${key}` of jobs that threw (not retried)
let movedAt = 0, measured = null, firstAt = null, ran = false, timer = 0;
const $ = (sel) => root.querySelector(sel);
/** The per-layer errors: their worker (created on first use) and the last request {id, key, models, got, error, done}. */
let layersWorker = null, layersReq = 0, layerRun = null;
/** What per-layer errors are computed for: the knobs, chips and models. */
const layersKey = () => JSON.stringify([keyOf(knobs), chosen]);

/** The key of a knob setting (what a result was computed for). */
const keyOf = (k, s = seeds) => settingsKey({ ...k, seeds: s, images: PIM_IMAGES }, [...Object.keys(k).sort(), 'seeds', 'images']);

/** `knobs` with one slider knob set (as `PimKnobs::set` does for `stuck`). */
function withKnob(k, knob, v) {
  if (knob === 'adc-bits') return { ...k, adc_bits: v };
  if (knob === 'variation') return { ...k, variation_sigma: v };
  return { ...k, sa0_0_to_1: v / 2, sa1_0_to_1: v / 2 };
}
function knobValue(k, knob) {
  if (knob === 'adc-bits') return k.adc_bits;
  if (knob === 'variation') return k.variation_sigma;
  return k.sa0_0_to_1 + k.sa1_0_to_1;
}

/**
 * The section's settings from the page state (the link): the preset, its knobs with the
 * link's `pk` items over them (checked by the core), chips, models and curve. What a
 * link gets wrong is reported in the page's notice and replaced by the preset's value.
 */
function applyState(s) {
  const errors = [];
  presetName = s.pp;
  let k = { ...presets[s.pp] };
  for (const item of s.pk) {
    const [field, text] = item.split(':');
    if (!(field in k)) errors.push(`pk: no PIM knob named "${echo(field)}" (ignored)`);
    else k[field] = text === 'none' ? null : Number(text);
  }
  try {
    k = core.pimCheckKnobs(k);
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    errors.push(`pk: ${e.message} (using the ${s.pp} knobs)`);
    k = { ...presets[s.pp] };
  }
  knobs = k;
  seeds = s.pseeds;
  const ids = manifest.map((m) => m.id);
  for (const id of s.pm) if (!ids.includes(id)) errors.push(`pm: no MNIST model named "${echo(id)}" (dropped)`);
  chosen = s.pm.filter((id) => ids.includes(id));
  curveKnob = s.pc;
  tradeAxis = s.pt;
  if (errors.length) ctx.reportLink(errors);
}

/** The link of the current settings: only the knobs that differ from the preset's. */
function linkOf() {
  const base = presets[presetName];
  const pk = Object.keys(base)
    .filter((f) => JSON.stringify(knobs[f]) !== JSON.stringify(base[f]))
    .map((f) => `${f}:${knobs[f] == null ? 'none' : knobs[f]}`);
  return { pp: presetName, pk, pseeds: seeds, pm: [...chosen], pc: curveKnob, pt: tradeAxis };
}

export async function initPim(c, r) {
  ctx = c;
  root = r;
  root.innerHTML = TEMPLATE;
  core = await load();
  for (const p of ['mnsim2', 'isaac', 'ideal']) {
    presets[p] = core.pimPresetKnobs(p);
    $('#pim-preset').add(new Option(p, p));
  }
  manifest = await mnistModels();
  applyState(ctx.state);
  const box = $('#pim-models');
  const addBox = (m) => {
    const l = document.createElement('label');
    l.className = 'inline';
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = m.id;
    input.checked = chosen.includes(m.id);
    l.append(input, ` ${m.label}`);
    box.append(l);
  };
  manifest.forEach(addBox);
  // A model trained in this tab (the Train panel) joins the list, unchecked: ticking it
  // runs it on the crossbars like a shipped one.
  window.addEventListener('epim:models-changed', async (ev) => {
    if ((ev.detail.dataset ?? 'mnist') !== 'mnist') return;
    manifest = await mnistModels();
    if (![...box.querySelectorAll('input')].some((x) => x.value === ev.detail.id)) addBox(ev.detail);
  });
  fillForm();
  const form = $('#pim-form');
  form.addEventListener('submit', (ev) => ev.preventDefault());
  form.addEventListener('input', (ev) => {
    const t = ev.target;
    if (t.type === 'range') {
      const [v, was] = [Number(t.value), knobValue(knobs, t.name)];
      if (v !== was) stepUp = v > was;
      moved.add(t.name);
      curveKnob = t.name;
      $(`#pim-${t.name}-out`).textContent = t.value;
    }
    if (t.type === 'range' || t.type === 'number') readForm();
  });
  form.addEventListener('change', (ev) => {
    const t = ev.target;
    if (t.type === 'range' && timer) {
      // The slider was released (or stepped by a key): no more moves to wait for.
      clearTimeout(timer);
      timer = 0;
      schedule();
    } else if (t.name === 'preset') {
      presetName = t.value;
      knobs = { ...presets[t.value] };
      fillForm();
      readForm();
    } else if (t.type === 'checkbox') {
      chosen = [...box.querySelectorAll('input:checked')].map((x) => x.value);
      readForm();
    }
  });
  // A link pasted into the address bar (or another view's update of these keys).
  ctx.store.subscribe(PIM_KEYS, (s) => {
    if (settingsKey(s, PIM_KEYS) === settingsKey(linkOf(), PIM_KEYS)) return; // our own update
    applyState(s);
    for (const input of box.querySelectorAll('input')) input.checked = chosen.includes(input.value);
    fillForm();
    if (live) readForm();
    else drawTrade();
  });
  $('#pim-trade-axis').addEventListener('change', (ev) => {
    tradeAxis = ev.target.value;
    ctx.update(linkOf());
    drawTrade();
  });
  onLayoutOrTheme($('#pim-results'), () => drawCurve());
  $('#pim-layers-run').addEventListener('click', runLayers);
  // A trap elsewhere replaces the page's instance: use the new one.
  window.addEventListener('epim:reinstantiated', async () => { core = await load(); });
  // Starts when the section scrolls into view (the workers load wasm and the models).
  // It computes ahead only while it is on screen in a visible tab: elsewhere (another
  // panel, the section scrolled away, another tab) the cores are left to the rest of the page.
  const io = new IntersectionObserver((entries) => {
    inView = entries[entries.length - 1].isIntersecting;
    if (inView && !live) {
      live = true;
      readForm();
    } else if (live) {
      schedule();
    }
  });
  io.observe(root);
  document.addEventListener('visibilitychange', () => { if (live) schedule(); });
}

function fillForm() {
  const f = $('#pim-form').elements;
  f.preset.value = presetName;
  moved.clear();
  for (const s of SLIDERS) {
    f[s.knob].value = String(knobValue(knobs, s.knob));
    // The knob itself, which the slider may only approach (its step); uneven stuck-at
    // fractions (a link's) with their split.
    const [sa0, sa1] = [knobs.sa0_0_to_1, knobs.sa1_0_to_1];
    $(`#pim-${s.knob}-out`).textContent = s.knob === 'stuck' && sa0 !== sa1
      ? `${+(sa0 + sa1).toFixed(6)} (${sa0} at 0, ${sa1} at 1)` : String(knobValue(knobs, s.knob));
  }
  for (const { field } of FIELDS) f[field].value = knobs[field] == null ? '' : String(knobs[field]);
  f.seeds.value = String(seeds);
  $('#pim-trade-axis').value = tradeAxis;
}

/** Reads the form into knobs (checked by the core); shows a bad value inline, or schedules the work. */
function readForm() {
  const f = $('#pim-form').elements;
  let k = { ...knobs };
  for (const s of SLIDERS) if (moved.has(s.knob)) k = withKnob(k, s.knob, Number(f[s.knob].value));
  const bad = [];
  for (const { field } of FIELDS) {
    const text = f[field].value.trim();
    f[field].removeAttribute('aria-invalid');
    if (field === 'on_off_ratio' && text === '') k[field] = null;
    // A field the browser cannot read as a number (empty, "1e") is sent as the text, so the core names it.
    else k[field] = f[field].validity.badInput || text === '' ? text : Number(text);
  }
  f.seeds.removeAttribute('aria-invalid');
  const err = $('#pim-error');
  let message = '';
  try {
    k = core.pimCheckKnobs(k);
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    message = e.message;
    const field = FIELDS.find((x) => message.includes(x.field));
    if (field) bad.push(f[field.field]);
  }
  const s = Number(f.seeds.value);
  if (!message && !(Number.isInteger(s) && s >= 1 && s <= 8)) {
    bad.push(f.seeds);
    message = `invalid seeds: the number of chips must be a whole number in 1..=8, got ${f.seeds.value.slice(0, 20) || 'nothing'}`;
  }
  if (message) {
    for (const b of bad) b.setAttribute('aria-invalid', 'true');
    err.textContent = message;
    err.hidden = false;
    $('#pim-results').dataset.stale = 'true';
    $('#pim-status').textContent = 'Out of date: the results below are for the last valid knobs.';
    return;
  }
  err.hidden = true;
  err.textContent = '';
  $('#pim-results').dataset.stale = 'false';
  knobs = k;
  seeds = s;
  ctx.update(linkOf());
  movedAt = performance.now();
  measured = null;
  firstAt = null;
  ran = false;
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = 0;
    schedule();
  }, DEBOUNCE_MS);
  show();
  drawCurve();
  updateCost();
}

/** Worker `i` of the pool (created on first use; it keeps its wasm instance, the images and the model files sent). */
function poolWorker(i) {
  if (!pool[i]) {
    const worker = new Worker(new URL('../pim-worker.js', import.meta.url), { type: 'module' });
    const w = { worker, job: null, models: new Set() };
    w.ready = testSet().then((t) => {
      const n = Math.min(PIM_IMAGES, t.labels.length);
      worker.postMessage({ type: 'images', images: t.images.slice(0, n * 784), labels: t.labels.slice(0, n) });
    });
    worker.onmessage = ({ data }) => onResult(i, w, data);
    worker.onerror = (ev) => onResult(i, w, { type: 'error', id: w.job?.id, key: w.job?.key, model: w.job?.models[0], message: `the PIM worker failed: ${ev.message ?? 'unknown error'}` });
    pool[i] = w;
  }
  return pool[i];
}

/** The image ranges of a model's parts: one per worker, none empty. */
function partsOf(n) {
  const k = Math.min(POOL, n);
  return Array.from({ length: k }, (_, i) => ({ from: Math.floor((i * n) / k), to: Math.floor(((i + 1) * n) / k) }));
}

/**
 * The knobs one step of slider `spec` either side of its position, as the form would read
 * them after a reader's step (none past the slider's ends, none the core refuses).
 */
function stepsAside(spec) {
  const f = $('#pim-form').elements;
  const digits = (String(spec.step).split('.')[1] ?? '').length;
  const at = Math.round((Number(f[spec.knob].value) - spec.min) / spec.step);
  const out = [];
  const d = spec.knob === curveKnob && !stepUp ? -1 : 1;
  for (const i of [at + d, at - d]) {
    const v = Number((spec.min + i * spec.step).toFixed(digits));
    if (v < spec.min || v > spec.max) continue;
    // As `readForm` reads a step of this slider: the other knobs as they are.
    const k = withKnob({ ...knobs }, spec.knob, v);
    try {
      out.push(core.pimCheckKnobs(k));
    } catch (e) {
      if (isTrap(e)) reinstantiate(e.message);
    }
  }
  return out;
}

/**
 * The knob settings a model still needs, most wanted first: the current one, the ideal
 * reference, one step either side of the slider last moved (the way it went first), the
 * curve, then one step either side of the other sliders. The steps are computed ahead,
 * while the reader looks at the result: a reader's next step of a slider then shows its
 * result at once.
 */
function wanted() {
  const list = [knobs, { ...presets.ideal }];
  const spec = SLIDERS.find((s) => s.knob === curveKnob);
  list.push(...stepsAside(spec));
  for (const v of spec.curve) list.push(withKnob(knobs, curveKnob, v));
  for (const s of SLIDERS) if (s !== spec) list.push(...stepsAside(s));
  // Last, the trade chart's points: the ADC resolutions the simulator can cost.
  for (const b of tradeBits()) list.push(withKnob(knobs, 'adc-bits', b));
  return list.map((k) => ({ k, key: keyOf(k, k === list[1] ? 1 : seeds), seeds: k === list[1] ? 1 : seeds }));
}

/** Gives every worker of the pool its part of the most wanted knob setting not yet done. */
async function schedule() {
  let t;
  try {
    t = await testSet();
  } catch (e) {
    showError(`Cannot load the test images: ${e.message}`);
    return;
  }
  imageTotal = Math.min(PIM_IMAGES, t.labels.length);
  const parts = partsOf(imageTotal);
  // (Read each time round: the knobs may have moved while a worker was awaited below.)
  for (let i = 0; i < parts.length; i++) {
    const w = poolWorker(i);
    const models = chosen.filter((id) => manifest.some((m) => m.id === id));
    const range = `${parts[i].from}-${parts[i].to}`;
    const needs = (id, key) => !failed.has(`${id}|${key}`) && !results.get(`${id}|${key}`)?.parts.get(range)?.done;
    const currentKey = keyOf(knobs);
    // Until every chosen model has the current knobs' result, a worker that finished its
    // parts waits: a background job would take a core from the workers still computing it.
    const currentPending = models.some((id) => !failed.has(`${id}|${currentKey}`) && !results.get(`${id}|${currentKey}`)?.done);
    let next = null;
    // Off screen, only the current knobs are computed (nothing ahead).
    const ahead = inView && document.visibilityState !== 'hidden';
    for (const j of ahead ? wanted() : [{ k: knobs, key: currentKey, seeds }]) {
      const ms = models.filter((id) => needs(id, j.key));
      if (ms.length) {
        next = { ...j, models: ms };
        break;
      }
      if (j.key === currentKey && currentPending) break;
    }
    if (!next) {
      if (w.job) w.worker.postMessage({ type: 'cancel', id: w.job.id });
      w.job = null;
      continue;
    }
    if (next.key === currentKey) ran = true;
    // Already on it (a part done since is skipped by the worker; a model no longer chosen is not).
    if (w.job?.key === next.key && next.models.every((id) => w.job.models.includes(id))
      && w.job.models.every((id) => models.includes(id))) continue;
    const job = { id: `job${++jobCount}`, key: next.key, models: next.models };
    w.job = job;
    try {
      await w.ready;
      for (const id of job.models) {
        if (w.models.has(id)) continue;
        const bytes = await modelBytes(manifest.find((m) => m.id === id));
        if (!w.models.has(id)) w.worker.postMessage({ type: 'model', model: id, bytes: bytes.slice() });
        w.models.add(id);
      }
    } catch (e) {
      showError(`Cannot load a model or the test images: ${e.message}`);
      if (w.job === job) w.job = null;
      continue;
    }
    if (w.job !== job) continue;
    w.worker.postMessage({
      type: 'job', id: job.id, key: job.key, knobs: next.k, seeds: next.seeds,
      parts: job.models.map((model) => ({ model, ...parts[i] })),
      steps: next.key === currentKey ? STEPS : FILL_STEPS,
    });
  }
  // The workers with a job (for scripts and tests: 0 once nothing is left, or off screen).
  $('#pim-results').dataset.working = String(pool.filter((w) => w?.job).length);
}

/** The result of one part of a model under one knob setting: the model's result is the merge of its parts (by the core). */
function onPart(msg) {
  const id = `${msg.model}|${msg.key}`;
  if (!results.has(id)) results.set(id, { parts: new Map(), result: null, secs: 0, done: false });
  const r = results.get(id);
  r.parts.set(`${msg.from}-${msg.to}`, { result: msg.result, secs: msg.secs, done: msg.done });
  try {
    r.result = core.pimMerge([...r.parts.values()].map((p) => p.result));
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    showError(`Cannot merge the results of ${msg.model}: ${e.message}`);
    return false;
  }
  r.secs = Math.max(...[...r.parts.values()].map((p) => p.secs));
  // Done when every part is (the parts cover the images: their counts add up to them).
  r.done = [...r.parts.values()].every((p) => p.done) && r.result.images === imageTotal;
  return r.done;
}

function onResult(i, w, msg) {
  if (msg.type === 'step') {
    // A part's result is for its own key, whichever job it came from.
    const first = !results.get(`${msg.model}|${msg.key}`)?.result;
    const done = onPart(msg);
    showSoon(done || first);
    if (done) drawCurve();
    return;
  }
  if (!w.job || msg.id !== w.job.id) return; // a job replaced since
  if (msg.type === 'error') {
    w.job = null;
    const entry = manifest.find((m) => m.id === msg.model);
    if (msg.model && msg.key) failed.add(`${msg.model}|${msg.key}`);
    // The worker's instance may have trapped: the next job gets a fresh worker.
    w.worker.terminate();
    pool[i] = null;
    // The knobs were checked before: this is the model or the worker.
    showError(`${entry?.label ?? 'PIM worker'}: ${msg.message}`);
    // The other workers go on; this one's parts get a new worker.
    schedule();
    return;
  }
  if (msg.type === 'done') {
    w.job = null;
    schedule();
  }
}

function showError(text) {
  const err = $('#pim-error');
  err.textContent = text;
  err.hidden = false;
}

const pct = (x) => `${(100 * x).toFixed(1)} %`;

/** Asks the per-layer worker for the errors of the chosen models under the current knobs. */
async function runLayers() {
  const id = ++layersReq;
  const models = chosen.filter((m) => manifest.some((e) => e.id === m));
  layerRun = { id, key: layersKey(), models, got: new Map(), error: null, done: false };
  renderLayers();
  try {
    const t = await testSet();
    const n = Math.min(LAYER_IMAGES, t.labels.length);
    const files = [];
    for (const model of models) files.push({ model, bytes: (await modelBytes(manifest.find((e) => e.id === model))).slice() });
    if (layerRun?.id !== id) return;
    if (!layersWorker) {
      layersWorker = new Worker(new URL('../pim-layers-worker.js', import.meta.url), { type: 'module' });
      layersWorker.onmessage = ({ data }) => onLayers(data);
      layersWorker.onerror = (ev) => onLayers({ id: layerRun?.id, error: `the per-layer worker failed: ${ev.message ?? 'unknown error'}` });
    }
    layersWorker.postMessage({ id, knobs, seeds, images: t.images.slice(0, n * 784), labels: t.labels.slice(0, n), models: files });
  } catch (e) {
    onLayers({ id, error: `cannot load a model or the test images: ${e.message}` });
  }
}

function onLayers(msg) {
  if (!layerRun || msg.id !== layerRun.id) return; // an older request
  if (msg.error) {
    const label = manifest.find((e) => e.id === msg.model)?.label;
    layerRun.error = label ? `${label}: ${msg.error}` : msg.error;
    // A refusal may come from a trapped instance: the next request gets a fresh worker.
    layersWorker?.terminate();
    layersWorker = null;
  } else if (msg.done) layerRun.done = true;
  else layerRun.got.set(msg.model, msg.layers);
  renderLayers();
}

/** The per-layer table, only for the settings it was computed for. */
function renderLayers() {
  const table = $('#pim-layers-table');
  const status = $('#pim-layers-status');
  table.replaceChildren();
  delete table.dataset.key;
  delete table.dataset.complete;
  if (!layerRun) {
    status.textContent = '';
    return;
  }
  if (layerRun.key !== layersKey()) {
    status.textContent = 'The settings or models changed since the per-layer errors were computed: compute them again for these.';
    return;
  }
  if (layerRun.error) {
    status.textContent = `Per-layer errors failed: ${layerRun.error}`;
    return;
  }
  status.textContent = layerRun.done
    ? `Each layer's own error under these knobs, ${layerRun.models.length} model(s).`
    : `Computing the per-layer errors… (${layerRun.got.size} of ${layerRun.models.length} models)`;
  if (!layerRun.got.size) return;
  headerRow(table, ['Model', 'Layer', 'Word lines', 'Row blocks', 'Input cycles', 'Output error (RMS)', 'Mean error']);
  const body = table.createTBody();
  for (const model of layerRun.models) {
    const layers = layerRun.got.get(model);
    if (!layers) continue;
    const label = manifest.find((e) => e.id === model)?.label ?? model;
    for (const l of layers) {
      const tr = body.insertRow();
      tr.dataset.model = model;
      tr.dataset.layer = l.name;
      tr.dataset.rmsError = String(l.rel_rms_error);
      const mean = 100 * l.rel_mean_error;
      [label, l.name, formatCount(l.mapping.rows), formatCount(l.mapping.row_blocks), String(l.mapping.cycles),
        pct(l.rel_rms_error), `${mean >= 0 ? '+' : '−'}${Math.abs(mean).toFixed(1)} %`].forEach((text, i) => {
        const td = tr.insertCell();
        td.textContent = text;
        if (i > 1) td.className = 'num';
      });
    }
  }
  table.dataset.key = layerRun.key;
  table.dataset.complete = String(layerRun.done);
}

/** The table for the current knobs, and the time from the last slider move to the full result. */
let redrawTimer = 0, drawnAt = -Infinity;

/** Draws the table now (`now`), or within REDRAW_MS of the last time it was drawn. */
function showSoon(now) {
  if (!now && redrawTimer) return;
  clearTimeout(redrawTimer);
  redrawTimer = 0;
  const wait = now ? 0 : drawnAt + REDRAW_MS - performance.now();
  if (wait <= 0) show();
  else redrawTimer = setTimeout(() => { redrawTimer = 0; show(); }, wait);
}

function show() {
  clearTimeout(redrawTimer);
  redrawTimer = 0;
  drawnAt = performance.now();
  renderLayers();
  const key = keyOf(knobs);
  const idealKey = keyOf(presets.ideal, 1);
  const t = $('#pim-table');
  t.replaceChildren();
  headerRow(t, ['Model', 'Accuracy (these knobs)', 'Spread over chips', 'Ideal crossbars', 'Crossbars', 'Images', 'Area (simulator)', 'Energy (simulator)']);
  const body = t.createTBody();
  let done = 0, started = 0;
  for (const id of chosen) {
    const entry = manifest.find((m) => m.id === id);
    if (!entry) continue;
    const r = results.get(`${id}|${key}`)?.result ? results.get(`${id}|${key}`) : undefined;
    const ideal = results.get(`${id}|${idealKey}`);
    const c = cost?.costs?.get(entry.label)?.find((x) => x.adc_bits === knobs.adc_bits);
    const tr = body.insertRow();
    tr.dataset.model = id;
    const cells = [
      entry.label,
      r ? `${pct(r.result.mean_0_to_1)}${r.done ? '' : ' …'}` : 'computing…',
      r && r.result.seeds.length > 1 ? `± ${pct(r.result.std_0_to_1)} (${pct(r.result.min_0_to_1)} to ${pct(r.result.max_0_to_1)})` : '–',
      ideal?.done ? pct(ideal.result.mean_0_to_1) : '…',
      r ? formatCount(r.result.crossbars) : '–',
      r ? `${formatCount(r.result.images)} / ${formatCount(PIM_IMAGES)}` : '–',
      c ? siValue(c.area_um2 / 1e6, 'mm²') : '–',
      c ? siValue(c.energy_pj / 1e6, 'µJ') : '–',
    ];
    cells.forEach((text, i) => {
      const td = tr.insertCell();
      td.textContent = text;
      if (i > 0) td.className = 'num';
    });
    if (ideal?.done) tr.dataset.ideal = String(ideal.result.mean_0_to_1);
    if (r) {
      tr.dataset.accuracy = String(r.result.mean_0_to_1);
      tr.dataset.done = String(r.done);
      // The worker's time from the job's start to this result (for the record: scripts/measure-pim.mjs).
      tr.dataset.workerSeconds = r.secs.toFixed(3);
    }
    if (r?.done) done += 1;
    if (r) started += 1;
  }
  const models = chosen.filter((id) => manifest.some((m) => m.id === id));
  const n = models.length;
  const status = $('#pim-status');
  // The time to a first estimate of every model (the first worker step), for the record.
  if (firstAt == null && movedAt && ran && n && started === n) {
    firstAt = (performance.now() - movedAt) / 1000;
    $('#pim-results').dataset.firstSeconds = firstAt.toFixed(3);
  }
  if (!n) {
    status.textContent = 'Choose at least one model.';
  } else if (done === n) {
    if (measured == null && movedAt && ran) measured = (performance.now() - movedAt) / 1000;
    status.textContent = `${n} model${n > 1 ? 's' : ''} on ${formatCount(PIM_IMAGES)} images, ${seeds} chip${seeds > 1 ? 's' : ''} each`
      + (measured != null ? `; ${measured.toFixed(2)} s from the last change to the last result.` : ' (computed before).');
    if (measured != null) $('#pim-results').dataset.seconds = measured.toFixed(3);
  } else {
    status.textContent = `Computing ${n - done} of ${n} models (… marks a running estimate over the images done so far).`;
  }
  // The other settings still to compute (the ideal reference, the curve, the steps ahead).
  const ahead = new Set(wanted().slice(1).map((j) => j.key)
    .filter((k) => k !== key && models.some((id) => !failed.has(`${id}|${k}`) && !results.get(`${id}|${k}`)?.done)));
  if (n && done === n && ahead.size) status.textContent += ` Computing ${ahead.size} more setting${ahead.size > 1 ? 's' : ''} ahead (the curve and a slider step either way).`;
  $('#pim-results').dataset.ahead = String(ahead.size);
  $('#pim-results').dataset.key = key;
  $('#pim-results').dataset.complete = String(n > 0 && done === n);
}

/** Both charts: the curve of the knob last moved and the ADC trade (each sized to its box, even empty). */
function drawCurve() {
  drawKnobCurve();
  drawTrade();
}

/** The curve of accuracy against the knob last moved: chart data from the core, drawn by the core. */
function drawKnobCurve() {
  const canvas = $('#pim-chart');
  const spec = SLIDERS.find((s) => s.knob === curveKnob);
  const values = [...new Set([...spec.curve, knobValue(knobs, curveKnob)])];
  const series = [];
  for (const id of chosen) {
    const entry = manifest.find((m) => m.id === id);
    if (!entry) continue;
    const points = [];
    for (const v of values) {
      const r = results.get(`${id}|${keyOf(withKnob(knobs, curveKnob, v))}`);
      if (r?.done) points.push({ value: v, mean_0_to_1: r.result.mean_0_to_1, std_0_to_1: r.result.std_0_to_1 });
    }
    if (points.length) series.push({ label: entry.label, points });
  }
  const caption = (count) => {
    $('#pim-caption').textContent = `Accuracy against ${spec.label}, the other knobs as set above; `
      + `${count} of ${values.length * chosen.length} points computed so far.`;
    canvas.dataset.points = String(count);
  };
  canvas.dataset.knob = curveKnob;
  if (!series.length) {
    caption(0);
    drawMessage(canvas, 'The curve appears as points are computed…', '#666');
    return;
  }
  try {
    const { curve, point_count } = core.pimCurve(curveKnob, series, `MNIST, first ${PIM_IMAGES} test images`);
    caption(point_count);
    drawCoreCurve(core, canvas, curve);
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    showError(`Cannot draw the curve: ${e.message}`);
  }
}

/** The ADC resolutions of the trade chart: those the simulator costed, within the ADC slider's range. */
function tradeBits() {
  const spec = SLIDERS.find((x) => x.knob === 'adc-bits');
  const first = cost?.costs?.values().next().value ?? [];
  return first.map((c) => c.adc_bits).filter((b) => b >= spec.min && b <= spec.max);
}

/**
 * The trade chart: each chosen model's accuracy at the ADC resolutions computed so far (the
 * costed ones and the ADC curve's), with the simulator's costs; the core joins them
 * (`pimTradeCurve`) and draws the chart.
 */
function drawTrade() {
  const canvas = $('#pim-trade');
  const caption = $('#pim-trade-caption');
  canvas.dataset.axis = tradeAxis;
  if (!chosen.some((id) => manifest.some((m) => m.id === id))) {
    canvas.dataset.points = '0';
    canvas.dataset.series = '[]';
    caption.textContent = 'Choose at least one model.';
    drawMessage(canvas, 'No model chosen.', '#666');
    return;
  }
  if (!cost || cost.error || !cost.costs) {
    canvas.dataset.series = '[]';
    canvas.dataset.points = '0';
    caption.textContent = cost?.error ? `The simulator cannot cost these knobs: ${cost.error}` : 'Costing the models in the simulator…';
    drawMessage(canvas, cost?.error ? 'No costs for these knobs.' : 'The chart appears as points are computed…', '#666');
    return;
  }
  const bits = tradeBits();
  const spec = SLIDERS.find((x) => x.knob === 'adc-bits');
  const values = [...new Set([...bits, ...spec.curve, knobs.adc_bits])];
  const series = [];
  for (const id of chosen) {
    const entry = manifest.find((m) => m.id === id);
    const costs = entry && cost.costs.get(entry.label);
    if (!costs) continue;
    const points = [];
    for (const b of values) {
      const r = results.get(`${id}|${keyOf(withKnob(knobs, 'adc-bits', b))}`);
      if (r?.done) points.push({ adc_bits: b, mean_0_to_1: r.result.mean_0_to_1, std_0_to_1: r.result.std_0_to_1 });
    }
    series.push({ label: entry.label, costs, points });
  }
  const total = bits.length * series.length;
  let t = null;
  try {
    if (series.some((x) => x.points.some((p) => bits.includes(p.adc_bits)))) {
      t = core.pimTradeCurve(tradeAxis, series, `MNIST, first ${PIM_IMAGES} test images`);
    }
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    showError(`Cannot draw the ADC trade: ${e.message}`);
    return;
  }
  canvas.dataset.points = String(t?.point_count ?? 0);
  // The drawn points, for scripts and tests: [{label, points: [{x, y, spread, label}]}].
  canvas.dataset.series = JSON.stringify(t?.curve.series ?? []);
  canvas.dataset.key = keyOf({ ...knobs, adc_bits: 0 });
  const left = t?.uncosted_adc_bits.length
    ? ` Not on the chart: ${t.uncosted_adc_bits.join(', ')} bits (computed, but MNSIM's ADC table has no ADC of that resolution).` : '';
  caption.textContent = `Accuracy against ${TRADE_LABELS[tradeAxis]} in the simulator, one point per ADC resolution `
    + `(${bits.join(', ')} bits, labelled), the other knobs as set above; ${t?.point_count ?? 0} of ${total} points computed so far.${left}`;
  if (!t) {
    drawMessage(canvas, 'The chart appears as points are computed…', '#666');
    return;
  }
  drawCoreCurve(core, canvas, t.curve);
}

/**
 * The other side of the ADC and DAC trade: the simulator's area, latency and energy of the
 * chosen models with each ADC resolution of MNSIM's table (`pimAdcCosts`, physical
 * accounting; the preset's own converter where it has the resolution), the DAC, cell bits and
 * crossbar rows as set. The table shows the cost at the chosen ADC resolution (none where
 * the table has no such ADC: the note says so); the trade chart all of them.
 */
async function updateCost() {
  const k = knobs;
  // The simulator preset the core costs with (`ideal` is mnsim2's array): named in the note.
  const simPreset = presetName === 'ideal' ? 'mnsim2' : presetName;
  const key = JSON.stringify([simPreset, k.dac_bits, k.cell_bits, k.crossbar_rows, chosen]);
  if (cost?.key !== key) {
    const mine = { key, costs: null, error: '' };
    cost = mine;
    try {
      const entries = manifest.filter((m) => chosen.includes(m.id));
      const models = await Promise.all(entries.map(async (m) => ({ label: m.label, bytes: await modelBytes(m) })));
      if (cost !== mine) return;
      if (models.length) mine.costs = new Map(core.pimAdcCosts(presetName, k, models).map((m) => [m.label, m.costs]));
    } catch (e) {
      if (isTrap(e)) reinstantiate(e.message);
      mine.error = e.message;
    }
    if (cost !== mine) return;
    // The trade's settings join the work ahead.
    if (live) schedule();
  }
  const c = cost.costs?.values().next().value?.find((x) => x.adc_bits === knobs.adc_bits);
  let note;
  if (cost.error) note = `The simulator cannot cost these knobs: ${cost.error}`;
  else if (!cost.costs) note = '';
  else if (!c) note = `MNSIM's ADC table has no ${knobs.adc_bits}-bit ADC, so the simulator's area and energy are not shown for this resolution (the trade chart below has the resolutions it does have).`;
  else {
    note = `Area and energy: the simulator on the ${simPreset} preset (physical accounting) with `
      + `${c.own_adc ? `the preset's own ${knobs.adc_bits}-bit ADC` : `ADC choice ${c.adc_choice} of MNSIM's table (${knobs.adc_bits} bits)`}, `
      + `${c.own_dac ? `its own ${knobs.dac_bits}-bit DAC` : `DAC choice ${c.dac_choice} of MNSIM's table (${knobs.dac_bits} bits)`}, `
      + `${knobs.cell_bits}-bit cells and ${knobs.crossbar_rows}-row crossbars; energy per image.`;
  }
  $('#pim-cost-note').textContent = note;
  show();
  drawTrade();
}
