import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, settingsKey } from '../../www/js/store.js';

test('a subscriber is called only when a key it reads changes', () => {
  const s = createStore({ a: 1, b: [1, 2], c: 'x' });
  const calls = [];
  s.subscribe(['a'], (st, changed) => calls.push(['a', st.a, changed]));
  s.subscribe(['b', 'c'], (st, changed) => calls.push(['bc', changed]));
  s.set({ a: 1 }); // same value: nobody
  s.set({ b: [1, 2] }); // equal array: nobody
  assert.deepEqual(calls, []);
  s.set({ a: 2, c: 'y' });
  assert.deepEqual(calls, [['a', 2, ['a', 'c']], ['bc', ['a', 'c']]]);
  s.set({ b: [3] });
  assert.deepEqual(calls.at(-1), ['bc', ['b']]);
  assert.equal(calls.length, 3);
});

test('the state is replaced, never mutated, and frozen', () => {
  const s = createStore({ a: 1 });
  const before = s.get();
  s.set({ a: 2 });
  assert.equal(before.a, 1);
  assert.equal(s.get().a, 2);
  assert.throws(() => { 'use strict'; s.get().a = 3; });
});

test('a set inside a subscriber is applied after the round, and every subscriber sees the final state', () => {
  const s = createStore({ net: 'a', m: [] });
  const seen = [];
  s.subscribe(['net'], (st) => { if (st.net === 'b') s.set({ m: ['x'] }); });
  s.subscribe(['net', 'm'], (st) => seen.push(`${st.net}/${st.m.join()}`));
  s.set({ net: 'b' });
  assert.deepEqual(seen, ['b/', 'b/x']);
});

test('unsubscribe stops the calls; a throwing subscriber does not stop the others', () => {
  const reported = [];
  const s = createStore({ a: 0 }, { onError: (e) => reported.push(e.message) });
  let n = 0;
  const off = s.subscribe(['a'], () => { n += 1; });
  s.subscribe(['a'], () => { throw new Error('view bug'); });
  let other = 0;
  s.subscribe('*', () => { other += 1; });
  s.set({ a: 1 });
  off();
  s.set({ a: 2 });
  assert.equal(n, 1);
  assert.equal(other, 2);
  assert.deepEqual(reported, ['view bug', 'view bug']);
});

test('settingsKey differs exactly when one of its keys differs', () => {
  const k = ['net', 'm'];
  assert.equal(settingsKey({ net: 'a', m: [1], x: 1 }, k), settingsKey({ net: 'a', m: [1], x: 2 }, k));
  assert.notEqual(settingsKey({ net: 'a', m: [1] }, k), settingsKey({ net: 'b', m: [1] }, k));
  assert.notEqual(settingsKey({ net: 'a', m: [1] }, k), settingsKey({ net: 'a', m: [1, 2] }, k));
});
