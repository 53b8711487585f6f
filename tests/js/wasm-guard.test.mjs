import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runGuarded, instanceGeneration, isTrap } from '../../www/js/wasm.js';

test('a trap drops the instance and says so; core errors pass through', async () => {
  const before = instanceGeneration();
  await assert.rejects(
    runGuarded({}, () => { throw new WebAssembly.RuntimeError('unreachable'); }),
    /the WebAssembly core crashed \(unreachable\); it was restarted/,
  );
  assert.equal(instanceGeneration(), before + 1);
  await assert.rejects(runGuarded({}, () => { throw new Error('invalid epitome.e_h: must be >= k_h'); }), /^Error: invalid epitome/);
  assert.equal(instanceGeneration(), before + 1);
  assert.equal(await runGuarded({ x: 2 }, (m) => m.x * 21), 42);
});

test('isTrap recognises traps and wasm out-of-memory only', () => {
  assert.ok(isTrap(new WebAssembly.RuntimeError('unreachable')));
  assert.ok(isTrap(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded')));
  assert.ok(!isTrap(new RangeError('Invalid array length')));
  assert.ok(!isTrap(new Error('x')));
});
