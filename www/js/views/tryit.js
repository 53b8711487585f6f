// Try it: draw a digit (mouse, pen or touch), or take an image of the MNIST test
// subset (one is preloaded on a first visit); every shipped MNIST model classifies
// it at once, one row per model with its prediction, confidence, crossbars, area and
// recorded accuracy (all from the wasm core: `predict`, `compareModels`), so EPIM and
// pruning sit side by side on the reader's own digit. The chosen model's class
// probabilities and its accuracy on the test subset (in a Web Worker, with progress,
// images/s and cancel) follow.
//
// State flow: the store's `model` and `img` keys say what is shown. Every result
// carries the model and the input it was computed for, and is shown only while both
// are still current: a model change re-shows that model's own result for the same
// input, and cancels an accuracy run of another model.
import { load, withCore } from '../wasm.js';
import { preprocess, inkFromRgba, SIDE } from '../digit.js';
import { formatCount } from '../format.js';
import { mnistModels, modelBytes, datasetName, loadManifest } from '../models.js';
import { SCHEMA } from '../state.js';
import { testSet } from '../testset.js';
import { withOnnx } from '../onnx.js';

const CHUNK = 100; // images per progress step of the accuracy run
const COST_PRESET = 'mnsim2';

let ctx, manifest = [];
const models = new Map(); // id -> core.Model
// Engine "tract-core" (the on-demand module www/pkg-onnx, loaded when selected): id ->
// TractModel of the same file; a reader's ONNX classifier runs through tract-core always.
const tractModels = new Map();
let engine = 'epim';
const entries = new Map(); // id -> manifest entry (plus the reader's own files)
let costs = new Map(); // label -> compareModels row {crossbars, area_um2, accuracy_pct, ...}
// What the pad shows: {img (28x28 floats), version, index (test image) or -1, label}.
let input = null;
let version = 0;
let results = new Map(); // model id -> {version, probs, best, ms}: predictions for input `version`
let run = null; // the accuracy run in progress: {worker, model}

const $ = (sel) => ctx.root.querySelector(sel);

const TEMPLATE = `
  <p class="hint try-intro">Draw a digit (mouse, pen or finger) or take a random MNIST test image: every trained model
    classifies it in your browser. EPIM models sample their convolution weights from smaller epitomes, pruned
    models drop weights: see what each costs in crossbars and what it gets right.</p>
  <div class="try">
    <div class="pad-wrap">
      <canvas id="try-pad" class="pad" width="280" height="280" tabindex="0"
        aria-label="Drawing area: draw a digit with mouse, pen or touch"></canvas>
      <div class="row">
        <button type="button" id="try-clear">Clear</button>
        <button type="button" id="try-random">Random test image</button>
        <canvas id="try-input" width="28" height="28" class="thumb" aria-label="What the models see (28 by 28)"></canvas>
      </div>
      <p id="try-source" class="hint" aria-live="polite"></p>
    </div>
    <div class="try-out">
      <label class="inline">Engine <select id="try-engine"><option value="epim">epim (this project's executor)</option>
        <option value="tract-core">tract-core (loaded when chosen)</option></select></label>
      <span id="try-engine-status" class="hint" role="status" aria-live="polite"></span>
      <p class="prediction" aria-live="polite"><span id="try-pred">&ndash;</span> <span id="try-time" class="hint"></span></p>
      <p id="try-error" class="error" role="alert" hidden></p>
      <p class="hint try-caption" id="try-all-caption">Your digit, every model. Crossbars and area on the ${COST_PRESET} preset
        (physical accounting); accuracy as recorded on the 10,000 MNIST test images. Click a row for its details.</p>
      <div class="table-wrap"><table id="try-all" class="try-all" aria-describedby="try-all-caption">
        <thead><tr><th scope="col">Model</th><th scope="col" title="Predicted digit and its probability">Prediction</th>
          <th scope="col" class="num">Cross&shy;bars</th><th scope="col" class="num">Area, mm²</th><th scope="col" class="num" title="Recorded accuracy on the 10,000 MNIST test images">Accuracy, %</th></tr></thead>
        <tbody></tbody>
      </table></div>
      <p class="hint try-caption">Crossbars come whole: each layer takes a whole number of them, so models of different
        sizes can need the same count; the area also counts the circuits around the crossbars (converters, buffers,
        interconnect), so it can still differ. The Crossbar costs panel breaks both down.</p>
    </div>
  </div>
  <div class="try try-detail">
    <div>
      <label>Model <select id="try-model"></select></label>
      <p id="try-model-info" class="hint"></p>
      <ol id="try-bars" class="probs" start="0"></ol>
    </div>
    <div>
      <div class="row">
        <button type="button" id="try-eval">Accuracy on the test subset</button>
        <button type="button" id="try-cancel" hidden>Cancel</button>
      </div>
      <progress id="try-progress" max="1" value="0" hidden></progress>
      <p id="try-acc" aria-live="polite"></p>
      <p class="hint">Model file of your own (this project's .safetensors format, or an ONNX classifier of 1x28x28
        images into 10 classes, run by tract-core): drop it on the drawing box or
        <label class="filelabel">choose a file <input type="file" id="try-file" accept=".safetensors,.onnx"></label>.</p>
    </div>
  </div>`;

