// Epitome explorer: the epitome as a heat map of how often each element is
// sampled, the window each output channel reads, the kernels of W linked to E (click
// a kernel: its window in E lights up; click an element of E: the kernels that read
// it light up; the wrap-around of input channels played or stepped), and the layer's
// IFAT/IFRT/OFAT. Every link (index map, windows, readers, groups, patterns) comes
// from the wasm core (crate::epitome::links); this file only draws.
import { call, withCore } from '../wasm.js';
import { specFromForm, formatCount, formatRatio, LAYER_FIELDS, EPITOME_FIELDS } from '../format.js';
import { viridis, cssVar } from '../colors.js';
import { SCHEMA } from '../state.js';
import { loadManifest, modelBytes, datasetName, trainedModels } from '../models.js';
import { headerRow } from '../table.js';

const MAX_SHOWN = 32; // epitome rows and channels drawn (the rest is summarised)
const MAX_ELEMENTS = 1 << 22; // dense weights above this are not materialised in the page
const MAX_TABLE_ROWS = 48;

let ctx;
let view = null; // {spec, info, cells, groups, tables, coreSpec}: the core's per-cell view, groups and tables
let offsets = null; // offsets of the chosen model layer (null: the default schedule)
// What is linked: the window of output channel o (always), and a selected kernel of W
// or element of E (or neither). All three are the core's answers.
let links = { channel: null, kernel: null, readers: null };
let player = null; // the wrap-around animation's timer
const reducedMotion = () => typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;

const $ = (sel) => ctx.root.querySelector(sel);

export function shapeToValues(shape) {
  const [l, e] = shape.split('/').map((p) => p.split(','));
  return Object.fromEntries([...LAYER_FIELDS.map((f, i) => [f, l[i]]), ...EPITOME_FIELDS.map((f, i) => [f, e[i]])]);
}

function valuesToShape(v) {
  return `${LAYER_FIELDS.map((f) => v[f]).join(',')}/${EPITOME_FIELDS.map((f) => v[f]).join(',')}`;
}

export async function init(c) {
  ctx = c;
  const form = $('#ex-form');
  for (const [k, v] of Object.entries(shapeToValues(ctx.state.shape))) form.elements[k].value = v;
  $('#ex-o').value = ctx.state.o;
  const layersListed = listModelLayers();
  $('#ex-source').addEventListener('change', (ev) => chooseModelLayer(ev.target.value));
  form.addEventListener('input', () => {
    offsets = null;
    $('#ex-source').value = '';
    $('#ex-source-info').textContent = '';
    const values = Object.fromEntries(new FormData(form));
    ctx.update({ shape: valuesToShape(values) });
    recompute(values);
  });
  $('#ex-o').addEventListener('input', (ev) => selectChannel(Number(ev.target.value)));
  $('#ex-o-range').addEventListener('input', (ev) => selectChannel(Number(ev.target.value)));
  const strip = $('#ex-channels');
  strip.addEventListener('mousemove', (ev) => {
    if (!view) return;
    const o = Math.floor((ev.offsetX / strip.clientWidth) * view.spec.layer.c_out);
    selectChannel(o);
  });
  $('#ex-heat').addEventListener('mousemove', hover);
  $('#ex-heat').addEventListener('mouseleave', () => { $('#ex-hover').textContent = '\u00a0'; });
  $('#ex-heat').addEventListener('click', (ev) => {
    const at = elementAt(ev);
    if (at) selectElement(at.k);
  });
  $('#ex-w').addEventListener('click', (ev) => {
    const at = kernelAt(ev);
    if (at) selectKernel(at[0], at[1]);
  });
  $('#ex-w').addEventListener('keydown', kernelKeys);
  $('#ex-play').addEventListener('click', () => (player ? stopPlaying() : play()));
  $('#ex-step').addEventListener('click', () => stepKernel());
  const motion = matchMedia('(prefers-reduced-motion: reduce)');
  const showPlay = () => {
    $('#ex-play').hidden = motion.matches;
    if (motion.matches) stopPlaying();
  };
  motion.addEventListener?.('change', showPlay);
  showPlay();
  new ResizeObserver(() => view && draw()).observe($('.ex-pair'));
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => view && draw());
  const linkedO = ctx.state.o;
  await layersListed; // a linked model layer is chosen before the first draw
  if (!view) await recompute(Object.fromEntries(new FormData(form)));
  if (view && linkedO >= view.spec.layer.c_out) {
    ctx.reportLink([`o: must be below c_out = ${view.spec.layer.c_out} (got ${linkedO}, using 0)`]);
    await selectChannel(0);
  }
  ctx.store.subscribe(['shape'], (state) => {
    if (state.shape === valuesToShape(Object.fromEntries(new FormData($('#ex-form'))))) return;
    for (const [k, v] of Object.entries(shapeToValues(state.shape))) $('#ex-form').elements[k].value = v;
    offsets = null;
    recompute(shapeToValues(state.shape));
  });
  ctx.store.subscribe(['o'], (state) => {
    if (view && state.o !== Number($('#ex-o').value)) selectChannel(state.o);
  });
}

