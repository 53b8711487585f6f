// "The paper's setting" inside the Crossbar costs panel: the paper's reported 30.65x
// (3-bit EPIM-ResNet50, crossbar area) beside what this project's model gives for a
// 3-bit ResNet-50 under each dense baseline, and why they differ. Every ratio is the
// wasm `compare`'s `area_ratio` (one call per baseline), and whether a ratio is near the
// paper's is the core's `near_paper_area_ratio` (tolerance `paper.tolerance_0_to_1`, our
// choice); JS only lays them out.
import { withCore } from '../wasm.js';
import { formatPercent, formatRatio } from '../format.js';
import { settingsKey } from '../store.js';
import { knobsOf } from '../state.js';
import { headerRow } from '../table.js';

const NET = 'resnet50-imagenet';
const BASELINES = ['dense:bits=32', 'dense:bits=16', 'dense:bits=8', 'dense:bits=4', 'dense:bits=3'];
const METHODS = ['dense:bits=3', 'epitome:bits=3,ratio=2', 'epitome:bits=3,ratio=4', 'epitome:bits=3,ratio=8', 'epitome:bits=3,ratio=16'];
/** The hardware keys the table depends on (the network and methods are fixed here). */
const HW_KEYS = ['preset', 'acc', 'xbar', 'cell', 'adc'];

const TEMPLATE = `
  <h3>The paper's setting: a 3-bit ResNet-50</h3>
  <p class="hint">The paper reports that a 3-bit EPIM-ResNet50 needs <strong>30.65&times; less crossbar
    area</strong>. Its public text does not say against which baseline (32-bit weights? 8-bit? 3-bit dense?) nor
    with which per-layer epitome design, so no row below is "the paper's number": the table shows how much this
    project's model of the same network moves with the baseline and the epitome ratio. Most of the gain of a
    3-bit network comes from the bits alone (3-bit dense against 32-bit dense); the epitome adds its factor on
    top. Chip-area ratios are smaller than crossbar-count ratios because converters, buffers and tiles do not
    shrink in proportion. (docs/compare.md walks through the same numbers.)</p>
  <div class="row">
    <button type="button" id="paper-run">Compare under each baseline</button>
    <button type="button" id="paper-show">Show ResNet-50 at 3 bits in the comparison above</button>
  </div>
  <p id="paper-error" class="error" role="alert" hidden></p>
  <div id="paper-results" class="results">
    <p id="paper-stale" class="stale-note" hidden></p>
    <div class="table-wrap"><table id="paper-table"></table></div>
  </div>`;

let ctx, root, last = null; // last: {key, grid: {baseline: {method: row}}, preset, accounting, paper}
const $ = (sel) => root.querySelector(sel);

export function initPaper(c, r) {
  ctx = c;
  root = r;
  root.innerHTML = TEMPLATE;
  $('#paper-run').addEventListener('click', run);
  $('#paper-show').addEventListener('click', () => ctx.update({ net: NET, base: 'dense:bits=32', m: METHODS }));
  ctx.store.subscribe(HW_KEYS, () => { if (last) run(); });
}

function hardware(s) {
  const knobs = knobsOf(s);
  return { network: NET, preset: s.preset, accounting: s.acc, knobs };
}

async function run() {
  const state = ctx.state;
  const key = settingsKey(state, HW_KEYS);
  const err = $('#paper-error');
  try {
    const grid = {};
    let head = null;
    for (const baseline of BASELINES) {
      const r = await withCore((m) => m.compare({ ...hardware(state), baseline, methods: METHODS }));
      grid[baseline] = Object.fromEntries(r.rows.map((row) => [row.method, row]));
      head = r;
    }
    if (settingsKey(ctx.state, HW_KEYS) !== key) return;
    last = { key, grid, preset: head.preset, accounting: head.accounting, paper: head.paper };
    err.hidden = true;
    $('#paper-results').dataset.stale = 'false';
    $('#paper-stale').hidden = true;
    show();
  } catch (e) {
    if (settingsKey(ctx.state, HW_KEYS) !== key) return;
    err.textContent = e.message;
    err.hidden = false;
    if (last) {
      $('#paper-results').dataset.stale = 'true';
      $('#paper-stale').textContent = 'Out of date: the ratios below are for the previous hardware settings.';
      $('#paper-stale').hidden = false;
    }
  }
}

function show() {
  const t = $('#paper-table');
  t.replaceChildren();
  t.createCaption().textContent = `Chip-area ratio (baseline / method) of ${NET} on ${last.preset} (${last.accounting} accounting); `
    + `the paper reports ${last.paper.area_ratio}×. Cells within ${formatPercent(last.paper.tolerance_0_to_1)} of it (our tolerance) are marked.`;
  headerRow(t, ['method \\ baseline', ...BASELINES]);
  const body = t.createTBody();
  for (const m of METHODS) {
    const tr = body.insertRow();
    tr.insertCell().textContent = m;
    for (const b of BASELINES) {
      const row = last.grid[b][m];
      const td = tr.insertCell();
      td.className = 'num';
      td.textContent = formatRatio(row.area_ratio);
      // The core decides which cells read like the paper's figure.
      if (row.near_paper_area_ratio) td.classList.add('near-paper');
    }
  }
}