export async function init(c) {
  ctx = c;
  document.getElementById('try-root').innerHTML = TEMPLATE;
  await load();
  window.addEventListener('epim:reinstantiated', async () => {
    // Model objects belonged to the dropped instance: rebuild them from the files.
    models.clear();
    await loadModels();
    classifyAll();
  });
  // A model trained in the Train panel joins the list and classifies the current input.
  window.addEventListener('epim:models-changed', (ev) => addTrainedEntry(ev.detail).catch((e) => showError(e.message, 'file')));
  const bars = $('#try-bars');
  for (let d = 0; d < 10; d++) {
    const li = document.createElement('li');
    li.innerHTML = `<span class="digit">${d}</span><span class="bar"><span></span></span><span class="pct">–</span>`;
    bars.append(li);
  }
  wirePad();
  $('#try-clear').addEventListener('click', () => {
    ctx.update({ img: -1 });
    clearPad();
  });
  $('#try-random').addEventListener('click', randomImage);
  $('#try-engine').addEventListener('change', (ev) => setEngine(ev.target.value));
  $('#try-model').addEventListener('change', (ev) => ctx.update({ model: ev.target.value }));
  $('#try-all tbody').addEventListener('click', (ev) => {
    const tr = ev.target.closest('tr[data-model]');
    if (tr) ctx.update({ model: tr.dataset.model });
  });
  $('#try-eval').addEventListener('click', evaluate);
  $('#try-cancel').addEventListener('click', () => cancelRun('Cancelled'));
  $('#try-file').addEventListener('change', (ev) => ev.target.files[0] && loadUserModel(ev.target.files[0]));
  try {
    manifest = await mnistModels();
    if (!manifest.length) throw new Error('the manifest lists no MNIST model');
  } catch (e) {
    showError(`No trained models are available (${e.message}).`);
    return;
  }
  for (const m of manifest) entries.set(m.id, m);
  const sel = $('#try-model');
  for (const m of manifest) sel.add(new Option(m.label, m.id));
  if (!entries.has(ctx.state.model)) {
    // main.js reports an unknown model; a known non-MNIST one is not offered here.
    ctx.update({ model: manifest.some((m) => m.id === SCHEMA.model.default) ? SCHEMA.model.default : manifest[0].id });
  }
  try {
    await loadModels();
  } catch (e) {
    showError(`Cannot load the models: ${e.message}`);
    return;
  }
  buildRows();
  ctx.store.subscribe(['model'], () => onModel());
  ctx.store.subscribe(['img'], (s) => { if (s.img >= 0 && s.img !== input?.index) showTestImage(s.img); });
  onModel();
  // The linked test image, or a preloaded random one on a first visit.
  const wanted = ctx.state.img;
  if (wanted >= 0) await showTestImage(wanted, { fromLink: true });
  else if (!dirty) randomImage(); // not awaited: the panel is usable meanwhile
}

