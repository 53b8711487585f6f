// Issue 16 in the page: the links that froze the tab and a size that trapped the core
// now answer quickly, with an error naming the field, and the page keeps working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let browser, server, url;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'www/pkg/epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  ({ server, url } = await serve(path.join(root, 'www')));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open(hash) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  const t = Date.now();
  await page.goto(url + hash);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return { page, problems, t };
}

/** The page answers a script within 2 s (a frozen tab does not). */
async function responsive(page) {
  const t = Date.now();
  await page.evaluate(() => 1);
  assert.ok(Date.now() - t < 2000, 'the page answers');
}

test('the freezing links open quickly and the page stays responsive', async () => {
  for (const hash of ['#panel=explorer&shape=262144,1,1,1/1,1,512,512', '#panel=explorer&shape=999999,1,1,1/1,1,999,1001', '#panel=explorer&shape=65536,1,1,1/1,1,256,256']) {
    const { page, problems, t } = await open(hash);
    // Settled: a result, an error or a notice, within a few seconds (minutes to an hour before).
    await page.waitForFunction(() => document.querySelector('#ex-result [data-field="groups"]')?.textContent !== '–'
      || !document.querySelector('#ex-error')?.hidden, null, { timeout: 10000 }).catch(() => {});
    console.log(`${hash}: settled in ${Date.now() - t} ms`);
    await responsive(page);
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test('typing c_out = 268435456 shows the core error naming layer.c_out; the page recovers', async () => {
  const { page, problems } = await open('#panel=explorer');
  await page.fill('#ex-form input[name="c_out"]', '268435456');
  await page.waitForSelector('#ex-error:not([hidden])', { timeout: 5000 });
  const text = await page.textContent('#ex-error');
  assert.match(text, /layer\.c_out/);
  assert.ok(!text.includes('\n') && text.length <= 300, text);
  await page.fill('#ex-form input[name="c_out"]', '64');
  await page.waitForSelector('#ex-error[hidden]', { state: 'attached' });
  assert.equal(await page.textContent('#ex-result [data-field="compression"]'), '4.5×');
  await responsive(page);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a link with methods the core rejects: each is named in the notice and dropped, the rest are costed', async () => {
  const m = ['dense:bits=8', 'dense:bits=99', 'epitome:bits=3,ratio=2', 'fancy:bits=3'].map(encodeURIComponent).join('~');
  const { page, problems } = await open(`#panel=costs&net=lenet&m=${m}&base=${encodeURIComponent('dense:bits=1')}`);
  await page.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 20000 });
  const notice = await page.textContent('#link-errors');
  assert.match(notice, /m: item 2 "dense:bits=99" dropped: invalid method 'dense:bits=99': bits/);
  assert.match(notice, /m: item 4 "fancy:bits=3" dropped: unknown method/);
  assert.match(notice, /base: "dense:bits=1" not used: .* \(using dense:bits=32\)/);
  const methods = await page.$$eval('#costs-table tbody tr td:first-child', (t) => t.map((x) => x.textContent));
  assert.deepEqual(methods, ['dense:bits=32', 'dense:bits=8', 'epitome:bits=3,ratio=2']);
  // The link now holds what is shown.
  const hash = decodeURIComponent(await page.evaluate(() => location.hash));
  assert.ok(!hash.includes('bits=99') && !hash.includes('fancy'), hash);
  assert.deepEqual(problems, []);
  await page.close();
});
