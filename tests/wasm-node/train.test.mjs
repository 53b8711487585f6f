// TrainRun (training in the page's worker, docs/training.md) against the built package
// in Node: a tiny run trains, its history charts are the core's, the exported file loads
// back with its settings, and bad settings or data fail with one-line errors naming the
// setting or the file part. Needs `npm run build:wasm` and `node scripts/build-data.mjs`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.join(root, 'www/pkg');
const data = path.join(root, 'www/data/train');
let m, train, test10k;

/** The first `n` images of an IDX pair, as IDX bytes. */
function firstIdx(images, labels, n) {
  const im = new Uint8Array(images.subarray(0, 16 + n * 784));
  const lb = new Uint8Array(labels.subarray(0, 8 + n));
  new DataView(im.buffer).setUint32(4, n);
  new DataView(lb.buffer).setUint32(4, n);
  return { images: im, labels: lb };
}

before(async () => {
  assert.ok(fs.existsSync(path.join(pkg, 'epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  assert.ok(fs.existsSync(path.join(data, 'datasets.json')), 'www/data/train is built (node scripts/build-data.mjs)');
  m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
  await m.default({ module_or_path: fs.readFileSync(path.join(pkg, 'epim_bg.wasm')) });
  const read = (f) => gunzipSync(fs.readFileSync(path.join(data, f)));
  train = firstIdx(read('mnist-train-images-idx3-ubyte.gz'), read('mnist-train-labels-idx1-ubyte.gz'), 1024);
  test10k = firstIdx(read('mnist-test-images-idx3-ubyte.gz'), read('mnist-test-labels-idx1-ubyte.gz'), 500);
});

const SETTINGS = { dataset: 'mnist', arch: 'tiny', epochs: 2, w_bits: 8, epitome: 2.25, seed: 3, limit: 1024 };

test('a tiny run trains step by step; charts and the exported model come from the core', () => {
  const check = m.checkTrainSettings(SETTINGS);
  assert.match(check.command, /^epim train --dataset mnist --arch tiny --epochs 2 --w-bits 8 --epitome 2.25 --seed 3 --limit 1024 /);
  const run = new m.TrainRun(SETTINGS, train.images, train.labels);
  run.setHeldOut(test10k.images, test10k.labels, 200);
  assert.equal(run.totalSteps, 2 * Math.floor(1024 / 64));
  let p, epochs = 0;
  const held = [];
  while (!(p = run.step(5)).done) {
    assert.equal(p.steps_done, run.stepsDone);
    if (p.epoch_done) { epochs += 1; held.push(run.heldOutAccuracy()); }
  }
  if (p.epoch_done) { epochs += 1; held.push(run.heldOutAccuracy()); }
  assert.equal(epochs, 2);
  assert.equal(p.steps_done, run.totalSteps);
  assert.throws(() => run.step(1), /finished/);
  const loss = run.chart('loss');
  assert.equal(loss.series[0].points.length, run.totalSteps);
  assert.equal(loss.series[0].points.at(-1).y, p.mean_loss);
  const acc = run.chart('accuracy');
  assert.deepEqual(acc.series[1].points.map((q) => q.y), held.map((a) => 100 * a));
  assert.throws(() => run.chart('speed'), /chart kind.*loss, accuracy/);
  const out = run.finish(test10k.images, test10k.labels);
  assert.equal(out.test_images, 500);
  assert.equal(out.accuracy_0_to_1, out.correct / 500);
  assert.ok(out.accuracy_0_to_1 > 0.5, `accuracy ${out.accuracy_0_to_1}`);
  const model = m.Model.load(out.bytes);
  const meta = model.info().metadata;
  assert.equal(meta['epim.trained_in'], 'browser (wasm)');
  assert.deepEqual(JSON.parse(meta['epim.train_settings']).limit, 1024);
  assert.equal(meta['epim.accuracy_0_to_1'], out.accuracy_0_to_1.toFixed(4));
  // The model the engine loads classifies as the run measured it.
  assert.equal(model.evaluate(test10k.images.subarray(16), test10k.labels.subarray(8)), out.accuracy_0_to_1);
  model.free();
  run.free();
  // The command line takes the downloaded file too (the debug binary the rust tier builds).
  const bin = path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug', 'epim');
  if (!fs.existsSync(bin)) {
    assert.ok(!process.env.CI, `${bin} is missing: the rust tier builds it`);
    return;
  }
  const file = path.join(root, 'test-results', 'trained-in-wasm.safetensors');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, out.bytes);
  const ev = JSON.parse(execFileSync(bin, ['eval', '--model', file, '--dataset', 'mnist', '--limit', '500', '--json'], { encoding: 'utf8' }));
  assert.equal(ev.images, 500);
  assert.equal(ev.accuracy, out.accuracy_0_to_1);
  const cmp = JSON.parse(execFileSync(bin, ['compare', '--model', file, '--json'], { encoding: 'utf8' }));
  assert.equal(cmp.rows.length, 1);
  assert.equal(cmp.rows[0].accuracy_pct.toFixed(2), (100 * out.accuracy_0_to_1).toFixed(2));
});

test('the same seed gives the same model; another seed another', () => {
  const small = { ...SETTINGS, epochs: 1, limit: 256 };
  const bytes = (s) => {
    const run = new m.TrainRun(s, train.images, train.labels);
    while (!run.step(64).done);
    const out = run.finish(test10k.images, test10k.labels);
    run.free();
    return out;
  };
  const a = bytes(small), b = bytes(small), c = bytes({ ...small, seed: 4 });
  assert.deepEqual(a.bytes, b.bytes);
  assert.notDeepEqual(a.bytes, c.bytes);
});

test('bad settings and data: one-line errors naming the setting or the file part', () => {
  const fails = (f, needle) => {
    let err;
    try { f(); } catch (e) { err = e; }
    assert.ok(err instanceof Error, `expected an Error containing ${needle}`);
    assert.match(err.message, needle);
    assert.ok(!err.message.includes('\n') && err.message.length <= 300, err.message);
  };
  fails(() => m.checkTrainSettings({ ...SETTINGS, w_bits: 1 }), /w_bits/);
  fails(() => m.checkTrainSettings({ ...SETTINGS, epochs: 0 }), /epochs/);
  fails(() => m.checkTrainSettings({ ...SETTINGS, epitome: 0.5 }), /epitome/);
  fails(() => m.checkTrainSettings({ ...SETTINGS, limit: 0 }), /limit/);
  fails(() => m.checkTrainSettings({ ...SETTINGS, limit: 10 }), /limit: .*batch|invalid limit/);
  fails(() => m.checkTrainSettings({ ...SETTINGS, dataset: 'cifar' }), /dataset/);
  fails(() => m.checkTrainSettings({ ...SETTINGS, prune: 'xrs:0.5' }), /prune/);
  fails(() => m.checkTrainSettings({ ...SETTINGS, epochs: NaN }), /epochs/);
  fails(() => m.checkTrainSettings({ ...SETTINGS, colour: 'red' }), /colour/);
  fails(() => new m.TrainRun(SETTINGS, train.images.subarray(0, 100), train.labels), /train/);
  fails(() => new m.TrainRun({ ...SETTINGS, limit: 5000 }, train.images, train.labels), /limit.*1024/);
  fails(() => new m.TrainRun(SETTINGS, new Uint8Array(8), train.labels), /train\.images|train/);
  const run = new m.TrainRun({ ...SETTINGS, epochs: 1, limit: 128 }, train.images, train.labels);
  fails(() => run.heldOutAccuracy(), /setHeldOut/);
  fails(() => run.chart('loss'), /no batch/);
  fails(() => run.finish(test10k.images, test10k.labels), /not finished/);
  fails(() => run.step(0), /count/);
  fails(() => run.step(65), /count: must be an integer in 1..=64/);
  run.free();
});

test('the page trains the model the native trainer trains (logits within 1e-5, same classes)', (t) => {
  // Written by tests/train.rs (the rust tier of npm test, which runs before this one).
  const ref = path.join(root, 'test-results/native-tiny-epim.safetensors');
  if (!fs.existsSync(ref)) {
    assert.ok(!process.env.CI, `${ref} is missing: the rust tier writes it (cargo test --features train --test train)`);
    t.skip('no native reference model (run cargo test --features train --test train first)');
    return;
  }
  const s = { dataset: 'mnist', arch: 'tiny', epochs: 1, w_bits: 8, epitome: 2.25, seed: 5, batch: 32, lr: 0.01, limit: 512 };
  const run = new m.TrainRun(s, train.images, train.labels);
  while (!run.step(64).done);
  const out = run.finish(test10k.images, test10k.labels);
  run.free();
  const page = m.Model.load(out.bytes), native = m.Model.load(fs.readFileSync(ref));
  const x = Float32Array.from(test10k.images.subarray(16, 16 + 100 * 784), (v) => v / 255);
  const a = page.logits(x, 100), b = native.logits(x, 100);
  assert.equal(a.length, 1000);
  // Not bit-identical: measured 48 of 1,000 logits differing by at most 3.0e-8 (float library
  // functions such as exp and ln are not the same code in wasm and natively). The tolerance
  // is kept at 1e-5 (it was set at 20x an earlier 4.8e-7); the classes must agree.
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= 1e-5, `largest logit difference ${worst}`);
  const cls = (l) => Array.from({ length: 100 }, (_, i) => { const r = Array.from(l.subarray(10 * i, 10 * i + 10)); return r.indexOf(Math.max(...r)); });
  assert.deepEqual(cls(a), cls(b));
  page.free();
  native.free();
});