/** Loads every MNIST model and their costs (one compareModels call: Rust computes them). */
async function loadModels() {
  const files = await Promise.all(manifest.map(async (m) => ({ entry: m, bytes: await modelBytes(m) })));
  await withCore((core) => {
    for (const { entry, bytes } of files) if (!models.has(entry.id)) models.set(entry.id, core.Model.load(bytes));
  });
  if (!costs.size) {
    const r = await withCore((core) => core.compareModels(
      { preset: COST_PRESET, accounting: 'physical', baseline: 'dense:bits=32', methods: [] },
      files.map(({ entry, bytes }) => ({ label: entry.label, bytes })),
    ));
    costs = new Map(r.rows.map((row) => [row.method, row]));
  }
}

/** Adds a model trained in this tab (models.js addTrainedModel) once the panel is running. */
async function addTrainedEntry(entry) {
  if (!manifest.length || (entry.dataset ?? 'mnist') !== 'mnist' || entries.has(entry.id)) return;
  manifest.push(entry);
  entries.set(entry.id, entry);
  $('#try-model').add(new Option(entry.label, entry.id));
  await withCore((core) => {
    models.set(entry.id, core.Model.load(entry.bytes));
    const r = core.compareModels(
      { preset: COST_PRESET, accounting: 'physical', baseline: 'dense:bits=32', methods: [] },
      [{ label: entry.label, bytes: entry.bytes }],
    );
    for (const row of r.rows) costs.set(row.method, row);
  });
  buildRows();
  if (input) classifyAll();
  else showChosen();
}

function buildRows() {
  const body = $('#try-all tbody');
  body.replaceChildren();
  for (const m of manifest) {
    const tr = body.insertRow();
    tr.dataset.model = m.id;
    tr.tabIndex = 0;
    tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); ctx.update({ model: m.id }); } });
    const cost = costs.get(m.label);
    const cells = [m.label.replace(' fewer weights', ''), '–', cost ? formatCount(cost.crossbars) : '–', cost ? areaText(cost.area_um2).replace(' mm²', '') : '–',
      cost?.accuracy_pct != null ? cost.accuracy_pct.toFixed(2) : '–'];
    cells.forEach((v, i) => {
      const td = tr.insertCell();
      td.textContent = v;
      if (i >= 2) td.className = 'num';
      if (i === 1) td.className = 'pred';
    });
  }
}

/** The chosen model changed (form, table, link): show its own result for the same input. */
function onModel() {
  const id = ctx.state.model;
  const entry = entries.get(id);
  if (!entry) {
    // A model chosen elsewhere (the explorer's Fashion-MNIST layers): not a digit classifier.
    loadManifest().then((all) => {
      const other = all.find((m) => m.id === id);
      $('#try-model').value = '';
      for (const tr of $('#try-all tbody').rows) tr.classList.remove('chosen');
      $('#try-model-info').textContent = other
        ? `${other.label} is a ${datasetName(other.dataset)} model (chosen in the explorer); Try it classifies digits with the MNIST models: pick one.`
        : '';
      showChosen();
    }).catch(() => {});
    return;
  }
  $('#try-model').value = id;
  for (const tr of $('#try-all tbody').rows) tr.classList.toggle('chosen', tr.dataset.model === id);
  const cost = costs.get(entry.label);
  $('#try-model-info').textContent = entry.summary + (cost ? `; ${costText(cost)}` : '');
  if (run && run.model !== id) cancelRun(`Cancelled: the model changed to ${entry.label} before the run finished`);
  else if (!run && $('#try-acc').dataset.model !== id) {
    // A finished run belongs to its model: not shown under another one.
    $('#try-acc').textContent = '';
    delete $('#try-acc').dataset.accuracy;
    delete $('#try-acc').dataset.model;
  }
  if (input && !results.has(id)) classifyAll();
  else showChosen();
}

