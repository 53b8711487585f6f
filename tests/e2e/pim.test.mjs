// End to end: the PIM accuracy section of Crossbar costs. Opens it, checks that the
// ADC resolution moves the simulator's area (or says the table has no such ADC), starts from
// the `ideal` knobs (an exact ADC: the fast path, so the test takes seconds),
// moves the stuck-cells slider and sees the accuracy and the curve change; a bad
// knob value gets the core's inline error naming the knob; a calibrated ADC full scale
// (the field) gives every model its ideal accuracy; per-layer errors are shown only for
// the settings they were computed for; the ADC trade chart joins each resolution's accuracy
// with the simulator's cost; screenshots of the
// section at 1280x800, light and dark, under test-results/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = path.join(root, 'test-results');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let browser, server, url;

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'www/pkg/epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  ({ server, url } = await serve(path.join(root, 'www')));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  fs.mkdirSync(results, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function openSection(colorScheme = 'light', hash = '') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(`${url}#panel=costs${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await page.waitForSelector('#pim-preset option[value="ideal"]', { state: 'attached', timeout: 20000 });
  await page.$eval('#pim-root', (el) => el.scrollIntoView());
  return { page, problems };
}

/** Waits until every chosen model has its full result for the current knobs; returns {key, accuracy by model}. */
async function complete(page, { notKey = null, timeout = 120000 } = {}) {
  await page.waitForFunction((k) => {
    const r = document.querySelector('#pim-results');
    return r.dataset.complete === 'true' && r.dataset.key !== k;
  }, notKey, { timeout });
  return page.$eval('#pim-results', (r) => ({
    key: r.dataset.key,
    accuracy: Object.fromEntries([...r.querySelectorAll('tbody tr')].map((tr) => [tr.dataset.model, Number(tr.dataset.accuracy)])),
  }));
}

/** Sets a slider or a number field of the section as a reader does (an input event). */
const slide = (page, name, value) => page.$eval(`#pim-form input[name="${name}"]`, (el, v) => {
  el.value = v;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}, String(value));

