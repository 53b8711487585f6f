// Accuracy of models on crossbars (the PIM accuracy section of Crossbar costs), off the
// main thread. The page keeps a pool of these workers (one per core, at most 8) and splits
// every model's images between them: a job gives this worker one part (a range of the
// images) of each of several models under one knob setting. The core does the work
// (`PimRun`: map the model, program the chips, classify a few images per step); the
// worker steps its parts in turn, so every model gets an early estimate, and the page
// merges the parts' results in the core (`pimMerge`). Between steps the worker yields:
// a newer job or a cancel stops the current one early. The runs of a job stay alive until
// a job no longer has them, so a job sent again (one model more or fewer) goes on where
// the last one was.
//
// In:  {type: 'images', images: Uint8Array (n*784), labels: Uint8Array (n)}
//      {type: 'model', model: id, bytes: Uint8Array (model file)}
//      {type: 'job', id, key, knobs: PimKnobs, seeds, parts: [{model, from, to}], steps: [first, then]}
//      {type: 'cancel', id}
// Out: {type: 'step', key, model, from, to, result: EvalResult, secs, done} after each step of a part,
//      {type: 'done', id} when every part of the job is done,
//      {type: 'error', id, key, model, message}.
import init, { PimRun } from '../pkg/epim.js';
import { yieldToEvents } from './yield.js';

let images = null, current = null; // current: the job running
const models = new Map(); // model id -> bytes
const runs = new Map(); // runId -> {run: PimRun, t0, first}
const ready = init();
const runId = (key, p) => `${key}|${p.model}|${p.from}-${p.to}`;

self.onmessage = ({ data: msg }) => {
  if (msg.type === 'images') images = msg;
  else if (msg.type === 'model') models.set(msg.model, msg.bytes);
  else if (msg.type === 'cancel') {
    if (current?.id === msg.id) current = null;
    keepOnly(new Set());
  } else if (msg.type === 'job') {
    current = msg;
    keepOnly(new Set(msg.parts.map((p) => runId(msg.key, p))));
    work(msg);
  }
};

/** Frees the runs no job needs (the loop of a replaced job stops before touching them). */
function keepOnly(ids) {
  for (const [id, r] of runs) {
    if (!ids.has(id)) {
      r.run.free();
      runs.delete(id);
    }
  }
}

async function work(job) {
  const { id, key, knobs, seeds, parts, steps } = job;
  let part = null;
  try {
    await ready;
    for (;;) {
      await yieldToEvents();
      if (current !== job) return;
      // The part with the fewest images done (so every model moves on together).
      let best = null;
      for (const p of parts) {
        const r = runs.get(runId(key, p));
        const done = r ? r.run.done : 0;
        if (r && done >= r.run.total) continue;
        if (!best || done < best.done) best = { p, r, done };
      }
      if (!best) break;
      part = best.p;
      let r = best.r;
      if (!r) {
        if (!images) throw new Error('the worker has no test images yet');
        const bytes = models.get(part.model);
        if (!bytes) throw new Error(`the worker has no model file for ${part.model}`);
        const t0 = performance.now();
        const run = new PimRun(bytes, knobs, images.images.subarray(part.from * 784, part.to * 784),
          images.labels.subarray(part.from, part.to), seeds);
        r = { run, t0, first: true };
        runs.set(runId(key, part), r);
      }
      const result = r.run.step(r.first ? steps[0] : steps[1]);
      r.first = false;
      const secs = (performance.now() - r.t0) / 1000;
      self.postMessage({ type: 'step', key, model: part.model, from: part.from, to: part.to, result, secs, done: r.run.done >= r.run.total });
    }
    self.postMessage({ type: 'done', id });
  } catch (e) {
    if (current === job) {
      self.postMessage({ type: 'error', id, key, model: part?.model, message: e?.message ?? String(e) });
      current = null;
    }
  }
}
