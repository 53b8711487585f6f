import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaults, encode, decode, hashFromAttributes, checkNames, checkMethods, knobsOf, SCHEMA, MAX_METHODS } from '../../www/js/state.js';

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
  assert.ok(errors.some((e) => e.startsWith('xbar: must be one of 0, 64, 128, 256, 512 (got "-4"')), errors.join('\n'));
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

test('a bad method drops only itself; every bad value is reported with the reader\'s words', () => {
  const { state, errors } = decode(`#m=${encodeURIComponent('dense:bits=8~dense: bits=3~epitome:bits=3,ratio=2')}&xbar=999&cell=9&net=not-a-net`);
  assert.deepEqual(state.m, ['dense:bits=8', 'epitome:bits=3,ratio=2']);
  assert.ok(errors.some((e) => e === 'm: item 2 "dense: bits=3" is not a valid name (dropped)'), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('xbar: must be one of 0, 64, 128, 256, 512 (got "999"')), errors.join('\n'));
  assert.ok(errors.some((e) => e.startsWith('cell: must be one of')), errors.join('\n'));
  assert.equal(state.xbar, 0);
  // Names are checked by checkNames once the page knows them.
  assert.equal(state.net, 'not-a-net');
  const checked = checkNames(state, { net: ['lenet', 'resnet50-imagenet'], preset: ['mnsim2'] });
  assert.equal(checked.state.net, 'resnet50-imagenet');
  assert.deepEqual(checked.errors, ['net: no network named "not-a-net" (using resnet50-imagenet)']);
});

test('xbar=1 is reported as xbar, not as a derived hardware field', () => {
  const { state, errors } = decode('#xbar=1');
  assert.equal(state.xbar, 0);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^xbar: must be one of .* \(got "1", using the default\)$/);
});

test('a link with 3,000 methods is capped (quickly) with a notice', () => {
  const m = Array.from({ length: 3000 }, (_, i) => `dense:bits=${(i % 8) + 1}`).join('~');
  const t0 = performance.now();
  const { state, errors } = decode(`#m=${encodeURIComponent(m)}`);
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(state.m.length, MAX_METHODS);
  assert.deepEqual(errors, [`m: 3,000 items, only the first ${MAX_METHODS} are used`]);
});

test('long bad values are echoed truncated', () => {
  const { errors } = decode(`#seed=${'9'.repeat(500)}`);
  assert.ok(errors[0].length < 150, errors[0]);
  assert.match(errors[0], /…/);
});

test('checkNames leaves known names alone and falls back to the first name when the default is unknown', () => {
  const s = { ...defaults(), model: 'nope', net: 'lenet' };
  const { state, errors } = checkNames(s, { net: ['lenet'], model: ['m1', 'm2'] });
  assert.equal(state.net, 'lenet');
  assert.equal(state.model, 'm1');
  assert.deepEqual(errors, ['model: no model named "nope" (using m1)']);
});

// A stand-in for the core's parser (core.checkMethod): bits must be 2..=32.
const fakeCheck = (text) => {
  const bits = Number(text.match(/bits=(\d+)/)?.[1] ?? 8);
  if (!/^(dense|epitome|prune)(:|$)/.test(text)) throw new Error(`unknown method '${text}'; known: dense, epitome, prune`);
  if (bits < 2 || bits > 32) throw new Error(`invalid method '${text}': bits: must be in 2..=32, got ${bits}`);
};

test('checkMethods drops the methods the core rejects and says why', () => {
  const s = { ...defaults(), m: ['dense:bits=8', 'dense:bits=99', 'nope'], base: 'dense:bits=32' };
  const { state, errors } = checkMethods(s, fakeCheck);
  assert.deepEqual(state.m, ['dense:bits=8']);
  assert.deepEqual(errors, [
    "m: item 2 \"dense:bits=99\" dropped: invalid method 'dense:bits=99': bits: must be in 2..=32, got 99",
    "m: item 3 \"nope\" dropped: unknown method 'nope'; known: dense, epitome, prune",
  ]);
  assert.deepEqual(s.m, ['dense:bits=8', 'dense:bits=99', 'nope'], 'the input state is not modified');
});

test('checkMethods falls back to the defaults when nothing usable is left, and checks the baseline', () => {
  const { state, errors } = checkMethods({ ...defaults(), m: ['x', 'y'], base: 'dense:bits=1' }, fakeCheck);
  assert.deepEqual(state.m, SCHEMA.m.default);
  assert.equal(state.base, SCHEMA.base.default);
  assert.equal(errors.length, 4);
  assert.match(errors[2], /^m: no usable method left/);
  assert.match(errors[3], /^base: "dense:bits=1" not used: .*got 1 \(using dense:bits=32\)$/);
  // An empty list stays empty (the reader removed every method on purpose).
  assert.deepEqual(checkMethods({ ...defaults(), m: [] }, fakeCheck).state.m, []);
});

test('training settings in links: decimals, lists and bounds checked, defaults otherwise', () => {
  const { state, errors } = decode('#panel=train&tarch=cnn&tm=xrs&tr=0.5&tlr=1e-3&tn=60000&tb=64&tep=3');
  assert.deepEqual(errors, []);
  assert.equal(state.panel, 'train');
  assert.deepEqual([state.tarch, state.tm, state.tr, state.tlr, state.tn, state.tb, state.tep], ['cnn', 'xrs', 0.5, 0.001, 60000, 64, 3]);
  assert.equal(decode(`#${encode(state)}`).state.tlr, 0.001);
  const bad = decode('#tr=abc&tlr=2&tn=0&tb=7&tm=magic&tds=cifar');
  assert.equal(bad.errors.length, 6);
  assert.match(bad.errors.join('\n'), /tr: must be a decimal number/);
  assert.match(bad.errors.join('\n'), /tlr: must be between 0 and 1/);
  assert.match(bad.errors.join('\n'), /tn: must be one of 1000, 2000/);
  assert.deepEqual([bad.state.tr, bad.state.tlr, bad.state.tn, bad.state.tb, bad.state.tm, bad.state.tds], [2.25, 0.01, 10000, 32, 'epitome', 'mnist']);
});

test('knobsOf maps the page keys to the core knob names, only those set', () => {
  assert.deepEqual(knobsOf({ xbar: 128, cell: 2, adc: 5, preset: 'isaac' }), { crossbar_size: 128, cell_bits: 2, adc_choice: 5 });
  assert.deepEqual(knobsOf({ ...defaults(), xbar: 0, cell: null }), {});
  assert.deepEqual(knobsOf({ cell: 1 }), { cell_bits: 1 });
});
