#!/usr/bin/env node
// Measures, in headless Chromium, the time from dropping an ONNX file on the Crossbar
// costs panel to its costs shown (issue 18's goal: under 2 s for resnet50). Prints the
// times with the load average; asserts nothing (docs/import.md records the numbers).
//
//   node scripts/measure-onnx-drop.mjs FILE.onnx [--runs 3]
//
// Each run opens a fresh page (the module is fetched and compiled after the drop: "cold"),
// then drops the file a second time on the same page ("warm": the module is loaded).
// The file's bytes reach the page before the clock starts (a second local server sends
// them), as a reader's file is on their disk.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv[2];
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
if (!file || !fs.existsSync(file)) {
  console.error('usage: node scripts/measure-onnx-drop.mjs FILE.onnx [--runs 3] (scripts/onnx-fixtures.py writes one)');
  process.exit(2);
}
const name = path.basename(file);
const bytes = fs.readFileSync(file);
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
const METHODS = ['dense:bits=8', 'epitome:bits=8,ratio=4', 'prune:kind=crossbar,ratio=0.5,bits=8'];

const { server, url } = await serve(path.join(root, 'www'));
// The file from a second local origin (a playwright route of 100 MB crashed the page).
const files = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Access-Control-Allow-Origin': '*', 'Content-Length': bytes.length });
  res.end(bytes);
});
await new Promise((resolve) => files.listen(0, '127.0.0.1', resolve));
const fileUrl = `http://127.0.0.1:${files.address().port}/file.onnx`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');
try {
  for (let r = 0; r < runs; r++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${url}#panel=costs&net=resnet50-imagenet&m=${METHODS.map(encodeURIComponent).join('~')}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
    await page.waitForFunction(() => /^resnet50-imagenet on /.test(document.querySelector('#costs-summary')?.textContent ?? ''), null, { timeout: 30000 });
    await page.evaluate(async ([n, u]) => {
      const blob = await (await fetch(u)).blob();
      window.__measureFile = new File([blob], n);
    }, [name, fileUrl]);
    for (const kind of ['cold', 'warm']) {
      const ms = await page.evaluate((n) => new Promise((resolve, reject) => {
        const summary = document.querySelector('#costs-summary');
        const want = `${n} (imported ONNX file) on `;
        const before = summary.textContent;
        const t0 = performance.now();
        const done = () => {
          if (summary.textContent.startsWith(want) && summary.textContent !== before) {
            obs.disconnect();
            resolve(performance.now() - t0);
          }
        };
        const obs = new MutationObserver(done);
        obs.observe(summary, { childList: true, characterData: true, subtree: true });
        const err = document.querySelector('#costs-onnx-error');
        new MutationObserver(() => { if (!err.hidden) reject(new Error(err.textContent)); }).observe(err, { attributes: true });
        const dt = new DataTransfer();
        dt.items.add(window.__measureFile);
        document.querySelector('#costs-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }), name);
      const status = await page.textContent('#costs-onnx-status');
      console.log(`run ${r + 1} ${kind}: drop to costs shown ${Math.round(ms)} ms (${status.replace(/^.*?Imported/, 'imported')}) load average ${load()}`);
      if (kind === 'cold') {
        // The second drop replaces the same network: the summary changes only after the new compare.
        await page.evaluate(() => { document.querySelector('#costs-summary').textContent = ''; });
      }
    }
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
  files.close();
}
