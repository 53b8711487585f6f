// Prints raw and gzip sizes of every www/pkg/*.wasm; with --check, exits 1 when
// the main module exceeds the budget (4.5 MB raw, 1.2 MB gzip).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const BUDGET = { rawBytes: 4.5e6, gzipBytes: 1.2e6 };
const pkg = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'www', 'pkg');

const files = fs.existsSync(pkg) ? fs.readdirSync(pkg).filter((f) => f.endsWith('.wasm')) : [];
if (files.length === 0) {
  console.error(`size: no .wasm in ${pkg}; run 'npm run build:wasm' first`);
  process.exit(1);
}
let over = false;
for (const f of files) {
  const bytes = fs.readFileSync(path.join(pkg, f));
  const gz = zlib.gzipSync(bytes, { level: 9 }).length;
  console.log(`${f}: ${(bytes.length / 1e3).toFixed(1)} kB raw, ${(gz / 1e3).toFixed(1)} kB gzip`);
  if (f === 'epim_bg.wasm' && (bytes.length > BUDGET.rawBytes || gz > BUDGET.gzipBytes)) {
    console.error(`size: ${f} exceeds the budget of ${BUDGET.rawBytes / 1e6} MB raw / ${BUDGET.gzipBytes / 1e6} MB gzip`);
    over = true;
  }
}
if (over && process.argv.includes('--check')) process.exit(1);
