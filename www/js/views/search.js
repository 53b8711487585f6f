// Design search inside the Crossbar costs panel: an evolutionary search over
// per-layer epitome shapes (the wasm SearchSession), stepped one generation per
// animation frame so the page stays responsive, with the Pareto front redrawn
// live; pause, resume, cancel; the best design can be added to the cost plots.
// A search belongs to the settings it started with (read from the store when Search
// is clicked); when the Costs form moves away from them, a running search stops and
// a finished one is marked out of date, and its design cannot be added.
import { load, isTrap, reinstantiate } from '../wasm.js';
import { formatCount } from '../format.js';
import { settingsKey } from '../store.js';
import { knobsOf } from '../state.js';
import { drawCoreFront, drawMessage, onLayoutOrTheme } from '../chart.js';
import { networkRef } from '../onnx.js';

/** The state keys a search depends on. */
const SEARCH_KEYS = ['net', 'preset', 'acc', 'xbar', 'cell', 'adc'];

const TEMPLATE = `
  <h3>Layer-wise epitome design search</h3>
  <p class="hint">An evolutionary search (this project's implementation of the idea the paper names) picks each
    layer's epitome shape under a crossbar budget, trading area against latency and energy on the simulator.
    Seeded: the same settings give the same front.</p>
  <form id="search-form" class="costs-controls" autocomplete="off">
    <label>Crossbar budget (fraction of dense 32-bit) <input name="budget" type="number" min="0.001" max="1" step="any" value="0.0333"></label>
    <label>Weight bits <input name="bits" type="number" min="2" max="8" value="3"></label>
    <label>Generations <input name="generations" type="number" min="1" max="1000" value="50"></label>
    <label>Population <input name="population" type="number" min="4" max="500" value="50"></label>
    <label>Seed <input name="seed" type="number" min="0" value="1"></label>
  </form>
  <div class="row">
    <button type="button" id="search-start">Search</button>
    <button type="button" id="search-pause" disabled>Pause</button>
    <button type="button" id="search-cancel" disabled>Cancel</button>
    <button type="button" id="search-apply" disabled>Add the best design to the comparison</button>
  </div>
  <p id="search-error" class="error" role="alert" hidden></p>
  <div id="search-results" class="results">
    <p id="search-stale" class="stale-note" hidden></p>
    <p id="search-status" class="hint" aria-live="polite"></p>
    <canvas id="search-front" width="640" height="320" role="img" aria-label="Pareto front of the search: area against latency"></canvas>
  </div>
  <p class="hint">The front is non-dominated over four objectives (area, latency, energy and a compression-quality
    proxy), drawn here on area and latency; the highlighted point is the best by the search's score. Latency here is the
    search's fast per-layer estimate (docs/search.md); the comparison table above simulates the chosen design in full.</p>`;

let ctx, session = null, paused = false, startedAt = 0, onApply;
let run = null; // {key, state, bits}: what the current/last search was started for
let lastFront = null; // the front chart data last drawn
const $ = (sel) => root.querySelector(sel);
let root;

export function initSearch(c, r, apply) {
  ctx = c; // keeps the store's getter: `ctx.state` is always the current state
  root = r;
  onApply = apply;
  root.innerHTML = TEMPLATE;
  ctx.store.subscribe(SEARCH_KEYS, (state) => {
    if (!run || settingsKey(state, SEARCH_KEYS) === run.key) {
      if (run) markStale(false);
      return;
    }
    if (session && !root.dataset.searchDone) {
      session.cancel();
      session.free?.();
      session = null;
      finish();
    }
    markStale(true);
  });
  onLayoutOrTheme($('#search-results'), () => lastFront && drawFront(lastFront));
  $('#search-form').elements.seed.value = c.state.seed;
  $('#search-start').addEventListener('click', start);
  $('#search-pause').addEventListener('click', () => {
    paused = !paused;
    $('#search-pause').textContent = paused ? 'Resume' : 'Pause';
    if (!paused) requestAnimationFrame(tick);
  });
  $('#search-cancel').addEventListener('click', () => {
    session?.cancel();
    requestAnimationFrame(tick);
  });
  $('#search-apply').addEventListener('click', applyBest);
}

function showError(msg) {
  $('#search-error').textContent = msg;
  $('#search-error').hidden = !msg;
}

/** The form moved away from the search's settings (or back to them). */
function markStale(stale) {
  const box = $('#search-results');
  box.dataset.stale = String(stale);
  const note = $('#search-stale');
  note.hidden = !stale;
  if (stale) {
    const s = run.state;
    note.textContent = `Out of date: this search ran for ${s.net} on ${s.preset}${s.xbar ? `, ${s.xbar}x${s.xbar} crossbars` : ''}; `
      + 'the settings above have changed. Search again to get a design for them.';
  }
  $('#search-apply').disabled = stale || !root.dataset.searchDone || !session?.bestDesign?.();
}