/** Picks output channel `o` (clears a kernel or element selection unless `keep`). */
async function selectChannel(o, keep = false) {
  if (!view || !Number.isInteger(o)) return;
  o = Math.max(0, Math.min(view.spec.layer.c_out - 1, o));
  $('#ex-o').value = o;
  $('#ex-o-range').value = o;
  if (o !== ctx.state.o) ctx.update({ o });
  if (!keep) {
    stopPlaying();
    links.kernel = null;
    links.readers = null;
  }
  const v = view;
  const channel = await call('epitomeWindow', v.coreSpec, o, null);
  if (v !== view) return; // the layer changed meanwhile
  links.channel = channel;
  draw();
  showTables();
  describeLink();
}

/** Kernel W[o][i]: its window in E lights up (the core's `epitomeWindow`). */
async function selectKernel(o, i) {
  if (!view) return;
  const v = view;
  const w = await call('epitomeWindow', v.coreSpec, o, i);
  if (v !== view) return;
  links.kernel = w;
  links.readers = null;
  await selectChannel(o, true);
}

/** Element k of E: the kernels of W that read it light up (the core's `epitomeReaders`). */
async function selectElement(k) {
  if (!view) return;
  stopPlaying();
  const v = view;
  const r = await call('epitomeReaders', v.coreSpec, k);
  if (v !== view) return;
  links.readers = r;
  links.kernel = null;
  draw();
  describeLink();
}

/** The next input channel of the selected kernel, wrapping after c_in - 1 (the core's `next_i`). */
function stepKernel() {
  if (!view) return Promise.resolve();
  const o = links.kernel?.o ?? Number($('#ex-o').value);
  return selectKernel(o, links.kernel?.next_i ?? 0);
}

/** Plays the input channels of the selected output channel, one per 0.6 s, once round. */
function play() {
  if (!view || reducedMotion()) return;
  stopPlaying();
  const o = links.kernel?.o ?? Number($('#ex-o').value);
  let i = 0;
  const c_in = view.spec.layer.c_in;
  $('#ex-play').textContent = 'Stop';
  $('#ex-play').setAttribute('aria-pressed', 'true');
  const tick = async () => {
    if (!view || i >= c_in) return stopPlaying();
    await selectKernel(o, i++);
    if (player !== null) player = setTimeout(tick, 600);
  };
  player = 0;
  tick();
}

function stopPlaying() {
  if (player) clearTimeout(player);
  player = null;
  const b = ctx?.root.querySelector('#ex-play');
  if (b) {
    b.textContent = 'Play the wrap-around';
    b.setAttribute('aria-pressed', 'false');
  }
}

/** Arrow keys move the selected kernel of W; Enter or Space selects the first. */
function kernelKeys(ev) {
  if (!view) return;
  const { c_out, c_in } = view.spec.layer;
  const k = links.kernel ?? { o: Number($('#ex-o').value), i: 0 };
  const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
  if (ev.key === 'Enter' || ev.key === ' ') {
    ev.preventDefault();
    selectKernel(k.o, k.i);
  } else if (moves[ev.key]) {
    ev.preventDefault();
    const [dy, dx] = moves[ev.key];
    selectKernel(Math.max(0, Math.min(c_out - 1, k.o + dy)), Math.max(0, Math.min(c_in - 1, k.i + dx)));
  }
}

