// Trained MNIST models inside the Crossbar costs panel: the shipped model files
// (models/manifest.json) costed as stored by the wasm `compareModels` on the
// panel's hardware settings, with their recorded test accuracy: area against
// accuracy (Pareto front) and a table. Loaded on demand (about 130 kB of models).
import { load, withCore, isTrap, reinstantiate } from '../wasm.js';
import { formatCount, formatRatio } from '../format.js';
import { siValue } from '../costs-model.js';
import { LAYERS_HINT, pickLayerRow, fillLayerTable } from '../layers-table.js';
import { settingsKey } from '../store.js';
import { drawCoreChart, onLayoutOrTheme } from '../chart.js';
import { mnistModels, modelBytes } from '../models.js';
import { headerRow } from '../table.js';

/** The state keys the trained-model costs read (the hardware settings of the Costs form). */
const HW_KEYS = ['preset', 'acc', 'xbar', 'cell', 'adc', 'base'];

const TEMPLATE = `
  <h3>Trained MNIST models: crossbar area against accuracy</h3>
  <p class="hint">The small CNNs of the <em>Try it</em> panel (trained by this project, not the paper's networks),
    each costed as stored: its epitomes, its pruning masks taken from its real weights, its weight bits; on the
    preset and knobs chosen above. Accuracy is each file's recorded accuracy on the 10,000 MNIST test images.</p>
  <div class="row"><button type="button" id="trained-run">Compare the trained models</button></div>
  <p id="trained-error" class="error" role="alert" hidden></p>
  <div id="trained-results" class="results">
    <p id="trained-stale" class="stale-note" hidden></p>
    <p id="trained-status" class="hint" aria-live="polite"></p>
    <figure hidden id="trained-fig"><canvas id="trained-chart" width="640" height="400" role="img"
      aria-label="Crossbar area against MNIST test accuracy of the trained models"></canvas>
      <figcaption class="hint">Area against MNIST test accuracy; the Pareto front (less area, more accuracy) is filled.</figcaption></figure>
    <p id="trained-comment" class="hint" aria-live="polite"></p>
    <div class="table-wrap"><table id="trained-table"></table></div>
    <details id="trained-layers"><summary>Where a model's area, latency and energy go, layer by layer</summary>
      <label>Model <select id="trained-layers-model"></select></label>
      <div class="table-wrap"><table id="trained-layers-table"></table></div>
      <p class="hint">${LAYERS_HINT} In this simulator an epitome layer converts as many column sums per pixel as the dense layer
        it replaces, and reads its lookup tables; a pruned layer converts fewer.</p>
    </details>
  </div>`;

let ctx, root, hardware, last = null; // last: {key, result}
const $ = (sel) => root.querySelector(sel);

/** `hardwareRequest()` returns the costs panel's `{preset, accounting, knobs, baseline}`. */
export function initTrained(c, r, hardwareRequest) {
  ctx = c; // keeps the store's getter
  root = r;
  hardware = hardwareRequest;
  root.innerHTML = TEMPLATE;
  $('#trained-run').addEventListener('click', () => run());
  $('#trained-layers-model').addEventListener('change', () => { if (last) showLayers(last.result); });
  onLayoutOrTheme($('#trained-results'), () => draw());
  // Recomputes when the hardware settings change, once the reader has asked for it.
  ctx.store.subscribe(HW_KEYS, () => { if (last) run(); });
  // A model trained in the Train panel joins the comparison (recomputed if it is shown).
  window.addEventListener('epim:models-changed', (ev) => { if (last && (ev.detail.dataset ?? 'mnist') === 'mnist') run(); });
}

async function modelFiles() {
  const manifest = await mnistModels();
  return Promise.all(manifest.map(async (m) => ({ label: m.label, bytes: await modelBytes(m) })));
}

