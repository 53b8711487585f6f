// Accuracy of one model on crossbars (the PIM accuracy section of Crossbar costs),
// off the main thread. One worker per model; the page keeps it alive and sends one
// job per knob setting. The core does the work (`PimRun`: map the model, program the
// chips, classify a few images per step, the running accuracy over seeds); between
// steps the worker yields, so a newer job or a cancel stops the current one early.
//
// In:  {type: 'data', bytes: Uint8Array (model file), images: Uint8Array (n*784), labels: Uint8Array (n)}
//      {type: 'job', id, knobs: PimKnobs, seeds, images (how many of the data's images), steps: [first, then]}
//      {type: 'cancel', id}
// Out: {type: 'progress', id, result: EvalResult, secs} after each step,
//      {type: 'done', id, result, secs} or {type: 'error', id, message}.
import init, { PimRun } from '../pkg/epim.js';

let data = null, current = null; // current: the id of the job running
const ready = init();
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

self.onmessage = async ({ data: msg }) => {
  if (msg.type === 'data') {
    data = msg;
    return;
  }
  if (msg.type === 'cancel') {
    if (current === msg.id) current = null;
    return;
  }
  if (msg.type !== 'job') return;
  const { id, knobs, seeds, images: n, steps } = msg;
  current = id;
  let run = null;
  try {
    await ready;
    if (!data) throw new Error('the worker has no model and images yet');
    const t0 = performance.now();
    run = new PimRun(data.bytes, knobs, data.images.subarray(0, n * 784), data.labels.subarray(0, n), seeds);
    let first = true;
    while (run.done < run.total) {
      // A newer job or a cancel arrived while this one was waiting.
      await tick();
      if (current !== id) return;
      const result = run.step(first ? steps[0] : steps[1]);
      first = false;
      const secs = (performance.now() - t0) / 1000;
      self.postMessage({ type: run.done < run.total ? 'progress' : 'done', id, result, secs });
    }
  } catch (e) {
    if (current === id) self.postMessage({ type: 'error', id, message: e?.message ?? String(e) });
  } finally {
    run?.free();
    if (current === id) current = null;
  }
};
