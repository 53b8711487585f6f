// Objects a script drops without `free()` must not pin wasm memory (issue 16: loading
// 1,000 models without free() kept 212 MB). wasm-bindgen registers every `Model` with a
// FinalizationRegistry; this checks that the registry really returns the memory: after
// a garbage collection, rounds of dropped models reuse the memory the first round took.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.join(root, 'www/pkg');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

async function collect() {
  // Finalizers run as tasks after a collection: collect, then let them run, twice.
  for (let i = 0; i < 2; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('dropped models are freed after garbage collection (no free() needed)', async () => {
  assert.ok(fs.existsSync(path.join(pkg, 'epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  const m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
  const wasm = await m.default({ module_or_path: fs.readFileSync(path.join(pkg, 'epim_bg.wasm')) });
  const bytes = new Uint8Array(fs.readFileSync(path.join(root, 'models/mnist-cnn-epim2.25-8b.safetensors')));
  const mib = () => wasm.memory.buffer.byteLength / 2 ** 20;
  const start = mib();
  // One round of 200 live models: what 200 models take.
  let held = Array.from({ length: 200 }, () => m.Model.load(bytes));
  const oneRound = mib() - start;
  assert.ok(oneRound > 8, `200 live models should take memory (grew ${oneRound.toFixed(1)} MiB)`);
  held = null;
  await collect();
  // Five more rounds, each dropped: without finalization memory would grow ~5 x oneRound.
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 200; i++) m.Model.load(bytes).info();
    await collect();
  }
  const grown = mib() - start;
  assert.ok(grown < 2 * oneRound, `after 1,200 dropped models wasm memory grew ${grown.toFixed(1)} MiB; one round of 200 took ${oneRound.toFixed(1)} MiB`);
  void held;
});
