// The reproducers of issue 16 against the built package (www/pkg, as the page loads
// it through www/js/wasm.js): one-line errors naming the field, in well under a
// second each, and an instance that stays healthy after 20,000 consecutive failures
// of every kind (freed objects, throwing getters, Proxies). Needs `npm run build:wasm`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { harden } from '../../www/js/wasm.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.join(root, 'www/pkg');
let m, modelBytes;

before(async () => {
  assert.ok(fs.existsSync(path.join(pkg, 'epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
  await m.default({ module_or_path: fs.readFileSync(path.join(pkg, 'epim_bg.wasm')) });
  harden(m);
  modelBytes = new Uint8Array(fs.readFileSync(path.join(root, 'models/mnist-cnn-epim2.25-8b.safetensors')));
});

const SPEC = { layer: { c_out: 8, c_in: 4, k_h: 3, k_w: 3 }, epitome: { e_out: 4, e_in: 2, e_h: 4, e_w: 4 } };
const valid = () => m.epitomeInfo(SPEC).groups;

/** Runs `f`, expecting a one-line Error containing `needle`; returns the milliseconds. */
function fails(f, needle) {
  const t = performance.now();
  let err;
  try { f(); } catch (e) { err = e; }
  const ms = performance.now() - t;
  assert.ok(err instanceof Error, `expected an Error, got ${err}`);
  assert.ok(err.message.includes(needle), `${JSON.stringify(err.message)} lacks ${JSON.stringify(needle)}`);
  assert.ok(!err.message.includes('\n') && err.message.length <= 300, err.message);
  assert.ok(ms < 1000, `${ms} ms`);
  return ms;
}

test('every reproducer is a one-line error naming the field, under a second', () => {
  const layer1 = { layer: { c_out: 2, c_in: 1, k_h: 1, k_w: 1 }, epitome: { shape: [1, 1, 1, 1], data: [1] } };
  const times = {
    'epitomeInfo c_out=2^28': fails(() => m.epitomeInfo({ layer: { c_out: 2 ** 28, c_in: 1, k_h: 1, k_w: 1 }, epitome: { e_out: 1, e_in: 1, e_h: 1, e_w: 1 } }),
      'invalid layer.c_out: must be an integer in 1..=65536, got 268435456'),
    'explorer link 262144,1,1,1/1,1,512,512': fails(() => m.epitomeInfo({ layer: { c_out: 262144, c_in: 1, k_h: 1, k_w: 1 }, epitome: { e_out: 1, e_in: 1, e_h: 512, e_w: 512 } }), 'layer.c_out'),
    'Model.load(Uint8Array(2^31))': fails(() => m.Model.load(new Uint8Array(2 ** 31)), 'invalid bytes: must have at most 67108864 bytes, got 2147483648'),
    'Model.load({length:-1})': fails(() => m.Model.load({ length: -1 }), 'invalid bytes: must be a Uint8Array, got an object'),
    'model.cost({})': fails(() => { const md = m.Model.load(modelBytes); try { md.cost({}); } finally { md.free(); } }, 'invalid preset: must be a string, got an object'),
    'unknown key in epitomeInfo': fails(() => m.epitomeInfo({ ...SPEC, colour: 1 }), 'colour: unknown field `colour`'),
    'simulate rows NaN': fails(() => m.simulate('vgg8', { crossbar: { rows: NaN } }, null), 'crossbar.rows: must be a finite number, got NaN'),
    'simulate function': fails(() => m.simulate('vgg8', { crossbar: { rows: () => 1 } }, null), 'crossbar.rows: must be JSON data'),
    'compare Infinity': fails(() => m.compare({ network: 'vgg8', baseline: 'dense:bits=32', methods: ['dense:bits=8'], knobs: { crossbar_size: Infinity } }), 'knobs.crossbar_size: must be a finite number'),
    'SearchSession NaN': fails(() => new m.SearchSession({ network: 'vgg8', search: { population: NaN } }), 'search.population: must be a finite number'),
    'quantize 2^32+3': fails(() => m.quantize(layer1, 2 ** 32 + 3), 'invalid bits: must be an integer in 2..=8, got 4294967299'),
    'quantize 3.7': fails(() => m.quantize(layer1, 3.7), 'got 3.7'),
    'quantize -1': fails(() => m.quantize(layer1, -1), 'got -1'),
    'clock_mhz 1e-300': fails(() => m.simulate('vgg8', { digital: { clock_mhz: 1e-300 } }, null), 'invalid digital.clock_mhz: must be in 1e-12..=1e12, got 1e-300'),
    '1 MB network name': fails(() => m.simulate('x'.repeat(1 << 20), null, null), "unknown network 'xxx"),
    '300-digit number': fails(() => m.epitomeInfo({ ...SPEC, layer: { ...SPEC.layer, c_out: Number('9'.repeat(300)) } }), 'layer.c_out'),
    'link with 3,000 methods': fails(() => m.compare({ network: 'vgg8', baseline: 'dense:bits=32', methods: Array(3000).fill('dense:bits=8') }), 'invalid methods: at most 64'),
  };
  // The 1-hour fuzz run's slow cases (2-3 s): a million-element data array whose length
  // cannot match its shape now fails before it is converted.
  const million = Array.from({ length: 1 << 20 }, (_, i) => (i % 7) - 3);
  times['materialize 2^20 values for [65536,4,3,3]'] = fails(() => m.epitomeMaterialize({ layer: { c_out: 65536, c_in: 300, k_h: 3, k_w: 3, stride: 1, padding: 1 }, epitome: { shape: [65536, 4, 3, 3], data: million } }),
    'shape mismatch in epitome.data: expected 2359296 values for shape [65536, 4, 3, 3], got 1048576 values');
  assert.ok(times['materialize 2^20 values for [65536,4,3,3]'] < 100);
  // The batch entry points (found by the fuzzer's Model.logits / classifyBatch cases:
  // `{length: -1}` trapped in wasm-bindgen's slice conversion).
  const md = m.Model.load(modelBytes);
  try {
    times['logits({length:-1})'] = fails(() => md.logits({ length: -1 }, 1), 'images: must be a Float32Array or an array of numbers');
    times['classifyBatch n=2^32'] = fails(() => md.classifyBatch(new Float32Array(784), 2 ** 32), 'invalid n: must be an integer in 1..=5349, got 4294967296');
    times['logits wrong length'] = fails(() => md.logits(new Float32Array(785), 1), 'images');
    times['logits NaN pixel'] = fails(() => md.logits(new Float32Array(784).fill(NaN), 1), 'images');
    assert.equal(md.classifyBatch(new Float32Array(784 * 3), 3).length, 3);
  } finally {
    md.free();
  }
  // A model whose activation scale is 0 (uniform noise before) does not load.
  // (The header is JSON inside the file: overwrite the first scale's digits in place.)
  const scaled = modelBytes.slice();
  const needle = new TextEncoder().encode('scale\\":0.003921569');
  const at = scaled.findIndex((_, i) => needle.every((b, j) => scaled[i + j] === b));
  assert.ok(at > 0, 'the model header has the first activation scale');
  for (let j = needle.length - 9; j < needle.length; j++) scaled[at + j] = '0'.charCodeAt(0);
  times['act.scale = 0'] = fails(() => m.Model.load(scaled), 'act.scale: must be a finite number > 0, got 0');
  // 65,536 distinct offsets (13 s before): a valid answer.
  const t = performance.now();
  const info = m.epitomeInfo({ layer: { c_out: 65536, c_in: 1, k_h: 1, k_w: 1 }, epitome: { e_out: 1, e_in: 1, e_h: 256, e_w: 256 } });
  times['epitomeInfo 65536,1,1,1/1,1,256,256'] = performance.now() - t;
  assert.equal(info.patterns, 65536);
  assert.ok(times['epitomeInfo 65536,1,1,1/1,1,256,256'] < 1000);
  for (const [k, v] of Object.entries(times)) console.log(`${k}: ${v.toFixed(1)} ms`);
});

test('20,000 consecutive failures of each kind, then a valid call succeeds', () => {
  const model = m.Model.load(modelBytes);
  model.free();
  const session = new m.SearchSession({ network: 'vgg8', search: { population: 4, generations: 1, seed: 1 } });
  session.free();
  const getter = { layer: { get c_out() { throw new Error('boom'); }, c_in: 1, k_h: 1, k_w: 1 }, epitome: { e_out: 1, e_in: 1, e_h: 1, e_w: 1 } };
  const proxy = new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw new Error('keys'); } });
  const image = new Float32Array(784);
  for (const [name, f, needle] of [
    ['freed Model.predict', () => model.predict(image), 'this Model was freed'],
    ['freed SearchSession.step', () => session.step(1), 'this SearchSession was freed'],
    ['throwing getter', () => m.epitomeInfo(getter), 'layer.c_out: reading it threw: boom'],
    ['throwing Proxy (epitomeConv)', () => m.epitomeConv(proxy), 'reading it threw: keys'],
    ['throwing Proxy (quantize)', () => m.quantize(proxy, 3), 'reading it threw: keys'],
  ]) {
    const t = performance.now();
    for (let i = 0; i < 20000; i++) {
      try { f(); assert.fail(`${name} succeeded`); } catch (e) {
        if (!(e instanceof Error) || !e.message.includes(needle)) throw new Error(`${name} #${i}: ${e}`);
      }
    }
    assert.equal(valid(), 2, `valid call after ${name}`);
    console.log(`${name}: 20,000 failures in ${(performance.now() - t).toFixed(0)} ms, then a valid call`);
  }
  const live = m.Model.load(modelBytes);
  assert.equal(live.predict(image).length, 10);
  live.free();
});
