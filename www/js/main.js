// Page controller: wires the calculator form to the wasm core.
import { load, call } from './wasm.js';
import { specFromForm, formatCount, formatRatio } from './format.js';

const $ = (sel) => document.querySelector(sel);

function showResult(info) {
  for (const dd of document.querySelectorAll('#calc-result dd')) {
    const v = info?.[dd.dataset.field];
    dd.textContent = v === undefined ? '–' : dd.dataset.field === 'compression' ? formatRatio(v) : formatCount(v);
  }
  // Epitome size relative to the dense weights; hidden while the spec is invalid.
  const frac = info ? Math.min(Math.max(1 / info.compression, 0.005), 1) : 0;
  $('#epi-bar').style.width = `${(100 * frac).toFixed(1)}%`;
  const list = $('#calc-offsets');
  list.replaceChildren(
    ...(info?.offsets ?? []).map(([a, b, c], g) => {
      const li = document.createElement('li');
      li.textContent = `group ${g}: a=${a}, b=${b}, c=${c}`;
      return li;
    }),
  );
}

async function update() {
  const err = $('#calc-error');
  try {
    const values = Object.fromEntries(new FormData($('#calc-form')));
    const info = await call('epitomeInfo', specFromForm(values));
    err.hidden = true;
    showResult(info);
  } catch (e) {
    err.textContent = e.message;
    err.hidden = false;
    showResult(null);
  }
}

async function main() {
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
  $('#calc-form').addEventListener('input', update);
  await update();
  document.body.dataset.ready = 'true';
}

main();
