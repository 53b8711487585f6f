// The page's second wasm module (www/pkg-onnx: tract-onnx, tract-core and the ONNX
// importer), imported only when a reader drops an .onnx file on the Crossbar costs
// panel or picks the tract-core engine in Try it, so the first page load stays small.
// A trap (a bug, never bad input) drops the instance like wasm.js does; the networks
// imported into it are gone then, and said so.
//
// Imported networks live in this tab only (a link cannot carry a file): `net` holds
// `file:NAME`, and a reload or another tab falls back to the default zoo network with a
// notice (state.js, checkNames).

import { isTrap } from './wasm.js';

/** Prefix of the `net` state value of a network imported from a file. */
export const FILE_PREFIX = 'file:';

let generation = 0;
let ready = null;
/** id (`file:NAME`) -> {id, fileName, net: OnnxNetwork, summary, generation} */
const imported = new Map();

/** True once the module was fetched (tests and the loading state read it). */
export function onnxModuleLoaded() {
  return ready !== null;
}

/** Imports and instantiates the module (once per generation); resolves to its exports. */
export function loadOnnxModule() {
  if (!ready) {
    const url = generation === 0 ? '../pkg-onnx/epim_onnx.js' : `../pkg-onnx/epim_onnx.js?instance=${generation}`;
    ready = import(url)
      .then(async (m) => {
        await m.default();
        return m;
      })
      .catch((e) => {
        ready = null;
        throw new Error(`cannot load the ONNX module: ${e.message}`);
      });
  }
  return ready;
}

/** Runs `fn(module)`; on a trap, drops the instance (and its networks) and says so. */
export async function withOnnx(fn) {
  const m = await loadOnnxModule();
  try {
    return await fn(m);
  } catch (e) {
    if (isTrap(e)) {
      generation += 1;
      ready = null;
      imported.clear();
      throw new Error(`the ONNX module crashed (${e.message}); it was restarted: drop the file again`);
    }
    throw e instanceof Error ? e : new Error(String(e));
  }
}

/** The `net` id of a file name: `file:` + the name with characters a link cannot hold replaced. */
export function fileId(fileName) {
  const clean = String(fileName).replace(/[^A-Za-z0-9_.=,+-]/g, '_').slice(0, 80 - FILE_PREFIX.length);
  return FILE_PREFIX + (clean || 'network.onnx');
}

/**
 * Imports `file` (a File or Blob with a name): loads the module, refuses a file over its
 * limit before reading it, imports it (the core's one-line error otherwise). Calls
 * `onStep(text)` as it goes. Resolves to the entry {id, fileName, summary, ms}.
 */
export async function importNetworkFile(file, onStep = () => {}) {
  const t0 = performance.now();
  onStep(onnxModuleLoaded() ? 'Reading the file…' : 'Loading the ONNX module (tract-onnx, once per visit)…');
  const limit = (await withOnnx((m) => m.onnxLimits())).max_file_bytes;
  if (file.size > limit) {
    throw new Error(`${file.name}: ${file.size} bytes, more than the page's limit of ${limit} bytes (use the command line, epim import)`);
  }
  const t1 = performance.now();
  onStep('Reading the file…');
  const bytes = new Uint8Array(await file.arrayBuffer());
  onStep('Importing the network…');
  const stem = String(file.name).replace(/\.onnx$/i, '') || 'onnx';
  const id = fileId(file.name);
  const net = await withOnnx((m) => m.OnnxNetwork.import(bytes, { name: stem }));
  const summary = net.summary();
  imported.get(id)?.net.free();
  const entry = { id, fileName: file.name, net, summary, generation };
  imported.set(id, entry);
  const t2 = performance.now();
  return { ...entry, ms: { module: t1 - t0, import: t2 - t1 } };
}

/** The entry of an imported network (`file:NAME`), or undefined (not in this tab, or lost to a crash). */
export function importedNetwork(id) {
  const e = imported.get(id);
  return e && e.generation === generation ? e : undefined;
}

/** Ids of the networks imported in this tab. */
export function importedIds() {
  return [...imported.keys()];
}

/** What the main module takes as `network` for state `net`: the imported spec or the zoo name. */
export function networkRef(net) {
  const e = importedNetwork(net);
  return e ? e.net.spec() : net;
}

/** The imported network's comparison (real weights), `request` without `network`. */
export function compareImported(id, request) {
  const { network: _ignored, ...rest } = request;
  return withOnnx(() => {
    const e = importedNetwork(id);
    if (!e) throw new Error(`${id.slice(FILE_PREFIX.length)} is no longer loaded: drop the file again`);
    return e.net.compare(rest);
  });
}
