// End to end: the PIM accuracy section of Crossbar costs. Opens it, checks that the
// ADC resolution moves the simulator's area (or says the table has no such ADC), starts from
// the `ideal` knobs (an exact ADC: the fast path, so the test takes seconds),
// moves the stuck-cells slider and sees the accuracy and the curve change; a bad
// knob value gets the core's inline error naming the knob; screenshots of the
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

async function openSection(colorScheme = 'light') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(`${url}#panel=costs`);
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

test('the section in dark mode', async () => {
  const { page, problems } = await openSection('dark');
  await page.selectOption('#pim-preset', 'ideal');
  await complete(page);
  await page.waitForFunction(() => Number(document.querySelector('#pim-chart').dataset.points) >= 3);
  await page.locator('#pim-root').screenshot({ path: path.join(results, 'pim-1280-dark.png') });
  assert.deepEqual(problems, []);
  await page.close();
});