/**
 * Shows (or, with '', clears) the panel's error. `source` names what reported it, so a
 * success of one thing (a classification) never hides the error of another (a bad file).
 */
let errorSource = null;
function showError(msg, source = 'other') {
  const el = $('#try-error');
  if (!msg && errorSource !== source) return;
  errorSource = msg ? source : null;
  el.textContent = msg;
  el.hidden = !msg;
}

/** Plain words for a model file the core rejects (its message stays, shortened). */
function plainModelError(e) {
  const msg = String(e.message ?? e);
  const short = msg.length > 160 ? `${msg.slice(0, 160)}…` : msg;
  return `That file is not a usable model: it is not a model file written by this project (epim train, .safetensors) or it is damaged (${short.replace(/\d{12,}/g, (d) => `${d.slice(0, 6)}…`)}).`;
}

/** Switches the engine of the table and the probabilities; tract-core loads its module and builds each model's plan first. */
async function setEngine(next) {
  const status = $('#try-engine-status');
  if (next === 'tract-core') {
    status.textContent = 'Loading tract-core (the on-demand module, once per visit)…';
    try {
      const t0 = performance.now();
      const files = await Promise.all(manifest.filter((m) => !m.onnx).map(async (m) => ({ m, bytes: await modelBytes(m) })));
      await withOnnx((o) => {
        for (const { m, bytes } of files) if (!tractModels.has(m.id)) tractModels.set(m.id, o.TractModel.load(bytes));
      });
      status.textContent = `tract-core ready (${files.length} models compiled in ${formatMs(performance.now() - t0)}).`;
    } catch (e) {
      status.textContent = '';
      showError(`tract-core could not start: ${e.message}`, 'engine');
      $('#try-engine').value = engine;
      return;
    }
  } else {
    status.textContent = '';
  }
  engine = next;
  $('#try-engine').value = next;
  $('#try-root').dataset.engine = next;
  showError('', 'engine');
  results = new Map();
  if (input) classifyAll();
}

/** Adds (or replaces) a reader's model file in the select and shows it. */
function addUserModel(entry, model) {
  models.get(entry.id)?.free?.();
  models.set(entry.id, model);
  if (!entries.has(entry.id)) $('#try-model').add(new Option(entry.label, entry.id));
  entries.set(entry.id, entry);
  results.delete(entry.id);
  showError('', 'file');
  // Not a link setting: the file exists only in this tab.
  ctx.update({ model: entry.id });
  onModel();
}

