// The page's one store: the current state (the URL-hash keys of state.js plus a
// few in-memory keys) and subscriptions per key. A view subscribes to the keys it
// reads and recomputes only when one of them changes; nothing else holds a copy
// of the state. Pure: no DOM, no wasm (tests/js/store.test.mjs).

const same = (a, b) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * `createStore(initial, {onError?})` -> {get, set, subscribe}. A subscriber that throws
 * is reported through `onError` (default: the browser's reportError) and the others run.
 * - `get()`: the current state object (replaced, never mutated, on each change).
 * - `set(patch)`: merges `patch`; subscribers whose keys changed are called once,
 *   in subscription order, with `(state, changedKeys)`. Returns the changed keys.
 *   A `set` from inside a subscriber is applied after the current round.
 * - `subscribe(keys, fn)`: `keys` an array of state keys (or '*' for all); returns
 *   a function that unsubscribes.
 */
export function createStore(initial, { onError = globalThis.reportError ?? console.error } = {}) {
  let state = Object.freeze({ ...initial });
  const subs = [];
  const queue = [];
  let busy = false;

  function apply(patch) {
    const changed = Object.keys(patch).filter((k) => !same(state[k], patch[k]));
    if (!changed.length) return changed;
    state = Object.freeze({ ...state, ...patch });
    for (const s of [...subs]) {
      if (s.keys === '*' || changed.some((k) => s.keys.includes(k))) {
        try {
          s.fn(state, changed);
        } catch (e) {
          // One broken view must not stop the others from seeing the change.
          onError(e);
        }
      }
    }
    return changed;
  }

  return {
    get: () => state,
    set(patch) {
      if (busy) {
        queue.push(patch);
        return Object.keys(patch);
      }
      busy = true;
      try {
        const changed = apply(patch);
        while (queue.length) apply(queue.shift());
        return changed;
      } finally {
        busy = false;
      }
    },
    subscribe(keys, fn) {
      const s = { keys, fn };
      subs.push(s);
      return () => {
        const i = subs.indexOf(s);
        if (i >= 0) subs.splice(i, 1);
      };
    },
  };
}

/** A stable key of the values of `keys` in `state` (what a result was computed for). */
export function settingsKey(state, keys) {
  return JSON.stringify(keys.map((k) => [k, state[k]]));
}
