import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siValue, energyValue, timeValue } from '../../www/js/costs-model.js';

test('siValue keeps three significant digits and the unit', () => {
  assert.equal(siValue(1234.5, 'mm²'), '1,235 mm²');
  assert.equal(siValue(12.345, 'mm²'), '12.3 mm²');
  assert.equal(siValue(0.012345, 'µJ'), '0.0123 µJ');
  assert.equal(siValue(NaN, 'mW'), '–');
  assert.equal(siValue(9, 'mm²'), '9.00 mm²');
  assert.equal(siValue(0.5, 'µs'), '0.500 µs');
});

test('energyValue picks µJ, nJ or pJ and writes 0 plainly', () => {
  assert.equal(energyValue(2.02e6), '2.02 µJ');
  assert.equal(energyValue(865_000), '865 nJ');
  assert.equal(energyValue(999_999), '1,000 nJ');
  assert.equal(energyValue(696), '696 pJ');
  assert.equal(energyValue(0.5), '0.500 pJ');
  assert.equal(energyValue(0), '0');
  assert.equal(energyValue(Infinity), '–');
});

test('timeValue picks ms, µs or ns and keeps the sign', () => {
  assert.equal(timeValue(428_683.9), '429 µs');
  assert.equal(timeValue(39_036_526), '39.0 ms');
  assert.equal(timeValue(552.8), '553 ns');
  assert.equal(timeValue(-15_569.3), '-15.6 µs');
  assert.equal(timeValue(0), '0');
  assert.equal(timeValue(NaN), '–');
});
