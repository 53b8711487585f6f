// Loads the wasm core once and wraps its calls: a thrown JsError becomes an Error
// with the core's message; a trap (RuntimeError) drops the instance so the next
// call re-instantiates it.
import init, * as core from '../pkg/epim.js';

let ready = null;

/** Instantiates the module (once); resolves to the exports. */
export function load() {
  if (!ready) {
    ready = init().then(() => core).catch((e) => {
      ready = null;
      throw new Error(`cannot load the WebAssembly core: ${e.message}`);
    });
  }
  return ready;
}

/** Calls `core[name](...args)`; re-instantiates after a trap. */
export async function call(name, ...args) {
  const m = await load();
  try {
    return m[name](...args);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      ready = null;
      throw new Error(`the WebAssembly core crashed (${e.message}) and was restarted; please report this input`);
    }
    throw e instanceof Error ? e : new Error(String(e));
  }
}
