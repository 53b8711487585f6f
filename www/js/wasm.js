// Loads the wasm core and wraps its calls. A thrown JsError becomes an Error with
// the core's message. A trap (WebAssembly.RuntimeError: a bug, never bad input)
// leaves the instance unusable, so it is dropped: the next load() imports the glue
// module under a fresh URL, which instantiates a fresh wasm module, and views are
// told (event 'epim:reinstantiated') to rebuild what they cached (models).
//
// Why some errors are fatal too: wasm-bindgen's generated shims throw from inside
// wasm when a method is called on a freed (or foreign) object ("null pointer passed
// to rust") or re-entered while borrowed. Such an exception unwinds through wasm
// frames without restoring the Rust shadow-stack pointer, so every one leaks a stack
// frame; after a few thousand the stack runs into static data and every call traps
// ("memory access out of bounds"). The core's own exports never throw from inside
// wasm (bad input returns an Error; property reads are caught, see
// crate/src/wasm/convert.rs), so harden() stops the remaining path in JS: a method
// of a freed Model or SearchSession throws here, before entering wasm. Should one of
// those messages still come out of wasm, the instance is treated as damaged and
// replaced, like after a trap.

let generation = 0;
let ready = null;

// The smallest module using a wasm SIMD (simd128) instruction: a function
// `() -> v128` whose body is `i32.const 0; i8x16.splat`. The core is built with
// simd128 (its inference GEMM); an engine without it cannot compile the core.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // code: i32.const 0, i8x16.splat, end
]);

/** The message shown instead of the page when the engine lacks wasm SIMD. */
export const NO_SIMD_MESSAGE = 'This browser cannot run the WebAssembly core: it lacks WebAssembly SIMD '
  + '(simd128), which the core needs. Use a current Chrome, Edge (91 or later), Firefox (89 or later) '
  + 'or Safari (16.4 or later), or turn WebAssembly SIMD back on if it was disabled.';

/** True when this engine validates a module using wasm SIMD (`validate` is injectable for tests). */
export function simdSupported(validate = (b) => WebAssembly.validate(b)) {
  try {
    return typeof WebAssembly === 'object' && validate(SIMD_PROBE) === true;
  } catch {
    return false;
  }
}

/** Instantiates the module (once per generation); resolves to its exports. */
export function load() {
  if (!ready && !simdSupported()) return Promise.reject(new Error(NO_SIMD_MESSAGE));
  if (!ready) {
    const url = generation === 0 ? '../pkg/epim.js' : `../pkg/epim.js?instance=${generation}`;
    ready = import(url)
      .then(async (m) => {
        await m.default();
        return harden(m);
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

/** Exported classes whose methods need a live Rust object. */
const CLASSES = ['Model', 'SearchSession'];

/** wasm-bindgen's messages for an exception thrown from inside wasm (leaks its stack). */
const UNWOUND = /^(null pointer passed to rust|recursive use of an object detected|attempted to take ownership of Rust value)/;

/**
 * Makes every method and getter of the exported classes check, in JS, that `this` is
 * a live object of its class (not freed, not another class's object) before entering
 * wasm; returns the module. Idempotent. Exported for the Node fuzz harness, which
 * loads the package as the page does.
 */
export function harden(m) {
  for (const name of CLASSES) {
    const cls = m[name];
    if (typeof cls !== 'function' || cls.__epimHardened) continue;
    const proto = cls.prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key === 'free' || key.startsWith('__')) continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (typeof d.value === 'function') {
        const f = d.value;
        d.value = function guarded(...args) {
          assertLive(this, cls, name);
          return f.apply(this, args);
        };
      } else if (typeof d.get === 'function') {
        const g = d.get;
        d.get = function guardedGet() {
          assertLive(this, cls, name);
          return g.call(this);
        };
      } else {
        continue;
      }
      Object.defineProperty(proto, key, d);
    }
    // free() of an already freed object would pass a null pointer into wasm.
    const free = proto.free;
    if (typeof free === 'function') {
      const guardedFree = function guardedFree() {
        if (!(this instanceof cls) || this.__wbg_ptr === 0) return;
        free.call(this);
      };
      proto.free = guardedFree;
      if (typeof Symbol.dispose === 'symbol' && proto[Symbol.dispose] === free) proto[Symbol.dispose] = guardedFree;
    }
    Object.defineProperty(cls, '__epimHardened', { value: true });
  }
  return m;
}

function assertLive(obj, cls, name) {
  if (!(obj instanceof cls)) throw new Error(`this is not a ${name}`);
  if (typeof obj.__wbg_ptr !== 'number' || obj.__wbg_ptr === 0) {
    throw new Error(`this ${name} was freed (free() was called); create a new one`);
  }
}

/**
 * True for errors that mean the wasm instance is dead or damaged: a trap, wasm out of
 * memory, or an exception wasm-bindgen threw from inside wasm (see the top comment).
 */
export function isTrap(e) {
  return e instanceof WebAssembly.RuntimeError
    || (e instanceof RangeError && /memory/i.test(e.message))
    || (e instanceof Error && UNWOUND.test(e.message));
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
