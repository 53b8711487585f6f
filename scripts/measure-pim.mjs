// Measures the PIM accuracy section (Crossbar costs) as a reader gets it: the time from a
// slider move to a first estimate of every chosen model (the page's data-first-seconds) and
// to the last model's result on all 500 images (data-seconds), in headless Chromium.
// Prints numbers with the load average; asserts nothing (speed is measured, not tested).
// Usage: node scripts/measure-pim.mjs [--runs N] [--case I] [--www DIR,DIR2,...]
//   (needs www/pkg and the site: npm run build:wasm)
//   --case I: only the I-th case below (0-based).
//   --www: measure these builds of the page in turn, alternating run by run (a before/after
//   pair in one process: e.g. a copy of www/ as the last commit built it); default www/.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const www = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'www');
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const runs = Number(arg('--runs')) || 1;
const only = arg('--case');
const roots = arg('--www') ? arg('--www').split(',').map((d) => path.resolve(d)) : [www];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// [label, preset, slider moves before the measured one, the measured move, the link's other items]
const CASES = [
  ['mnsim2 array, ADC 6 -> 7 bits (bit-serial)', 'mnsim2', [], ['adc-bits', 7]],
  ['mnsim2 array, variation 0.1, 9-bit ADC (bit-serial)', 'mnsim2', [['adc-bits', 9]], ['variation', 0.1]],
  ['mnsim2 array, variation 0.1, its 6-bit ADC (bit-serial; the first move after loading)', 'mnsim2', [], ['variation', 0.1]],
  ['mnsim2 array, ADC 9 bits (exact shortcut)', 'mnsim2', [], ['adc-bits', 9]],
  ['ideal, stuck 2 %', 'ideal', [], ['stuck', 0.02]],
  ['ideal, stuck 5 %', 'ideal', [], ['stuck', 0.05]],
  // One model: every worker of the pool on its images.
  ['one model (dense), mnsim2 array, variation 0.1, 9-bit ADC', 'mnsim2', [['adc-bits', 9]], ['variation', 0.1], '&pm=mnist-cnn-dense-8b'],
  ['one model (dense), mnsim2 array, ADC 6 -> 7 bits', 'mnsim2', [], ['adc-bits', 7], '&pm=mnist-cnn-dense-8b'],
  // A step of the slider last moved, once the page has computed every setting ahead, and
  // 3 s after the last result (a reader looking at it before the next step).
  ['mnsim2 array, 9-bit ADC, variation 0.1 -> 0.12 once settled (computed ahead)', 'mnsim2', [['adc-bits', 9], ['variation', 0.1]], ['variation', 0.12], '', 'all'],
  ['mnsim2 array, 9-bit ADC, variation 0.1 -> 0.12, 3 s after the last result', 'mnsim2', [['adc-bits', 9], ['variation', 0.1]], ['variation', 0.12], '', 3],
];

// A move as a reader makes it: the slider's input event, then its change event (a release of
// the pointer, or a key step, fires both).
const slide = (page, name, value) => page.$eval(`#pim-form input[name="${name}"]`, (el, v) => {
  el.value = v;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}, String(value));
const complete = (page, notKey) => page.waitForFunction((k) => {
  const r = document.querySelector('#pim-results');
  return r.dataset.complete === 'true' && r.dataset.key !== k;
}, notKey, { timeout: 300000, polling: 20 });
const key = (page) => page.$eval('#pim-results', (r) => r.dataset.key);

const servers = await Promise.all(roots.map((r) => serve(r)));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
console.log(`load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}, ${os.cpus().length} cores`);
for (const [label, preset, before, [knob, value], link = '', settle = 0] of only === undefined ? CASES : [CASES[Number(only)]]) {
  for (let i = 0; i < runs * roots.length; i++) {
    const { url } = servers[i % roots.length];
    const name = roots.length > 1 ? `[${path.basename(roots[i % roots.length])}] ` : '';
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${url}#panel=costs${link}`);
    await page.waitForSelector('#pim-preset option[value="ideal"]', { state: 'attached', timeout: 30000 });
    await page.$eval('#pim-root', (el) => el.scrollIntoView());
    if (preset !== 'mnsim2') await page.selectOption('#pim-preset', preset);
    await complete(page, null);
    for (const [k, v] of before) {
      const old = await key(page);
      await slide(page, k, v);
      await complete(page, old);
    }
    let ahead = '';
    if (settle === 'all') {
      const t = Date.now();
      await page.waitForFunction(() => document.querySelector('#pim-results').dataset.ahead === '0', null, { timeout: 600000, polling: 100 });
      ahead = `, after ${((Date.now() - t) / 1000).toFixed(1)} s computing ahead`;
    } else if (settle) {
      await page.waitForTimeout(settle * 1000);
    }
    const old = await key(page);
    const t0 = Date.now();
    await slide(page, knob, value);
    await complete(page, old);
    const wall = (Date.now() - t0) / 1000;
    if (settle) {
      // Computed ahead (or partly): the page times only what it computed after the move; the
      // wall time from the move to the result shown is the reader's (it includes this
      // script's polling).
      const before = /computed before/.test(await page.textContent('#pim-status')) ? 'all computed ahead' : 'partly computed ahead';
      console.log(`${name}${label}: ${before}${ahead}, shown ${wall.toFixed(3)} s after the move (load ${os.loadavg()[0].toFixed(2)})`);
      await page.close();
      continue;
    }
    const r = await page.$eval('#pim-results', (el) => [el.dataset.firstSeconds, el.dataset.seconds]);
    // Each model's worker time from its job's start to its last result (the rest is scheduling).
    const workers = await page.$$eval('#pim-table tbody tr', (rows) => rows.map((tr) => tr.dataset.workerSeconds).join(' / '));
    console.log(`${name}${label}: first estimate ${r[0]} s, all 500 images ${r[1]} s (workers ${workers} s; load ${os.loadavg()[0].toFixed(2)})`);
    await page.close();
  }
}
await browser.close();
for (const { server } of servers) server.close();
