// Accuracy of one model on the test subset, off the main thread: the page stays
// responsive and shows progress; cancelling terminates the worker. Loads the same
// wasm package as the page (www/pkg, --target web) and counts with the core's
// `Model.evaluate`, one chunk at a time.
//
// In:  {bytes: Uint8Array (model file), images: Uint8Array (n*784), labels: Uint8Array (n), chunk}
// Out: {type: 'progress', done, n, secs} ... then {type: 'done', accuracy, n, secs}
//      or {type: 'error', message}.
import init, { Model } from '../pkg/epim.js';

self.onmessage = async ({ data }) => {
  let model = null;
  try {
    await init();
    const { bytes, images, labels, chunk } = data;
    model = Model.load(bytes);
    const px = images.length / labels.length;
    const n = labels.length;
    const t0 = performance.now();
    let correct = 0, done = 0;
    while (done < n) {
      const m = Math.min(chunk, n - done);
      // evaluate gives the chunk's accuracy in [0, 1]; times m is its count of correct images.
      correct += Math.round(model.evaluate(images.subarray(done * px, (done + m) * px), labels.subarray(done, done + m)) * m);
      done += m;
      self.postMessage({ type: 'progress', done, n, secs: (performance.now() - t0) / 1000 });
    }
    self.postMessage({ type: 'done', accuracy: correct / n, n, secs: (performance.now() - t0) / 1000 });
  } catch (e) {
    self.postMessage({ type: 'error', message: e?.message ?? String(e) });
  } finally {
    model?.free();
  }
};
