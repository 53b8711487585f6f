// Crossbar costs: a zoo network on a hardware preset, with the main knobs, under
// several compression methods; plots drawn by the wasm core (plotters on canvas)
// and the table with every unit.
//
// State flow: the panel subscribes to COST_KEYS of the store; every change of one of
// them (form, link, search) recomputes. A result carries the settings it was computed
// for; when the current settings give an error, the old result stays visible but is
// marked out of date (data-stale), never passed off as the current one.
import { load, withCore, isTrap, reinstantiate } from '../wasm.js';
import { formatCount, formatRatio } from '../format.js';
import { siValue } from '../costs-model.js';
import { LAYERS_HINT, pickLayerRow, fillLayerTable } from '../layers-table.js';
import { settingsKey } from '../store.js';
import { knobsOf } from '../state.js';
import { drawCoreChart, drawMessage, onLayoutOrTheme } from '../chart.js';
import { initSearch } from './search.js';
import { initTrained } from './trained.js';
import { initPaper } from './paper.js';
import { initPim } from './pim.js';
import { initMethodEditor } from './methods.js';
import { FILE_PREFIX, importNetworkFile, importedNetwork, compareImported } from '../onnx.js';

/** The state keys the comparison reads. */
export const COST_KEYS = ['net', 'preset', 'acc', 'xbar', 'cell', 'adc', 'base', 'm'];

let ctx, core, editor, networks = [], presets = [];
const $ = (sel) => ctx.root.querySelector(sel);

const CHARTS = [
  { kind: 'area', label: 'Crossbar area per method' },
  { kind: 'latency', label: 'Latency per method' },
  { kind: 'energy', label: 'Energy per method' },
  { kind: 'area-breakdown', label: 'Area by component' },
  { kind: 'energy-breakdown', label: 'Energy by component' },
  { kind: 'pareto', label: 'Area vs quality proxy (Pareto front; the chart says what the proxy is)' },
];

const TEMPLATE = `
  <p class="hint">Every number is computed in your browser by this project's simulator (a re-implementation of
    MNSIM&nbsp;2.0's behaviour-level model; <em>physical</em> accounting counts the hardware as built, <em>mnsim</em>
    reproduces MNSIM's own numbers). Methods use this project's models of epitomes and pruning baselines.</p>
  <form id="costs-form" class="costs-controls" autocomplete="off">
    <label class="span2">Network <select name="net" id="costs-net"></select></label>
    <div class="wide onnx-drop" id="costs-drop">Your own network: drop an <code>.onnx</code> file on this panel, or
      <label class="inline">pick one <input type="file" id="costs-onnx-file" accept=".onnx"></label>
      <span class="hint">(it stays in this tab: a link cannot carry a file)</span></div>
    <p id="costs-onnx-status" class="hint wide" role="status" aria-live="polite" hidden></p>
    <p id="costs-onnx-error" class="error wide" role="alert" hidden></p>
    <label>Hardware preset <select name="preset" id="costs-preset"></select></label>
    <label>Accounting <select name="acc"><option value="physical">physical</option><option value="mnsim">mnsim (MNSIM 2.0)</option></select></label>
    <label>Crossbar size (rows = cols) <select name="xbar"><option value="0">preset</option><option>64</option><option>128</option><option>256</option><option>512</option></select></label>
    <label>Cell bits <select name="cell"><option value="0">preset</option><option>1</option><option>2</option><option>3</option><option>4</option></select></label>
    <label>ADC choice (MNSIM table) <select name="adc"><option value="0">preset</option>${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `<option>${i}</option>`).join('')}</select></label>
    <label>Baseline <input name="base" type="text" spellcheck="false"></label>
    <div class="wide row methods-head"><strong>Methods</strong>
      <button type="button" id="methods-as-text" class="linkish" aria-pressed="false">Edit as text</button></div>
    <div id="methods-editor" class="wide methods"></div>
    <label class="wide" id="costs-m-text" hidden><span>Methods, one per line: <code>dense:bits=B</code>, <code>epitome:bits=B,ratio=R</code>,
      <code>prune:kind=K,ratio=R,bits=B</code> (K: unstructured, filter, crossbar, xcs, xrs, pim-prune, sre)</span>
      <textarea name="m" rows="5" spellcheck="false"></textarea>
      <span class="row"><button type="button" id="costs-m-apply">Apply</button><span class="hint">(or Ctrl+Enter)</span></span></label>
    <label class="inline"><input type="checkbox" id="costs-log" checked> log scale (per-method bars)</label>
  </form>
  <p id="costs-error" class="error" role="alert" hidden></p>
  <p id="costs-skipped" class="warn" role="status" hidden></p>
  <div id="costs-results" class="results">
    <p id="costs-stale" class="stale-note" hidden></p>
    <p id="costs-summary" class="hint" aria-live="polite"></p>
    <div class="charts" id="costs-charts"></div>
    <div class="table-wrap"><table id="costs-table"></table></div>
    <details id="costs-layers"><summary>Where a method's area, latency and energy go, layer by layer</summary>
      <label>Method <select id="costs-layers-method"></select></label>
      <div class="table-wrap"><table id="costs-layers-table"></table></div>
      <p class="hint">${LAYERS_HINT}</p>
    </details>
  </div>
  <section id="paper-root" class="subpanel" aria-label="The paper's setting"></section>
  <section id="trained-root" class="subpanel" aria-label="Trained models"></section>
  <section id="pim-root" class="subpanel" aria-label="PIM accuracy"></section>
  <section id="search-root" class="subpanel" aria-label="Design search"></section>`;

