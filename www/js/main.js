// Page controller: one store (store.js) mirrored to the URL hash, panel switching,
// embed mode, the "settings not understood" notice, and lazy start of each panel's
// view. Views subscribe to the keys they read. All computing happens in the wasm core.
import { load } from './wasm.js';
import { decode, encode, checkNames, checkMethods, PANELS } from './state.js';
import { createStore } from './store.js';
import { loadManifest } from './models.js';
import { importedIds } from './onnx.js';

const $ = (sel) => document.querySelector(sel);
const VIEWS = {
  try: () => import('./views/tryit.js'),
  explorer: () => import('./views/explorer.js'),
  costs: () => import('./views/costs.js'),
  train: () => import('./views/train.js'),
  about: null,
};

const params = new URLSearchParams(location.search);
const embed = params.get('embed');
const started = new Map(); // panel -> Promise of its view module
let store;

/** Merges `patch` into the state (the store tells the views; the hash follows). */
export function update(patch) {
  store.set(patch);
}

function writeHash(state) {
  const hash = encode(state);
  const url = `${location.pathname}${location.search}${hash ? '#' + hash : ''}`;
  // No history entry per keystroke.
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
}

let linkErrors = [];
/** Adds lines to the "settings not understood" notice (`reset` starts a new link's list). */
export function reportLink(errors, { reset = false } = {}) {
  if (reset) linkErrors = [];
  linkErrors.push(...errors);
  const el = $('#link-errors');
  el.textContent = linkErrors.length ? `Some settings in this link were not understood: ${linkErrors.join('; ')}.` : '';
  el.hidden = !linkErrors.length;
}

/**
 * `state` with names only the loaded page knows checked: networks and presets (the core,
 * at once) and, when `models` is given, models (the manifest). Unknown ones are reported
 * and replaced.
 */
function checkLinkNames(core, state, models = null) {
  // Networks imported from a file in this tab (onnx.js) are known here, and only here.
  const nets = [...core.listNetworks().map((n) => n.name), ...importedIds()];
  const known = { net: nets, preset: core.listPresets().map((p) => p.name) };
  if (models) known.model = models;
  const checked = checkNames(state, known);
  // Methods are checked by the core's parser (the one `compare` uses).
  const methods = checkMethods(checked.state, (text) => core.checkMethod(text));
  reportLink([...checked.errors, ...methods.errors]);
  return methods.state;
}

/** The model name is checked when the manifest arrives (not before the panel starts). */
async function checkLinkModel() {
  let models;
  try {
    models = (await loadManifest()).map((m) => m.id);
  } catch {
    return; // No manifest: the Try it panel says so.
  }
  const { state, errors } = checkNames(store.get(), { model: models });
  if (errors.length) {
    reportLink(errors);
    store.set(state);
  }
}

function startView(panel) {
  if (!started.has(panel)) {
    const loader = VIEWS[panel];
    const p = loader
      ? loader().then(async (v) => {
        // Views read the state through the store (never a copy) and subscribe per key.
        const ctx = {
          store, get state() { return store.get(); }, update, reportLink,
          root: document.getElementById(`panel-${panel}`),
        };
        await v.init(ctx);
        return v;
      }).catch((e) => {
        showPanelError(panel, e);
        return null;
      })
      : Promise.resolve(null);
    started.set(panel, p);
  }
  return started.get(panel);
}

function showPanelError(panel, e) {
  const el = document.createElement('p');
  el.className = 'error';
  el.setAttribute('role', 'alert');
  el.textContent = `This panel could not start: ${e.message}`;
  document.getElementById(`panel-${panel}`).append(el);
}

function showPanel(panel, { focus = false } = {}) {
  for (const p of PANELS) {
    const active = p === panel;
    document.getElementById(`panel-${p}`).hidden = !active;
    const tab = document.getElementById(`tab-${p}`);
    tab.setAttribute('aria-selected', String(active));
    tab.tabIndex = active ? 0 : -1;
    if (active && focus) tab.focus();
  }
  return startView(panel);
}

function wireTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => update({ panel: tab.dataset.panel }));
    tab.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (next === undefined) return;
      ev.preventDefault();
      const t = tabs[(next + tabs.length) % tabs.length];
      update({ panel: t.dataset.panel });
      t.focus();
    });
  }
}

