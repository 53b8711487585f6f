// Prints raw and gzip sizes of every www/pkg/*.wasm and www/pkg-onnx/*.wasm; with --check,
// exits 1 when a module exceeds its budget:
// - the main module (www/pkg, fetched on every first visit): 4.5 MB raw, 1.2 MB gzip;
// - the on-demand module (www/pkg-onnx: tract-onnx, tract-core and the ONNX importer,
//   fetched only when a reader drops an .onnx file or picks the tract-core engine; 14.4 MB
//   raw / 3.76 MB gzip when it was added): 16 MB raw, 4.2 MB gzip. It is big because
//   tract-onnx parses every ONNX operator set and tract-core carries its optimizer and
//   kernels; it never counts towards the first load (tests/e2e/load.test.mjs).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const BUDGET = { rawBytes: 4.5e6, gzipBytes: 1.2e6 };
export const ONNX_BUDGET = { rawBytes: 16e6, gzipBytes: 4.2e6 };
const www = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'www');
const MODULES = [
  { dir: 'pkg', file: 'epim_bg.wasm', budget: BUDGET },
  { dir: 'pkg-onnx', file: 'epim_onnx_bg.wasm', budget: ONNX_BUDGET },
];

const files = [];
for (const m of MODULES) {
  const dir = path.join(www, m.dir);
  if (!fs.existsSync(path.join(dir, m.file))) {
    console.error(`size: no ${m.dir}/${m.file}; run 'npm run build:wasm' first`);
    process.exit(1);
  }
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.wasm'))) files.push({ ...m, name: f, path: path.join(dir, f) });
}
let over = false;
for (const f of files) {
  const bytes = fs.readFileSync(f.path);
  const gz = zlib.gzipSync(bytes, { level: 9 }).length;
  console.log(`${f.dir}/${f.name}: ${(bytes.length / 1e3).toFixed(1)} kB raw, ${(gz / 1e3).toFixed(1)} kB gzip`);
  const b = f.budget;
  if (f.name === f.file && (bytes.length > b.rawBytes || gz > b.gzipBytes)) {
    console.error(`size: ${f.dir}/${f.name} exceeds the budget of ${b.rawBytes / 1e6} MB raw / ${b.gzipBytes / 1e6} MB gzip`);
    over = true;
  }
}
if (over && process.argv.includes('--check')) process.exit(1);
