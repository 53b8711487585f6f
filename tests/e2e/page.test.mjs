// End to end: serve www/ on a free 127.0.0.1 port, open it in Debian's headless
// Chromium through playwright-core, wait for the wasm core, check content that
// Rust computed, the error path, and that the console stayed clean; save a
// screenshot under test-results/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = path.join(root, 'test-results');
let browser, server, url;

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

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

async function openPage(hash = '', { width = 1280, height = 900 } = {}) {
  const page = await browser.newPage({ viewport: { width, height } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(url + hash);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return { page, problems };
}

test('the explorer loads the wasm core and shows Rust-computed counts', async () => {
  const { page, problems } = await openPage('#panel=explorer');
  const cargo = fs.readFileSync(path.join(root, 'crate/Cargo.toml'), 'utf8');
  const version = cargo.match(/^version = "([^"]+)"/m)[1];
  assert.equal(await page.textContent('#core-version'), `epim ${version}`);
  // Default shape: 64x64x3x3 from a 32x32x4x4 epitome.
  await page.waitForFunction(() => document.querySelector('#ex-result [data-field="compression"]').textContent !== '–');
  assert.equal(await page.textContent('#ex-result [data-field="weight_count"]'), '36,864');
  assert.equal(await page.textContent('#ex-result [data-field="param_count"]'), '16,384');
  assert.equal(await page.textContent('#ex-result [data-field="compression"]'), '2.25×');
  assert.equal(await page.textContent('#ex-result [data-field="groups"]'), '2');
  // Output channel 40 is in group 1 (offset a = 16, b = 1, c = 0 by the default schedule).
  await page.fill('#ex-o', '40');
  assert.match(await page.textContent('#ex-o-info'), /group 1, epitome row 8, offset \(a=16, b=1, c=0\)/);
  assert.match(await page.textContent('#ex-pattern'), /pattern 1 of 2/);
  // The heat map has pixels.
  const drawn = await page.$eval('#ex-heat', (c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v) => v > 0));
  assert.ok(drawn);
  assert.match(page.url(), /o=40/);
  await page.screenshot({ path: path.join(results, 'explorer-1280.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('an invalid epitome shows the core error inline and the page keeps working', async () => {
  const { page, problems } = await openPage('#panel=explorer');
  await page.fill('#ex-form input[name="e_h"]', '2');
  await page.waitForSelector('#ex-error:not([hidden])');
  assert.equal(await page.textContent('#ex-error'), 'invalid epitome.e_h: must be >= k_h = 3, got 2');
  assert.equal(await page.textContent('#ex-result [data-field="compression"]'), '–');
  await page.fill('#ex-form input[name="e_h"]', '3');
  await page.waitForSelector('#ex-error[hidden]', { state: 'attached' });
  // 64*64*9 / (32*32*3*4) = 3.
  assert.equal(await page.textContent('#ex-result [data-field="compression"]'), '3×');
  assert.deepEqual(problems, []);
  await page.close();
});
