// Train panel: the reader trains an MNIST or Fashion-MNIST CNN in the page
// (docs/training.md). The core checks the settings (`checkTrainSettings`) and does
// all the work in a Web Worker (www/js/train-worker.js: `TrainRun` a slice of batches
// at a time); the loss and accuracy charts are the core's chart data drawn by the
// core (`drawCurve`). The finished model joins Try it, the explorer and the
// trained-model comparison (models.js `addTrainedModel`) and can be downloaded.
// The settings live in the URL hash (keys tds, tarch, tm, tr, td, twb, tep, tn, tb, tlr, tseed).
import { load, isTrap, reinstantiate } from '../wasm.js';
import { formatCount } from '../format.js';
import { drawCoreCurve, drawMessage, onLayoutOrTheme } from '../chart.js';
import { addTrainedModel, datasetName } from '../models.js';
import { TRAIN_BATCHES, TRAIN_IMAGES, TRAIN_METHODS } from '../state.js';

const $ = (sel) => document.querySelector(sel);
const KEYS = ['tds', 'tarch', 'tm', 'tr', 'td', 'twb', 'tep', 'tn', 'tb', 'tlr', 'tseed'];
const METHOD_LABELS = {
  dense: 'dense (no compression)',
  epitome: 'EPIM: epitomes',
  design: 'EPIM: per-layer epitome shapes',
  filter: 'filter pruning',
  xrs: 'crossbar-row pruning (XRS)',
};

const TEMPLATE = `
  <p class="hint">Train a small CNN on handwritten digits (or Fashion-MNIST) right here, with epitomes, pruning
    or neither, and see where it lands. Training runs in a background worker on this computer; the page stays
    usable. The first run downloads the training images (11.5 MB for MNIST).</p>
  <form id="train-form" class="train-form" novalidate>
    <label>Dataset <select name="tds"><option value="mnist">MNIST digits</option>
      <option value="fashion-mnist">Fashion-MNIST</option></select></label>
    <label>Network <select name="tarch"><option value="tiny">tiny: 2 conv layers, fast</option>
      <option value="cnn">cnn: the shipped models' (slower)</option></select></label>
    <label>Method <select name="tm">${TRAIN_METHODS.map((m) => `<option value="${m}">${METHOD_LABELS[m]}</option>`).join('')}</select></label>
    <label id="train-ratio-label"><span id="train-ratio-name">Compression x</span>
      <input name="tr" type="number" step="any" min="0" inputmode="decimal"></label>
    <label id="train-design-label" class="train-design">Epitome design (JSON: <code>{"layers": [{"layer": "conv2", "epitome": [16, 8, 3, 3]}]}</code>,
      as <code>epim search --out</code> writes it or the design search's "Train this design" fills it in)
      <textarea name="td" rows="3" spellcheck="false"></textarea></label>
    <label>Weight bits <input name="twb" type="number" min="2" max="8" step="1"></label>
    <label>Epochs <input name="tep" type="number" min="1" max="100" step="1"></label>
    <label>Training images <select name="tn">${TRAIN_IMAGES.map((n) => `<option value="${n}">${formatCount(n)}</option>`).join('')}</select></label>
    <label>Batch size <select name="tb">${TRAIN_BATCHES.map((n) => `<option value="${n}">${n}</option>`).join('')}</select></label>
    <label>Learning rate <input name="tlr" type="number" step="any" min="0" inputmode="decimal"></label>
    <label>Seed <input name="tseed" type="number" min="0" step="1"></label>
  </form>
  <p class="train-buttons">
    <button id="train-start" type="button" class="primary">Train</button>
    <button id="train-pause" type="button" disabled>Pause</button>
    <button id="train-cancel" type="button" disabled>Cancel</button>
  </p>
  <p id="train-error" class="error" role="alert" hidden></p>
  <p id="train-command" class="hint"></p>
  <p id="train-status" role="status" aria-live="polite"></p>
  <progress id="train-progress" max="1" value="0" hidden></progress>
  <div id="train-charts" class="train-charts" hidden>
    <figure><canvas id="train-loss" role="img" aria-label="Training loss against batches"></canvas></figure>
    <figure><canvas id="train-acc" role="img" aria-label="Training and held-out accuracy against batches"></canvas></figure>
  </div>
  <div id="train-result" hidden>
    <p id="train-summary"></p>
    <p><button id="train-download" type="button">Download the model (.safetensors)</button>
      <button id="train-try" type="button" class="linkish">Classify your digits with it (Try it)</button>
      <button id="train-compare" type="button" class="linkish">Compare its crossbar cost (Crossbar costs)</button></p>
  </div>`;

