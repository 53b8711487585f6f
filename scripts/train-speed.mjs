#!/usr/bin/env node
// Training speed in the page, measured as a reader meets it (docs/training.md): opens the
// Train panel in headless Chromium with the settings given as a URL hash, presses Train and
// prints the worker's training time, images/s and the test accuracy, with the load average.
// Needs the built page (npm run build:wasm, node scripts/build-site.mjs) and /usr/bin/chromium.
//   node scripts/train-speed.mjs ['tarch=cnn&tn=10000&tep=1&tb=64&tlr=0.002'] [--runs 1]
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
const hash = args.find((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1)) ?? 'tarch=cnn&tn=10000&tep=1&tb=64&tlr=0.002';
const { server, url } = await serve(path.join(root, 'www'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage();
    await page.goto(`${url}#panel=train&${hash}`);
    await page.waitForSelector('#train-command:not(:empty)', { timeout: 30000 });
    const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    await page.click('#train-start');
    await page.waitForFunction(() => !document.querySelector('#train-result').hidden || !document.querySelector('#train-error').hidden, null, { timeout: 1800000 });
    const error = await page.textContent('#train-error');
    if (error) throw new Error(error);
    const status = await page.textContent('#train-status');
    const summary = await page.textContent('#train-summary');
    console.log(`${hash} (load average ${load} at the start): ${status} ${summary.slice(0, summary.indexOf(' It is now'))}`);
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