/** The embed code for the current view of `panel`. */
function currentSnippet(panel) {
  const base = `${location.origin}${location.pathname}`;
  const state = { ...store.get(), panel };
  const hash = encode(state);
  return embedSnippet(`${base}?embed=${panel}${hash ? '#' + hash : ''}`, panel);
}

/** Shows `snippet` in `box` (a preview, and the way to copy by hand) and copies it; says which in `done`. */
async function offerSnippet(snippet, box, done) {
  box.value = snippet;
  box.hidden = false;
  try {
    await navigator.clipboard.writeText(snippet);
    done.textContent = 'Copied:';
  } catch {
    // No clipboard permission (e.g. inside an iframe): select it to copy by hand.
    done.textContent = 'Copy this:';
    box.select();
  }
}

function wireEmbedButton() {
  $('#copy-embed').addEventListener('click', () => offerSnippet(currentSnippet(store.get().panel), $('#embed-snippet'), $('#copy-embed-done')));
  // At the top of each panel too, with the snippet shown right there.
  for (const panel of PANELS) {
    const section = document.getElementById(`panel-${panel}`);
    const bar = document.createElement('div');
    bar.className = 'embed-bar chrome';
    bar.innerHTML = '<button type="button" class="linkish">Embed this panel</button> <span role="status"></span>'
      + '<textarea class="snippet" rows="4" readonly hidden aria-label="Embed code for this panel"></textarea>';
    section.querySelector('h2').after(bar);
    bar.querySelector('button').addEventListener('click', () => offerSnippet(currentSnippet(panel), bar.querySelector('textarea'), bar.querySelector('span')));
  }
}

/**
 * The copied embed code: the iframe plus a listener that sets its height to what the
 * panel reports (it grows and shrinks with the panel; no scrolling inside a fixed box).
 */
export function embedSnippet(src, panel) {
  const id = `epim-${panel}-${Math.random().toString(36).slice(2, 8)}`;
  return `<iframe id="${id}" src="${src}" title="EPIM Playground: ${panel}" width="100%" height="600" style="border:0;display:block"></iframe>\n`
    + `<script>addEventListener('message',function(e){var f=document.getElementById('${id}');`
    + `if(f&&e.source===f.contentWindow&&e.data&&typeof e.data.epimPlaygroundHeight==='number')`
    + `f.style.height=Math.ceil(e.data.epimPlaygroundHeight)+'px';});</script>`;
}

/**
 * In embed mode, tell the parent page the content's height so the iframe fits it. The
 * content is measured (body's box plus its margins), not the viewport, so the height can
 * shrink, and a frame set to exactly the reported height reports the same height again.
 */
function reportHeight() {
  if (window.parent === window) return;
  let lastSent = -1;
  const send = () => {
    const cs = getComputedStyle(document.body);
    const h = Math.ceil(document.body.getBoundingClientRect().height + parseFloat(cs.marginTop) + parseFloat(cs.marginBottom));
    if (h === lastSent) return;
    lastSent = h;
    window.parent.postMessage({ epimPlaygroundHeight: h }, '*');
  };
  new ResizeObserver(send).observe(document.body);
  send();
}

async function main() {
  const decoded = decode(location.hash);
  const initial = decoded.state;
  if (embed && PANELS.includes(embed)) {
    initial.panel = embed;
    document.body.classList.add('embed');
  }
  store = createStore(initial);
  store.subscribe('*', writeHash);
  store.subscribe(['panel'], (s) => showPanel(s.panel));
  reportLink(decoded.errors, { reset: true });
  wireTabs();
  wireEmbedButton();
  const status = $('#status');
  try {
    const core = await load();
    store.set(checkLinkNames(core, store.get()));
    writeHash(store.get()); // the link now says what is used
    checkLinkModel();
    $('#core-version').textContent = `epim ${core.version()}`;
    status.textContent = 'WebAssembly core ready.';
    status.dataset.state = 'ready';
  } catch (e) {
    status.textContent = e.message;
    status.dataset.state = 'error';
    return;
  }
  await showPanel(store.get().panel);
  window.addEventListener('hashchange', async () => {
    // A link pasted into the address bar: the same checks as on opening.
    const { state: next, errors } = decode(location.hash);
    if (embed && PANELS.includes(embed)) next.panel = embed;
    reportLink(errors, { reset: true });
    store.set(checkLinkNames(await load(), next));
    writeHash(store.get());
    checkLinkModel();
  });
  if (embed) reportHeight();
  document.body.dataset.ready = 'true';
}

main();
