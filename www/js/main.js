// Page controller: state in the URL hash, panel switching, embed mode, and lazy
// start of each panel's view. All computing happens in the wasm core.
import { load } from './wasm.js';
import { decode, encode, PANELS } from './state.js';

const $ = (sel) => document.querySelector(sel);
const VIEWS = {
  try: () => import('./views/tryit.js'),
  explorer: () => import('./views/explorer.js'),
  costs: () => import('./views/costs.js'),
  about: null,
};

const params = new URLSearchParams(location.search);
const embed = params.get('embed');
const started = new Map(); // panel -> Promise of its view module
let state;

/** Merges `patch` into the state and writes the hash (no history entry per keystroke). */
export function update(patch) {
  state = { ...state, ...patch };
  const hash = encode(state);
  const url = `${location.pathname}${location.search}${hash ? '#' + hash : ''}`;
  history.replaceState(null, '', url);
  for (const [, p] of started) p.then((v) => v?.onState?.(state));
}

function startView(panel) {
  if (!started.has(panel)) {
    const loader = VIEWS[panel];
    const p = loader
      ? loader().then(async (v) => {
        // `state` is replaced on every update: views read it through this getter.
        const ctx = { get state() { return state; }, update, root: document.getElementById(`panel-${panel}`) };
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
    tab.addEventListener('click', () => {
      update({ panel: tab.dataset.panel });
      showPanel(tab.dataset.panel);
    });
    tab.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (next === undefined) return;
      ev.preventDefault();
      const t = tabs[(next + tabs.length) % tabs.length];
      update({ panel: t.dataset.panel });
      showPanel(t.dataset.panel, { focus: true });
    });
  }
}

function wireEmbedButton() {
  $('#copy-embed').addEventListener('click', async () => {
    const base = `${location.origin}${location.pathname}`;
    const hash = encode(state);
    const src = `${base}?embed=${state.panel}${hash ? '#' + hash : ''}`;
    const snippet = `<iframe src="${src}" title="EPIM Playground: ${state.panel}" width="100%" height="720" style="border:0"></iframe>`;
    try {
      await navigator.clipboard.writeText(snippet);
      $('#copy-embed-done').textContent = 'Copied.';
    } catch {
      // No clipboard permission (e.g. inside an iframe): show the snippet to copy by hand.
      $('#copy-embed-done').textContent = snippet;
    }
  });
}

/** In embed mode, tell the parent page our height so the iframe can fit its content. */
function reportHeight() {
  if (window.parent === window) return;
  const send = () => window.parent.postMessage({ epimPlaygroundHeight: document.documentElement.scrollHeight }, '*');
  new ResizeObserver(send).observe(document.body);
  send();
}

async function main() {
  const decoded = decode(location.hash);
  state = decoded.state;
  if (embed && PANELS.includes(embed)) {
    state.panel = embed;
    document.body.classList.add('embed');
  }
  if (decoded.errors.length) {
    const el = $('#link-errors');
    el.textContent = `Some settings in this link were not understood: ${decoded.errors.join('; ')}.`;
    el.hidden = false;
  }
  wireTabs();
  wireEmbedButton();
  const status = $('#status');
  try {
    const core = await load();
    $('#core-version').textContent = `epim ${core.version()}`;
    status.textContent = 'WebAssembly core ready.';
    status.dataset.state = 'ready';
  } catch (e) {
    status.textContent = e.message;
    status.dataset.state = 'error';
    return;
  }
  await showPanel(state.panel);
  window.addEventListener('hashchange', () => {
    const next = decode(location.hash).state;
    if (encode(next) === encode(state)) return;
    state = next;
    showPanel(state.panel);
    for (const [, p] of started) p.then((v) => v?.onState?.(state));
  });
  if (embed) reportHeight();
  document.body.dataset.ready = 'true';
}

main();
