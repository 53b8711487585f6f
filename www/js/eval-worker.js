// Accuracy of one model on the test subset, off the main thread: the page stays
// responsive and shows progress; cancelling terminates the worker. Loads the same
// wasm package as the page (www/pkg, --target web); the core counts (`EvalRun`, one
// chunk of images per step: done, total, correct, accuracy).
//
// In:  {bytes: Uint8Array (model file), images: Uint8Array (n*784), labels: Uint8Array (n), chunk}
// Out: {type: 'progress', done, n, secs} ... then {type: 'done', accuracy, correct, n, secs}
//      or {type: 'error', message}.
import init, { EvalRun } from '../pkg/epim.js';

self.onmessage = async ({ data }) => {
  let run = null;
  try {
    await init();
    const { bytes, images, labels, chunk } = data;
    run = new EvalRun(bytes, images, labels);
    const t0 = performance.now();
    let t;
    do {
      t = run.step(chunk);
      self.postMessage({ type: 'progress', done: t.done, n: t.total, secs: (performance.now() - t0) / 1000 });
    } while (t.done < t.total);
    self.postMessage({ type: 'done', accuracy: t.accuracy, correct: t.correct, n: t.total, secs: (performance.now() - t0) / 1000 });
  } catch (e) {
    self.postMessage({ type: 'error', message: e?.message ?? String(e) });
  } finally {
    run?.free();
  }
};
