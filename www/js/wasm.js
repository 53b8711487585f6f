// Loads the wasm core and wraps its calls. A thrown JsError becomes an Error with
// the core's message. A trap (WebAssembly.RuntimeError: a bug, never bad input)
// leaves the instance unusable, so it is dropped: the next load() imports the glue
// module under a fresh URL, which instantiates a fresh wasm module, and views are
// told (event 'epim:reinstantiated') to rebuild what they cached (models).

let generation = 0;
let ready = null;

/** Instantiates the module (once per generation); resolves to its exports. */
export function load() {
  if (!ready) {
    const url = generation === 0 ? '../pkg/epim.js' : `../pkg/epim.js?instance=${generation}`;
    ready = import(url)
      .then(async (m) => {
        await m.default();
        return m;
      })
      .catch((e) => {
        ready = null;
        throw new Error(`cannot load the WebAssembly core: ${e.message}`);
      });
  }
  return ready;
}

/** Drops the current instance after a trap and announces it. */
export function reinstantiate(reason) {
  generation += 1;
  ready = null;
  if (typeof window !== 'undefined') {
    window.dispatchEvent(new CustomEvent('epim:reinstantiated', { detail: { reason, generation } }));
  }
}

/** True for errors that mean the wasm instance is dead (a trap, or out of memory). */
export function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError || (e instanceof RangeError && /memory/i.test(e.message));
}

/**
 * Runs `fn(core)`; on a trap, re-instantiates and rethrows an Error saying so.
 * Other errors (the core's JsErrors) pass through unchanged.
 */
export async function withCore(fn) {
  return runGuarded(await load(), fn);
}

/** The number of times the instance was replaced after a trap. */
export function instanceGeneration() {
  return generation;
}

/** Runs `fn(m)` with the trap handling of withCore (separate so it can be tested without wasm). */
export async function runGuarded(m, fn) {
  try {
    return await fn(m);
  } catch (e) {
    if (isTrap(e)) {
      reinstantiate(e.message);
      throw new Error(`the WebAssembly core crashed (${e.message}); it was restarted, please try again`);
    }
    throw e instanceof Error ? e : new Error(String(e));
  }
}

/** Calls `core[name](...args)` through withCore. */
export function call(name, ...args) {
  return withCore((m) => m[name](...args));
}
