#!/usr/bin/env node
// Which trainer is faster in wasm (docs/models.md#which-trainer-runs-in-the-browser): trains
// the same settings in one Node process with (a) the crate's trainer, www/pkg's TrainRun
// (what the page's training worker runs), and (b) burn 0.22.1's `flex` backend, the export
// BurnTrainRun of a second wasm package built with the feature `burn` (never the page's
// package: scripts/build-wasm.sh does not enable it). Both times are of the training only
// (the export and test scoring, the same code for both, are outside). Interleaved rounds; prints CPU seconds
// (process.cpuUsage: what the run costs one core, whatever the machine's load), wall seconds,
// images per CPU second, the test accuracy (10,000 test images) and the ratio burn / crate
// trainer, with the load average.
// Needs www/pkg (npm run build:wasm) and www/data; builds the burn package when it is missing
// (or with --build) into DIR (--pkg DIR; default $CARGO_TARGET_DIR/burn-wasm-pkg, else
// target/burn-wasm-pkg), a release build with the options of scripts/build-wasm.sh and the
// crate features `train` and FEATURES (--features; default `burn`; `burn-simd` adds burn's
// `simd` feature, built into DIR-burn-simd).
//   node scripts/burn-wasm-speed.mjs [--limit 10000] [--runs 1] [--build] [--features burn-simd] [--pkg DIR]
// Settings: cnn, EPIM 2.25x, 8-bit weights (QAT), batch 64, lr 0.002, seed 1, 1 epoch, MNIST.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const valueOf = (flag) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
const limit = Number(valueOf('--limit') ?? 10000);
const runs = Number(valueOf('--runs') ?? 1);
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
const burnFeatures = valueOf('--features') ?? 'burn';
const burnPkg = path.resolve(valueOf('--pkg') ?? path.join(targetDir, burnFeatures === 'burn' ? 'burn-wasm-pkg' : `burn-wasm-pkg-${burnFeatures.replace(/[^a-z0-9]+/g, '-')}`));
if (!Number.isInteger(limit) || limit < 64) throw new Error(`--limit must be an integer >= 64 (one batch), got ${valueOf('--limit')}`);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be an integer >= 1, got ${valueOf('--runs')}`);

const settings = { dataset: 'mnist', arch: 'cnn', epochs: 1, w_bits: 8, epitome: 2.25, seed: 1, batch: 64, lr: 0.002, limit };

if (args.includes('--build') || !existsSync(path.join(burnPkg, 'epim_bg.wasm'))) build();

const dir = path.join(root, 'www/data/train');
const read = (f) => new Uint8Array(gunzipSync(readFileSync(path.join(dir, `mnist-${f}-ubyte.gz`))));
const data = { images: read('train-images-idx3'), labels: read('train-labels-idx1'), testImages: read('test-images-idx3'), testLabels: read('test-labels-idx1') };
const crate = await load(path.join(root, 'www/pkg'));
const burn = await load(burnPkg);
if (typeof burn.BurnTrainRun !== 'function') throw new Error(`${burnPkg} has no BurnTrainRun: build it with --build`);
if (typeof crate.BurnTrainRun === 'function') throw new Error('www/pkg exports BurnTrainRun: the page package must not carry burn');

const trainers = [
  ['crate trainer (TrainRun, www/pkg)', () => crateRun()],
  ['burn flex (BurnTrainRun)', () => burnRun()],
];
const best = {};
console.log(`settings ${JSON.stringify(settings)}; burn package: features train,${burnFeatures}; ${runs} round(s), interleaved; node ${process.version}, ${os.cpus().length} CPUs`);
for (let i = 0; i < runs; i++) {
  for (const [name, run] of trainers) {
    const load1 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    const r = run();
    console.log(`round ${i + 1} ${name} (load average ${load1} at the start): ${r.cpu.toFixed(1)} s CPU, ${r.wall.toFixed(1)} s wall, ${(limit / r.cpu).toFixed(0)} images per CPU second, test accuracy ${(100 * r.accuracy).toFixed(2)} %`);
    best[name] = Math.min(best[name] ?? Infinity, r.cpu);
  }
}
const [crateName, burnName] = trainers.map(([n]) => n);
console.log(`CPU time burn / crate trainer (best of ${runs}): ${(best[burnName] / best[crateName]).toFixed(2)} (load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end)`);

/** Builds the burn-enabled package (release, opt-level 3, wasm-opt from node_modules/.bin). */
function build() {
  const env = {
    ...process.env,
    PATH: `${root}/node_modules/.bin:${os.homedir()}/.cargo/bin:${process.env.PATH}`,
    CARGO_PROFILE_RELEASE_OPT_LEVEL: process.env.CARGO_PROFILE_RELEASE_OPT_LEVEL ?? '3',
  };
  const cmd = ['build', 'crate', '--target', 'web', '--out-dir', burnPkg, '--mode', 'no-install', '--release', '--', '--features', `train,${burnFeatures}`];
  console.log(`wasm-pack ${cmd.join(' ')}`);
  const r = spawnSync('wasm-pack', cmd, { cwd: root, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`wasm-pack failed (status ${r.status})`);
}

async function load(pkg) {
  const m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
  await m.default({ module_or_path: readFileSync(path.join(pkg, 'epim_bg.wasm')) });
  return m;
}

/** CPU and wall seconds of `f()` (the training only), and what it returns. */
function timed(f) {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const out = f();
  const cpu = process.cpuUsage(cpu0);
  return { out, cpu: (cpu.user + cpu.system) / 1e6, wall: (performance.now() - wall0) / 1000 };
}

/** The crate's trainer as the page's worker runs it (16 batches a call). */
function crateRun() {
  const run = new crate.TrainRun(settings, data.images, data.labels);
  try {
    const t = timed(() => {
      while (!run.step(16).done);
    });
    return { ...t, accuracy: run.finish(data.testImages, data.testLabels).accuracy_0_to_1 };
  } finally {
    run.free();
  }
}

/** burn: every epoch in one call. */
function burnRun() {
  const run = new burn.BurnTrainRun(settings, data.images, data.labels);
  try {
    const t = timed(() => run.train());
    return { ...t, accuracy: run.finish(data.testImages, data.testLabels).accuracy_0_to_1 };
  } finally {
    run.free();
  }
}
