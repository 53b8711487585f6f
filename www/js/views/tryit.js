// Try it: draw a digit (mouse, pen or touch) or pick a test image, choose a model,
// see class probabilities and the inference time; run the model over the test
// subset with progress and cancel, next to its crossbar area.
import { load, withCore } from '../wasm.js';
import { preprocess, inkFromRgba, SIDE } from '../digit.js';
import { formatCount } from '../format.js';

const MANIFEST = 'models/manifest.json';
const DATA = { images: 'data/mnist-test-images-idx3-ubyte', labels: 'data/mnist-test-labels-idx1-ubyte' };
const CHUNK = 100; // images per step of the accuracy run

let ctx, core, manifest = [], testSet = null;
const models = new Map(); // id -> core.Model
let current = null; // {entry, model}
let run = null; // the accuracy run in progress: {cancelled}

const $ = (sel) => ctx.root.querySelector(sel);

const TEMPLATE = `
  <p class="hint">Draw a digit in the box (mouse, pen or finger), or pick a random image from the MNIST test
    set. The image is preprocessed as MNIST was (fitted into a 20&times;20 box, centred by mass in 28&times;28) and
    classified in your browser by the chosen model.</p>
  <div class="try">
    <div class="pad-wrap">
      <canvas id="try-pad" class="pad" width="280" height="280" tabindex="0"
        aria-label="Drawing area: draw a digit with mouse, pen or touch"></canvas>
      <div class="row">
        <button type="button" id="try-clear">Clear</button>
        <button type="button" id="try-random">Random test image</button>
        <canvas id="try-input" width="28" height="28" class="thumb" aria-label="What the model sees (28 by 28)"></canvas>
      </div>
    </div>
    <div class="try-out">
      <label>Model <select id="try-model"></select></label>
      <p id="try-model-info" class="hint"></p>
      <p id="try-error" class="error" role="alert" hidden></p>
      <p class="prediction" aria-live="polite"><span id="try-pred">&ndash;</span> <span id="try-time" class="hint"></span></p>
      <ol id="try-bars" class="probs" start="0"></ol>
      <div class="row">
        <button type="button" id="try-eval">Accuracy on the test subset</button>
        <button type="button" id="try-cancel" hidden>Cancel</button>
      </div>
      <progress id="try-progress" max="1" value="0" hidden></progress>
      <p id="try-acc" aria-live="polite"></p>
      <p class="hint">Model file of your own (this project's .safetensors format): drop it on the drawing box or
        <label class="filelabel">choose a file <input type="file" id="try-file" accept=".safetensors"></label>.</p>
    </div>
  </div>`;

export async function init(c) {
  ctx = c;
  document.getElementById('try-root').innerHTML = TEMPLATE;
  core = await load();
  window.addEventListener('epim:reinstantiated', async () => {
    // Model objects belonged to the dropped instance: rebuild from the files.
    models.clear();
    core = await load();
    if (current) await selectModel(current.entry.id);
  });
  const bars = $('#try-bars');
  for (let d = 0; d < 10; d++) {
    const li = document.createElement('li');
    li.innerHTML = `<span class="digit">${d}</span><span class="bar"><span></span></span><span class="pct">–</span>`;
    bars.append(li);
  }
  wirePad();
  $('#try-clear').addEventListener('click', clearPad);
  $('#try-random').addEventListener('click', randomImage);
  $('#try-model').addEventListener('change', (ev) => selectModel(ev.target.value));
  $('#try-eval').addEventListener('click', evaluate);
  $('#try-cancel').addEventListener('click', () => { if (run) run.cancelled = true; });
  $('#try-file').addEventListener('change', (ev) => ev.target.files[0] && loadUserModel(ev.target.files[0]));
  try {
    const res = await fetch(MANIFEST);
    if (!res.ok) throw new Error(`${MANIFEST}: HTTP ${res.status}`);
    // Handwritten digits: the MNIST models only (Fashion-MNIST models ship for the CLI).
    manifest = (await res.json()).filter((m) => (m.dataset ?? 'mnist') === 'mnist');
  } catch (e) {
    showError(`No trained models are available (${e.message}).`);
    return;
  }
  const sel = $('#try-model');
  for (const m of manifest) sel.add(new Option(m.label, m.id));
  const wanted = manifest.some((m) => m.id === ctx.state.model) ? ctx.state.model : manifest[0]?.id;
  if (wanted) {
    sel.value = wanted;
    await selectModel(wanted);
  }
}