async function start() {
  const core = await load();
  const f = $('#search-form').elements;
  const state = ctx.state; // read now: the settings at the time of the click
  const knobs = knobsOf(state);
  const request = {
    network: networkRef(state.net), preset: state.preset, accounting: state.acc, knobs,
    bits: Number(f.bits.value),
    budget_fraction_of_dense32: Number(f.budget.value),
    search: { seed: Number(f.seed.value), population: Number(f.population.value), generations: Number(f.generations.value) },
  };
  let info;
  try {
    session?.free?.();
    session = null;
    session = new core.SearchSession(request);
    info = session.progress().info;
    run = { key: settingsKey(state, SEARCH_KEYS), state, bits: request.bits };
    delete root.dataset.searchDone;
    markStale(false);
    ctx.update({ seed: Number(f.seed.value) });
  } catch (e) {
    showError(e.message);
    return;
  }
  showError('');
  if (!info.budget_reachable) {
    // Nothing to search: no design of the space meets the budget (the core's count).
    unreachable(info);
    return;
  }
  paused = false;
  startedAt = performance.now();
  $('#search-start').disabled = true;
  $('#search-pause').disabled = false;
  $('#search-pause').textContent = 'Pause';
  $('#search-cancel').disabled = false;
  $('#search-apply').disabled = true;
  requestAnimationFrame(tick);
}

function tick() {
  if (!session || paused) return;
  delete $('#search-status').dataset.unreachable;
  let p;
  try {
    p = session.step(1);
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    showError(e.message);
    finish();
    return;
  }
  const secs = (performance.now() - startedAt) / 1000;
  $('#search-status').textContent = `${run.state.net}: generation ${p.generation}, ${formatCount(p.evaluations)} designs evaluated `
    + `(${formatCount(p.evaluations / Math.max(secs, 1e-3))}/s), ${formatCount(p.infeasible_total)} infeasible, `
    + `front of ${p.front.length}` + (p.best ? `; best: ${formatCount(p.best.crossbars)} crossbars, `
    + `${fmt(p.best.area_um2 / 1e6, 1)} mm², ${p.best.latency_ns >= 1e7 ? `${fmt(p.best.latency_ns / 1e6, 1)} ms` : `${fmt(p.best.latency_ns / 1e3, 0)} µs`}` : '')
    + (p.state === 'done' ? ` — done (${p.stop ?? 'finished'}) in ${secs.toFixed(2)} s` : '');
  drawFront(p.chart);
  if (p.state === 'done') {
    if (!p.best) $('#search-status').textContent += ` ${noDesignHint(p)}`;
    finish();
    $('#search-apply').disabled = !p.best;
    root.dataset.searchDone = 'true';
  } else {
    requestAnimationFrame(tick);
  }
}

/** The budget is below the smallest design the search can build: say so, with both counts. */
function unreachable(info) {
  session.free?.();
  session = null;
  drawFront(null);
  // The core's suggestion is rounded up to 4 decimals, so it does reach the smallest design.
  const frac = info.suggested_budget_fraction.toFixed(4);
  const status = $('#search-status');
  status.textContent = `No design can meet a budget of ${formatCount(info.budget_crossbars)} crossbars here: `
    + `the smallest design this search can build for ${info.network} needs ${formatCount(info.min_crossbars)} crossbars `
    + `(every layer at its smallest epitome and fewest bits), a fraction ${frac} of the dense 32-bit network's `
    + `${formatCount(info.dense32_crossbars)}. Raise the budget fraction to at least ${frac}, or choose larger crossbars. `;
  const use = document.createElement('button');
  use.type = 'button';
  use.id = 'search-use-min';
  use.textContent = `Use ${frac}`;
  use.addEventListener('click', () => {
    $('#search-form').elements.budget.value = frac;
    start();
  });
  status.append(use);
  status.dataset.unreachable = 'true';
  root.dataset.searchDone = 'true';
  finish();
  $('#search-apply').disabled = true;
}

/** Plain words when no design met the constraints (counts and budget from the core). */
function noDesignHint(p) {
  const why = p.main_infeasible; // the class with the most infeasible candidates (core)
  const budget = p.info?.budget_crossbars;
  const advice = {
    crossbar_budget: `every design needed more crossbars than the budget${budget ? ` of ${formatCount(budget)}` : ''}`
      + (p.info?.dense32_crossbars ? ` (dense 32-bit: ${formatCount(p.info.dense32_crossbars)})` : '')
      + '; raise the budget fraction, or use fewer weight bits or larger crossbars',
    latency_cap: 'every design was slower than the latency cap; raise it',
    chip_capacity: 'every design needed more tiles than the chip has; pick a larger preset',
    mapping: 'the simulator could not map the designs on this hardware',
  }[why] ?? 'no design met the constraints';
  return `No feasible design: ${advice}.`;
}

function finish() {
  $('#search-start').disabled = false;
  $('#search-pause').disabled = true;
  $('#search-cancel').disabled = true;
}

function applyBest() {
  if (!run || settingsKey(ctx.state, SEARCH_KEYS) !== run.key) return;
  const design = session?.bestDesign();
  if (!design) return;
  onApply('searched', design, run.bits, run.state.net);
}

/** 1234.5 -> "1,234.5" (fixed digits, thousands separators). */
const fmt = (x, digits) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The core's front chart (`step(...).chart`), drawn by the core: area (mm², log) against latency. */
async function drawFront(chart) {
  lastFront = chart;
  const c = $('#search-front');
  if (!chart) {
    c.getContext('2d').clearRect(0, 0, c.width, c.height);
    return;
  }
  const core = await load();
  try {
    drawCoreFront(core, c, chart);
  } catch (e) {
    if (isTrap(e)) reinstantiate(e.message);
    drawMessage(c, `Cannot draw: ${e.message}`);
  }
}
