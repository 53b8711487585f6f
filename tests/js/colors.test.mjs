import { test } from 'node:test';
import assert from 'node:assert/strict';
import { viridis, cssVar } from '../../www/js/colors.js';

test('viridis ends, midpoint, clamping and NaN', () => {
  assert.equal(viridis(0), 'rgb(68,1,84)');
  assert.equal(viridis(1), 'rgb(253,231,37)');
  assert.equal(viridis(0.5), 'rgb(33,144,141)');
  assert.equal(viridis(-3), viridis(0));
  assert.equal(viridis(7), viridis(1));
  assert.equal(viridis(NaN), viridis(0));
});

test('cssVar falls back outside a browser', () => {
  assert.equal(cssVar('--x', 'red'), 'red');
});
