// End to end: the Train panel (docs/training.md). Trains a small configuration in the
// page (the panel's defaults: the `tiny` network, 8-bit EPIM 2.25x, 1 epoch on 10,000
// MNIST images), sees the
// loss fall and the accuracy land above 90 %, finds the model in Try it (it classifies
// the shown digit), in the explorer's layer list, in the trained-model comparison and in
// the PIM accuracy section (run alone on ideal crossbars),
// downloads the file and loads it back with the wasm package in Node. Bad settings get
// inline errors naming the setting; cancelling leaves the page usable. Prints the
// training time and images/s (not asserted: speed is measured, not tested).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = path.join(root, 'test-results');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let browser, server, url;

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'www/pkg/epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  assert.ok(fs.existsSync(path.join(root, 'www/data/train/datasets.json')), 'www/data/train is built (node scripts/build-site.mjs)');
  ({ server, url } = await serve(path.join(root, 'www')));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  fs.mkdirSync(results, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open(hash, colorScheme = 'light') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme, acceptDownloads: true });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(`${url}#${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await page.waitForSelector('#train-command:not(:empty)', { timeout: 20000 });
  return { page, problems };
}

// The panel's defaults: tiny, EPIM 2.25x, 8-bit, 1 epoch on 10,000 images, batch 32, lr 0.01.
const SMALL = 'panel=train';

test('bad settings get an inline error naming the setting; Train is disabled until fixed', async () => {
  const { page, problems } = await open(SMALL);
  const set = (name, value) => page.$eval(`#train-form [name="${name}"]`, (el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, String(value));
  await set('twb', 1);
  await page.waitForFunction(() => !document.querySelector('#train-error').hidden);
  assert.match(await page.textContent('#train-error'), /w_bits/);
  assert.equal(await page.getAttribute('#train-form [name="twb"]', 'aria-invalid'), 'true');
  assert.equal(await page.isDisabled('#train-start'), true);
  await set('twb', 8);
  await page.waitForFunction(() => document.querySelector('#train-error').hidden);
  assert.equal(await page.isDisabled('#train-start'), false);
  // An epitome larger than the layer: a compression below 1.
  await set('tr', 0.5);
  await page.waitForFunction(() => !document.querySelector('#train-error').hidden);
  assert.match(await page.textContent('#train-error'), /epitome|ratio/);
  assert.equal(await page.getAttribute('#train-form [name="tr"]', 'aria-invalid'), 'true');
  // A per-layer design for another network, then one for this network's layers.
  await set('tm', 'design');
  await page.waitForSelector('#train-form [name="td"]', { state: 'visible' });
  await set('td', '{"network": "vgg8", "layers": [{"layer": "conv2", "epitome": [4, 2, 3, 3]}]}');
  await page.waitForFunction(() => /design.network: the design is for 'vgg8', the network is 'tiny'/.test(document.querySelector('#train-error').textContent));
  assert.equal(await page.getAttribute('#train-form [name="td"]', 'aria-invalid'), 'true');
  await set('td', '{"layers": [{"layer": "conv2", "epitome": [4, 2, 3, 3]}]}');
  await page.waitForFunction(() => document.querySelector('#train-error').hidden);
  assert.match(await page.textContent('#train-command'), /--design design.json/);
  await page.close();
  // A link with 0 training images is reported and the default used.
  const linked = await open('panel=train&tn=0');
  assert.match(await linked.page.textContent('body'), /tn: must be one of/);
  assert.equal(await linked.page.$eval('#train-form [name="tn"]', (el) => el.value), '10000');
  await linked.page.close();
  assert.deepEqual(problems, []);
});

test('cancelling a run leaves the page usable; a crashed worker is reported and the next run works', async () => {
  const { page, problems } = await open(SMALL);
  await page.click('#train-start');
  await page.waitForFunction(() => Number(document.querySelector('#train-status').dataset.stepsDone ?? 0) > 0, null, { timeout: 60000 });
  await page.click('#train-cancel');
  await page.waitForFunction(() => /Cancelled/.test(document.querySelector('#train-status').textContent));
  assert.equal(await page.isDisabled('#train-start'), false);
  assert.equal(await page.isDisabled('#train-form [name="twb"]'), false);
  // A worker that crashes: reported, and the next run works.
  await page.route('**/train-worker.js', (r) => r.fulfill({ contentType: 'text/javascript', body: "throw new Error('simulated crash');" }));
  await page.click('#train-start');
  await page.waitForFunction(() => /training worker crashed/.test(document.querySelector('#train-error').textContent), null, { timeout: 30000 });
  assert.equal(await page.isDisabled('#train-start'), false);
  await page.unroute('**/train-worker.js');
  await page.click('#train-start');
  await page.waitForFunction(() => Number(document.querySelector('#train-status').dataset.stepsDone ?? 0) > 0, null, { timeout: 60000 });
  assert.equal(await page.isHidden('#train-error'), true);
  await page.click('#train-cancel');
  await page.close();
  // The simulated crash is the one error the console saw.
  assert.ok(problems.every((p) => /simulated crash/.test(p)), problems.join('\n'));
});