test('moving a slider recomputes the accuracy and the curve; bad knobs get inline errors', async () => {
  const { page, problems } = await openSection();
  // The simulator's side of the ADC trade: area and energy with an ADC of the chosen resolution.
  const areas = () => page.$$eval('#pim-table tbody tr', (rows) => rows.map((r) => r.cells[6].textContent));
  await page.waitForFunction(() => /own 6-bit ADC/.test(document.querySelector('#pim-cost-note').textContent));
  const area6 = await areas();
  assert.equal(area6.length, 3);
  for (const a of area6) assert.match(a, /^[\d.,]+ mm²$/);
  await slide(page, 'adc-bits', 8);
  await page.waitForFunction(() => /ADC choice \d of MNSIM's table \(8 bits\)/.test(document.querySelector('#pim-cost-note').textContent));
  const area8 = await areas();
  assert.notDeepEqual(area8, area6);
  await slide(page, 'adc-bits', 5);
  await page.waitForFunction(() => /no 5-bit ADC/.test(document.querySelector('#pim-cost-note').textContent));
  assert.deepEqual(await areas(), ['–', '–', '–']);
  // ... and of the DAC: a 2-bit DAC (fewer input cycles, larger DACs) moves area and energy;
  // the same knobs opened directly cost the same; MNSIM's table has no 5-bit DAC.
  const costs = (p) => p.$$eval('#pim-table tbody tr', (rows) => rows.map((r) => [r.cells[6].textContent, r.cells[7].textContent]));
  const note = (re) => page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#pim-cost-note').textContent), re.source);
  await slide(page, 'adc-bits', 6);
  await note(/own 6-bit ADC, its own 1-bit DAC/);
  const dac1 = await costs(page);
  assert.deepEqual(dac1.map((c) => c[0]), area6);
  await slide(page, 'dac_bits', 2);
  await note(/DAC choice 2 of MNSIM's table \(2 bits\)/);
  const dac2 = await costs(page);
  for (const [a, e] of dac2) {
    assert.match(a, /^[\d.,]+ mm²$/);
    assert.match(e, /^[\d.,]+ [nµm]?J$/);
  }
  assert.notDeepEqual(dac2.map((c) => c[1]), dac1.map((c) => c[1]), 'a 2-bit DAC changes the energy');
  const direct = await openSection('light', '&pk=dac_bits:2');
  await direct.page.waitForFunction(() => /DAC choice 2 of MNSIM's table \(2 bits\)/.test(document.querySelector('#pim-cost-note').textContent));
  assert.deepEqual(await costs(direct.page), dac2);
  assert.deepEqual(direct.problems, []);
  await direct.page.close();
  await slide(page, 'dac_bits', 5);
  await note(/no 5-bit DAC/);
  assert.deepEqual(await areas(), ['–', '–', '–']);
  await slide(page, 'dac_bits', 1);
  await note(/its own 1-bit DAC/);

  await page.selectOption('#pim-preset', 'ideal');
  const ideal = await complete(page);
  const models = Object.keys(ideal.accuracy);
  assert.deepEqual(models, ['mnist-cnn-dense-8b', 'mnist-cnn-epim2.25-8b', 'mnist-cnn-xrs0.556-8b']);
  // An exact ADC: every model keeps its digital accuracy on these images (>= 95 % for the shipped models).
  for (const m of models) assert.ok(ideal.accuracy[m] >= 0.95, `${m}: ${ideal.accuracy[m]}`);
  const ideals = await page.$$eval('#pim-table tbody tr', (rows) => rows.map((r) => r.cells[3].textContent));
  await page.waitForFunction(() => Number(document.querySelector('#pim-chart').dataset.points) >= 3);
  const before = await page.$eval('#pim-chart', (c) => c.toDataURL());

  // 10 % stuck cells: accuracy falls for at least one model, the curve switches to that knob.
  await slide(page, 'stuck', 0.1);
  const faulty = await complete(page, { notKey: ideal.key });
  assert.notEqual(faulty.key, ideal.key);
  assert.ok(models.some((m) => faulty.accuracy[m] < ideal.accuracy[m]), JSON.stringify({ ideal, faulty }));
  for (const m of models) assert.ok(faulty.accuracy[m] <= 1 && faulty.accuracy[m] >= 0);
  assert.equal(await page.$eval('#pim-chart', (c) => c.dataset.knob), 'stuck');
  await page.waitForFunction(() => Number(document.querySelector('#pim-chart').dataset.points) >= 6);
  const after = await page.$eval('#pim-chart', (c) => c.toDataURL());
  assert.notEqual(after, before);
  assert.match(await page.textContent('#pim-caption'), /Stuck cells/);
  const secs = Number(await page.$eval('#pim-results', (r) => r.dataset.seconds));
  assert.ok(secs > 0, 'the slider-to-result time is reported');
  console.log(`pim e2e: stuck 0.1 on 500 images, 3 models: ${secs.toFixed(2)} s from the slider to the last result`);
  // The pool splits each model's images among its workers and the core merges the parts:
  // the page's accuracy is one pimEvaluate of the same model, knobs and 500 images.
  const one = await page.evaluate(async (ids) => {
    const core = await import('/pkg/epim.js');
    await core.default();
    const get = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
    const set = core.readIdxDataset(await get('data/mnist-test-images-idx3-ubyte'), await get('data/mnist-test-labels-idx1-ubyte'));
    const n = Math.min(500, set.labels.length);
    const knobs = { ...core.pimPresetKnobs('ideal'), sa0_0_to_1: 0.05, sa1_0_to_1: 0.05 };
    const out = {};
    for (const id of ids) {
      const bytes = await get(`models/${id}.safetensors`);
      out[id] = core.pimEvaluate(bytes, knobs, set.images.subarray(0, n * 784), set.labels.subarray(0, n), 1).mean_0_to_1;
    }
    return { out, workers: navigator.hardwareConcurrency };
  }, models);
  assert.deepEqual(faulty.accuracy, one.out, `the pool (${one.workers} cores) against one pimEvaluate`);
  // The ideal column is the same reference whatever the knobs.
  assert.deepEqual(await page.$$eval('#pim-table tbody tr', (rows) => rows.map((r) => r.cells[3].textContent)), ideals);

  // A bad knob: the core's message, inline, naming the knob; the field is marked.
  await page.fill('#pim-form input[name="on_off_ratio"]', '1');
  await page.waitForSelector('#pim-error:not([hidden])');
  assert.match(await page.textContent('#pim-error'), /on_off_ratio.*\[2, 1000000000\], got 1/);
  assert.equal(await page.getAttribute('#pim-form input[name="on_off_ratio"]', 'aria-invalid'), 'true');
  assert.equal(await page.$eval('#pim-results', (r) => r.dataset.stale), 'true');
  await page.fill('#pim-form input[name="on_off_ratio"]', '');
  await page.fill('#pim-form input[name="cell_bits"]', '9');
  await page.waitForFunction(() => /cell_bits/.test(document.querySelector('#pim-error').textContent));
  assert.match(await page.textContent('#pim-error'), /invalid cell_bits: must be an integer in 1\.\.=4, got 9/);
  assert.equal(await page.getAttribute('#pim-form input[name="cell_bits"]', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('#pim-form input[name="on_off_ratio"]', 'aria-invalid'), null);
  await page.fill('#pim-form input[name="cell_bits"]', '1');
  await page.waitForSelector('#pim-error[hidden]', { state: 'attached' });
  assert.equal(await page.$eval('#pim-results', (r) => r.dataset.stale), 'false');
  // Back to the faulty knobs: the finished results are reused.
  assert.equal((await complete(page)).key, faulty.key);

  await page.locator('#pim-root').screenshot({ path: path.join(results, 'pim-1280-light.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a calibrated ADC full scale: at 1/8 of the largest sum, mnsim2\'s 6-bit ADC gives every model its ideal accuracy', async () => {
  const { page, problems } = await openSection('light');
  const theoretical = await complete(page);
  // The ideal reference (exact ADC) of every model, computed after the current knobs.
  await page.waitForFunction(() => [...document.querySelectorAll('#pim-table tbody tr')].every((tr) => tr.dataset.ideal), null, { timeout: 120000 });
  const ideal = await page.$$eval('#pim-table tbody tr', (rows) => Object.fromEntries(rows.map((tr) => [tr.dataset.model, Number(tr.dataset.ideal)])));
  assert.ok(theoretical.accuracy['mnist-cnn-epim2.25-8b'] < ideal['mnist-cnn-epim2.25-8b'] - 0.05, JSON.stringify({ theoretical, ideal }));
  await slide(page, 'adc_range_0_to_1', 0.125);
  const calibrated = await complete(page, { notKey: theoretical.key });
  assert.deepEqual(calibrated.accuracy, ideal);
  await page.waitForFunction(() => location.hash.includes('adc_range_0_to_1%3A0.125'));
  // Out of range: the core's message inline, the field marked.
  await slide(page, 'adc_range_0_to_1', 0);
  await page.waitForSelector('#pim-error:not([hidden])');
  assert.match(await page.textContent('#pim-error'), /adc_range_0_to_1/);
  assert.equal(await page.getAttribute('#pim-form input[name="adc_range_0_to_1"]', 'aria-invalid'), 'true');
  assert.deepEqual(problems, []);
  await page.close();
});

test('where each model loses: per-layer errors for the knobs they were computed for', async () => {
  const { page, problems } = await openSection('light');
  await complete(page);
  const layersDone = (notKey = null) => page.waitForFunction((k) => {
    const t = document.querySelector('#pim-layers-table');
    return t.dataset.complete === 'true' && t.dataset.key !== k;
  }, notKey, { timeout: 120000 });
  const rows = () => page.$$eval('#pim-layers-table tbody tr', (trs) => trs.map((tr) => ({ model: tr.dataset.model, layer: tr.dataset.layer, rms: Number(tr.dataset.rmsError) })));
  await page.click('#pim-layers-run');
  await layersDone();
  const a = await rows();
  assert.equal(a.length, 12, JSON.stringify(a)); // 3 models x 4 weight layers
  const err = (m, l) => a.find((r) => r.model === m && r.layer === l).rms;
  // mnsim2's 6-bit ADC: conv1 (9 word lines) reads exactly; EPIM's conv3 (one full 256-row block) loses most.
  for (const m of ['mnist-cnn-dense-8b', 'mnist-cnn-epim2.25-8b', 'mnist-cnn-xrs0.556-8b']) assert.equal(err(m, 'conv1'), 0);
  assert.ok(err('mnist-cnn-epim2.25-8b', 'conv3') > err('mnist-cnn-dense-8b', 'conv3'), JSON.stringify(a));
  // What the page shows is the core's answer for the page's knobs, images and chips.
  const direct = await page.evaluate(async () => {
    const { load } = await import('./js/wasm.js');
    const { testSet } = await import('./js/testset.js');
    const core = await load();
    const set = await testSet();
    const bytes = new Uint8Array(await (await fetch('models/mnist-cnn-epim2.25-8b.safetensors')).arrayBuffer());
    return core.pimLayerErrors(bytes, core.pimPresetKnobs('mnsim2'), set.images.subarray(0, 100 * 784), set.labels.subarray(0, 100), 1)
      .map((l) => l.rel_rms_error);
  });
  assert.deepEqual(a.filter((r) => r.model === 'mnist-cnn-epim2.25-8b').map((r) => r.rms), direct);
  // Another setting: the table computed for mnsim2 is not shown for it.
  const keyA = await page.$eval('#pim-layers-table', (t) => t.dataset.key);
  await page.selectOption('#pim-preset', 'ideal');
  await page.waitForFunction(() => /settings or models changed/.test(document.querySelector('#pim-layers-status').textContent));
  assert.equal(await page.$$eval('#pim-layers-table tr', (trs) => trs.length), 0);
  await page.click('#pim-layers-run');
  await layersDone(keyA);
  const b = await rows();
  assert.equal(b.length, 12);
  assert.ok(b.every((r) => r.rms === 0), JSON.stringify(b)); // ideal crossbars: every layer exact
  await page.locator('#pim-root').screenshot({ path: path.join(results, 'pim-layers-1280-light.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

/** The section's form and result as a reader sees them. */
const formState = (page) => page.$eval('#pim-form', (f) => ({
  preset: f.elements.preset.value,
  adc: f.elements['adc-bits'].value,
  stuck: f.elements.stuck.value,
  models: [...f.querySelectorAll('#pim-models input:checked')].map((x) => x.value),
  seeds: f.elements.seeds.value,
}));

test('the knobs live in the link: opened on B equals opened on A then switched to B', async () => {
  // B: ideal chip, 4 % stuck cells, one model, the curve against stuck cells.
  const B = '&pp=ideal&pk=sa0_0_to_1:0.02~sa1_0_to_1:0.02&pm=mnist-cnn-epim2.25-8b&pc=stuck';
  const direct = await openSection('light', B);
  assert.deepEqual(await formState(direct.page), { preset: 'ideal', adc: '16', stuck: '0.04', models: ['mnist-cnn-epim2.25-8b'], seeds: '1' });
  const b = await complete(direct.page);
  assert.deepEqual(Object.keys(b.accuracy), ['mnist-cnn-epim2.25-8b']);
  assert.equal(await direct.page.$eval('#pim-chart', (c) => c.dataset.knob), 'stuck');
  assert.deepEqual(direct.problems, []);
  await direct.page.close();

  // A (the ideal chip, three models), then the link of B pasted into the address bar.
  const { page, problems } = await openSection('light', '&pp=ideal');
  const a = await complete(page);
  assert.equal(Object.keys(a.accuracy).length, 3);
  await page.evaluate((h) => { location.hash = `#panel=costs${h}`; }, B);
  const switched = await complete(page, { notKey: a.key });
  assert.deepEqual(await formState(page), { preset: 'ideal', adc: '16', stuck: '0.04', models: ['mnist-cnn-epim2.25-8b'], seeds: '1' });
  assert.equal(switched.key, b.key);
  assert.deepEqual(switched.accuracy, b.accuracy);
  assert.equal(await page.$eval('#pim-chart', (c) => c.dataset.knob), 'stuck');

  // Moving a slider writes the link: only the knobs that differ from the preset.
  await slide(page, 'adc-bits', 9);
  await page.waitForFunction(() => location.hash.includes('adc_bits%3A9'));
  const hash = new URLSearchParams(await page.evaluate(() => location.hash.slice(1)));
  assert.equal(hash.get('pp'), 'ideal');
  assert.equal(hash.get('pc'), null); // the curve against the ADC: the default, not written
  assert.deepEqual(hash.get('pk').split('~').sort(), ['adc_bits:9', 'sa0_0_to_1:0.02', 'sa1_0_to_1:0.02']);
  assert.equal(hash.get('pm'), 'mnist-cnn-epim2.25-8b');

  // A damaged link: the notice names what was not understood; the section uses the preset's knobs.
  await page.evaluate(() => { location.hash = '#panel=costs&pp=isaac&pk=adc_bits:99~bogus:1&pm=nope'; });
  await page.waitForSelector('#link-errors:not([hidden])');
  const notice = await page.textContent('#link-errors');
  assert.match(notice, /no PIM knob named "bogus"/);
  assert.match(notice, /pm: no MNIST model named "nope"/);
  await page.waitForFunction(() => document.querySelector('#pim-form').elements.preset.value === 'isaac');
  assert.equal(await page.$eval('#pim-form', (f) => f.elements['adc-bits'].value), '8'); // isaac's own ADC
  assert.deepEqual(problems, []);
  await page.close();
});

test('a step of the slider last moved is computed ahead: shown at once, equal to a page opened on it', async () => {
  // The ideal chip with 2 % stuck cells, one model, the curve against stuck cells.
  const one = '&pp=ideal&pm=mnist-cnn-epim4.5-3b&pc=stuck';
  const { page, problems } = await openSection('light', `${one}&pk=sa0_0_to_1:0.01~sa1_0_to_1:0.01`);
  const a = await complete(page);
  // Off screen (another panel) it computes nothing ahead: every worker is idle, with settings
  // still ahead; back on screen it goes on.
  await page.click('#tab-try');
  await page.waitForFunction(() => document.querySelector('#pim-results').dataset.working === '0', null, { timeout: 30000 });
  assert.notEqual(await page.$eval('#pim-results', (r) => r.dataset.ahead), '0');
  await page.click('#tab-costs');
  await page.$eval('#pim-root', (el) => el.scrollIntoView());
  await page.waitForFunction(() => {
    const r = document.querySelector('#pim-results').dataset;
    return r.ahead === '0' && r.working === '0';
  }, null, { timeout: 120000 });
  // One step up (the slider's step is 0.005): the result is already there, not computed again.
  await slide(page, 'stuck', 0.025);
  const b = await complete(page, { notKey: a.key });
  assert.match(await page.textContent('#pim-status'), /computed before/);
  // ... and it is the result of a page opened on that setting.
  const direct = await openSection('light', `${one}&pk=sa0_0_to_1:0.0125~sa1_0_to_1:0.0125`);
  const want = await complete(direct.page);
  assert.equal(b.key, want.key);
  assert.deepEqual(b.accuracy, want.accuracy);
  // The other way too (a step down from 0.025 is 0.02, the first setting's own result).
  await slide(page, 'stuck', 0.02);
  const back = await complete(page, { notKey: b.key });
  assert.deepEqual(back, a);
  assert.deepEqual(problems, []);
  assert.deepEqual(direct.problems, []);
  await direct.page.close();
  await page.close();
});

test('a link\'s knobs between the sliders\' steps are computed as the link says, not snapped or rewritten', async () => {
  // Variation 0.05 on the slider's 0.02 grid; stuck-at-0 and stuck-at-1 fractions that differ.
  const link = '&pp=ideal&pm=mnist-cnn-epim4.5-3b&pk=variation_sigma:0.05~sa0_0_to_1:0.01~sa1_0_to_1:0.03';
  const { page, problems } = await openSection('light', link);
  const knobsOf = (key) => Object.fromEntries(JSON.parse(key));
  const a = await complete(page);
  assert.equal(knobsOf(a.key).variation_sigma, 0.05);
  assert.equal(knobsOf(a.key).sa0_0_to_1, 0.01);
  assert.equal(knobsOf(a.key).sa1_0_to_1, 0.03);
  const pk = async () => new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('pk').split('~').sort();
  assert.deepEqual(await pk(), ['sa0_0_to_1:0.01', 'sa1_0_to_1:0.03', 'variation_sigma:0.05']);
  assert.equal(await page.textContent('#pim-variation-out'), '0.05');
  assert.equal(await page.textContent('#pim-stuck-out'), '0.04 (0.01 at 0, 0.03 at 1)');
  // A key step of the variation slider goes from where the slider stands (0.06) to 0.08; the
  // stuck fractions stay as the link set them.
  await page.focus('#pim-form input[name="variation"]');
  await page.keyboard.press('ArrowRight');
  const b = await complete(page, { notKey: a.key });
  assert.equal(knobsOf(b.key).variation_sigma, 0.08);
  assert.equal(knobsOf(b.key).sa0_0_to_1, 0.01);
  assert.equal(knobsOf(b.key).sa1_0_to_1, 0.03);
  assert.deepEqual(await pk(), ['sa0_0_to_1:0.01', 'sa1_0_to_1:0.03', 'variation_sigma:0.08']);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the ADC trade: each resolution\'s accuracy against the simulator\'s cost, the axis in the link', async () => {
  // One model on mnsim2's array (its own 6-bit ADC): the trade's points are the ADC curve's
  // 4, 6, 8 and 10 bits (MNSIM's table has no 3-, 5-, 7- or 9-bit ADC).
  const one = '&pm=mnist-cnn-dense-8b';
  const { page, problems } = await openSection('light', one);
  const at6 = await complete(page);
  const series = (p) => p.$eval('#pim-trade', (c) => JSON.parse(c.dataset.series));
  const allPoints = (p) => p.waitForFunction(() => {
    const c = document.querySelector('#pim-trade');
    return c.dataset.points === '4' && /Not on the chart: 3, 5, 7, 9 bits/.test(document.querySelector('#pim-trade-caption').textContent);
  }, null, { timeout: 120000 });
  await allPoints(page);
  const energy = await series(page);
  assert.equal(energy.length, 1);
  assert.deepEqual(energy[0].points.map((q) => q.label), ['4 b', '6 b', '8 b', '10 b']);
  // The 6-bit point is the table's row: its accuracy, and its energy per image in µJ.
  const p6 = energy[0].points[1];
  assert.ok(Math.abs(p6.y - 100 * at6.accuracy['mnist-cnn-dense-8b']) < 1e-9, `${p6.y} vs ${at6.accuracy['mnist-cnn-dense-8b']}`);
  const cell = (i) => page.$eval('#pim-table tbody tr', (tr, j) => tr.cells[j].textContent, i);
  const [e6, unitE] = (await cell(7)).split(' ');
  assert.equal(unitE, 'µJ');
  assert.ok(Math.abs(p6.x - Number(e6.replace(/,/g, ''))) <= 0.006 * p6.x, `${p6.x} vs ${e6}`);
  assert.ok(energy[0].points[3].x > energy[0].points[2].x, 'the 10-bit ADC costs more energy than the 8-bit one');
  // At 4 bits the 256-row column sums lose accuracy; at 8 bits and more the model keeps it.
  assert.ok(energy[0].points[0].y < energy[0].points[2].y - 5, JSON.stringify(energy[0].points));

  // Area on the axis: the same accuracies, the table's area at 6 bits, and the link says so.
  await page.selectOption('#pim-trade-axis', 'area');
  await page.waitForFunction(() => document.querySelector('#pim-trade').dataset.axis === 'area' && location.hash.includes('pt=area'));
  const area = await series(page);
  assert.deepEqual(area[0].points.map((q) => q.y), energy[0].points.map((q) => q.y));
  const [a6, unitA] = (await cell(6)).split(' ');
  assert.equal(unitA, 'mm²');
  assert.ok(Math.abs(area[0].points[1].x - Number(a6.replace(/,/g, ''))) <= 0.006 * area[0].points[1].x);
  assert.match(await page.textContent('#pim-trade-caption'), /chip area/);

  // Opened on the area axis directly: the same chart as switched to it.
  const direct = await openSection('light', `${one}&pt=area`);
  assert.equal(await direct.page.$eval('#pim-trade-axis', (s) => s.value), 'area');
  await complete(direct.page);
  await allPoints(direct.page);
  assert.deepEqual(await series(direct.page), area);
  assert.deepEqual(direct.problems, []);
  await direct.page.close();

  // A DAC the simulator's table lacks: no costs, said in the caption; back to 1 bit, costed again.
  await slide(page, 'dac_bits', 5);
  await page.waitForFunction(() => /cannot cost these knobs: .*no 5-bit DAC/.test(document.querySelector('#pim-trade-caption').textContent));
  assert.equal(await page.$eval('#pim-trade', (c) => c.dataset.points), '0');
  await slide(page, 'dac_bits', 1);
  await allPoints(page);
  assert.deepEqual(await series(page), area);
  // No model chosen: the chart says so; chosen again, the same points (computed before).
  await page.uncheck('#pim-models input[value="mnist-cnn-dense-8b"]');
  await page.waitForFunction(() => document.querySelector('#pim-trade-caption').textContent === 'Choose at least one model.');
  assert.equal(await page.$eval('#pim-trade', (c) => c.dataset.points), '0');
  await page.check('#pim-models input[value="mnist-cnn-dense-8b"]');
  await allPoints(page);
  assert.deepEqual(await series(page), area);
  fs.writeFileSync(path.join(results, 'pim-trade.png'), await (await page.$('#pim-trade')).screenshot());
  assert.deepEqual(problems, []);
  await page.close();
});

test('the section in dark mode', async () => {
  const { page, problems } = await openSection('dark');
  await page.selectOption('#pim-preset', 'ideal');
  await complete(page);
  await page.waitForFunction(() => Number(document.querySelector('#pim-chart').dataset.points) >= 3);
  await page.locator('#pim-root').screenshot({ path: path.join(results, 'pim-1280-dark.png') });
  assert.deepEqual(problems, []);
  await page.close();
});
