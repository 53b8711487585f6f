// The shipped model files (models/manifest.json, written by scripts/build-site.mjs),
// fetched once per page and shared by the views.

let manifest = null;
const bytes = new Map(); // file -> Promise<Uint8Array>

/** All manifest entries ({id, label, file, accuracy_0_to_1, dataset, summary}). */
export function loadManifest() {
  if (!manifest) {
    manifest = fetch('models/manifest.json').then(async (res) => {
      if (!res.ok) throw new Error(`models/manifest.json: HTTP ${res.status}`);
      return res.json();
    });
    manifest.catch(() => { manifest = null; });
  }
  return manifest;
}

/** Models trained in this tab (the Train panel): manifest-like entries holding their bytes. */
const trainedHere = [];

/**
 * Adds a model trained in this tab ({label, dataset, bytes, accuracy_0_to_1}) to the
 * models every view lists, and tells them (event 'epim:models-changed', detail: the
 * entry). Returns the entry ({id: 'trained:N', ...}).
 */
export function addTrainedModel({ label, dataset, bytes: b, accuracy_0_to_1 }) {
  const entry = { id: `trained:${trainedHere.length + 1}`, label, dataset, accuracy_0_to_1, bytes: b, user: true, trained: true, summary: 'Trained in this tab (Train panel).' };
  trainedHere.push(entry);
  window.dispatchEvent(new CustomEvent('epim:models-changed', { detail: entry }));
  return entry;
}

/** The models trained in this tab, oldest first. */
export function trainedModels() {
  return [...trainedHere];
}

/** The MNIST models (the ones that classify handwritten digits): shipped, then trained here. */
export async function mnistModels() {
  const all = [...(await loadManifest()), ...trainedHere];
  return all.filter((m) => (m.dataset ?? 'mnist') === 'mnist');
}

/** A model file's bytes (fetched once; a model trained here holds its own). */
export function modelBytes(entry) {
  if (entry.bytes) return Promise.resolve(entry.bytes);
  if (!bytes.has(entry.file)) {
    const p = fetch(entry.file).then(async (res) => {
      if (!res.ok) throw new Error(`${entry.file}: HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    });
    p.catch(() => bytes.delete(entry.file));
    bytes.set(entry.file, p);
  }
  return bytes.get(entry.file);
}

/** "MNIST" / "Fashion-MNIST" for a manifest dataset name. */
export function datasetName(d) {
  return { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST', fashion: 'Fashion-MNIST' }[d ?? 'mnist'] ?? String(d);
}