/** Designs found by the search, by name: {design, network}, for `epitome:bits=B,design=NAME` methods. */
const designs = {};

export async function init(c) {
  ctx = c;
  document.getElementById('costs-root').innerHTML = TEMPLATE;
  core = await load();
  networks = core.listNetworks();
  presets = core.listPresets();
  for (const n of networks) $('#costs-net').add(new Option(`${n.name} (${formatCount(n.params)} weights)`, n.name));
  for (const p of presets) $('#costs-preset').add(new Option(p.name, p.name));
  const charts = $('#costs-charts');
  for (const ch of CHARTS) {
    const fig = document.createElement('figure');
    fig.innerHTML = `<canvas width="640" height="400" data-kind="${ch.kind}" role="img" aria-label="${ch.label}"></canvas><figcaption class="hint">${ch.label}</figcaption>`;
    charts.append(fig);
  }
  editor = initMethodEditor($('#methods-editor'), (m) => ctx.update({ m }));
  $('#costs-layers-method').addEventListener('change', () => { if (last) showLayers(last.result); });
  $('#methods-as-text').addEventListener('click', (ev) => {
    const asText = ev.target.getAttribute('aria-pressed') !== 'true';
    ev.target.setAttribute('aria-pressed', String(asText));
    ev.target.textContent = asText ? 'Edit as rows' : 'Edit as text';
    $('#costs-m-text').hidden = !asText;
    $('#methods-editor').hidden = asText;
  });
  $('#costs-m-apply').addEventListener('click', readForm);
  $('#costs-form textarea[name="m"]').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      readForm();
    }
  });
  fillForm(ctx.state);
  initSearch(ctx, $('#search-root'), (name, design, bits, network) => {
    designs[name] = { design, network };
    const method = `epitome:bits=${bits},design=${name}`;
    const m = ctx.state.m.includes(method) ? ctx.state.m : [...ctx.state.m, method];
    if (m !== ctx.state.m) ctx.update({ m });
    else recompute(); // the design under that name changed
  });
  initPaper(ctx, $('#paper-root'));
  initTrained(ctx, $('#trained-root'), () => {
    const { preset, accounting, knobs, baseline } = request(ctx.state).request;
    return { preset, accounting, knobs, baseline };
  });
  initPim(ctx, $('#pim-root')).catch((e) => {
    $('#pim-root').textContent = `The PIM accuracy section could not start: ${e.message}`;
  });
  wireOnnxDrop();
  $('#costs-form').addEventListener('submit', (ev) => ev.preventDefault());
  // The method rows report through their own (debounced) path.
  $('#costs-form').addEventListener('change', (ev) => {
    if (!ev.target.closest('#methods-editor') && ev.target.type !== 'file') readForm();
  });
  $('#costs-log').addEventListener('change', () => redraw());
  onLayoutOrTheme(charts, () => redraw());
  window.addEventListener('epim:reinstantiated', () => recompute());
  ctx.store.subscribe(COST_KEYS, (state) => {
    fillForm(state);
    recompute();
  });
  recompute();
}

function fillForm(s) {
  const f = $('#costs-form').elements;
  f.net.value = [...f.net.options].some((o) => o.value === s.net) ? s.net : networks[0].name;
  f.preset.value = presets.some((p) => p.name === s.preset) ? s.preset : presets[0].name;
  f.acc.value = s.acc;
  f.xbar.value = String(s.xbar);
  f.cell.value = String(s.cell);
  f.adc.value = String(s.adc);
  f.base.value = s.base;
  f.m.value = s.m.join('\n');
  editor.set(s.m);
}