/** One sentence on the current link, with the core's numbers. */
function describeLink() {
  const out = $('#ex-link');
  const heat = $('#ex-heat'), w = $('#ex-w');
  const kernel = links.kernel, readers = links.readers;
  heat.dataset.lit = JSON.stringify(kernel ? kernel.elements : readers ? [readers.element] : links.channel?.elements ?? []);
  w.dataset.lit = JSON.stringify(readers ? readers.kernels : kernel ? [[kernel.o, kernel.i]] : []);
  const span = (cells, d) => {
    const v = cells.map((c) => c[d]);
    const lo = Math.min(...v), hi = Math.max(...v);
    return lo === hi ? `${lo}` : `${lo}-${hi}`;
  };
  if (kernel) {
    const [a] = kernel.offset;
    out.textContent = `W[${kernel.o}][${kernel.i}] reads E row ${kernel.row}, channel ${kernel.channel} `
      + `= (a + i) mod e_in = (${a} + ${kernel.i}) mod ${view.spec.epitome.e_in}`
      + (kernel.wraps ? `, after wrapping around ${kernel.wraps}x` : ', no wrap-around')
      + `; rows ${span(kernel.cells, 2)}, columns ${span(kernel.cells, 3)} (group ${kernel.group}).`;
  } else if (readers) {
    const [r, ch, y, x] = readers.cell;
    const n = readers.weights.length, k = readers.kernels.length;
    const list = readers.kernels.slice(0, 8).map(([o, i]) => `W[${o}][${i}]`).join(', ');
    out.textContent = `E[${r}][${ch}][${y}][${x}] is read by ${formatCount(n)} weight${n === 1 ? '' : 's'} in `
      + `${formatCount(k)} kernel${k === 1 ? '' : 's'}${k ? `: ${list}${k > 8 ? ', …' : ''}` : ' (no weight reads it)'}.`;
  } else {
    out.textContent = 'Click a kernel of W to light its window in E, or an element of E to light the kernels that read it.';
  }
}

async function recompute(values) {
  const err = $('#ex-error');
  try {
    const spec = specFromForm(values);
    if (offsets) spec.offsets = offsets;
    const info = await call('epitomeInfo', spec);
    if (info.weight_count > MAX_ELEMENTS) {
      throw new Error(`this layer has ${formatCount(info.weight_count)} weights; the explorer draws layers up to ${formatCount(MAX_ELEMENTS)}`);
    }
    const n = info.param_count;
    const layer = { ...spec.layer, stride: 1, padding: 0 };
    const epitome = { shape: [spec.epitome.e_out, spec.epitome.e_in, spec.epitome.e_h, spec.epitome.e_w] };
    const extra = offsets ? { offsets } : {};
    const coreSpec = { layer, epitome: spec.epitome, ...extra };
    // Per cell of E and W (by coordinates, first MAX_SHOWN rows and channels): the element
    // and its count, from the core; and each output channel's group.
    const cells = await call('epitomeCells', coreSpec, MAX_SHOWN);
    const sampling = await call('epitomeSampling', coreSpec);
    const tables = await call('epitomeTables', { layer, ...extra, epitome: { ...epitome, data: new Float32Array(n) } });
    stopPlaying();
    links = { channel: null, kernel: null, readers: null };
    view = { spec, info, cells, groups: sampling.groups, tables, coreSpec };
    err.hidden = true;
    showInfo(info);
    $('#ex-o').max = spec.layer.c_out - 1;
    $('#ex-o-range').max = spec.layer.c_out - 1;
    await selectChannel(Math.min(ctx.state.o, spec.layer.c_out - 1));
  } catch (e) {
    view = null;
    err.textContent = e.message;
    err.hidden = false;
    showInfo(null);
    $('#ex-tables').replaceChildren();
    links = { channel: null, kernel: null, readers: null };
    for (const id of ['#ex-heat', '#ex-channels', '#ex-w']) {
      const c = $(id);
      c.getContext('2d').clearRect(0, 0, c.width, c.height);
    }
  }
}