let ctx, core;
let job = null; // {worker, settings, key, charts: {loss, accuracy}, paused}
let trained = 0; // models trained in this tab
let datasets = null; // Promise of train/datasets.json

export async function init(c) {
  ctx = c;
  core = await load();
  const root = document.createElement('div');
  root.innerHTML = TEMPLATE;
  ctx.root.append(root);
  fillForm();
  ctx.store.subscribe(KEYS, () => { fillForm(); check(); });
  const form = $('#train-form');
  form.addEventListener('change', (ev) => readField(ev.target));
  $('#train-start').addEventListener('click', start);
  $('#train-pause').addEventListener('click', pause);
  $('#train-cancel').addEventListener('click', () => cancel('Cancelled: the page is ready for another run.'));
  onLayoutOrTheme($('#train-charts'), drawCharts);
  window.addEventListener('epim:reinstantiated', async () => { core = await load(); });
  check();
}

function fillForm() {
  const f = $('#train-form').elements;
  for (const k of KEYS) if (f[k] && document.activeElement !== f[k]) f[k].value = String(ctx.state[k]);
  const m = ctx.state.tm;
  $('#train-ratio-label').hidden = m === 'dense' || m === 'design';
  $('#train-design-label').hidden = m !== 'design';
  $('#train-ratio-name').textContent = m === 'epitome' ? 'Compression x (weights / epitome size)' : 'Fraction pruned (0-1)';
}

/** A form field -> the store (the URL); a value the browser cannot read stays in the field and is reported. */
function readField(el) {
  if (!KEYS.includes(el.name)) return;
  const text = el.value.trim();
  const value = el.tagName === 'TEXTAREA' || (el.tagName === 'SELECT' && !['tn', 'tb'].includes(el.name)) ? text : Number(text);
  if (el.tagName === 'INPUT' && (text === '' || !Number.isFinite(value))) {
    el.setAttribute('aria-invalid', 'true');
    showError(`${el.name === 'tr' ? 'ratio' : fieldLabel(el.name)}: "${text.slice(0, 20)}" is not a number`);
    return;
  }
  let next = { [el.name]: value };
  // A ratio that means something for the new method.
  if (el.name === 'tm' && value !== ctx.state.tm) {
    if (value === 'epitome') next.tr = 2.25;
    else if (value === 'design' && !ctx.state.td) next.td = '{"layers": [{"layer": "conv2", "epitome": [4, 2, 3, 3]}]}';
    else if (value !== 'dense') next.tr = 0.5;
    // Pruning trains, then prunes and fine-tunes: at least 2 epochs (the core says so otherwise).
    if ((value === 'filter' || value === 'xrs') && ctx.state.tep < 2) next.tep = 2;
  }
  ctx.update(next);
}

function fieldLabel(key) {
  return { twb: 'w_bits', tep: 'epochs', tn: 'limit', tb: 'batch', tlr: 'lr', tseed: 'seed' }[key] ?? key;
}

/** The core's TrainSettings of the form's state. */
export function settingsOf(s) {
  const out = { dataset: s.tds, arch: s.tarch, epochs: s.tep, w_bits: s.twb, seed: s.tseed, batch: s.tb, lr: s.tlr, limit: s.tn };
  if (s.tm === 'epitome') out.epitome = s.tr;
  if (s.tm === 'design') {
    try {
      out.design = JSON.parse(s.td || 'null');
    } catch (e) {
      throw new Error(`invalid design: not JSON (${e.message.slice(0, 80)})`);
    }
  }
  if (s.tm === 'filter' || s.tm === 'xrs') out.prune = `${s.tm}:${s.tr}`;
  return out;
}

/** The setting a core error names -> the form field to mark. */
const FIELD_OF = { design: 'td', dataset: 'tds', arch: 'tarch', epochs: 'tep', w_bits: 'twb', epitome: 'tr', prune: 'tr', limit: 'tn', batch: 'tb', lr: 'tlr', seed: 'tseed', 'train data': 'tn' };

function showError(message) {
  const err = $('#train-error');
  err.textContent = message;
  err.hidden = !message;
}