function readForm() {
  const f = $('#costs-form').elements;
  ctx.update({
    net: f.net.value, preset: f.preset.value, acc: f.acc.value,
    xbar: Number(f.xbar.value), cell: Number(f.cell.value), adc: Number(f.adc.value),
    base: f.base.value.trim(), m: f.m.value.split('\n').map((x) => x.trim()).filter(Boolean),
  });
}

let last = null; // {key, result, ms}: the last comparison and the settings it was computed for

/**
 * The compare request for state `s`, and the methods left out of it with the reason:
 * a searched design lives in this tab's memory only and belongs to one network.
 */
export function request(s) {
  const knobs = knobsOf(s);
  const methods = [], skipped = [], used = {};
  for (const m of s.m) {
    const name = m.match(/(?:^|[:,])design=([^,]+)/)?.[1];
    if (name === undefined) {
      methods.push(m);
    } else if (!designs[name]) {
      skipped.push(`${m} (the design "${name}" exists only in the tab where the search found it: run the search below and add its best design)`);
    } else if (designs[name].network !== s.net) {
      skipped.push(`${m} (the design was found for ${designs[name].network}, not ${s.net})`);
    } else {
      methods.push(m);
      used[name] = designs[name].design;
    }
  }
  return { request: { network: s.net, preset: s.preset, accounting: s.acc, knobs, baseline: s.base, methods, designs: used }, skipped };
}

async function recompute() {
  const err = $('#costs-error');
  const state = ctx.state;
  const key = settingsKey(state, COST_KEYS);
  const { request: req, skipped } = request(state);
  $('#costs-skipped').textContent = skipped.length ? `Not shown: ${skipped.join('; ')}.` : '';
  $('#costs-skipped').hidden = !skipped.length;
  try {
    const t0 = performance.now();
    const result = state.net.startsWith(FILE_PREFIX)
      ? await compareImported(state.net, req)
      : await withCore((m) => m.compare(req));
    if (settingsKey(ctx.state, COST_KEYS) !== key) return; // the settings moved on meanwhile
    last = { key, result, ms: performance.now() - t0 };
    err.hidden = true;
    showResult();
  } catch (e) {
    if (settingsKey(ctx.state, COST_KEYS) !== key) return;
    err.textContent = e.message;
    err.hidden = false;
    markStale();
  }
}

/** Drop and pick of an .onnx file: the panel's network becomes the file's (this tab only). */
function wireOnnxDrop() {
  const panel = ctx.root;
  panel.addEventListener('dragover', (ev) => {
    if (![...(ev.dataTransfer?.types ?? [])].includes('Files')) return;
    ev.preventDefault();
    $('#costs-drop').classList.add('over');
  });
  panel.addEventListener('dragleave', (ev) => {
    if (!panel.contains(ev.relatedTarget)) $('#costs-drop').classList.remove('over');
  });
  panel.addEventListener('drop', (ev) => {
    const file = ev.dataTransfer?.files?.[0];
    if (!file) return;
    ev.preventDefault();
    $('#costs-drop').classList.remove('over');
    useOnnxFile(file);
  });
  $('#costs-onnx-file').addEventListener('change', (ev) => {
    const file = ev.target.files?.[0];
    if (file) useOnnxFile(file);
    ev.target.value = '';
  });
}

/** Imports `file` with the on-demand module; on success the network select shows it and the panel recomputes. */
async function useOnnxFile(file) {
  const status = $('#costs-onnx-status'), err = $('#costs-onnx-error');
  err.hidden = true;
  status.hidden = false;
  $('#costs-drop').setAttribute('aria-busy', 'true');
  try {
    const e = await importNetworkFile(file, (text) => { status.textContent = `${file.name}: ${text}`; });
    const select = $('#costs-net');
    let opt = [...select.options].find((o) => o.value === e.id);
    if (!opt) {
      opt = new Option('', e.id);
      select.add(opt, 0);
    }
    const s = e.summary;
    opt.text = `${e.fileName} (your file, ${formatCount(s.params)} weights)`;
    status.textContent = `${e.fileName}: ${s.layers} layers, ${formatCount(s.params)} weights, ${formatCount(s.macs)} MACs; `
      + `${s.weighted_layers} layers with the file's weights (the pruning methods take their masks from them). `
      + `Imported in ${formatMs(e.ms.import)}${e.ms.module > 50 ? ` after loading the ONNX module in ${formatMs(e.ms.module)}` : ''}.`;
    if (ctx.state.net === e.id) recompute();
    else ctx.update({ net: e.id });
  } catch (e) {
    status.hidden = true;
    err.textContent = `${file.name}: ${e.message.startsWith(file.name) ? e.message.slice(file.name.length + 2) : e.message}`;
    err.hidden = false;
  } finally {
    $('#costs-drop').removeAttribute('aria-busy');
  }
}