function showInfo(info) {
  for (const dd of ctx.root.querySelectorAll('#ex-result dd')) {
    const v = info?.[dd.dataset.field];
    dd.textContent = v === undefined ? '–' : dd.dataset.field === 'compression' ? formatRatio(v) : formatCount(v);
  }
}

/** Tallest drawing of E or W (CSS px): the two sit side by side, on a screen. */
const MAX_H = 420;

/** Width each of E and W may take: half the explorer column when it is wide, else all of it. */
function pairWidth() {
  const w = $('.ex-pair')?.clientWidth || 600;
  return w >= 520 ? Math.floor(w / 2 - 12) : w;
}

/** Geometry of the heat map: cell size and tile positions. */
function layout() {
  const { e_out, e_in, e_h, e_w } = view.spec.epitome;
  const rows = Math.min(e_out, MAX_SHOWN), chans = Math.min(e_in, MAX_SHOWN);
  const width = pairWidth();
  const cell = Math.max(2, Math.min(16, Math.floor(width / (chans * (e_w + 1))), Math.floor(MAX_H / (rows * (e_h + 1)))));
  const tileW = (e_w + 1) * cell, tileH = (e_h + 1) * cell;
  return { rows, chans, cell, tileW, tileH, w: chans * tileW, h: rows * tileH };
}

/** Sizes `canvas` to w x h CSS pixels at the device pixel ratio; its cleared 2D context. */
function sizedCanvas(canvas, w, h) {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  return g;
}

/**
 * Paints the core's nested counts `[a][b][y][x]` (rows and channels already cut to the
 * drawn ones) as tiles of layout `L`: tile (a, b) at row a, column b; a cell's colour is
 * its count over `maxCount`.
 */
function paintTiles(g, L, counts, maxCount) {
  counts.forEach((row, a) => row.forEach((tile, b) => tile.forEach((line, y) => line.forEach((n, x) => {
    g.fillStyle = viridis(maxCount ? n / maxCount : 0);
    g.fillRect(b * L.tileW + x * L.cell, a * L.tileH + y * L.cell, L.cell, L.cell);
  }))));
}

function draw() {
  const { spec } = view;
  const { e_counts: counts, max_count: maxCount } = view.cells;
  const { e_in } = spec.epitome;
  const L = layout();
  const heat = $('#ex-heat');
  const g = sizedCanvas(heat, L.w, L.h);
  paintTiles(g, L, counts, maxCount);
  // The links (all from the core): the window of output channel o, thin; a selected
  // kernel's window or a selected element, filled and outlined.
  const o = Number($('#ex-o').value);
  const highlight = cssVar('--highlight', '#ff3d7f');
  const cellRect = ([r, ch, y, x]) => (r < L.rows && ch < L.chans ? [ch * L.tileW + x * L.cell, r * L.tileH + y * L.cell] : null);
  g.strokeStyle = highlight;
  const chosen = links.kernel?.cells ?? (links.readers ? [links.readers.cell] : []);
  g.lineWidth = 1;
  if (!chosen.length) g.lineWidth = Math.max(1.5, L.cell / 5);
  for (const cell of links.channel?.cells ?? []) {
    const at = cellRect(cell);
    if (at) g.strokeRect(at[0] + 0.5, at[1] + 0.5, L.cell - 1, L.cell - 1);
  }
  g.globalAlpha = 0.55;
  g.fillStyle = highlight;
  for (const cell of chosen) {
    const at = cellRect(cell);
    if (at) g.fillRect(at[0], at[1], L.cell, L.cell);
  }
  g.globalAlpha = 1;
  g.lineWidth = Math.max(2, L.cell / 4);
  for (const cell of chosen) {
    const at = cellRect(cell);
    if (at) g.strokeRect(at[0], at[1], L.cell, L.cell);
  }
  heat.dataset.cell = String(L.cell);
  drawStrip(o);
  drawW();
  $('#ex-max').textContent = formatCount(maxCount);
  const ch = links.channel;
  if (ch) {
    const [a, b, c] = ch.offset;
    const wraps = spec.layer.c_in > e_in ? `, input channels wrap around the epitome's ${e_in}` : '';
    $('#ex-o-info').textContent = `group ${ch.group}, epitome row ${ch.row}, offset (a=${a}, b=${b}, c=${c})${wraps}`
      + (spec.epitome.e_out > MAX_SHOWN || e_in > MAX_SHOWN ? ` — first ${MAX_SHOWN} rows/channels drawn` : '');
  }
}