/** A reader's ONNX classifier: tract-onnx loads it (the on-demand module); it runs through tract-core. */
async function loadOnnxClassifier(file) {
  try {
    if (file.size > 64 << 20) throw new Error(`${formatCount(file.size)} bytes; ONNX classifiers are at most 64 MB here`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    $('#try-engine-status').textContent = 'Loading tract-onnx for your file…';
    const model = await withOnnx((o) => o.OnnxClassifier.load(bytes));
    $('#try-engine-status').textContent = '';
    const entry = { id: `file:${file.name}`, label: `Your ONNX file: ${file.name}`, onnx: true, user: true,
      summary: 'Loaded from your computer; run by tract-core (tract-onnx), input assumed to be [0, 1] pixels as for the shipped models.' };
    addUserModel(entry, model);
  } catch (e) {
    $('#try-engine-status').textContent = '';
    showError(`That ONNX file cannot classify digits here: ${e.message}`, 'file');
  }
}

async function loadUserModel(file) {
  if (/\.onnx$/i.test(file.name)) return loadOnnxClassifier(file);
  try {
    if (file.size > 64 << 20) throw new Error(`${formatCount(file.size)} bytes; model files are at most 64 MB`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const { model, info } = await withCore((m) => {
      const model = m.Model.load(bytes);
      return { model, info: model.info() };
    });
    const dataset = info.metadata?.['epim.dataset'] ?? null;
    if (model.classes !== 10 || info.arch?.input?.join?.(',') !== '1,28,28') {
      model.free();
      throw new Error(`it takes ${info.arch?.input?.join('x')} inputs and gives ${model.classes} classes, not 28x28 digits in 10 classes`);
    }
    const note = dataset && dataset !== 'mnist'
      ? ` Trained on ${datasetName(dataset)}, not on digits: it classifies your digit as one of its own 10 classes (numbered 0-9).`
      : '';
    const entry = { id: `file:${file.name}`, label: `Your file: ${file.name}`, summary: `Loaded from your computer.${note}`, dataset, user: true, bytes };
    addUserModel(entry, model);
  } catch (e) {
    showError(e.message.startsWith('it ') ? `That file is not a usable model: ${e.message}.` : plainModelError(e), 'file');
  }
}

// ---- input ----
let drawing = false, last = null, dirty = false, pending = 0;

function padContext() {
  // Read back on every stroke: tell the browser so (no GPU readback warning).
  return $('#try-pad').getContext('2d', { willReadFrequently: true });
}

function wirePad() {
  const pad = $('#try-pad');
  const g = padContext();
  clearPad();
  const pos = (ev) => {
    const r = pad.getBoundingClientRect();
    return [(ev.clientX - r.left) * (pad.width / r.width), (ev.clientY - r.top) * (pad.height / r.height)];
  };
  pad.addEventListener('pointerdown', (ev) => {
    if (!dirty) {
      // A test image is shown: a new drawing starts on a clean pad.
      g.clearRect(0, 0, pad.width, pad.height);
      if (ctx.state.img !== -1) ctx.update({ img: -1 });
    }
    drawing = true;
    last = pos(ev);
    pad.setPointerCapture(ev.pointerId);
    stroke(g, last, last);
  });
  pad.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    const p = pos(ev);
    stroke(g, last, p);
    last = p;
    // Live: classify once per frame while drawing.
    // Live: the chosen model classifies once per frame while drawing; all of them on release.
    if (!pending) pending = requestAnimationFrame(() => { pending = 0; if (drawing) takeDrawing({ live: true }); });
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    takeDrawing();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  pad.addEventListener('keydown', (ev) => {
    if (ev.key === 'Delete' || ev.key === 'Backspace' || ev.key === 'Escape') { ctx.update({ img: -1 }); clearPad(); }
    if (ev.key === 'r') randomImage();
  });
  pad.addEventListener('dragover', (ev) => ev.preventDefault());
  pad.addEventListener('drop', (ev) => {
    ev.preventDefault();
    const f = ev.dataTransfer.files[0];
    if (f) loadUserModel(f);
  });
}

function stroke(g, a, b) {
  g.strokeStyle = '#000';
  g.lineWidth = 20;
  g.lineCap = 'round';
  g.lineJoin = 'round';
  g.beginPath();
  g.moveTo(a[0], a[1]);
  g.lineTo(b[0] + 0.01, b[1]);
  g.stroke();
  dirty = true;
}

function clearPad() {
  const pad = $('#try-pad');
  padContext().clearRect(0, 0, pad.width, pad.height);
  dirty = false;
  setInput(null);
}

function takeDrawing({ live = false } = {}) {
  const pad = $('#try-pad');
  const px = padContext().getImageData(0, 0, pad.width, pad.height).data;
  const img = preprocess(inkFromRgba(px), pad.width, pad.height);
  if (img) setInput({ img, index: -1, label: null }, { live });
}

/** A new input: every model's result for the old one is dropped, then all classify it. */
function setInput(next, { live = false } = {}) {
  version += 1;
  input = next ? { ...next, version, live } : null;
  results = new Map();
  showInput(input?.img ?? null);
  $('#try-source').textContent = !input ? '' : input.index >= 0
    ? `MNIST test image ${formatCount(input.index)} of the page's subset, labelled ${input.label}.`
    : 'Your drawing.';
  if (input) classifyAll(live ? [ctx.state.model] : null);
  else showChosen();
}

/** The input as the models see it: ink (a drawing's 0..1, or a test image's bytes 0..255) as grey. */
function showInput(img) {
  const c = $('#try-input').getContext('2d');
  const data = c.createImageData(SIDE, SIDE);
  const bytes = img instanceof Uint8Array;
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = 255 - (!img ? 0 : bytes ? img[i] : Math.round(255 * img[i]));
    data.data.set([v, v, v, 255], 4 * i);
  }
  c.putImageData(data, 0, 0);
}

/** Every loaded model classifies the current input (and the chosen one, if it is the reader's file). */
async function classifyAll(only = null) {
  if (!input) return;
  const mine = input;
  const ids = only ?? [...manifest.map((m) => m.id)];
  if (!only && entries.get(ctx.state.model)?.user) ids.push(ctx.state.model);
  try {
    await withCore(() => {
      for (const id of ids) {
        const model = (engine === 'tract-core' && tractModels.get(id)) || models.get(id);
        if (!model || results.get(id)?.version === mine.version) continue;
        const t0 = performance.now();
        const { class: best, probs } = model.classifyImage(mine.img); // the core's class and probabilities
        results.set(id, { version: mine.version, probs, best, ms: performance.now() - t0 });
      }
    });
    showError('', 'classify');
  } catch (e) {
    showError(e.message, 'classify');
  }
  if (input === mine) showChosen();
}

/** Shows the results that belong to the current input and the chosen model (never others). */
function showChosen() {
  const cur = (id) => {
    const r = results.get(id);
    return r && input && r.version === input.version ? r : null;
  };
  for (const tr of $('#try-all tbody').rows) {
    const r = cur(tr.dataset.model);
    const best = r ? r.best : -1;
    tr.cells[1].textContent = r ? `${best} (${(100 * r.probs[best]).toFixed(1)} %)` : '–';
    tr.classList.toggle('wrong', Boolean(r && input.label != null && best !== input.label));
  }
  const r = cur(ctx.state.model);
  showProbs(r?.probs ?? null, r?.best ?? -1);
  $('#try-time').textContent = r ? `(${formatMs(r.ms)} in wasm)` : '';
  const pred = $('#try-pred');
  pred.dataset.model = r ? ctx.state.model : '';
  // 'true' while the shown result is a partial stroke's (the pen is still down, or its
  // release has not been classified yet): tests and scripts wait for 'false'.
  pred.dataset.live = r && input.live ? 'true' : 'false';
  if (r && input.index >= 0) pred.textContent += ` (label ${input.label})`;
}

const formatMs = (ms) => (ms < 1 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`);

function showProbs(probs, best) {
  const items = $('#try-bars').children;
  for (let d = 0; d < 10; d++) {
    const p = probs ? probs[d] : 0;
    items[d].querySelector('.bar span').style.width = `${(100 * p).toFixed(1)}%`;
    items[d].querySelector('.pct').textContent = probs ? `${(100 * p).toFixed(1)} %` : '–';
    items[d].classList.toggle('best', d === best);
  }
  $('#try-pred').textContent = probs ? `Prediction: ${best}` : '–';
}

// ---- the test subset ----
async function randomImage() {
  try {
    const { labels } = await testSet();
    const k = Math.floor(Math.random() * labels.length);
    await showTestImage(k);
    ctx.update({ img: k }); // in the link too
  } catch (e) {
    showError(`Cannot load the test images: ${e.message}`);
  }
}

async function showTestImage(k, { fromLink = false } = {}) {
  try {
    const { images, labels } = await testSet();
    if (!(k < labels.length)) {
      if (fromLink) ctx.reportLink([`img: the page's test subset has ${formatCount(labels.length)} images, numbered 0 to ${formatCount(labels.length - 1)} (got ${k}, using a random one)`]);
      ctx.update({ img: -1 });
      return randomImage();
    }
    // The test image's bytes as they are: the core scales them (classifyImage takes a Uint8Array).
    const img = images.subarray(k * 784, (k + 1) * 784);
    const pad = $('#try-pad');
    const g = padContext();
    g.clearRect(0, 0, pad.width, pad.height);
    const ink = document.createElement('canvas');
    ink.width = ink.height = SIDE;
    const data = ink.getContext('2d').createImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) data.data[4 * i + 3] = img[i]; // black, the byte as opacity
    ink.getContext('2d').putImageData(data, 0, 0);
    g.save();
    g.imageSmoothingEnabled = false;
    g.drawImage(ink, 0, 0, pad.width, pad.height);
    g.restore();
    dirty = false;
    setInput({ img, index: k, label: labels[k] });
  } catch (e) {
    showError(`Cannot load the test images: ${e.message}`);
  }
  return undefined;
}

