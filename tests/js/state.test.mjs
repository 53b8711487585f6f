import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaults, encode, decode, hashFromAttributes, SCHEMA } from '../../www/js/state.js';

test('defaults encode to an empty hash and decode back', () => {
  assert.equal(encode(defaults()), '');
  assert.deepEqual(decode(''), { state: defaults(), errors: [] });
});

test('a changed state round-trips through the hash exactly', () => {
  const s = defaults();
  s.panel = 'costs';
  s.net = 'vgg8';
  s.xbar = 128;
  s.acc = 'mnsim';
  s.m = ['dense:bits=8', 'prune:kind=xcs,ratio=0.5,bits=8'];
  s.seed = 42;
  s.shape = '8,4,3,3/4,2,4,4';
  s.o = 5;
  const hash = encode(s);
  assert.match(hash, /panel=costs/);
  assert.doesNotMatch(hash, /preset=/); // defaults are omitted
  const back = decode('#' + hash);
  assert.deepEqual(back.errors, []);
  assert.deepEqual(back.state, s);
});

test('an empty method list is distinct from the default list', () => {
  const s = defaults();
  s.m = [];
  assert.deepEqual(decode(encode(s)).state.m, []);
});

test('bad values fall back to defaults and are reported', () => {
  const { state, errors } = decode('#xbar=-4&panel=nope&bogus=1&seed=abc&net=%3Cscript%3E&shape=1,2/3');
  assert.equal(state.xbar, SCHEMA.xbar.default);
  assert.equal(state.panel, 'try');
  assert.equal(state.seed, 1);
  assert.equal(state.net, SCHEMA.net.default);
  assert.equal(state.shape, SCHEMA.shape.default);
  assert.equal(errors.length, 6);
  assert.ok(errors.some((e) => e.startsWith('xbar: must be between 0 and 4096')), errors.join('\n'));
  assert.ok(errors.some((e) => e === 'bogus: unknown setting (ignored)'));
});

test('element attributes map onto state keys', () => {
  const hash = hashFromAttributes({ panel: 'costs', network: 'lenet', 'crossbar-size': '128', other: 'x' });
  const { state, errors } = decode(hash);
  assert.deepEqual(errors, []);
  assert.equal(state.panel, 'costs');
  assert.equal(state.net, 'lenet');
  assert.equal(state.xbar, 128);
});