/** Geometry of the kernels of W: output channels down, input channels across. */
function layoutW() {
  const { c_out, c_in, k_h, k_w } = view.spec.layer;
  const rows = Math.min(c_out, MAX_SHOWN), cols = Math.min(c_in, MAX_SHOWN);
  const width = pairWidth();
  const cell = Math.max(2, Math.min(12, Math.floor(width / (cols * (k_w + 1))), Math.floor(MAX_H / (rows * (k_h + 1)))));
  const tileW = (k_w + 1) * cell, tileH = (k_h + 1) * cell;
  return { rows, cols, cell, tileW, tileH, w: cols * tileW, h: rows * tileH };
}

/** W: each weight in the colour of the element of E it copies (the core's index map). */
function drawW() {
  const { spec } = view;
  const { w_counts: counts, max_count: maxCount } = view.cells;
  const { c_in, k_h, k_w } = spec.layer;
  const L = layoutW();
  const c = $('#ex-w');
  const g = sizedCanvas(c, L.w, L.h);
  paintTiles(g, L, counts, maxCount);
  const highlight = cssVar('--highlight', '#ff3d7f');
  const o = Number($('#ex-o').value);
  if (o < L.rows) {
    // The selected output channel: a bar at the left of its row.
    g.fillStyle = highlight;
    g.fillRect(0, o * L.tileH + L.tileH - L.cell, L.w, Math.max(1, L.cell / 3));
  }
  const lit = links.readers ? links.readers.kernels : links.kernel ? [[links.kernel.o, links.kernel.i]] : [];
  g.strokeStyle = highlight;
  g.lineWidth = Math.max(2, L.cell / 2);
  for (const [ko, ki] of lit) {
    if (ko >= L.rows || ki >= L.cols) continue;
    g.strokeRect(ki * L.tileW - 1, ko * L.tileH - 1, k_w * L.cell + 2, k_h * L.cell + 2);
  }
  if (links.readers) {
    // The weights that copy the element, filled.
    g.fillStyle = highlight;
    for (const [wo, wi, y, x] of links.readers.weights) {
      if (wo < L.rows && wi < L.cols) g.fillRect(wi * L.tileW + x * L.cell, wo * L.tileH + y * L.cell, L.cell, L.cell);
    }
  }
  c.dataset.cell = String(L.cell);
  $('#ex-w-note').textContent = spec.layer.c_out > MAX_SHOWN || c_in > MAX_SHOWN
    ? `First ${MAX_SHOWN} output and input channels drawn.` : '';
}

/** The kernel [o, i] under a pointer event on W, or null. */
function kernelAt(ev) {
  if (!view) return null;
  const L = layoutW();
  const i = Math.floor(ev.offsetX / L.tileW), o = Math.floor(ev.offsetY / L.tileH);
  return o >= 0 && i >= 0 && o < L.rows && i < L.cols ? [o, i] : null;
}

/**
 * The element of E under a pointer event, or null: `cell` [r, ch, y, x] is the tile and
 * pixel under the pointer, `k` the core's element index of that cell (for epitomeReaders).
 */
function elementAt(ev) {
  if (!view) return null;
  const L = layout();
  const { e_h, e_w } = view.spec.epitome;
  const ch = Math.floor(ev.offsetX / L.tileW), r = Math.floor(ev.offsetY / L.tileH);
  const x = Math.floor((ev.offsetX - ch * L.tileW) / L.cell), y = Math.floor((ev.offsetY - r * L.tileH) / L.cell);
  if (ch >= L.chans || r >= L.rows || x >= e_w || y >= e_h || ch < 0 || r < 0) return null;
  return { k: view.cells.e_index[r][ch][y][x], cell: [r, ch, y, x] };
}

