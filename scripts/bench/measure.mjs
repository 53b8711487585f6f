// One measurement of one runtime on one model, the same in Node and in the browser:
// load time, batch-1 latency (median over single images), throughput over the test
// images in batches, accuracy, and the predicted classes (to check that the runtimes
// agree). Timing uses performance.now() around whole calls, outputs included. Where the
// host can read the CPU time of the process running the runtime (`host.cpuMs`: Node's
// process.cpuUsage(); in Chromium the bench reads the renderer's /proc counters), the
// throughput pass also reports CPU milliseconds per image: on a shared machine the other
// jobs take wall-clock time from a runtime but not CPU time, so this is the steadier
// measure of the runtime's own cost.

/** Index of the largest of `classes` values at `off`. */
function argmax(v, off, classes) {
  let best = 0;
  for (let j = 1; j < classes; j++) if (v[off + j] > v[off + best]) best = j;
  return best;
}

/**
 * runtime: an adapter of runtimes.mjs; data: { images: Float32Array [n*784], labels:
 * Uint8Array, n }; opts: { latencyImages, batch, classes }.
 */
export async function measure(runtime, host, files, data, opts) {
  const { latencyImages = 200, batch = 100, classes = 10 } = opts;
  const per = data.images.length / data.n;
  const t0 = performance.now();
  const engine = await runtime.load(host, files);
  // One call so lazily compiled paths are ready (counted in the load time: a reader waits for it).
  await engine.logits(data.images.subarray(0, per), 1);
  const loadMs = performance.now() - t0;

  const lat = [];
  for (let i = 0; i < Math.min(latencyImages, data.n); i++) {
    const img = data.images.subarray(i * per, (i + 1) * per);
    const s = performance.now();
    await engine.logits(img, 1);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);

  const predicted = new Uint8Array(data.n);
  const cpu0 = host.cpuMs ? ((await host.cpuMs()) ?? undefined) : undefined;
  const s = performance.now();
  for (let start = 0; start < data.n; start += batch) {
    const k = Math.min(batch, data.n - start);
    const out = await engine.logits(data.images.subarray(start * per, (start + k) * per), k);
    for (let i = 0; i < k; i++) predicted[start + i] = argmax(out, i * classes, classes);
  }
  const secs = (performance.now() - s) / 1000;
  const cpu1 = cpu0 === undefined ? undefined : ((await host.cpuMs()) ?? undefined);
  let correct = 0;
  for (let i = 0; i < data.n; i++) correct += predicted[i] === data.labels[i] ? 1 : 0;
  return {
    runtime: runtime.name,
    load_ms: loadMs,
    batch1_median_ms: lat[Math.floor(lat.length / 2)],
    images_per_s: data.n / secs,
    cpu_ms_per_image: cpu1 === undefined ? undefined : (cpu1 - cpu0) / data.n,
    images: data.n,
    accuracy_pct: (100 * correct) / data.n,
    classes: Array.from(predicted),
  };
}

/** Parses unsigned-byte IDX files into float images (byte / 255) and labels. */
export function readMnist(imagesIdx, labelsIdx, limit) {
  const dv = new DataView(imagesIdx.buffer, imagesIdx.byteOffset, imagesIdx.byteLength);
  const n = Math.min(dv.getUint32(4), limit);
  const per = dv.getUint32(8) * dv.getUint32(12);
  const images = new Float32Array(n * per);
  for (let i = 0; i < n * per; i++) images[i] = imagesIdx[16 + i] / 255;
  return { images, labels: labelsIdx.subarray(8, 8 + n), n };
}
