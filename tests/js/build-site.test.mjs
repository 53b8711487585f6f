import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safetensorsMetadata, manifestEntry, labelFromId } from '../../scripts/build-site.mjs';

function file(header) {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return new Uint8Array(Buffer.concat([len, json, Buffer.alloc(4)]));
}

test('reads the metadata of a safetensors header', () => {
  const meta = { 'epim.dataset': 'mnist', 'epim.accuracy_0_to_1': '0.9912' };
  assert.deepEqual(safetensorsMetadata(file({ __metadata__: meta, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } })), meta);
  assert.deepEqual(safetensorsMetadata(file({})), {});
});

test('rejects truncated headers', () => {
  assert.throws(() => safetensorsMetadata(new Uint8Array(3)), /too short/);
  const f = file({ a: 1 });
  assert.throws(() => safetensorsMetadata(f.subarray(0, 10)), /exceeds the file/);
});

test('manifest entries carry id, file and the recorded accuracy', () => {
  const e = manifestEntry('mnist-epim-3b.safetensors', { 'epim.dataset': 'mnist', 'epim.accuracy_0_to_1': '0.985' });
  assert.equal(e.id, 'mnist-epim-3b');
  assert.equal(e.file, 'models/mnist-epim-3b.safetensors');
  assert.equal(e.accuracy_0_to_1, 0.985);
  assert.equal(e.summary, 'mnist; recorded test accuracy 98.50 %');
});

test('labels from model ids', () => {
  assert.equal(labelFromId('mnist-cnn-epim2.25-3b'), 'EPIM, 2.25x fewer weights, 3-bit');
  assert.equal(labelFromId('mnist-cnn-dense-8b'), 'Dense CNN, 8-bit');
  assert.equal(labelFromId('mnist-cnn-filter0.5625-8b'), 'Filter-pruned 56 %, 8-bit');
  assert.equal(labelFromId('mnist-cnn-xrs0.556-8b'), 'XRS-pruned 56 %, 8-bit');
  assert.equal(labelFromId('something-else'), 'something-else');
});