async function run() {
  const err = $('#trained-error');
  const status = $('#trained-status');
  const key = settingsKey(ctx.state, HW_KEYS);
  try {
    if (!last) status.textContent = 'Loading the models…';
    const models = await modelFiles();
    const t0 = performance.now();
    const { preset, accounting, knobs, baseline } = hardware();
    const result = await withCore((m) => m.compareModels({ preset, accounting, knobs, baseline, methods: [] }, models));
    if (settingsKey(ctx.state, HW_KEYS) !== key) return;
    last = { key, result };
    err.hidden = true;
    $('#trained-results').dataset.stale = 'false';
    $('#trained-stale').hidden = true;
    status.textContent = `${models.length} MNIST models on ${result.preset} (${result.accounting} accounting), `
      + `simulated in ${(performance.now() - t0).toFixed(0)} ms; ratios against ${result.baseline.method} of the dense model's network.`;
    showTable(result);
    showLayers(result);
    comment(result);
    draw();
  } catch (e) {
    if (settingsKey(ctx.state, HW_KEYS) !== key) return;
    err.textContent = e.message;
    err.hidden = false;
    if (last) {
      $('#trained-results').dataset.stale = 'true';
      $('#trained-stale').textContent = 'Out of date: the models below were costed for the previous hardware settings.';
      $('#trained-stale').hidden = false;
    } else {
      status.textContent = '';
    }
  }
}

async function draw() {
  if (!last) return;
  const core = await load();
  const canvas = $('#trained-chart');
  // The core's area-vs-accuracy data (`epim compare --model ... --svg`'s), null with fewer
  // than two models that have an accuracy.
  const data = last.result.accuracy_chart;
  $('#trained-fig').hidden = !data;
  if (!data) return;
  try {
    drawCoreChart(core, canvas, data, 'pareto');
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    $('#trained-error').textContent = `Cannot draw: ${e.message}`;
    $('#trained-error').hidden = false;
  }
}

/**
 * The chart in plain words, whichever way the data falls: the most accurate and the
 * smallest model, and the smallest EPIM model (the rows the core picked, `accuracy_picks`).
 */
function comment(r) {
  const picks = r.accuracy_picks;
  if (!picks) return;
  const fmt = (x) => `${x.method} (${x.accuracy_pct.toFixed(2)} %, ${siValue(x.area_um2 / 1e6, 'mm²')})`;
  const [best, small] = [r.rows[picks.most_accurate], r.rows[picks.smallest]];
  let text = best === small
    ? `${fmt(best)} is both the most accurate and the smallest here.`
    : `Most accurate: ${fmt(best)}. Smallest: ${fmt(small)}.`;
  if (picks.smallest_epim != null) {
    const smallEpim = r.rows[picks.smallest_epim];
    text += smallEpim === small
      ? ' The smallest model is an EPIM model.'
      : ` The smallest EPIM model is ${fmt(smallEpim)}, larger than ${small.method} on this hardware`
        + ' (crossbars come whole, so small differences in weights can vanish or flip). Filled points: the front, as the core computed it.';
  }
  $('#trained-comment').textContent = text;
}

function showTable(r) {
  const t = $('#trained-table');
  const cols = [
    ['Model', (x) => x.method],
    ['MNIST accuracy', (x) => `${x.accuracy_pct.toFixed(2)} %`],
    ['Crossbars', (x) => formatCount(x.crossbars)],
    ['Area', (x) => siValue(x.area_um2 / 1e6, 'mm²')],
    ['Latency', (x) => siValue(x.latency_ns / 1e3, 'µs')],
    ['Energy', (x) => siValue(x.energy_pj / 1e6, 'µJ')],
    ['Bits / weight', (x) => x.bits_per_weight.toFixed(2)],
    ['Area ×', (x) => formatRatio(x.area_ratio)],
  ];
  t.replaceChildren();
  t.createCaption().textContent = `Area × = ${r.baseline.method} (dense network of the models) / model.`;
  headerRow(t, cols.map(([h]) => h));
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

/** The per-layer costs of the chosen model (`layers` of its row), as the core computed them. */
function showLayers(r) {
  // The same model after a recomputation; else the smallest EPIM model (the core's pick), else the first.
  const pick = pickLayerRow($('#trained-layers-model'), r.rows, r.accuracy_picks?.smallest_epim ?? 0);
  if (pick) fillLayerTable($('#trained-layers-table'), pick);
}
