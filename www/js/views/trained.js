// Trained MNIST models inside the Crossbar costs panel: the shipped model files
// (models/manifest.json) costed as stored by the wasm `compareModels` on the
// panel's hardware settings, with their recorded test accuracy: area against
// accuracy (Pareto front) and a table. Loaded on demand (about 130 kB of models).
import { load, withCore, isTrap, reinstantiate } from '../wasm.js';
import { formatCount, formatRatio } from '../format.js';
import { chartDataFromCompare, siValue } from '../costs-model.js';

const TEMPLATE = `
  <h3>Trained MNIST models: crossbar area against accuracy</h3>
  <p class="hint">The small CNNs of the <em>Try it</em> panel (trained by this project, not the paper's networks),
    each costed as stored: its epitomes, its pruning masks taken from its real weights, its weight bits; on the
    preset and knobs chosen above. Accuracy is each file's recorded accuracy on the 10,000 MNIST test images.</p>
  <div class="row"><button type="button" id="trained-run">Compare the trained models</button></div>
  <p id="trained-error" class="error" role="alert" hidden></p>
  <p id="trained-status" class="hint" aria-live="polite"></p>
  <figure hidden id="trained-fig"><canvas id="trained-chart" width="640" height="400" role="img"
    aria-label="Crossbar area against test accuracy of the trained models"></canvas>
    <figcaption class="hint">Area against accuracy; the Pareto front (less area, more accuracy) is filled.</figcaption></figure>
  <div class="table-wrap"><table id="trained-table"></table></div>`;

let ctx, hardware, last = null;
const $ = (sel) => ctx.root.querySelector(sel);

/** `hardwareRequest()` returns the costs panel's `{preset, accounting, knobs, baseline}`. */
export function initTrained(c, root, hardwareRequest) {
  ctx = { ...c, root };
  hardware = hardwareRequest;
  root.innerHTML = TEMPLATE;
  $('#trained-run').addEventListener('click', () => run());
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => draw());
}

/** Recomputes when the hardware settings change, once the user has asked for it. */
export function refreshTrained() {
  if (last) run();
}

let files = null;

async function modelFiles() {
  if (files) return files;
  const res = await fetch('models/manifest.json');
  if (!res.ok) throw new Error(`models/manifest.json: HTTP ${res.status}`);
  const manifest = (await res.json()).filter((m) => (m.dataset ?? 'mnist') === 'mnist');
  files = await Promise.all(manifest.map(async (m) => {
    const r = await fetch(m.file);
    if (!r.ok) throw new Error(`${m.file}: HTTP ${r.status}`);
    return { label: m.label, bytes: new Uint8Array(await r.arrayBuffer()) };
  }));
  return files;
}

async function run() {
  const err = $('#trained-error');
  const status = $('#trained-status');
  try {
    status.textContent = 'Loading the models…';
    const models = await modelFiles();
    const t0 = performance.now();
    const { preset, accounting, knobs, baseline } = hardware();
    last = await withCore((m) => m.compareModels({ preset, accounting, knobs, baseline, methods: [] }, models));
    err.hidden = true;
    status.textContent = `${models.length} models on ${last.preset} (${last.accounting} accounting), `
      + `simulated in ${(performance.now() - t0).toFixed(0)} ms; ratios against ${last.baseline.method} of the dense model's network.`;
    showTable(last);
    draw();
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    status.textContent = '';
  }
}

async function draw() {
  if (!last) return;
  const core = await load();
  const canvas = $('#trained-chart');
  $('#trained-fig').hidden = false;
  const data = chartDataFromCompare(last);
  data.rows = data.rows.filter((r) => r.accuracy_pct != null);
  data.baseline = null;
  data.title = 'Trained MNIST models';
  try {
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    core.drawChart(canvas, data, 'pareto', { dark, width_px: canvas.width, height_px: canvas.height });
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    $('#trained-error').textContent = `Cannot draw: ${e.message}`;
    $('#trained-error').hidden = false;
  }
}

function showTable(r) {
  const t = $('#trained-table');
  const cols = [
    ['Model', (x) => x.method],
    ['Accuracy', (x) => `${x.accuracy_pct.toFixed(2)} %`],
    ['Crossbars', (x) => formatCount(x.crossbars)],
    ['Area', (x) => siValue(x.area_um2 / 1e6, 'mm²')],
    ['Latency', (x) => siValue(x.latency_ns / 1e3, 'µs')],
    ['Energy', (x) => siValue(x.energy_pj / 1e6, 'µJ')],
    ['Bits / weight', (x) => x.bits_per_weight.toFixed(2)],
    ['Area ×', (x) => formatRatio(x.area_ratio)],
  ];
  t.replaceChildren();
  t.createCaption().textContent = `Area × = ${r.baseline.method} (dense network of the models) / model.`;
  const head = t.createTHead().insertRow();
  for (const [h] of cols) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  const body = t.createTBody();
  for (const row of r.rows) {
    const tr = body.insertRow();
    cols.forEach(([, f], i) => {
      const td = tr.insertCell();
      td.textContent = f(row);
      if (i > 0) td.className = 'num';
    });
  }
}
