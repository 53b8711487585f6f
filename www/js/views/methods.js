// The structured method editor of the Crossbar costs panel: one row per method with
// a method menu and fields named for what they mean (epitome "compression ×",
// pruning "fraction pruned", weight bits), add/remove, live updates (debounced) into
// the store's `m`. "Edit as text" switches to the text form (one method per line,
// applied with the Apply button or Ctrl+Enter). The method strings are what the
// wasm `compare` parses; a string this editor does not know stays a text row.

export const PRUNE_KINDS = ['unstructured', 'filter', 'crossbar', 'xcs', 'xrs', 'pim-prune', 'sre'];
const KINDS = ['dense', 'epitome', ...PRUNE_KINDS.map((k) => `prune:${k}`)];
const LABELS = { dense: 'dense', epitome: 'epitome (EPIM)', ...Object.fromEntries(PRUNE_KINDS.map((k) => [`prune:${k}`, `pruning: ${k}`])) };

/**
 * A method string -> {kind, bits, ratio} for the editor, or {kind: 'text', text} when it
 * has other keys (a searched design, a typo): those are edited as text. Pure.
 */
export function methodToRow(m) {
  const colon = m.indexOf(':');
  const head = colon < 0 ? m : m.slice(0, colon);
  const rest = colon < 0 ? '' : m.slice(colon + 1);
  const kv = {};
  for (const part of rest.split(',').filter(Boolean)) {
    const i = part.indexOf('=');
    if (i < 0) return { kind: 'text', text: m };
    kv[part.slice(0, i)] = part.slice(i + 1);
  }
  const num = (k) => (kv[k] !== undefined && /^\d+(\.\d+)?$/.test(kv[k]) ? kv[k] : null);
  const only = (...keys) => Object.keys(kv).every((k) => keys.includes(k));
  if (head === 'dense' && only('bits') && num('bits')) return { kind: 'dense', bits: kv.bits };
  if (head === 'epitome' && only('bits', 'ratio') && num('bits') && num('ratio')) return { kind: 'epitome', bits: kv.bits, ratio: kv.ratio };
  if (head === 'prune' && only('kind', 'bits', 'ratio') && PRUNE_KINDS.includes(kv.kind) && num('bits') && num('ratio')) {
    return { kind: `prune:${kv.kind}`, bits: kv.bits, ratio: kv.ratio };
  }
  return { kind: 'text', text: m };
}

/** The editor row back to the method string (the same spelling methodToRow reads). Pure. */
export function rowToMethod(r) {
  if (r.kind === 'text') return r.text.trim();
  if (r.kind === 'dense') return `dense:bits=${r.bits}`;
  if (r.kind === 'epitome') return `epitome:bits=${r.bits},ratio=${r.ratio}`;
  return `prune:kind=${r.kind.slice('prune:'.length)},ratio=${r.ratio},bits=${r.bits}`;
}

/** A new row of `kind`, keeping the bits of `from`. */
function fresh(kind, from) {
  const bits = from?.bits ?? '3';
  if (kind === 'dense') return { kind, bits };
  if (kind === 'epitome') return { kind, bits, ratio: '2' };
  if (kind === 'text') return { kind, text: from ? rowToMethod(from) : '' };
  return { kind, bits, ratio: '0.5' };
}

let rows = [];
let root, onChange, timer = 0;

/**
 * Builds the editor in `el`; `change(methods)` is called (debounced) with the list.
 * Returns {set(methods)} to show a list coming from the store.
 */
export function initMethodEditor(el, change) {
  root = el;
  onChange = change;
  root.addEventListener('input', onInput);
  root.addEventListener('change', onInput);
  root.addEventListener('click', (ev) => {
    const btn = ev.target.closest('button[data-act]');
    if (!btn) return;
    const i = Number(btn.dataset.i);
    if (btn.dataset.act === 'remove') rows.splice(i, 1);
    if (btn.dataset.act === 'add') rows.push(fresh('epitome', rows.at(-1)));
    render();
    emit(0);
  });
  return {
    set(methods) {
      if (methods.join('\n') === rows.map(rowToMethod).join('\n')) return; // our own update
      rows = methods.map(methodToRow);
      render();
    },
  };
}

function onInput(ev) {
  const t = ev.target;
  const tr = t.closest('[data-i]');
  if (!tr || !t.name) return;
  const i = Number(tr.dataset.i);
  if (t.name === 'kind') {
    rows[i] = fresh(t.value, rows[i]);
    render();
    emit(0);
    return;
  }
  rows[i][t.name] = t.value;
  // A slider and its number field show the same value.
  for (const other of tr.querySelectorAll(`[name="${t.name}"]`)) if (other !== t) other.value = t.value;
  emit(ev.type === 'change' ? 0 : 200);
}

function emit(delay) {
  clearTimeout(timer);
  timer = setTimeout(() => onChange(rows.map(rowToMethod).filter(Boolean)), delay);
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

function field(name, label, value, { min, max, step, range = true }) {
  const slider = range ? `<input type="range" name="${name}" min="${min}" max="${max}" step="${step}" value="${esc(value)}" aria-label="${label}">` : '';
  return `<label class="mfield">${label}<span class="pair">${slider}<input type="number" name="${name}" min="${min}" max="${max}" step="${step}" value="${esc(value)}"></span></label>`;
}

function render() {
  root.innerHTML = `${rows.map((r, i) => {
    const kinds = [...KINDS, 'text'].map((k) => `<option value="${k}"${k === r.kind ? ' selected' : ''}>${k === 'text' ? 'as text' : LABELS[k]}</option>`).join('');
    let fields;
    if (r.kind === 'text') {
      fields = `<label class="mfield wide">method<input type="text" name="text" value="${esc(r.text)}" spellcheck="false"></label>`;
    } else {
      fields = field('bits', 'weight bits', r.bits, { min: 1, max: 16, step: 1 });
      if (r.kind === 'epitome') fields += field('ratio', 'compression ×', r.ratio, { min: 1, max: 32, step: 0.25 });
      else if (r.kind !== 'dense') fields += field('ratio', 'fraction pruned', r.ratio, { min: 0, max: 0.95, step: 0.05 });
    }
    return `<div class="mrow" data-i="${i}"><label class="mfield">method<select name="kind">${kinds}</select></label>${fields}`
      + `<button type="button" data-act="remove" data-i="${i}" aria-label="Remove method ${i + 1}">Remove</button></div>`;
  }).join('')}<div class="row"><button type="button" data-act="add">Add a method</button></div>`;
}