function drawStrip(o) {
  const { c_out } = view.spec.layer;
  const strip = $('#ex-channels');
  const w = strip.parentElement.clientWidth || 600;
  const g = sizedCanvas(strip, w, 18);
  const cw = w / c_out;
  // Read the theme colours once: a style lookup per channel made a 65,536-channel layer take seconds.
  const colors = [cssVar('--group-a', '#1d4e89'), cssVar('--group-b', '#9db4d3')];
  for (let ch = 0; ch < c_out; ch++) {
    g.fillStyle = colors[view.groups[ch] % 2]; // the core's group of the channel
    g.fillRect(ch * cw, 3, Math.max(cw - (cw > 3 ? 1 : 0), 0.5), 12);
  }
  g.fillStyle = cssVar('--highlight', '#ff3d7f');
  g.fillRect(o * cw - 1, 0, Math.max(cw, 2) + 2, 18);
}

function hover(ev) {
  const at = elementAt(ev);
  if (!at) {
    $('#ex-hover').textContent = '\u00a0';
    return;
  }
  const [r, ch, y, x] = at.cell;
  const n = view.cells.e_counts[r][ch][y][x];
  $('#ex-hover').textContent = `E[${at.cell.join('][')}] feeds ${n} weight${n === 1 ? '' : 's'} of W (click: which)`;
}

const pages = { IFAT: 0, IFRT: 0, OFAT: 0 }; // page shown of each table (reset when the pattern changes)
let pagesFor = '';

/** A table of `all` rows (already formatted), MAX_TABLE_ROWS per page, with previous/next. */
function table(caption, head, all) {
  const total = all.length;
  const nPages = Math.max(1, Math.ceil(total / MAX_TABLE_ROWS));
  const page = Math.min(pages[caption], nPages - 1);
  const rows = all.slice(page * MAX_TABLE_ROWS, (page + 1) * MAX_TABLE_ROWS);
  const wrap = document.createElement('div');
  const t = document.createElement('table');
  const cap = t.createCaption();
  const range = total > MAX_TABLE_ROWS ? `, ${formatCount(page * MAX_TABLE_ROWS + 1)}-${formatCount(page * MAX_TABLE_ROWS + rows.length)} shown` : '';
  cap.textContent = `${caption} (${formatCount(total)} entr${total === 1 ? 'y' : 'ies'}${range})`;
  headerRow(t, head);
  const body = t.createTBody();
  for (const r of rows) {
    const row = body.insertRow();
    for (const v of r) row.insertCell().textContent = v;
  }
  wrap.append(t);
  if (nPages > 1) {
    const nav = document.createElement('div');
    nav.className = 'row pager';
    const btn = (label, to) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.disabled = to < 0 || to >= nPages;
      b.addEventListener('click', () => { pages[caption] = to; showTables(); });
      return b;
    };
    const where = document.createElement('span');
    where.className = 'hint';
    where.textContent = `page ${page + 1} of ${nPages}`;
    nav.append(btn(`Previous ${caption} page`, page - 1), where, btn(`Next ${caption} page`, page + 1));
    wrap.append(nav);
  }
  return wrap;
}

function showTables() {
  const { spec, info, tables } = view;
  if (!links.channel) return;
  const group = links.channel.group;
  const pattern = info.group_patterns[group]; // the core's pattern id of the group
  const at = `${JSON.stringify(spec)}/${pattern}`;
  if (at !== pagesFor) {
    pagesFor = at;
    for (const k of Object.keys(pages)) pages[k] = 0;
  }
  $('#ex-pattern').textContent = `pattern ${pattern} of ${tables.patterns} (group ${group})`;
  const wl = (e) => `${e.word_line} = (${e.word_line_epq.join(',')})`; // (e,p,q) from the core
  const ifat = tables.ifat.filter((e) => e.pattern === pattern);
  const ifrt = tables.ifrt.filter((e) => e.pattern === pattern);
  const ofat = tables.ofat.filter((e) => e.pattern === pattern);
  $('#ex-tables').replaceChildren(
    table('IFAT', ['word line (e,p,q)', 'inputs (i,dy,dx)'], ifat.map((e) => [wl(e), e.inputs.map((x) => `(${x.join(',')})`).join(' ')])),
    table('IFRT', ['word line', 'fan-in', 'extra input bits'], ifrt.map((e) => [wl(e), e.fan_in, e.extra_bits])),
    table('OFAT', ['column r', 'output channels'], ofat.map((e) => [e.column, e.channels.join(', ')])),
  );
}

