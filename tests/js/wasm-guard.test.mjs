import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runGuarded, instanceGeneration, isTrap, harden } from '../../www/js/wasm.js';

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

test('isTrap treats exceptions wasm-bindgen threw from inside wasm as fatal', () => {
  assert.ok(isTrap(new Error('null pointer passed to rust')));
  assert.ok(isTrap(new Error('recursive use of an object detected which would lead to unsafe aliasing in rust')));
  assert.ok(!isTrap(new Error('invalid layer.c_out: must be an integer in 1..=65536, got 268435456')));
});

test('harden: a freed or foreign object throws in JS before reaching wasm', () => {
  let calls = 0;
  class Model {
    constructor() { this.__wbg_ptr = 8; }
    free() { if (this.__wbg_ptr === 0) throw new Error('null pointer passed to rust'); this.__wbg_ptr = 0; }
    predict(x) { calls += 1; return x * 2; }
    get classes() { calls += 1; return 10; }
  }
  class SearchSession {
    constructor() { this.__wbg_ptr = 16; }
    step() { calls += 1; return 'stepped'; }
  }
  const m = harden(harden({ Model, SearchSession }));
  const model = new m.Model();
  assert.equal(model.predict(21), 42);
  assert.equal(model.classes, 10);
  model.free();
  model.free(); // a second free() does not reach wasm
  assert.throws(() => model.predict(1), /this Model was freed/);
  assert.throws(() => model.classes, /this Model was freed/);
  assert.throws(() => m.Model.prototype.predict.call(new m.SearchSession(), 1), /this is not a Model/);
  assert.throws(() => m.SearchSession.prototype.step.call({ __wbg_ptr: 8 }), /this is not a SearchSession/);
  assert.equal(calls, 2);
});

test('wasm SIMD: the probe module validates in this engine, and without SIMD the page says so plainly', async () => {
  const { simdSupported, NO_SIMD_MESSAGE, load } = await import('../../www/js/wasm.js');
  assert.equal(simdSupported(), true, 'Node 20 runs simd128: the probe module must validate');
  // The probe really uses SIMD: an engine that rejects the 0xfd prefix rejects it.
  const noSimd = (bytes) => !bytes.includes(0xfd) && WebAssembly.validate(bytes);
  assert.equal(simdSupported(noSimd), false);
  assert.equal(simdSupported(() => { throw new Error('no WebAssembly'); }), false);
  const real = WebAssembly.validate;
  WebAssembly.validate = noSimd;
  try {
    await assert.rejects(load(), (e) => e.message === NO_SIMD_MESSAGE);
  } finally {
    WebAssembly.validate = real;
  }
  assert.match(NO_SIMD_MESSAGE, /lacks WebAssembly SIMD/);
});
