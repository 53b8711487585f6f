import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTests } from '../../scripts/test.mjs';

test('countTests sums libtest and node summaries', () => {
  const out = [
    'test result: ok. 5 passed; 0 failed; 0 ignored',
    'test result: FAILED. 2 passed; 1 failed; 0 ignored',
    'ℹ pass 7',
    'ℹ fail 0',
  ].join('\n');
  assert.deepEqual(countTests(out), { passed: 14, failed: 1, seen: true });
  assert.deepEqual(countTests('nothing here'), { passed: 0, failed: 0, seen: false });
});

test('countTests reads the benchmark summary line', () => {
  assert.deepEqual(countTests('table\n12 passed, 0 failed\n'), { passed: 12, failed: 0, seen: true });
  assert.deepEqual(countTests('11 passed, 1 failed'), { passed: 11, failed: 1, seen: true });
});