export function onState(state) {
  if (current && state.model !== current.entry.id && manifest.some((m) => m.id === state.model)) {
    $('#try-model').value = state.model;
    selectModel(state.model);
  }
}

function showError(msg) {
  const el = $('#try-error');
  el.textContent = msg;
  el.hidden = !msg;
}

async function getModel(entry) {
  if (!models.has(entry.id)) {
    const res = await fetch(entry.file);
    if (!res.ok) throw new Error(`${entry.file}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    models.set(entry.id, await withCore((m) => m.Model.load(bytes)));
  }
  return models.get(entry.id);
}

async function selectModel(id) {
  const entry = manifest.find((m) => m.id === id);
  if (!entry) return;
  try {
    const model = await getModel(entry);
    current = { entry, model };
    showError('');
    ctx.update({ model: id });
    if (!entry.cost) entry.cost = await withCore(() => model.cost('mnsim2'));
    $('#try-model-info').textContent = `${entry.summary}; ${costText(entry.cost)}`;
    $('#try-acc').textContent = '';
    classify();
  } catch (e) {
    showError(`Cannot load model ${entry.label}: ${e.message}`);
  }
}

async function loadUserModel(file) {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const model = await withCore((m) => m.Model.load(bytes));
    const entry = { id: `file:${file.name}`, label: `Your file: ${file.name}`, summary: 'Loaded from your computer.' };
    models.set(entry.id, model);
    manifest.push(entry);
    $('#try-model').add(new Option(entry.label, entry.id));
    $('#try-model').value = entry.id;
    current = { entry, model };
    showError('');
    $('#try-model-info').textContent = entry.summary;
    classify();
  } catch (e) {
    showError(`That file is not a usable model: ${e.message}`);
  }
}

// ---- drawing ----
let drawing = false, last = null, dirty = false;

function wirePad() {
  const pad = $('#try-pad');
  const g = pad.getContext('2d');
  clearPad();
  const pos = (ev) => {
    const r = pad.getBoundingClientRect();
    return [(ev.clientX - r.left) * (pad.width / r.width), (ev.clientY - r.top) * (pad.height / r.height)];
  };
  pad.addEventListener('pointerdown', (ev) => {
    drawing = true;
    last = pos(ev);
    pad.setPointerCapture(ev.pointerId);
    stroke(g, last, last);
  });
  pad.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    const p = pos(ev);
    stroke(g, last, p);
    last = p;
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    classify();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  pad.addEventListener('keydown', (ev) => {
    if (ev.key === 'Delete' || ev.key === 'Backspace' || ev.key === 'Escape') clearPad();
    if (ev.key === 'r') randomImage();
  });
  pad.addEventListener('dragover', (ev) => ev.preventDefault());
  pad.addEventListener('drop', (ev) => {
    ev.preventDefault();
    const f = ev.dataTransfer.files[0];
    if (f) loadUserModel(f);
  });
}

function stroke(g, a, b) {
  g.strokeStyle = '#000';
  g.lineWidth = 20;
  g.lineCap = 'round';
  g.lineJoin = 'round';
  g.beginPath();
  g.moveTo(a[0], a[1]);
  g.lineTo(b[0] + 0.01, b[1]);
  g.stroke();
  dirty = true;
}

function clearPad() {
  const pad = $('#try-pad');
  pad.getContext('2d').clearRect(0, 0, pad.width, pad.height);
  dirty = false;
  showInput(null);
  showProbs(null);
}

function showInput(img) {
  const c = $('#try-input').getContext('2d');
  const data = c.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = 255 - Math.round(255 * (img ? img[i] : 0));
    data.data.set([v, v, v, 255], 4 * i);
  }
  c.putImageData(data, 0, 0);
}

function padImage() {
  const pad = $('#try-pad');
  const px = pad.getContext('2d').getImageData(0, 0, pad.width, pad.height).data;
  return preprocess(inkFromRgba(px), pad.width, pad.height);
}

async function classify(img = dirty ? padImage() : null) {
  if (!current || !img) return;
  showInput(img);
  try {
    const t0 = performance.now();
    const probs = await withCore(() => current.model.predict(img));
    const ms = performance.now() - t0;
    showProbs(probs);
    $('#try-time').textContent = `(${ms < 1 ? ms.toFixed(2) : ms.toFixed(1)} ms in wasm)`;
  } catch (e) {
    showError(e.message);
  }
}

function showProbs(probs) {
  const items = $('#try-bars').children;
  let best = -1;
  if (probs) best = probs.indexOf(Math.max(...probs));
  for (let d = 0; d < 10; d++) {
    const p = probs ? probs[d] : 0;
    items[d].querySelector('.bar span').style.width = `${(100 * p).toFixed(1)}%`;
    items[d].querySelector('.pct').textContent = probs ? `${(100 * p).toFixed(1)} %` : '–';
    items[d].classList.toggle('best', d === best);
  }
  $('#try-pred').textContent = probs ? `Prediction: ${best}` : '–';
  if (!probs) $('#try-time').textContent = '';
}

async function getTestSet() {
  if (!testSet) {
    const [im, lb] = await Promise.all([DATA.images, DATA.labels].map(async (u) => {
      const res = await fetch(u);
      if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    }));
    testSet = { images: idxPayload(im, 0x803, [SIDE, SIDE]), labels: idxPayload(lb, 0x801, []) };
    if (testSet.images.length !== testSet.labels.length * SIDE * SIDE) throw new Error('the test subset files do not match');
  }
  return testSet;
}

async function randomImage() {
  try {
    const { images, labels } = await getTestSet();
    const k = Math.floor(Math.random() * labels.length);
    const img = Float32Array.from(images.subarray(k * 784, (k + 1) * 784), (v) => v / 255);
    const pad = $('#try-pad');
    const g = pad.getContext('2d');
    g.clearRect(0, 0, pad.width, pad.height);
    const s = pad.width / SIDE;
    for (let i = 0; i < 784; i++) {
      if (img[i] > 0) {
        g.fillStyle = `rgba(0,0,0,${img[i]})`;
        g.fillRect((i % SIDE) * s, Math.floor(i / SIDE) * s, s, s);
      }
    }
    dirty = false;
    $('#try-time').dataset.label = String(labels[k]);
    await classify(img);
    $('#try-pred').textContent += ` (label ${labels[k]})`;
  } catch (e) {
    showError(`Cannot load the test images: ${e.message}`);
  }
}

async function evaluate() {
  if (!current || run) return;
  const token = { cancelled: false };
  run = token;
  const bar = $('#try-progress');
  $('#try-cancel').hidden = false;
  $('#try-eval').disabled = true;
  bar.hidden = false;
  try {
    const { images, labels } = await getTestSet();
    const n = labels.length;
    let correct = 0, done = 0;
    const t0 = performance.now();
    while (done < n && !token.cancelled) {
      const m = Math.min(CHUNK, n - done);
      const acc = await withCore(() => current.model.evaluate(images.subarray(done * 784, (done + m) * 784), labels.subarray(done, done + m)));
      correct += Math.round(acc * m);
      done += m;
      bar.value = done / n;
      $('#try-acc').textContent = `${formatCount(done)} / ${formatCount(n)} images…`;
      await new Promise((r) => setTimeout(r, 0)); // let the page breathe between chunks
    }
    const secs = (performance.now() - t0) / 1000;
    const e = current.entry;
    const area = e.cost ? `; ${costText(e.cost)}` : '';
    $('#try-acc').textContent = token.cancelled
      ? `Cancelled after ${done} images: ${(100 * correct / done || 0).toFixed(1)} % so far.`
      : `Accuracy ${(100 * correct / n).toFixed(2)} % on ${formatCount(n)} test images in ${secs.toFixed(1)} s${area}.`;
    $('#try-acc').dataset.accuracy = String(correct / Math.max(done, 1));
  } catch (e) {
    showError(e.message);
  } finally {
    run = null;
    bar.hidden = true;
    $('#try-cancel').hidden = true;
    $('#try-eval').disabled = false;
  }
}

/** The u8 payload of an IDX file, after checking its magic number and dimensions. */
export function idxPayload(bytes, magic, inner) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = 1 + inner.length;
  if (bytes.length < 4 + 4 * dims || dv.getUint32(0) !== magic) throw new Error('not an IDX file of the expected kind');
  const n = dv.getUint32(4);
  inner.forEach((d, i) => {
    if (dv.getUint32(8 + 4 * i) !== d) throw new Error(`IDX dimension ${i + 1} is not ${d}`);
  });
  const payload = bytes.subarray(4 + 4 * dims);
  if (payload.length !== n * inner.reduce((a, b) => a * b, 1)) throw new Error('IDX file is truncated');
  return payload;
}

/** "16 crossbars, 17.27 mm² (mnsim2, physical accounting)". */
function costText(c) {
  return `${formatCount(c.crossbars)} crossbars, ${(c.area_um2 / 1e6).toFixed(2)} mm² (${c.preset} preset, physical accounting)`;
}
