import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chartDataFromCompare, siValue } from '../../www/js/costs-model.js';

test('siValue keeps three significant digits and the unit', () => {
  assert.equal(siValue(1234.5, 'mm²'), '1,235 mm²');
  assert.equal(siValue(12.345, 'mm²'), '12.3 mm²');
  assert.equal(siValue(0.012345, 'µJ'), '0.0123 µJ');
  assert.equal(siValue(NaN, 'mW'), '–');
  assert.equal(siValue(9, 'mm²'), '9.00 mm²');
  assert.equal(siValue(0.5, 'µs'), '0.500 µs');
});

test('chartDataFromCompare puts the baseline first and keeps breakdowns as pairs', () => {
  const r = {
    network: 'lenet', preset: 'mnsim2', accounting: 'physical',
    baseline: { method: 'dense:bits=32', area_um2: 10, latency_ns: 5, energy_pj: 7, bits_per_weight: 32.1,
      breakdown: { area_um2: { crossbar: 6, adc: 4 }, energy_pj: { adc: 7 }, latency_ns: { adc: 5, bad: NaN } } },
    rows: [{ method: 'dense:bits=8', area_um2: 3, latency_ns: 4, energy_pj: 2, bits_per_weight: 8.1, quality_proxy: 0.25, breakdown: {} }],
  };
  const d = chartDataFromCompare(r);
  assert.equal(d.title, 'lenet on mnsim2 (physical)');
  assert.deepEqual(d.rows.map((x) => x.method), ['dense:bits=32', 'dense:bits=8']);
  assert.deepEqual(d.rows[0].area_breakdown_um2, [['crossbar', 6], ['adc', 4]]);
  assert.deepEqual(d.rows[0].latency_breakdown_ns, [['adc', 5]]);
  assert.deepEqual(d.rows[1].energy_breakdown_pj, []);
  assert.equal(d.rows[1].accuracy_pct, null);
  assert.equal(d.rows[1].quality_proxy, 0.25, 'the core\'s proxy is passed through, never recomputed');
  assert.equal(d.rows[0].quality_proxy, null);
  assert.equal(d.baseline, 'dense:bits=32');
});
