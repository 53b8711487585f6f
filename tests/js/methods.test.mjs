import { test } from 'node:test';
import assert from 'node:assert/strict';
import { methodToRow, rowToMethod, PRUNE_KINDS } from '../../www/js/views/methods.js';

test('known methods round-trip through editor rows', () => {
  const methods = ['dense:bits=8', 'epitome:bits=3,ratio=2.25', ...PRUNE_KINDS.map((k) => `prune:kind=${k},ratio=0.5,bits=8`)];
  for (const m of methods) {
    const row = methodToRow(m);
    assert.notEqual(row.kind, 'text', m);
    assert.equal(rowToMethod(row), m);
  }
  assert.deepEqual(methodToRow('epitome:bits=3,ratio=4'), { kind: 'epitome', bits: '3', ratio: '4' });
  assert.deepEqual(methodToRow('prune:kind=xrs,ratio=0.25,bits=3'), { kind: 'prune:xrs', bits: '3', ratio: '0.25' });
});

test('anything else stays text, unchanged (a searched design, unknown keys, typos)', () => {
  for (const m of ['epitome:bits=3,design=searched', 'epitome:bits=3,ratio=2,bogus=1', 'prune:kind=nope,ratio=0.5,bits=8', 'dense', 'dense:bits=x', 'dense:bits']) {
    assert.deepEqual(methodToRow(m), { kind: 'text', text: m });
    assert.equal(rowToMethod(methodToRow(m)), m);
  }
});
