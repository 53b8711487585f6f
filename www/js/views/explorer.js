// Epitome explorer: the epitome as a heat map of how often each element is
// sampled, the window each output channel reads, and the layer's IFAT/IFRT/OFAT.
import { call, withCore } from '../wasm.js';
import { specFromForm, formatCount, formatRatio, LAYER_FIELDS, EPITOME_FIELDS } from '../format.js';
import { viridis, cssVar } from '../colors.js';
import { SCHEMA } from '../state.js';
import { loadManifest, modelBytes, datasetName } from '../models.js';

const MAX_SHOWN = 32; // epitome rows and channels drawn (the rest is summarised)
const MAX_ELEMENTS = 1 << 22; // dense weights above this are not materialised in the page
const MAX_TABLE_ROWS = 48;

let ctx;
let view = null; // {spec, info, counts, tables, maxCount}
let offsets = null; // offsets of the chosen model layer (null: the default schedule)

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
  new ResizeObserver(() => view && draw()).observe($('#ex-heat').parentElement);
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => view && draw());
  const linkedO = ctx.state.o;
  await layersListed; // a linked model layer is chosen before the first draw
  if (!view) await recompute(Object.fromEntries(new FormData(form)));
  if (view && linkedO >= view.spec.layer.c_out) {
    ctx.reportLink([`o: must be below c_out = ${view.spec.layer.c_out} (got ${linkedO}, using 0)`]);
    selectChannel(0);
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

function selectChannel(o) {
  if (!view || !Number.isInteger(o)) return;
  o = Math.max(0, Math.min(view.spec.layer.c_out - 1, o));
  $('#ex-o').value = o;
  $('#ex-o-range').value = o;
  if (o !== ctx.state.o) ctx.update({ o });
  draw();
  showTables();
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
    // Materialising an epitome whose values are their own indices gives the sampling map.
    const map = await call('epitomeMaterialize', { layer, ...extra, epitome: { ...epitome, data: Float32Array.from({ length: n }, (_, i) => i) } });
    const counts = new Uint32Array(n);
    for (const idx of map.data) counts[idx] += 1;
    const tables = await call('epitomeTables', { layer, ...extra, epitome: { ...epitome, data: new Float32Array(n) } });
    let maxCount = 0;
    for (const c of counts) maxCount = Math.max(maxCount, c);
    view = { spec, info, counts, tables, maxCount };
    err.hidden = true;
    showInfo(info);
    $('#ex-o').max = spec.layer.c_out - 1;
    $('#ex-o-range').max = spec.layer.c_out - 1;
    selectChannel(Math.min(ctx.state.o, spec.layer.c_out - 1));
  } catch (e) {
    view = null;
    err.textContent = e.message;
    err.hidden = false;
    showInfo(null);
    $('#ex-tables').replaceChildren();
    for (const id of ['#ex-heat', '#ex-channels']) {
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

/** Geometry of the heat map: cell size and tile positions. */
function layout() {
  const { e_out, e_in, e_h, e_w } = view.spec.epitome;
  const rows = Math.min(e_out, MAX_SHOWN), chans = Math.min(e_in, MAX_SHOWN);
  const width = $('#ex-heat').parentElement.clientWidth || 600;
  const cell = Math.max(2, Math.min(16, Math.floor(width / (chans * (e_w + 1)))));
  const tileW = (e_w + 1) * cell, tileH = (e_h + 1) * cell;
  return { rows, chans, cell, tileW, tileH, w: chans * tileW, h: rows * tileH };
}

function draw() {
  const { spec, info, counts, maxCount } = view;
  const { e_in, e_h, e_w } = spec.epitome;
  const L = layout();
  const dpr = window.devicePixelRatio || 1;
  const heat = $('#ex-heat');
  heat.width = L.w * dpr;
  heat.height = L.h * dpr;
  heat.style.width = `${L.w}px`;
  heat.style.height = `${L.h}px`;
  const g = heat.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, L.w, L.h);
  for (let r = 0; r < L.rows; r++) {
    for (let ch = 0; ch < L.chans; ch++) {
      for (let y = 0; y < e_h; y++) {
        for (let x = 0; x < e_w; x++) {
          const idx = ((r * e_in + ch) * e_h + y) * e_w + x;
          g.fillStyle = viridis(maxCount ? counts[idx] / maxCount : 0);
          g.fillRect(ch * L.tileW + x * L.cell, r * L.tileH + y * L.cell, L.cell, L.cell);
        }
      }
    }
  }
  // The window of the selected output channel.
  const o = Number($('#ex-o').value);
  const { e_out } = spec.epitome;
  const { c_in, k_h, k_w } = spec.layer;
  const group = Math.floor(o / e_out), row = o % e_out;
  const [a, b, c] = info.offsets[group];
  g.strokeStyle = cssVar('--highlight', '#ff3d7f');
  g.lineWidth = Math.max(1.5, L.cell / 4);
  if (row < L.rows) {
    const seen = new Set();
    for (let i = 0; i < c_in; i++) {
      const ch = (a + i) % e_in;
      if (ch >= L.chans || seen.has(ch)) continue;
      seen.add(ch);
      g.strokeRect(ch * L.tileW + c * L.cell, row * L.tileH + b * L.cell, k_w * L.cell, k_h * L.cell);
    }
  }
  drawStrip(o);
  $('#ex-max').textContent = formatCount(maxCount);
  const wraps = c_in > e_in ? `, input channels wrap ${Math.ceil(c_in / e_in)}x` : '';
  $('#ex-o-info').textContent = `group ${group}, epitome row ${row}, offset (a=${a}, b=${b}, c=${c})${wraps}`
    + (spec.epitome.e_out > MAX_SHOWN || e_in > MAX_SHOWN ? ` — first ${MAX_SHOWN} rows/channels drawn` : '');
}

function drawStrip(o) {
  const { c_out } = view.spec.layer;
  const e_out = view.spec.epitome.e_out;
  const strip = $('#ex-channels');
  const w = strip.parentElement.clientWidth || 600;
  const dpr = window.devicePixelRatio || 1;
  strip.width = w * dpr;
  strip.height = 18 * dpr;
  strip.style.width = `${w}px`;
  const g = strip.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  const cw = w / c_out;
  // Read the theme colours once: a style lookup per channel made a 65,536-channel layer take seconds.
  const colors = [cssVar('--group-a', '#1d4e89'), cssVar('--group-b', '#9db4d3')];
  for (let ch = 0; ch < c_out; ch++) {
    const group = Math.floor(ch / e_out);
    g.fillStyle = colors[group % 2];
    g.fillRect(ch * cw, 3, Math.max(cw - (cw > 3 ? 1 : 0), 0.5), 12);
  }
  g.fillStyle = cssVar('--highlight', '#ff3d7f');
  g.fillRect(o * cw - 1, 0, Math.max(cw, 2) + 2, 18);
}

function hover(ev) {
  if (!view) return;
  const L = layout();
  const { e_in, e_h, e_w } = view.spec.epitome;
  const ch = Math.floor(ev.offsetX / L.tileW), r = Math.floor(ev.offsetY / L.tileH);
  const x = Math.floor((ev.offsetX - ch * L.tileW) / L.cell), y = Math.floor((ev.offsetY - r * L.tileH) / L.cell);
  if (ch >= L.chans || r >= L.rows || x >= e_w || y >= e_h) {
    $('#ex-hover').textContent = '\u00a0';
    return;
  }
  const n = view.counts[((r * e_in + ch) * e_h + y) * e_w + x];
  $('#ex-hover').textContent = `E[${r}][${ch}][${y}][${x}] feeds ${n} weight${n === 1 ? '' : 's'} of W`;
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
  const tr = t.createTHead().insertRow();
  for (const h of head) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    tr.append(th);
  }
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
  const o = Number($('#ex-o').value);
  const group = Math.floor(o / spec.epitome.e_out);
  // Pattern ids follow first appearance of an offset over the groups.
  // (A Map: linear in the number of groups, whatever the layer.)
  const ids = new Map();
  for (const off of info.offsets) if (!ids.has(off.join())) ids.set(off.join(), ids.size);
  const pattern = ids.get(info.offsets[group].join());
  const at = `${JSON.stringify(spec)}/${pattern}`;
  if (at !== pagesFor) {
    pagesFor = at;
    for (const k of Object.keys(pages)) pages[k] = 0;
  }
  $('#ex-pattern').textContent = `pattern ${pattern} of ${tables.patterns} (group ${group})`;
  const { e_h, e_w } = spec.epitome;
  const wl = (w) => `${w} = (${Math.floor(w / (e_h * e_w))},${Math.floor(w / e_w) % e_h},${w % e_w})`;
  const ifat = tables.ifat.filter((e) => e.pattern === pattern);
  const ifrt = tables.ifrt.filter((e) => e.pattern === pattern);
  const ofat = tables.ofat.filter((e) => e.pattern === pattern);
  $('#ex-tables').replaceChildren(
    table('IFAT', ['word line (e,p,q)', 'inputs (i,dy,dx)'], ifat.map((e) => [wl(e.word_line), e.inputs.map((x) => `(${x.join(',')})`).join(' ')])),
    table('IFRT', ['word line', 'fan-in', 'extra input bits'], ifrt.map((e) => [wl(e.word_line), e.fan_in, e.extra_bits])),
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
  const sel = $('#ex-source');
  for (const entry of manifest) {
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
      if (group.children.length) sel.append(group);
    } catch {
      // A model that cannot be read is skipped here; the Try it panel reports it.
    }
  }
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
