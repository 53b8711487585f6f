// Crossbar costs: a zoo network on a hardware preset, with the main knobs, under
// several compression methods; plots drawn by the wasm core (plotters on canvas)
// and the table with every unit.
import { load, withCore, isTrap, reinstantiate } from '../wasm.js';
import { formatCount, formatRatio } from '../format.js';
import { chartDataFromCompare, siValue } from '../costs-model.js';
import { initSearch } from './search.js';
import { initTrained, refreshTrained } from './trained.js';

let ctx, core, networks = [], presets = [];
const $ = (sel) => ctx.root.querySelector(sel);

const CHARTS = [
  { kind: 'area', label: 'Crossbar area per method' },
  { kind: 'latency', label: 'Latency per method' },
  { kind: 'energy', label: 'Energy per method' },
  { kind: 'area-breakdown', label: 'Area by component' },
  { kind: 'energy-breakdown', label: 'Energy by component' },
  { kind: 'pareto', label: 'Area vs bits per weight (Pareto front)' },
];

const TEMPLATE = `
  <p class="hint">Every number is computed in your browser by this project's simulator (a re-implementation of
    MNSIM&nbsp;2.0's behaviour-level model; <em>physical</em> accounting counts the hardware as built, <em>mnsim</em>
    reproduces MNSIM's own numbers). Methods use this project's models of epitomes and pruning baselines.</p>
  <form id="costs-form" class="costs-controls" autocomplete="off">
    <label>Network <select name="net" id="costs-net"></select></label>
    <label>Hardware preset <select name="preset" id="costs-preset"></select></label>
    <label>Accounting <select name="acc"><option value="physical">physical</option><option value="mnsim">mnsim (MNSIM 2.0)</option></select></label>
    <label>Crossbar size (rows = cols) <select name="xbar"><option value="0">preset</option><option>64</option><option>128</option><option>256</option><option>512</option></select></label>
    <label>Cell bits <select name="cell"><option value="0">preset</option><option>1</option><option>2</option><option>3</option><option>4</option></select></label>
    <label>ADC choice (MNSIM table) <select name="adc"><option value="0">preset</option>${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `<option>${i}</option>`).join('')}</select></label>
    <label>Baseline <input name="base" type="text" spellcheck="false"></label>
    <label class="wide"><span>Methods, one per line: <code>dense:bits=B</code>, <code>epitome:bits=B,ratio=R</code>,
      <code>prune:kind=K,ratio=R,bits=B</code> (K: unstructured, filter, crossbar, xcs, xrs, pim-prune, sre)</span>
      <textarea name="m" rows="5" spellcheck="false"></textarea></label>
    <label class="inline"><input type="checkbox" id="costs-log" checked> log scale (per-method bars)</label>
  </form>
  <p id="costs-error" class="error" role="alert" hidden></p>
  <p id="costs-summary" class="hint" aria-live="polite"></p>
  <div class="charts" id="costs-charts"></div>
  <div class="table-wrap"><table id="costs-table"></table></div>
  <section id="trained-root" class="subpanel" aria-label="Trained models"></section>
  <section id="search-root" class="subpanel" aria-label="Design search"></section>`;

/** Designs found by the search, by name, for `epitome:bits=B,design=NAME` methods. */
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
  fillForm(ctx.state);
  initSearch(ctx, $('#search-root'), (name, design, bits) => {
    designs[name] = design;
    const method = `epitome:bits=${bits},design=${name}`;
    if (!ctx.state.m.includes(method)) ctx.update({ m: [...ctx.state.m, method] });
    fillForm(ctx.state);
    recompute();
  });
  initTrained(ctx, $('#trained-root'), () => {
    const { preset, accounting, knobs, baseline } = request(ctx.state);
    return { preset, accounting, knobs, baseline };
  });
  $('#costs-form').addEventListener('change', readForm);
  $('#costs-log').addEventListener('change', () => redraw());
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => redraw());
  window.addEventListener('epim:reinstantiated', () => recompute());
  recompute();
}

export function onState(state) {
  fillForm(state);
  recompute();
}

function fillForm(s) {
  const f = $('#costs-form').elements;
  f.net.value = networks.some((n) => n.name === s.net) ? s.net : networks[0].name;
  f.preset.value = presets.some((p) => p.name === s.preset) ? s.preset : presets[0].name;
  f.acc.value = s.acc;
  f.xbar.value = String(s.xbar);
  f.cell.value = String(s.cell);
  f.adc.value = String(s.adc);
  f.base.value = s.base;
  f.m.value = s.m.join('\n');
}

function readForm() {
  const f = $('#costs-form').elements;
  ctx.update({
    net: f.net.value, preset: f.preset.value, acc: f.acc.value,
    xbar: Number(f.xbar.value), cell: Number(f.cell.value), adc: Number(f.adc.value),
    base: f.base.value.trim(), m: f.m.value.split('\n').map((x) => x.trim()).filter(Boolean),
  });
  recompute();
}

let last = null;

function request(s) {
  const knobs = {};
  if (s.xbar) knobs.crossbar_size = s.xbar;
  if (s.cell) knobs.cell_bits = s.cell;
  if (s.adc) knobs.adc_choice = s.adc;
  // A searched design lives in memory only: drop its method when the design is gone (e.g. after a reload).
  const methods = s.m.filter((m) => !/design=/.test(m) || Object.keys(designs).some((d) => m.endsWith(`design=${d}`)));
  return { network: s.net, preset: s.preset, accounting: s.acc, knobs, baseline: s.base, methods, designs };
}

async function recompute() {
  const err = $('#costs-error');
  try {
    const t0 = performance.now();
    last = await withCore((m) => m.compare(request(ctx.state)));
    const ms = performance.now() - t0;
    err.hidden = true;
    $('#costs-summary').textContent = `${last.network} on ${last.preset} (${last.accounting} accounting): `
      + `${last.rows.length} methods against ${last.baseline.method}, simulated in ${ms.toFixed(0)} ms.`;
    showTable(last);
    redraw();
    refreshTrained();
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
  }
}

async function redraw() {
  if (!last) return;
  core = await load();
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  const data = chartDataFromCompare(last);
  for (const canvas of ctx.root.querySelectorAll('#costs-charts canvas')) {
    try {
      // Stacked breakdowns stay linear: segment lengths on a log axis would mislead.
      const stacked = canvas.dataset.kind.endsWith('-breakdown');
      const log = !stacked && $('#costs-log').checked;
      core.drawChart(canvas, data, canvas.dataset.kind, { log_scale: log, dark, width_px: canvas.width, height_px: canvas.height });
    } catch (e) {
      if (isTrap(e)) reinstantiate(e.message);
      const g = canvas.getContext('2d');
      g.clearRect(0, 0, canvas.width, canvas.height);
      g.fillStyle = '#a4161a';
      g.font = '14px sans-serif';
      g.fillText(`Cannot draw: ${e.message}`.slice(0, 90), 10, 24);
    }
  }
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
