// Measures the page as a reader gets it: time from navigation to the first cost
// chart drawn (Crossbar costs panel, default network) in headless Chromium on
// the local server, and the total transfer (raw and gzip) of everything loaded.
// Prints numbers; asserts nothing (speed is measured, not tested).
// Usage: node scripts/measure-page.mjs [--runs N] [--panel costs|try]   (needs www/pkg: npm run build:wasm)
//   --panel try: the first screen (Try it) until every model's row shows a prediction
//   of the preloaded digit.
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'www');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const panel = process.argv.includes('--panel') ? process.argv[process.argv.indexOf('--panel') + 1] : 'costs';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const { server, url } = await serve(root);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
const times = [];
let raw = 0, gzip = 0, files = [];
for (let i = 0; i < runs; i++) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const bodies = [];
  page.on('response', async (r) => {
    try { bodies.push([r.url(), await r.body()]); } catch { /* redirects have no body */ }
  });
  const t0 = Date.now();
  await page.goto(panel === 'try' ? url : `${url}#panel=costs`);
  // The first chart is drawn when the area canvas has ink; the first screen is ready when
  // every model's row has a prediction.
  if (panel === 'try') {
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#try-all tbody tr')];
      return rows.length > 0 && rows.every((tr) => /^\d /.test(tr.cells[1].textContent));
    }, null, { timeout: 60000, polling: 20 });
  } else await page.waitForFunction(() => {
    const c = document.querySelector('canvas[data-kind="area"]');
    if (!c) return false;
    const d = c.getContext('2d', { willReadFrequently: true }).getImageData(0, 0, c.width, c.height).data;
    for (let k = 3; k < d.length; k += 4) if (d[k] > 0) return true;
    return false;
  }, null, { timeout: 60000, polling: 20 });
  times.push(Date.now() - t0);
  await page.waitForLoadState('networkidle');
  if (i === 0) {
    files = bodies.map(([u, b]) => [new URL(u).pathname, b.length, zlib.gzipSync(b, { level: 9 }).length]);
    raw = files.reduce((a, f) => a + f[1], 0);
    gzip = files.reduce((a, f) => a + f[2], 0);
  }
  await page.close();
}
await browser.close();
server.close();
times.sort((a, b) => a - b);
for (const [p, r, g] of files.sort((a, b) => b[1] - a[1])) console.log(`  ${p}: ${(r / 1e3).toFixed(1)} kB raw, ${(g / 1e3).toFixed(1)} kB gzip`);
console.log(`transfer: ${(raw / 1e6).toFixed(2)} MB raw, ${(gzip / 1e6).toFixed(3)} MB gzip (${files.length} files)`);
console.log(`navigation to ${panel === 'try' ? 'every model classifying the preloaded digit' : 'first chart'}: median ${times[Math.floor(times.length / 2)]} ms, best ${times[0]} ms over ${runs} runs`);