/** Shows `last`, which matches the current settings. */
function showResult() {
  const r = last.result;
  $('#costs-results').dataset.stale = 'false';
  $('#costs-stale').hidden = true;
  const file = importedNetwork(ctx.state.net);
  $('#costs-summary').textContent = `${file ? `${file.fileName} (imported ONNX file)` : r.network} on ${r.preset} (${r.accounting} accounting): `
    + `${r.rows.length} methods against ${r.baseline.method}, simulated in ${formatMs(last.ms)}.`;
  showTable(r);
  showLayers(r);
  redraw();
}

/** The current settings give an error: keep the last result visible, marked as not theirs. */
function markStale() {
  const box = $('#costs-results');
  if (!last) {
    box.dataset.stale = 'empty';
    return;
  }
  box.dataset.stale = 'true';
  const r = last.result;
  const note = $('#costs-stale');
  note.textContent = `Out of date: the results below are for the previous settings (${r.network} on ${r.preset}, `
    + `${r.rows.length} methods); the current settings give the error above.`;
  note.hidden = false;
}

function formatMs(ms) {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

async function redraw() {
  if (!last) return;
  core = await load();
  // The core's chart data, as `epim compare --svg` draws it (a chart too narrow for the
  // full title draws its short one, the network's name; the summary says the rest).
  const data = last.result.chart;
  for (const canvas of ctx.root.querySelectorAll('#costs-charts canvas')) {
    try {
      // Stacked breakdowns stay linear: segment lengths on a log axis would mislead.
      const stacked = canvas.dataset.kind.endsWith('-breakdown');
      const log = !stacked && $('#costs-log').checked;
      drawCoreChart(core, canvas, data, canvas.dataset.kind, { log_scale: log });
    } catch (e) {
      if (isTrap(e)) reinstantiate(e.message);
      drawMessage(canvas, `Cannot draw: ${e.message}`);
    }
  }
}

/** The chosen method's layers (the baseline's or a row's `layers`), as the core computed them. */
function showLayers(r) {
  // The method chosen before, if it is still compared; else the first method after the baseline.
  const pick = pickLayerRow($('#costs-layers-method'), [r.baseline, ...r.rows], 1);
  if (pick) fillLayerTable($('#costs-layers-table'), pick);
}

function showTable(r) {
  const t = $('#costs-table');
  const cols = [
    ['method', 'Method', (x) => x.method],
    ['crossbars', 'Crossbars', (x) => formatCount(x.crossbars)],
    ['area', 'Area', (x) => siValue(x.area_um2 / 1e6, 'mm²')],
    ['latency', 'Latency', (x) => siValue(x.latency_ns / 1e3, 'µs')],
    ['energy', 'Energy', (x) => siValue(x.energy_pj / 1e6, 'µJ')],
    ['power', 'Power', (x) => siValue(x.power_mw, 'mW')],
    ['bpw', 'Bits / weight', (x) => x.bits_per_weight.toFixed(2)],
    ['ar', 'Area ×', (x) => formatRatio(x.area_ratio)],
    ['lr', 'Latency ×', (x) => formatRatio(x.latency_ratio)],
    ['er', 'Energy ×', (x) => formatRatio(x.energy_ratio)],
  ];
  t.replaceChildren();
  t.createCaption().textContent = `Ratios are baseline / method (${r.baseline.method}); bigger is better.`;
  const head = t.createTHead().insertRow();
  for (const [, h] of cols) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.append(th);
  }
  const body = t.createTBody();
  for (const row of [{ ...r.baseline, area_ratio: 1, latency_ratio: 1, energy_ratio: 1 }, ...r.rows]) {
    const tr = body.insertRow();
    for (const [key, , f] of cols) {
      const td = tr.insertCell();
      td.textContent = f(row);
      if (key !== 'method') td.className = 'num';
    }
  }
}
