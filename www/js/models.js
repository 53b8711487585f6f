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

/** The MNIST models (the ones that classify handwritten digits). */
export async function mnistModels() {
  return (await loadManifest()).filter((m) => (m.dataset ?? 'mnist') === 'mnist');
}

/** A model file's bytes (fetched once). */
export function modelBytes(entry) {
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
