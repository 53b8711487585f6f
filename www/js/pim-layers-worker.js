// Per-layer errors on crossbars (the PIM accuracy section's "Where each model loses"), off
// the main thread: the core's `pimLayerErrors` runs every weight layer of a model on the
// crossbars and as the digital executor runs it, on the same input, and reports each
// layer's own error. One model at a time; the page ignores replies to an older request.
//
// In:  {id, knobs: PimKnobs, seeds, images: Uint8Array (n*784), labels: Uint8Array (n),
//       models: [{model, bytes: Uint8Array}]}
// Out: {id, model, layers: LayerError[]} per model, then {id, done: true};
//      {id, model, error} when the core refuses (the page then starts a new worker).
import init, { pimLayerErrors } from '../pkg/epim.js';

const ready = init();

self.onmessage = async ({ data: msg }) => {
  await ready;
  for (const { model, bytes } of msg.models) {
    try {
      const layers = pimLayerErrors(bytes, msg.knobs, msg.images, msg.labels, msg.seeds);
      self.postMessage({ id: msg.id, model, layers });
    } catch (e) {
      self.postMessage({ id: msg.id, model, error: e?.message ?? String(e) });
      return;
    }
  }
  self.postMessage({ id: msg.id, done: true });
};
