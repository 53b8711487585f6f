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

async function openPage() {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return { page, problems };
}

test('the page loads the wasm core and shows Rust-computed counts', async () => {
  const { page, problems } = await openPage();
  const cargo = fs.readFileSync(path.join(root, 'crate/Cargo.toml'), 'utf8');
  const version = cargo.match(/^version = "([^"]+)"/m)[1];
  assert.equal(await page.textContent('#core-version'), `epim ${version}`);
  // Default form: 64x64x3x3 from a 32x32x4x4 epitome.
  assert.equal(await page.textContent('[data-field="weight_count"]'), '36,864');
  assert.equal(await page.textContent('[data-field="param_count"]'), '16,384');
  assert.equal(await page.textContent('[data-field="compression"]'), '2.25×');
  assert.equal(await page.textContent('[data-field="groups"]'), '2');
  // The epitome bar is 1/2.25 of the dense bar.
  assert.equal(await page.$eval('#epi-bar', (el) => el.style.width), '44.4%');
  await page.screenshot({ path: path.join(results, 'page.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('an invalid epitome shows the core error inline and the page keeps working', async () => {
  const { page, problems } = await openPage();
  await page.fill('input[name="e_h"]', '2');
  await page.waitForSelector('#calc-error:not([hidden])');
  assert.equal(await page.textContent('#calc-error'), 'invalid epitome.e_h: must be >= k_h = 3, got 2');
  assert.equal(await page.textContent('[data-field="compression"]'), '–');
  assert.equal(await page.$eval('#epi-bar', (el) => el.style.width), '0%');
  await page.screenshot({ path: path.join(results, 'page-error.png'), fullPage: true });
  await page.fill('input[name="e_h"]', '3');
  await page.waitForSelector('#calc-error[hidden]', { state: 'attached' });
  // 64*64*9 / (32*32*3*4) = 3.
  assert.equal(await page.textContent('[data-field="compression"]'), '3×');
  assert.deepEqual(problems, []);
  await page.close();
});