/** Checks the settings with the core: marks the field the error names; returns the check or null. */
function check() {
  const f = $('#train-form').elements;
  for (const k of KEYS) f[k]?.removeAttribute('aria-invalid');
  try {
    const c = core.checkTrainSettings(settingsOf(ctx.state));
    showError('');
    $('#train-command').textContent = `${formatCount(c.params)} stored parameters. The same run on the command line: ${c.command}`;
    $('#train-start').disabled = !!job;
    return c;
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    const m = String(e.message ?? e);
    const field = Object.entries(FIELD_OF).find(([name]) => m.includes(`invalid ${name}`) || m.startsWith(`${name}:`) || m.includes(` ${name}:`));
    if (field) f[field[1]]?.setAttribute('aria-invalid', 'true');
    showError(m);
    $('#train-command').textContent = '';
    $('#train-start').disabled = true;
    return null;
  }
}

async function fetchBytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function getDatasets() {
  if (!datasets) {
    datasets = fetchBytes('data/train/datasets.json').then((b) => JSON.parse(new TextDecoder().decode(b)));
    datasets.catch(() => { datasets = null; });
  }
  return datasets;
}

async function start() {
  if (job || !check()) return;
  const settings = settingsOf(ctx.state);
  const status = $('#train-status');
  let data;
  try {
    const list = await getDatasets();
    data = list.find((d) => d.dataset === settings.dataset)?.files;
    if (!data) throw new Error(`the ${datasetName(settings.dataset)} training data is not installed with this page (scripts/build-data.mjs writes it when the dataset is on the machine)`);
  } catch (e) {
    showError(`Cannot train: ${e.message}`);
    return;
  }
  const worker = new Worker(new URL('../train-worker.js', import.meta.url), { type: 'module' });
  job = { worker, settings, key: JSON.stringify(settings), charts: null, paused: false, t0: performance.now() };
  setRunning(true);
  $('#train-result').hidden = true;
  status.textContent = 'Downloading the training images…';
  $('#train-progress').hidden = false;
  $('#train-progress').value = 0;
  worker.onmessage = ({ data: msg }) => onMessage(worker, msg);
  worker.onerror = (ev) => {
    ev.preventDefault?.();
    if (job?.worker === worker) finishJob(`The training worker crashed (${ev.message ?? 'no message'}). Nothing was lost but this run: press Train to try again.`, true);
  };
  worker.postMessage({ type: 'start', settings, data });
}

function setRunning(on) {
  $('#train-start').disabled = on;
  $('#train-pause').disabled = !on;
  $('#train-cancel').disabled = !on;
  $('#train-pause').textContent = 'Pause';
  $('#train-form').querySelectorAll('input, select').forEach((el) => { el.disabled = on; });
}

function pause() {
  if (!job) return;
  job.paused = !job.paused;
  job.worker.postMessage({ type: job.paused ? 'pause' : 'resume' });
  $('#train-pause').textContent = job.paused ? 'Resume' : 'Pause';
  $('#train-status').dataset.paused = String(job.paused);
  if (job.paused) $('#train-status').textContent += ' Paused.';
}

function cancel(message) {
  if (!job) return;
  finishJob(message, false);
}

function finishJob(message, isError) {
  job?.worker.terminate();
  job = null;
  setRunning(false);
  $('#train-progress').hidden = true;
  // The settings are checked again first, so the run's error is not cleared by a valid form.
  check();
  if (isError) {
    showError(message);
    $('#train-status').textContent = '';
  } else {
    $('#train-status').textContent = message;
  }
}

function onMessage(worker, msg) {
  if (!job || job.worker !== worker) return;
  const status = $('#train-status');
  if (msg.type === 'fetch') {
    status.textContent = `Downloading the training images: ${(msg.loaded / 1e6).toFixed(1)} of ${(msg.total / 1e6).toFixed(1)} MB…`;
    $('#train-progress').max = msg.total || 1;
    $('#train-progress').value = msg.loaded;
  } else if (msg.type === 'progress') {
    onProgress(msg);
  } else if (msg.type === 'evaluating') {
    status.textContent = 'Training done; measuring the model on the 10,000 test images…';
  } else if (msg.type === 'done') {
    onDone(msg);
  } else if (msg.type === 'error') {
    const what = { settings: 'The settings were rejected', data: 'The training data could not be loaded', training: 'Training failed' }[msg.stage] ?? 'Training failed';
    finishJob(`${what}: ${msg.message}`, true);
  }
}

