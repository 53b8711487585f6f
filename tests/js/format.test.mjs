import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specFromForm, formatCount, formatPercent, formatRatio } from '../../www/js/format.js';

const good = { c_out: '64', c_in: '64', k_h: '3', k_w: '3', e_out: '32', e_in: '32', e_h: '4', e_w: '4' };

test('specFromForm groups fields as the wasm API expects', () => {
  assert.deepEqual(specFromForm(good), {
    layer: { c_out: 64, c_in: 64, k_h: 3, k_w: 3 },
    epitome: { e_out: 32, e_in: 32, e_h: 4, e_w: 4 },
  });
});

test('specFromForm names the first bad field', () => {
  assert.throws(() => specFromForm({ ...good, k_h: '0' }), /k_h must be a positive whole number, got "0"/);
  assert.throws(() => specFromForm({ ...good, e_in: '2.5' }), /e_in must be/);
  assert.throws(() => specFromForm({ ...good, e_w: '' }), /e_w must be/);
  assert.throws(() => specFromForm({ ...good, c_in: '-3' }), /c_in must be/);
  assert.throws(() => specFromForm({ ...good, c_out: '99999999999999999999' }), /c_out must be/);
});

test('formatCount and formatRatio', () => {
  assert.equal(formatCount(36864), '36,864');
  assert.equal(formatRatio(2.25), '2.25×');
  assert.equal(formatRatio(30.6543), '30.7×');
  assert.equal(formatRatio(1234.5), '1,235×');
  assert.equal(formatRatio(NaN), '–');
});

test('formatPercent', () => {
  assert.equal(formatPercent(0.15), '15 %');
  assert.equal(formatPercent(0.125), '12.5 %');
});
