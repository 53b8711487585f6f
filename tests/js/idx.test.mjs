import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idxPayload } from '../../www/js/views/tryit.js';

function idx(magic, dims, payload) {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint32(0, magic);
  dims.forEach((d, i) => head.setUint32(4 + 4 * i, d));
  return new Uint8Array([...new Uint8Array(head.buffer), ...payload]);
}

test('idxPayload checks magic, dimensions and length', () => {
  const labels = idx(0x801, [3], [7, 2, 1]);
  assert.deepEqual([...idxPayload(labels, 0x801, [])], [7, 2, 1]);
  assert.throws(() => idxPayload(labels, 0x803, [28, 28]), /not an IDX file/);
  assert.throws(() => idxPayload(labels.subarray(0, 10), 0x801, []), /truncated/);
  const images = idx(0x803, [1, 2, 2], [1, 2, 3, 4]);
  assert.deepEqual([...idxPayload(images, 0x803, [2, 2])], [1, 2, 3, 4]);
  assert.throws(() => idxPayload(images, 0x803, [28, 28]), /dimension 1 is not 28/);
});