// ---- layers of the trained models ----
const modelLayers = new Map(); // option value -> {model, layer}

async function listModelLayers() {
  let manifest = [];
  try {
    manifest = await loadManifest();
  } catch {
    return; // no models: the shape form is the only source
  }
  for (const entry of [...manifest, ...trainedModels()]) await addModelLayers(entry);
  // A model trained later in the Train panel adds its epitome layers.
  window.addEventListener('epim:models-changed', (ev) => addModelLayers(ev.detail));
  const { model, layer, shape } = ctx.state;
  const wanted = `${model}/${layer}`;
  const found = modelLayers.get(wanted);
  if (found) {
    // A link to a model layer restores it (the shape in the link is that layer's shape).
    const l = found.layer;
    const own = `${l.c_out},${l.c_in},${l.k},${l.k}/${l.epitome.e_out},${l.epitome.e_in},${l.epitome.e_h},${l.epitome.e_w}`;
    if (shape === own || shape === SCHEMA.shape.default) await chooseModelLayer(wanted);
  } else if (manifest.some((m) => m.id === model)) {
    const layers = [...modelLayers.keys()].filter((k) => k.startsWith(`${model}/`)).map((k) => k.split('/').pop());
    const fallback = layers[0];
    ctx.reportLink([`layer: ${model} has no epitome layer ${layer} (its epitome layers: ${layers.join(', ') || 'none'}; `
      + `${fallback === undefined ? 'using the shape below' : `using layer ${fallback}`})`]);
    if (fallback !== undefined && shape === SCHEMA.shape.default) await chooseModelLayer(`${model}/${fallback}`);
    else ctx.update({ layer: SCHEMA.layer.default });
  }
}

/** The epitome layers of one model, as a group of the layer list (skipped when it has none or cannot be read). */
async function addModelLayers(entry) {
  if ([...modelLayers.values()].some((v) => v.entry.id === entry.id)) return;
  try {
    const bytes = await modelBytes(entry);
    const info = await withCore((m) => {
      const model = m.Model.load(bytes);
      try { return model.info(); } finally { model.free(); }
    });
    const group = document.createElement('optgroup');
    group.label = `${datasetName(entry.dataset)}: ${entry.label}`;
    info.arch.layers.forEach((l, i) => {
      if (!l.epitome) return;
      const value = `${entry.id}/${i}`;
      modelLayers.set(value, { entry, layer: l });
      group.append(new Option(`${l.name}: ${l.c_out}x${l.c_in}x${l.k}x${l.k} from ${l.epitome.e_out}x${l.epitome.e_in}x${l.epitome.e_h}x${l.epitome.e_w}`, value));
    });
    if (group.children.length) $('#ex-source').append(group);
  } catch {
    // A model that cannot be read is skipped here; the Try it panel reports it.
  }
}

function chooseModelLayer(value) {
  const found = modelLayers.get(value);
  if (!found) return;
  const { entry, layer: l } = found;
  $('#ex-source').value = value;
  const values = { c_out: l.c_out, c_in: l.c_in, k_h: l.k, k_w: l.k, e_out: l.epitome.e_out, e_in: l.epitome.e_in, e_h: l.epitome.e_h, e_w: l.epitome.e_w };
  for (const [k, v] of Object.entries(values)) $('#ex-form').elements[k].value = v;
  offsets = l.epitome.offsets?.length ? l.epitome.offsets : null;
  $('#ex-source-info').textContent = `${datasetName(entry.dataset)} model ${entry.label}, layer ${l.name}${l.w_bits ? `, ${l.w_bits}-bit weights` : ''}; offsets as stored in the model`;
  ctx.update({ model: entry.id, layer: Number(value.split('/').pop()), shape: valuesToShape(values) });
  return recompute(values);
}
