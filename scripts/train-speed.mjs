#!/usr/bin/env node
// Training speed in the page, measured as a reader meets it (docs/training.md): opens the
// Train panel in headless Chromium with the settings given as a URL hash, presses Train and
// prints the worker's training time, images/s and the test accuracy, with the load average.
// Needs the built page (npm run build:wasm, node scripts/build-site.mjs) and /usr/bin/chromium.
//   node scripts/train-speed.mjs ['tarch=cnn&tn=10000&tep=1&tb=64&tlr=0.002'] [--runs 1]
// --node runs the same settings on www/pkg's TrainRun in this Node process instead and
// prints wall and CPU seconds (process.cpuUsage: what the run costs one core, whatever the
// machine's load) and the test accuracy; --baseline DIR also loads another built package
// (e.g. one built from main) into the same process, runs the two in interleaved rounds and
// prints the CPU-time ratio package / baseline.
//   node scripts/train-speed.mjs --node --baseline /path/to/old/pkg --runs 2
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const valueOf = (flag) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
const runs = Number(valueOf('--runs') ?? 1);
const baseline = valueOf('--baseline');
const hash = args.find((a, i) => !a.startsWith('--') && !['--runs', '--baseline'].includes(args[i - 1])) ?? 'tarch=cnn&tn=10000&tep=1&tb=64&tlr=0.002';
if (args.includes('--node')) {
  await nodeRuns();
  process.exit(0);
}
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

/** The TrainRun settings of a Train panel hash (the keys the Node mode needs; the panel's
 * defaults: MNIST, EPIM 2.25x, 8-bit weights, seed 1). */
function settingsOf(h) {
  const q = new URLSearchParams(h);
  const num = (k, d) => (q.has(k) ? Number(q.get(k)) : d);
  const method = q.get('tm') ?? 'epitome';
  return {
    dataset: q.get('tds') ?? 'mnist',
    arch: q.get('tarch') ?? 'tiny',
    epochs: num('tep', 1),
    w_bits: num('twb', 8),
    epitome: method === 'epitome' ? num('tr', 2.25) : undefined,
    prune: method === 'filter' || method === 'xrs' ? `${method}:${num('tr', 0.5)}` : undefined,
    seed: num('tseed', 1),
    batch: num('tb', 32),
    lr: num('tlr', 0.01),
    limit: num('tn', 10000),
  };
}

/** Trains `settings` on one loaded package; wall and CPU seconds of the training steps. */
function trainOnce(m, settings, data) {
  const run = new m.TrainRun(settings, data.images, data.labels);
  try {
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    while (!run.step(16).done);
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - wall0) / 1000;
    const model = run.finish(data.testImages, data.testLabels);
    return { wall, cpu: (cpu.user + cpu.system) / 1e6, accuracy: model.accuracy_0_to_1 };
  } finally {
    run.free();
  }
}

async function nodeRuns() {
  const { readFileSync } = await import('node:fs');
  const { gunzipSync } = await import('node:zlib');
  const { pathToFileURL } = await import('node:url');
  const settings = settingsOf(hash);
  const dir = path.join(root, 'www/data/train');
  const read = (f) => new Uint8Array(gunzipSync(readFileSync(path.join(dir, `${settings.dataset}-${f}-ubyte.gz`))));
  const data = { images: read('train-images-idx3'), labels: read('train-labels-idx1'), testImages: read('test-images-idx3'), testLabels: read('test-labels-idx1') };
  const load = async (pkg) => {
    const m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
    await m.default({ module_or_path: readFileSync(path.join(pkg, 'epim_bg.wasm')) });
    return m;
  };
  const pkgs = [['package', await load(path.join(root, 'www/pkg'))]];
  if (baseline) pkgs.push(['baseline', await load(path.resolve(baseline))]);
  const best = {};
  for (let i = 0; i < runs; i++) {
    for (const [name, m] of pkgs) {
      const load1 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
      const r = trainOnce(m, settings, data);
      const n = settings.limit * settings.epochs;
      console.log(`${name} ${hash} (load average ${load1} at the start): ${r.wall.toFixed(1)} s wall, ${r.cpu.toFixed(1)} s CPU (${(1000 * r.cpu / n).toFixed(3)} ms CPU per image), test accuracy ${(100 * r.accuracy).toFixed(2)} %`);
      best[name] = Math.min(best[name] ?? Infinity, r.cpu);
    }
  }
  if (baseline) console.log(`CPU time package / baseline (best of ${runs}): ${(best.package / best.baseline).toFixed(3)}`);
}
