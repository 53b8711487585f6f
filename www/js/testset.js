// The page's MNIST test subset (www/data, written by scripts/build-data.mjs), fetched
// once and parsed by the core (wasm `readIdxDataset`: strict IDX checks, errors naming
// the file). Shared by the Try it panel and the PIM accuracy section.
import { withCore } from './wasm.js';

const DATA = { images: 'data/mnist-test-images-idx3-ubyte', labels: 'data/mnist-test-labels-idx1-ubyte' };
let cached = null;

/** `{count, rows, cols, images: Uint8Array, labels: Uint8Array}`; a failed load is retried next time. */
export function testSet() {
  if (!cached) {
    cached = load().catch((e) => {
      cached = null;
      throw e;
    });
  }
  return cached;
}

async function load() {
  const [im, lb] = await Promise.all([DATA.images, DATA.labels].map(async (u) => {
    const res = await fetch(u);
    if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }));
  const set = await withCore((core) => core.readIdxDataset(im, lb));
  if (set.rows !== 28 || set.cols !== 28) throw new Error(`the test images are ${set.rows}x${set.cols}, not 28x28`);
  return set;
}