// ---- accuracy on the test subset, in a Web Worker ----
function cancelRun(why) {
  if (!run) return;
  run.worker.terminate();
  const { done, n } = run.progress;
  run = null;
  evalIdle();
  $('#try-acc').textContent = `${why} (${formatCount(done)} of ${formatCount(n)} images done); no accuracy is shown for a partial run.`;
  delete $('#try-acc').dataset.accuracy;
}

function evalIdle() {
  $('#try-progress').hidden = true;
  $('#try-cancel').hidden = true;
  $('#try-eval').disabled = false;
}

async function evaluate() {
  if (run) return;
  const id = ctx.state.model;
  const entry = entries.get(id);
  if (!entry) return;
  const acc = $('#try-acc');
  delete acc.dataset.accuracy;
  delete acc.dataset.model;
  if (entry.onnx) {
    acc.textContent = 'The test-subset run uses the epim engine on this project\'s model files; an ONNX file classifies your digits above.';
    return;
  }
  try {
    const [{ images, labels }, bytes] = await Promise.all([testSet(), entry.user ? entry.bytes : modelBytes(entry)]);
    const worker = new Worker(new URL('../eval-worker.js', import.meta.url), { type: 'module' });
    const mine = { worker, model: id, progress: { done: 0, n: labels.length } };
    run = mine;
    $('#try-cancel').hidden = false;
    $('#try-eval').disabled = true;
    const bar = $('#try-progress');
    bar.value = 0;
    bar.hidden = false;
    acc.textContent = `Loading ${entry.label} in a worker…`;
    worker.onmessage = ({ data }) => {
      if (run !== mine) return;
      if (data.type === 'progress') {
        mine.progress = data;
        bar.value = data.done / data.n;
        acc.textContent = `${formatCount(data.done)} / ${formatCount(data.n)} images, ${formatCount(data.done / Math.max(data.secs, 1e-3))} images/s…`;
      } else if (data.type === 'done') {
        run = null;
        worker.terminate();
        evalIdle();
        const cost = costs.get(entry.label);
        acc.textContent = `Accuracy ${(100 * data.accuracy).toFixed(2)} % on ${formatCount(data.n)} test images in `
          + `${data.secs.toFixed(1)} s (${formatCount(data.n / Math.max(data.secs, 1e-3))} images/s, in a worker)${cost ? `; ${costText(cost)}` : ''}.`;
        acc.dataset.accuracy = String(data.accuracy);
        acc.dataset.model = id;
      } else if (data.type === 'error') {
        run = null;
        worker.terminate();
        evalIdle();
        acc.textContent = '';
        showError(data.message);
      }
    };
    worker.onerror = (ev) => {
      if (run !== mine) return;
      run = null;
      evalIdle();
      acc.textContent = '';
      showError(`The evaluation worker failed: ${ev.message ?? 'unknown error'}`);
    };
    // Copies: the page keeps its own test set and model bytes.
    worker.postMessage({ bytes: bytes.slice(), images: images.slice(), labels: labels.slice(), chunk: CHUNK });
  } catch (e) {
    showError(e.message);
  }
}

/** 30_612_345 µm² -> "30.61 mm²". */
function areaText(um2) {
  return `${(um2 / 1e6).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} mm²`;
}

/** "16 crossbars, 17.27 mm² (mnsim2 preset, physical accounting)", from a compareModels row. */
function costText(c) {
  return `${formatCount(c.crossbars)} crossbars, ${areaText(c.area_um2)} (${COST_PRESET} preset, physical accounting)`;
}
