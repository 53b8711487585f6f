// The page's test subset and accuracy count through the core (issue 17): IDX files are
// parsed by `readIdxDataset` (crate/src/data/idx.rs, not a JS copy) and the accuracy
// worker's counts come from `EvalRun` (not rebuilt from a float accuracy). Needs the
// built package (npm run build:wasm) and the page's data (node scripts/build-data.mjs
// or build-site.mjs).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.join(root, 'www/pkg');
let m;

before(async () => {
  assert.ok(fs.existsSync(path.join(pkg, 'epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
  await m.default({ module_or_path: fs.readFileSync(path.join(pkg, 'epim_bg.wasm')) });
});

function idx(dims, payload) {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint32(0, 0x0800 + dims.length);
  dims.forEach((d, i) => head.setUint32(4 + 4 * i, d));
  return new Uint8Array([...new Uint8Array(head.buffer), ...payload]);
}

test('readIdxDataset returns the images and labels, and names the file part that is wrong', () => {
  const images = idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const labels = idx([2], [7, 1]);
  const d = m.readIdxDataset(images, labels);
  assert.deepEqual([d.count, d.rows, d.cols], [2, 2, 3]);
  assert.deepEqual([...d.images], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual([...d.labels], [7, 1]);
  const cases = [
    [() => m.readIdxDataset(images.subarray(0, images.length - 1), labels), /images \(IDX file\).*truncated/],
    [() => m.readIdxDataset(images, new Uint8Array([...labels, 0])), /labels \(IDX file\).*1 trailing bytes/],
    [() => m.readIdxDataset(labels, labels), /images IDX dimensions/],
    [() => m.readIdxDataset(images, idx([3], [1, 2, 3])), /images/],
    [() => m.readIdxDataset(images, idx([2], [1, 12])), /labels\[1\]/],
    [() => m.readIdxDataset(new Uint8Array([0x1f, 0x8b, 8, 0]), labels), /images \(IDX file\).*gzipped/],
    [() => m.readIdxDataset([0, 0, 8, 1], labels), /images: must be a Uint8Array/],
  ];
  for (const [f, re] of cases) {
    assert.throws(f, (e) => e instanceof Error && re.test(e.message) && !e.message.includes('\n'), String(re));
  }
});

test('EvalRun counts in chunks exactly what Model.evaluate measures on the test subset', () => {
  const dir = path.join(root, 'www/data');
  const images = new Uint8Array(fs.readFileSync(path.join(dir, 'mnist-test-images-idx3-ubyte')));
  const labels = new Uint8Array(fs.readFileSync(path.join(dir, 'mnist-test-labels-idx1-ubyte')));
  const d = m.readIdxDataset(images, labels);
  assert.deepEqual([d.rows, d.cols], [28, 28]);
  const n = 300;
  const x = d.images.subarray(0, n * 784), y = d.labels.subarray(0, n);
  const bytes = new Uint8Array(fs.readFileSync(path.join(root, 'models/mnist-cnn-epim2.25-3b.safetensors')));
  const model = m.Model.load(bytes);
  const accuracy = model.evaluate(x, y);
  model.free();
  const run = new m.EvalRun(bytes, x, y);
  let t, steps = 0;
  do {
    t = run.step(70);
    steps += 1;
  } while (t.done < t.total);
  run.free();
  assert.equal(steps, 5);
  assert.deepEqual([t.done, t.total], [n, n]);
  assert.equal(t.correct, Math.round(accuracy * n));
  assert.equal(t.accuracy, t.correct / n);
  assert.ok(t.accuracy > 0.9, `${t.accuracy}`);
});

test('Model.classifyImage gives the class classifyBatch gives, with predict\'s probabilities, from floats or bytes', () => {
  const dir = path.join(root, 'www/data');
  const d = m.readIdxDataset(
    new Uint8Array(fs.readFileSync(path.join(dir, 'mnist-test-images-idx3-ubyte'))),
    new Uint8Array(fs.readFileSync(path.join(dir, 'mnist-test-labels-idx1-ubyte'))),
  );
  const model = m.Model.load(new Uint8Array(fs.readFileSync(path.join(root, 'models/mnist-cnn-dense-8b.safetensors'))));
  const n = 40;
  const images = Float32Array.from(d.images.subarray(0, n * 784), (v) => v / 255);
  const batch = model.classifyBatch(images, n);
  let right = 0;
  for (let k = 0; k < n; k++) {
    const img = images.subarray(k * 784, (k + 1) * 784);
    const r = model.classifyImage(img);
    assert.equal(r.class, batch[k], `image ${k}`);
    assert.deepEqual([...r.probs], [...model.predict(img)]);
    // The IDX bytes as they are (the page's test images): the core scales them itself,
    // the same as the floats above (the oracle: byte / 255 here).
    const raw = d.images.subarray(k * 784, (k + 1) * 784);
    const rb = model.classifyImage(raw);
    assert.equal(rb.class, r.class, `image ${k} from bytes`);
    assert.deepEqual([...rb.probs], [...r.probs]);
    assert.deepEqual([...model.predict(raw)], [...r.probs]);
    if (r.class === d.labels[k]) right += 1;
  }
  assert.throws(() => model.classifyImage(new Uint8Array(783)), /image.*784 bytes.*783/);
  model.free();
  assert.ok(right >= 36, `${right} of ${n} right`);
});

test('epitomeCells is the sampling by coordinates: element, its count, and each weight\'s count', () => {
  const spec = { layer: { c_out: 10, c_in: 4, k_h: 3, k_w: 3 }, epitome: { e_out: 4, e_in: 2, e_h: 4, e_w: 4 } };
  const s = m.epitomeSampling(spec);
  const c = m.epitomeCells(spec, 3);
  assert.equal(c.max_count, s.max_count);
  assert.deepEqual([c.e_counts.length, c.e_counts[0].length, c.e_counts[0][0].length, c.e_counts[0][0][0].length], [3, 2, 4, 4]);
  assert.deepEqual([c.w_counts.length, c.w_counts[0].length, c.w_counts[0][0].length], [3, 3, 3]);
  // The oracle: the flat arrays of epitomeSampling, row-major.
  for (let r = 0; r < 3; r++) for (let ch = 0; ch < 2; ch++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) {
    const k = ((r * 2 + ch) * 4 + y) * 4 + x;
    assert.equal(c.e_index[r][ch][y][x], k);
    assert.equal(c.e_counts[r][ch][y][x], s.counts[k]);
  }
  for (let o = 0; o < 3; o++) for (let i = 0; i < 3; i++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) {
    assert.equal(c.w_counts[o][i][y][x], s.counts[s.index[((o * 4 + i) * 3 + y) * 3 + x]]);
  }
  assert.throws(() => m.epitomeCells(spec, 0), /shown/);
});

test('epitomeSampling gives every output channel its group, as epitomeWindow does', () => {
  const spec = { layer: { c_out: 10, c_in: 4, k_h: 3, k_w: 3 }, epitome: { e_out: 4, e_in: 2, e_h: 4, e_w: 4 } };
  const s = m.epitomeSampling(spec);
  assert.ok(s.groups instanceof Uint32Array);
  assert.deepEqual([...s.groups], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
  for (let o = 0; o < 10; o++) assert.equal(s.groups[o], m.epitomeWindow(spec, o, null).group);
});