function onProgress(msg) {
  const p = msg.progress;
  job.charts = { loss: msg.loss, accuracy: msg.accuracy };
  job.rate = msg.images_per_s;
  if (msg.heldOut !== undefined) (job.heldOut ??= []).push(msg.heldOut);
  const left = (p.total_steps - p.steps_done) * (msg.secs / Math.max(1, p.steps_done));
  const held = job.heldOut?.length ? `; held-out accuracy after epoch ${job.heldOut.length}: ${(100 * job.heldOut.at(-1)).toFixed(2)} %` : '';
  $('#train-status').textContent = `Epoch ${p.epoch + 1} of ${job.settings.epochs}, batch ${formatCount(p.step + 1)} of ${formatCount(p.steps_per_epoch)}: `
    + `loss ${p.mean_loss.toFixed(3)}, training accuracy ${(100 * p.train_accuracy).toFixed(1)} %; `
    + `${formatCount(Math.round(msg.images_per_s))} images/s, about ${Math.ceil(left)} s left${held}.${job.paused ? ' Paused.' : ''}`;
  $('#train-status').dataset.stepsDone = String(p.steps_done);
  $('#train-progress').max = p.total_steps;
  $('#train-progress').value = p.steps_done;
  $('#train-charts').hidden = false;
  drawCharts();
}

function onDone(msg) {
  const { model } = msg;
  const settings = job.settings;
  const charts = job.charts;
  const rate = job.rate;
  job.worker.terminate();
  job = null;
  setRunning(false);
  $('#train-progress').hidden = true;
  trained += 1;
  const method = settings.epitome ? `EPIM ${settings.epitome}x` : settings.design ? 'EPIM design' : settings.prune ? settings.prune.replace(':', ' ') : 'dense';
  const label = `Trained here #${trained}: ${settings.arch}, ${method}, ${settings.w_bits}-bit, ${datasetName(settings.dataset)}`;
  const entry = addTrainedModel({ label, dataset: settings.dataset, bytes: model.bytes, accuracy_0_to_1: model.accuracy_0_to_1 });
  lastModel = { entry, bytes: model.bytes };
  $('#train-status').textContent = `Done in ${msg.secs.toFixed(1)} s (${msg.train_secs.toFixed(1)} s of training, ${formatCount(Math.round(rate))} images/s).`;
  $('#train-summary').textContent = `${label}: ${formatCount(model.correct)} of ${formatCount(model.test_images)} `
    + `${datasetName(settings.dataset)} test images right (${(100 * model.accuracy_0_to_1).toFixed(2)} %). `
    + 'It is now in Try it, in the explorer\'s layer list (epitome layers) and in the trained-model comparison of Crossbar costs.';
  $('#train-result').hidden = false;
  $('#train-result').dataset.model = entry.id;
  job = null;
  lastCharts = charts;
  drawCharts();
  check();
}

let lastModel = null, lastCharts = null;

function drawCharts() {
  const charts = job?.charts ?? lastCharts;
  if (!charts) return;
  for (const [id, data] of [['#train-loss', charts.loss], ['#train-acc', charts.accuracy]]) {
    const canvas = $(id);
    try {
      drawCoreCurve(core, canvas, data, { aspect: 0.55, minHeight: 200, maxHeight: 360 });
      // The first series' points, as the core sent them (for tests and readers of the DOM).
      canvas.dataset.points = String(data.series[0].points.length);
      // The first and last values of the first series, as the core sent them (for tests and readers of the DOM).
      canvas.dataset.firstY = String(data.series[0].points[0].y);
      canvas.dataset.lastY = String(data.series[0].points.at(-1).y);
      canvas.dataset.lastHeldOut = String(data.series[1]?.points.at(-1).y ?? '');
    } catch (e) {
      if (isTrap(e)) reinstantiate(e.message);
      drawMessage(canvas, e.message);
    }
  }
}

document.addEventListener('click', (ev) => {
  if (!lastModel) return;
  if (ev.target.id === 'train-download') {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([lastModel.bytes], { type: 'application/octet-stream' }));
    a.download = `${lastModel.entry.id.replace(/[^a-z0-9.-]+/gi, '-')}.safetensors`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } else if (ev.target.id === 'train-try') {
    ctx.update({ panel: 'try', model: lastModel.entry.id });
  } else if (ev.target.id === 'train-compare') {
    ctx.update({ panel: 'costs' });
  }
});
