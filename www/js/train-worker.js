// Training in the page, off the main thread (docs/training.md). The core does the
// work (`TrainRun`: check the settings, build the network, train a few batches per
// call, the chart data, the exported model file); this worker fetches the data,
// steps the run in slices of about 150 ms and yields between them, so pause and
// resume take effect within one slice. Cancel: the page terminates the worker.
//
// In:  {type: 'start', settings: TrainSettings, data: {train_images, train_labels,
//        test_images, test_labels} ({file, bytes} of gzipped IDX files under data/)}
//      {type: 'pause'} | {type: 'resume'}
// Out: {type: 'fetch', loaded, total}          while the data downloads (bytes, gzipped)
//      {type: 'progress', progress: TrainProgress, loss: CurveData, accuracy: CurveData,
//        secs, images_per_s, heldOut?: number}  after each slice (heldOut: after an epoch,
//                                               the accuracy on the first 2,000 test images)
//      {type: 'evaluating'}                     before the test-set evaluation
//      {type: 'done', model: TrainedModel, secs, train_secs}
//      {type: 'error', message, stage: 'settings' | 'data' | 'training'}
import init, { TrainRun } from '../pkg/epim.js';
import { yieldToEvents } from './yield.js';

const ready = init();
let paused = false;
let wake = null; // resolves a paused loop
const SLICE_MS = 150;
/** Test images the held-out accuracy after each epoch is measured on. */
const HELD_OUT = 2000;

/** A gzipped file's bytes, decompressed (a server that already decoded it is fine too). */
async function fetchBytes(url, onBytes) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const chunks = [];
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    onBytes(value.length);
  }
  const raw = new Blob(chunks);
  const head = new Uint8Array(await raw.slice(0, 2).arrayBuffer());
  if (head[0] !== 0x1f || head[1] !== 0x8b) return new Uint8Array(await raw.arrayBuffer());
  const plain = raw.stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(plain).arrayBuffer());
}

async function fetchData(data) {
  const total = Object.values(data).reduce((a, f) => a + f.bytes, 0);
  let loaded = 0;
  let last = 0;
  const onBytes = (n) => {
    loaded += n;
    const now = performance.now();
    if (now - last > 100) {
      last = now;
      self.postMessage({ type: 'fetch', loaded, total });
    }
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    ['train_images', 'train_labels', 'test_images', 'test_labels'].map((k) => fetchBytes(`../data/${data[k].file}`, onBytes)),
  );
  self.postMessage({ type: 'fetch', loaded: total, total });
  return { trainImages, trainLabels, testImages, testLabels };
}

function fail(stage, e) {
  self.postMessage({ type: 'error', stage, message: e?.message ?? String(e) });
}

async function train({ settings, data }) {
  await ready;
  let files;
  try {
    files = await fetchData(data);
  } catch (e) {
    return fail('data', e);
  }
  let run;
  try {
    run = new TrainRun(settings, files.trainImages, files.trainLabels);
    run.setHeldOut(files.testImages, files.testLabels, HELD_OUT);
  } catch (e) {
    return fail('settings', e);
  }
  try {
    const t0 = performance.now();
    let busy = 0; // ms spent training (pauses excluded)
    let batches = 1;
    const batchImages = settings.batch ?? 64;
    for (;;) {
      if (paused) await new Promise((resolve) => { wake = resolve; });
      const s0 = performance.now();
      const progress = run.step(batches);
      const ms = performance.now() - s0;
      busy += ms;
      // Aim each slice at SLICE_MS.
      batches = Math.max(1, Math.min(64, Math.round(batches * SLICE_MS / Math.max(ms, 1))));
      const msg = { type: 'progress', progress, secs: busy / 1000, images_per_s: (progress.steps_done * batchImages) / (busy / 1000) };
      if (progress.epoch_done) msg.heldOut = run.heldOutAccuracy();
      msg.loss = run.chart('loss');
      msg.accuracy = run.chart('accuracy');
      self.postMessage(msg);
      if (progress.done) break;
      await yieldToEvents();
    }
    self.postMessage({ type: 'evaluating' });
    const model = run.finish(files.testImages, files.testLabels);
    self.postMessage({ type: 'done', model, secs: (performance.now() - t0) / 1000, train_secs: busy / 1000 }, [model.bytes.buffer]);
  } catch (e) {
    fail('training', e);
  } finally {
    run?.free();
  }
}

self.onmessage = ({ data: msg }) => {
  if (msg.type === 'start') train(msg);
  else if (msg.type === 'pause') paused = true;
  else if (msg.type === 'resume') {
    paused = false;
    wake?.();
    wake = null;
  }
};