test('a small run trains, lands in Try it, the explorer and the comparison, and downloads a file that loads back', async () => {
  const { page, problems } = await open(SMALL);
  // The PIM accuracy section is already open when the model is trained (it then learns of it).
  await page.click('#tab-costs');
  await page.waitForSelector('#pim-models input', { state: 'attached', timeout: 20000 });
  await page.click('#tab-train');
  const t0 = Date.now();
  await page.click('#train-start');
  await page.waitForFunction(() => !document.querySelector('#train-result').hidden || !document.querySelector('#train-error').hidden, null, { timeout: 300000 });
  assert.equal(await page.isHidden('#train-error'), true, await page.textContent('#train-error'));
  const status = await page.textContent('#train-status');
  console.log(`# train e2e: ${status} (wall ${((Date.now() - t0) / 1000).toFixed(1)} s, including the download)`);
  // The loss fell and the held-out accuracy is above 90 %.
  const loss = await page.$eval('#train-loss', (c) => ({ first: Number(c.dataset.firstY), last: Number(c.dataset.lastY), points: Number(c.dataset.points) }));
  assert.ok(loss.points >= 2, `loss points ${loss.points}`);
  assert.ok(loss.last < loss.first, `loss ${loss.first} -> ${loss.last}`);
  const summary = await page.textContent('#train-summary');
  const acc = Number(/\(([\d.]+) %\)/.exec(summary)[1]);
  assert.ok(acc > 90, summary);
  assert.match(summary, /of 10,000 MNIST test images right/);
  const id = await page.getAttribute('#train-result', 'data-model');
  await page.screenshot({ path: path.join(results, 'train-done-1280-light.png'), fullPage: true });

  // The file downloads and loads back (Model.load in Node), with its settings recorded.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
  const file = path.join(results, 'trained-in-page.safetensors');
  await download.saveAs(file);
  const m = await import(pathToFileURL(path.join(root, 'www/pkg/epim.js')).href);
  await m.default({ module_or_path: fs.readFileSync(path.join(root, 'www/pkg/epim_bg.wasm')) });
  const model = m.Model.load(fs.readFileSync(file));
  const meta = model.info().metadata;
  assert.equal(JSON.parse(meta['epim.train_settings']).epitome, 2.25);
  assert.match(meta['epim.train_command'], /^epim train --dataset mnist --arch tiny --epochs 1 --w-bits 8 --epitome 2.25 --seed 1 --batch 32 --lr 0.01 --limit 10000 /);
  assert.equal(Number(meta['epim.accuracy_0_to_1']).toFixed(4), (acc / 100).toFixed(4));
  model.free();

  // The explorer lists its epitome layers.
  await page.click('#tab-explorer');
  await page.waitForFunction((mid) => [...document.querySelectorAll('#ex-source option')].some((o) => o.value.startsWith(`${mid}/`)), id, { timeout: 20000 });
  // Try it: the model is in the list and classifies the shown digit.
  await page.click('#tab-try');
  await page.waitForFunction((mid) => document.querySelector(`#try-all tr[data-model="${mid}"]`), id, { timeout: 20000 });
  await page.waitForFunction((mid) => /^\d \(/.test(document.querySelector(`#try-all tr[data-model="${mid}"]`).cells[1].textContent), id, { timeout: 20000 });
  // The trained-model comparison costs it next to the shipped models, with its measured accuracy.
  await page.click('#tab-costs');
  await page.click('#trained-run');
  await page.waitForFunction(() => [...document.querySelectorAll('#trained-table tbody tr, #trained-results tr')].some((tr) => /Trained here #1/.test(tr.textContent)), null, { timeout: 60000 });
  // PIM accuracy: the model joins the list (unchecked); ticked alone on ideal crossbars (exact
  // ADC), it keeps its digital accuracy, and the link names it.
  await page.$eval('#pim-root', (el) => el.scrollIntoView());
  const box = `#pim-models input[value="${id}"]`;
  await page.waitForSelector(box, { state: 'attached', timeout: 20000 });
  assert.equal(await page.isChecked(box), false);
  await page.selectOption('#pim-preset', 'ideal');
  for (const other of await page.$$eval('#pim-models input:checked', (xs) => xs.map((x) => x.value))) {
    await page.uncheck(`#pim-models input[value="${other}"]`);
  }
  await page.check(box);
  await page.waitForFunction((mid) => {
    const r = document.querySelector('#pim-results');
    const rows = [...r.querySelectorAll('tbody tr')];
    return r.dataset.complete === 'true' && rows.length === 1 && rows[0].dataset.model === mid;
  }, id, { timeout: 120000 });
  const pimAcc = Number(await page.$eval('#pim-table tbody tr', (tr) => tr.dataset.accuracy));
  assert.ok(pimAcc > 0.85, `trained model on ideal crossbars: ${pimAcc}`);
  assert.match(decodeURIComponent(await page.evaluate(() => location.hash)), new RegExp(`pm=${id}`));
  await page.close();
  assert.deepEqual(problems, []);
});
