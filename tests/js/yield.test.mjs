import { test } from 'node:test';
import assert from 'node:assert/strict';
import { yieldToEvents } from '../../www/js/yield.js';

test('yieldToEvents resolves after the current task, in the order of the calls', async () => {
  const order = [];
  const all = Promise.all([1, 2, 3].map((i) => yieldToEvents().then(() => order.push(i))));
  // Not before the current task's microtasks have run: it is a task of its own.
  await Promise.resolve();
  await Promise.resolve();
  order.push('microtasks');
  await all;
  assert.deepEqual(order, ['microtasks', 1, 2, 3]);
});
