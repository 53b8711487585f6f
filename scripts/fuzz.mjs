#!/usr/bin/env node
// Fuzzes every wasm export with generated hostile values and checks the instance's
// health after each case (docs/limits.md, "Fuzzing").
//
//   node scripts/fuzz.mjs [--seconds 20] [--seed 1] [--pkg www/pkg] [--json out.json]
//                         [--only urlState,Model.load]   (cases of these exports only)
//
// The package is loaded as the page loads it (www/js/wasm.js's harden()). A worker
// thread runs the cases; the main thread kills it when one case runs longer than
// --hang-ms (default 10000) and reports a hang. Outcomes per case:
//   ok          the export returned
//   error       it threw a JS Error whose message is one line of <= 300 characters
//   bad-error   it threw something else, or a multi-line or longer message, or the
//               page's link decoder broke its contract (the urlState case)
//   slow        it took longer than --slow-ms (default 2000)
//   trap        WebAssembly.RuntimeError (or another error that kills the instance)
//   unhealthy   the valid health-check call after the case failed
//   hang        the worker was killed
//   big-memory  wasm memory grew past 1 GiB
// Exit status 1 when any case is bad-error, slow, trap, unhealthy, hang or big-memory.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tinyOnnx } from './tiny-onnx.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const BAD = ['bad-error', 'slow', 'trap', 'unhealthy', 'hang', 'big-memory'];

function parseArgs(argv) {
  const o = { seconds: 20, seed: 1, pkg: path.join(root, 'www/pkg'), json: null, hangMs: 10000, slowMs: 2000, only: null };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--seconds') { o.seconds = Number(v); i++; }
    else if (k === '--seed') { o.seed = Number(v); i++; }
    else if (k === '--pkg') { o.pkg = path.resolve(v); i++; }
    else if (k === '--json') { o.json = path.resolve(v); i++; }
    else if (k === '--hang-ms') { o.hangMs = Number(v); i++; }
    else if (k === '--slow-ms') { o.slowMs = Number(v); i++; }
    else if (k === '--only') { o.only = v.split(','); i++; }
    else throw new Error(`unknown argument ${k}; see the header of scripts/fuzz.mjs`);
  }
  return o;
}

// ---------------------------------------------------------------- main thread
async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(o.pkg, 'epim_bg.wasm'))) {
    console.error(`fuzz: ${o.pkg}/epim_bg.wasm not found; run npm run build:wasm first`);
    process.exit(2);
  }
  const deadline = Date.now() + o.seconds * 1000;
  const counts = {}; // export -> outcome -> n
  const findings = [];
  const messages = new Map(); // distinct error messages (digits folded), for review
  let seed = o.seed, cases = 0, maxMemory = 0;
  while (Date.now() < deadline) {
    const r = await runWorker(o, seed, deadline);
    for (const [exp, byOutcome] of Object.entries(r.counts)) {
      counts[exp] ??= {};
      for (const [k, n] of Object.entries(byOutcome)) counts[exp][k] = (counts[exp][k] ?? 0) + n;
    }
    findings.push(...r.findings);
    for (const [k, n] of r.messages) if (messages.has(k) || messages.size < 400) messages.set(k, (messages.get(k) ?? 0) + n);
    cases += r.cases;
    maxMemory = Math.max(maxMemory, r.maxMemory);
    seed = r.nextSeed;
  }
  const totals = {};
  for (const byOutcome of Object.values(counts)) {
    for (const [k, n] of Object.entries(byOutcome)) totals[k] = (totals[k] ?? 0) + n;
  }
  const summary = { seconds: o.seconds, seed: o.seed, cases, totals, maxMemoryMiB: Math.round(maxMemory / 2 ** 20), counts, findings: findings.slice(0, 50), messages: [...messages.entries()].map(([k, v]) => `${v} x ${k}`) };
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(summary, null, 2));
  for (const [exp, byOutcome] of Object.entries(counts).sort()) {
    console.log(`${exp.padEnd(22)} ${Object.entries(byOutcome).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  for (const f of findings.slice(0, 20)) console.log(`FINDING ${f.outcome} ${f.export}: ${f.input} -> ${f.detail}`);
  const bad = BAD.reduce((n, k) => n + (totals[k] ?? 0), 0);
  console.log(`fuzz: ${cases} cases in ${o.seconds} s (seed ${o.seed}): ${Object.entries(totals).map(([k, n]) => `${k} ${n}`).join(', ')}; wasm memory peak ${summary.maxMemoryMiB} MiB; ${bad} bad`);
  process.exit(bad ? 1 : 0);
}

/** Runs cases in a worker until the deadline or a hang/fatal outcome; resolves to its tallies. */
function runWorker(o, seed, deadline) {
  return new Promise((resolve) => {
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { pkg: o.pkg, seed, deadline, slowMs: o.slowMs, only: o.only } });
    const counts = {};
    const findings = [];
    const messages = new Map();
    let current = null, started = 0, cases = 0, nextSeed = seed + 1, maxMemory = 0, done = false;
    const tally = (exp, outcome) => { counts[exp] ??= {}; counts[exp][outcome] = (counts[exp][outcome] ?? 0) + 1; };
    const finish = () => { if (!done) { done = true; clearInterval(timer); resolve({ counts, findings, cases, nextSeed, maxMemory, messages }); } };
    const timer = setInterval(() => {
      if (current && Date.now() - started > o.hangMs) {
        tally(current.export, 'hang');
        findings.push({ outcome: 'hang', seed: current.seed, export: current.export, input: `case seed ${current.seed}`, detail: `no answer after ${o.hangMs} ms` });
        cases += 1;
        nextSeed = current.seed + 1;
        current = null;
        worker.terminate().then(finish);
      }
    }, 200);
    worker.on('message', (msg) => {
      if (msg.type === 'start') { current = msg; started = Date.now(); }
      else if (msg.type === 'end') {
        current = null;
        cases += 1;
        nextSeed = msg.seed + 1;
        maxMemory = Math.max(maxMemory, msg.memory);
        tally(msg.export, msg.outcome);
        if (BAD.includes(msg.outcome)) findings.push(msg);
        if (msg.outcome === 'error') {
          const k = `${msg.export}: ${msg.detail.replace(/\d+/g, 'N').slice(0, 100)}`;
          messages.set(k, (messages.get(k) ?? 0) + 1);
        }
      } else if (msg.type === 'done') finish();
    });
    worker.on('error', (e) => {
      findings.push({ outcome: 'trap', seed: current?.seed, export: current?.export ?? '?', input: `case seed ${current?.seed}`, detail: `worker died: ${e.message}` });
      if (current) tally(current.export, 'trap');
      finish();
    });
    worker.on('exit', finish);
    void deadline;
  });
}

// ---------------------------------------------------------------- worker
async function work() {
  const { pkg, deadline, slowMs, only } = workerData;
  let seed = workerData.seed;
  const m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
  const wasmExports = await m.default({ module_or_path: fs.readFileSync(path.join(pkg, 'epim_bg.wasm')) });
  const { harden, isTrap } = await import(pathToFileURL(path.join(root, 'www/js/wasm.js')).href);
  harden(m);
  const page = await pageModules();
  // The on-demand module (www/pkg-onnx: ONNX import, tract-core), next to the package.
  const onnxDir = path.join(pkg, '..', 'pkg-onnx');
  const onnx = await import(pathToFileURL(path.join(onnxDir, 'epim_onnx.js')).href);
  const onnxExports = await onnx.default({ module_or_path: fs.readFileSync(path.join(onnxDir, 'epim_onnx_bg.wasm')) });
  const memory = () => wasmExports.memory.buffer.byteLength + onnxExports.memory.buffer.byteLength;
  const modelBytes = new Uint8Array(fs.readFileSync(path.join(root, 'models/mnist-cnn-epim2.25-8b.safetensors')));
  const healthy = () => {
    const r = m.epitomeInfo({ layer: { c_out: 8, c_in: 4, k_h: 3, k_w: 3 }, epitome: { e_out: 4, e_in: 2, e_h: 4, e_w: 4 } });
    if (r.groups !== 2 || r.patterns !== 2) throw new Error(`health check returned ${JSON.stringify(r)}`);
  };
  // Long-lived objects (their methods are fuzzed); replaced when a case frees them.
  const live = { model: m.Model.load(modelBytes), session: null };
  const session = () => (live.session ??= new m.SearchSession({ network: 'vgg8', search: { population: 4, generations: 2, seed: 1 } }));
  while (Date.now() < deadline) {
    const rng = mulberry32(seed);
    let c;
    try {
      c = makeCase(rng, m, live, session, modelBytes, page, only, onnx);
    } catch (e) {
      if (String(e?.message).startsWith('--only')) throw e;
      seed += 1; // the generator itself tripped over a hostile value (a revoked Proxy): no case
      continue;
    }
    parentPort.postMessage({ type: 'start', seed, export: c.export });
    const t0 = performance.now();
    let outcome, detail = '';
    try {
      const r = c.run();
      if (r && typeof r.then === 'function') await r;
      outcome = 'ok';
    } catch (e) {
      if (isTrap(e)) { outcome = 'trap'; detail = String(e?.message ?? e); }
      else if (e instanceof ContractError) { outcome = 'bad-error'; detail = e.message; }
      else if (!(e instanceof Error)) { outcome = 'bad-error'; detail = `threw a non-Error: ${typeof e}`; }
      else if (e.message.includes('\n') || e.message.length > 300) { outcome = 'bad-error'; detail = `message of ${e.message.length} characters: ${e.message.slice(0, 120)}`; }
      else { outcome = 'error'; detail = e.message; }
    }
    const ms = performance.now() - t0;
    if (outcome !== 'trap' && ms > slowMs) { outcome = 'slow'; detail = `${Math.round(ms)} ms; ${detail}`; }
    if (outcome !== 'trap') {
      try { healthy(); } catch (e) { outcome = 'unhealthy'; detail = `after the case: ${e.message}`; }
    }
    const mem = memory();
    if (mem > 2 ** 30) { outcome = 'big-memory'; detail = `${mem} bytes`; }
    const bad = !['ok', 'error'].includes(outcome);
    parentPort.postMessage({ type: 'end', seed, export: c.export, input: bad ? c.input() : '', outcome, detail: detail.slice(0, 200), memory: mem });
    seed += 1;
    if (outcome === 'trap' || outcome === 'unhealthy' || outcome === 'big-memory') break; // a fresh instance next
  }
  parentPort.postMessage({ type: 'done' });
}

/** Small seeded PRNG (mulberry32). */
function mulberry32(a) {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rng, xs) => xs[Math.floor(rng() * xs.length)];

/** A hostile scalar or object (throwing getters, Proxies, cycles, huge/odd numbers). */
function hostile(rng, depth = 0) {
  const kinds = [
    () => NaN, () => Infinity, () => -Infinity, () => -1, () => 0, () => -0, () => 3.7, () => 2 ** 28,
    () => 2 ** 32 + 3, () => 2 ** 53 + 2, () => 1e300, () => -1e-300, () => Number.MAX_SAFE_INTEGER,
    () => Math.floor(rng() * 70000), () => 1 + Math.floor(rng() * 9),
    () => '', () => 'x'.repeat(1 + Math.floor(rng() * 2000)), () => '9'.repeat(300), () => 'vgg8', () => 'dense:bits=8',
    () => 'epitome:bits=3,e=1x1x1x1', () => '\u0000\ud800', () => null, () => undefined, () => true,
    () => () => 1, () => Symbol('s'), () => 10n ** 30n,
    () => ({ get x() { throw new Error('getter'); } }),
    () => ({ get c_out() { throw 'not an Error'; } }),
    () => new Proxy({}, { get() { throw new Error('trap get'); }, ownKeys() { throw new Error('trap keys'); } }),
    () => new Proxy([1, 2], { get() { throw new Error('array trap'); } }),
    () => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; },
    () => { const o = { a: 1 }; o.self = o; return o; },
    () => { let o = {}; for (let i = 0; i < 100; i++) o = { o }; return o; },
    () => new Float32Array([1, NaN, 3]), () => new Float32Array(Math.floor(rng() * 100)),
    () => new BigInt64Array(2), () => new DataView(new ArrayBuffer(4)), () => new Uint8Array(16),
    () => Object.assign(new Array(5), { 2: {} }), () => { const a = []; a.length = 2 ** 31; return a; },
    () => ({ length: -1 }), () => ({ length: 2 ** 40 }), () => new Date(0), () => new Map([[1, 2]]),
    () => Object.create(null), () => ({ __proto__: { c_out: 5 } }), () => ({ toJSON() { throw new Error('toJSON'); } }),
  ];
  if (depth < 2 && rng() < 0.15) return [hostile(rng, depth + 1), hostile(rng, depth + 1)];
  if (depth < 2 && rng() < 0.1) return { [pick(rng, ['c_out', 'layer', 'x', 'shape', 'data', 'rows'])]: hostile(rng, depth + 1) };
  return pick(rng, kinds)();
}

/** A deep copy of `base` with one randomly chosen leaf (or a new key) replaced by a hostile value. */
function mutate(rng, base) {
  const copy = structuredClone(base);
  const paths = [];
  const walk = (v, p) => {
    if (v && typeof v === 'object') {
      for (const k of Object.keys(v)) { paths.push([...p, k]); if (paths.length < 5000) walk(v[k], [...p, k]); }
    }
  };
  walk(copy, []);
  const n = 1 + Math.floor(rng() * 2);
  for (let i = 0; i < n && paths.length; i++) {
    const p = pick(rng, paths);
    let o = copy;
    for (const k of p.slice(0, -1)) o = o?.[k];
    if (o && typeof o === 'object') {
      if (rng() < 0.1) o[`unknown_${Math.floor(rng() * 9)}`] = 1;
      else if (rng() < 0.05) delete o[p[p.length - 1]];
      else o[p[p.length - 1]] = hostile(rng);
    }
  }
  return rng() < 0.05 ? hostile(rng) : copy;
}

const SPEC = { layer: { c_out: 8, c_in: 4, k_h: 3, k_w: 3, stride: 1, padding: 1 }, epitome: { e_out: 4, e_in: 2, e_h: 4, e_w: 4 }, offsets: [[0, 0, 0], [1, 1, 0]], rep: 1 };
function layerFile(rng) {
  const c_out = pick(rng, [1, 8, 64, 65536]), e_out = pick(rng, [1, 2, c_out]);
  const e_in = pick(rng, [1, 2, 4]), e_h = pick(rng, [3, 4, 64]), e_w = pick(rng, [3, 5]);
  const n = Math.min(e_out * e_in * e_h * e_w, 1 << 20);
  return {
    layer: { c_out, c_in: pick(rng, [1, 4, 300]), k_h: 3, k_w: 3, stride: pick(rng, [1, 2]), padding: 1 },
    epitome: { shape: [e_out, e_in, e_h, e_w], data: Array.from({ length: n }, (_, i) => (i % 7) - 3) },
    input: { shape: [1, 4, 5, 5], data: Array.from({ length: 100 }, (_, i) => i / 100) },
  };
}
const REQUEST = { network: 'vgg8', preset: 'mnsim2', baseline: 'dense:bits=32', methods: ['dense:bits=8', 'epitome:bits=3,ratio=2'], knobs: { crossbar_size: 128 } };
// The PIM accuracy exports (issue 14): mnsim2 knobs with a 5-bit ADC and variation.
const PIM_KNOBS = { crossbar_rows: 256, cell_bits: 1, dac_bits: 1, adc_bits: 5, adc_range_0_to_1: 1, variation_sigma: 0.1, sa0_0_to_1: 0.01, sa1_0_to_1: 0, on_off_ratio: null };
const PIM_SERIES = [{ label: 'a', points: [{ value: 4, mean_0_to_1: 0.5, std_0_to_1: 0.1 }, { value: 3, mean_0_to_1: 0.2 }] }];
const PIM_TRADE = [{ label: 'a', costs: [{ adc_bits: 4, adc_choice: 7, dac_choice: 1, own_adc: false, own_dac: true, area_um2: 1e7, latency_ns: 4e5, energy_pj: 3e7 }, { adc_bits: 6, adc_choice: 6, dac_choice: 1, own_adc: true, own_dac: true, area_um2: 2e7, latency_ns: 5e5, energy_pj: 4e7 }], points: [{ adc_bits: 4, mean_0_to_1: 0.5, std_0_to_1: 0.1 }, { adc_bits: 5, mean_0_to_1: 0.7 }, { adc_bits: 6, mean_0_to_1: 0.9 }] }];
const PIM_PARTS = [{ images: 10, seeds: [1, 2], correct_per_seed: [9, 8], crossbars: 16 }, { images: 5, seeds: [1, 2], correct_per_seed: [5, 0], crossbars: 16 }];
const SEARCH = { network: 'vgg8', budget_fraction_of_dense32: 0.1, search: { population: 4, generations: 2, seed: 1 } };

function describe(v) {
  try {
    const s = JSON.stringify(v, (k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : typeof x === 'bigint' ? `${x}n` : typeof x === 'function' ? 'fn' : x));
    return (s ?? String(v)).slice(0, 160);
  } catch (e) { return `<${typeof v}: ${String(e?.message ?? e).slice(0, 40)}>`; }
}

/** Training settings the fuzzer starts from: the tiny network on 128 images (two batches). */
const TRAIN_SETTINGS = { dataset: 'mnist', arch: 'tiny', epochs: 1, w_bits: 8, epitome: 2.25, seed: 1, batch: 16, limit: 128 };
/** 128 generated 28x28 images and labels as IDX files. */
const TRAIN_IDX = (() => {
  const n = 128, images = new Uint8Array(16 + n * 784), labels = new Uint8Array(8 + n);
  new DataView(images.buffer).setUint32(0, 0x803);
  new DataView(images.buffer).setUint32(4, n);
  new DataView(images.buffer).setUint32(8, 28);
  new DataView(images.buffer).setUint32(12, 28);
  new DataView(labels.buffer).setUint32(0, 0x801);
  new DataView(labels.buffer).setUint32(4, n);
  for (let i = 0; i < n; i++) {
    labels[8 + i] = i % 10;
    for (let p = 0; p < 784; p++) images[16 + i * 784 + p] = (p * 7 + i * 13) % 251;
  }
  return { images, labels };
})();

/** One case: which export, a printable input, and the call. */
function makeCase(rng, m, live, session, modelBytes, page, only, onnx) {
  const r = rng();
  const arg = (base) => (rng() < 0.85 ? mutate(rng, base) : hostile(rng));
  const cases = [
    ['epitomeInfo', () => { const a = arg(SPEC); return ['epitomeInfo', a, () => m.epitomeInfo(a)]; }],
    ['epitomeMaterialize', () => { const a = arg(layerFile(rng)); return ['epitomeMaterialize', a, () => m.epitomeMaterialize(a)]; }],
    ['epitomeTables', () => { const a = arg(layerFile(rng)); return ['epitomeTables', a, () => m.epitomeTables(a)]; }],
    ['epitomeConv', () => { const a = arg(layerFile(rng)); return ['epitomeConv', a, () => m.epitomeConv(a)]; }],
    // The explorer's links (issue 15): spec, output/input channel, element.
    ['epitomeSampling', () => { const a = arg(SPEC); return ['epitomeSampling', a, () => m.epitomeSampling(a)]; }],
    ['epitomeWindow', () => { const a = arg(SPEC), o = rng() < 0.5 ? 5 : hostile(rng), i = rng() < 0.5 ? null : hostile(rng); return ['epitomeWindow', [a, o, i], () => m.epitomeWindow(a, o, i)]; }],
    ['epitomeCells', () => { const a = arg(SPEC), n = rng() < 0.5 ? 32 : hostile(rng); return ['epitomeCells', [a, n], () => m.epitomeCells(a, n)]; }],
    ['epitomeReaders', () => { const a = arg(SPEC), k = rng() < 0.5 ? 7 : hostile(rng); return ['epitomeReaders', [a, k], () => m.epitomeReaders(a, k)]; }],
    ['quantize', () => { const a = arg(layerFile(rng)), b = rng() < 0.5 ? hostile(rng) : 3; return ['quantize', [a, b], () => m.quantize(a, b)]; }],
    ['simulate', () => {
      const n = rng() < 0.5 ? 'vgg8' : hostile(rng), c = rng() < 0.5 ? arg({ crossbar: { rows: 128, cols: 128 }, digital: { clock_mhz: 100 } }) : null, o = rng() < 0.3 ? arg({ accounting: 'physical' }) : undefined;
      return ['simulate', [n, c, o], () => m.simulate(n, c, o)];
    }],
    ['compare', () => { const a = arg(REQUEST); return ['compare', a, () => m.compare(a)]; }],
    ['compareModels', () => {
      const a = arg({ baseline: 'dense:bits=32', methods: [] });
      const models = rng() < 0.6 ? [{ label: 'model:x', bytes: rng() < 0.5 ? modelBytes : mutateBytes(rng, modelBytes) }] : hostile(rng);
      return ['compareModels', [a, models], () => m.compareModels(a, models)];
    }],
    ['Model.load', () => { const b = rng() < 0.6 ? mutateBytes(rng, modelBytes) : hostile(rng); return ['Model.load', b, () => { m.Model.load(b).free(); }]; }],
    ['Model.predict', () => { const x = rng() < 0.3 ? new Float32Array(784) : hostile(rng); return ['Model.predict', x, () => live.model.predict(x)]; }],
    ['Model.classifyImage', () => { const x = rng() < 0.3 ? new Float32Array(784).fill(rng()) : hostile(rng); return ['Model.classifyImage', x, () => live.model.classifyImage(x).class]; }],
    ['Model.logits', () => {
      const k = 1 + Math.floor(rng() * 8), x = rng() < 0.4 ? new Float32Array(784 * k) : hostile(rng), n = rng() < 0.5 ? k : hostile(rng);
      return ['Model.logits', [x, n], () => live.model.logits(x, n)];
    }],
    ['Model.classifyBatch', () => {
      const k = 1 + Math.floor(rng() * 8), x = rng() < 0.4 ? new Float32Array(784 * k).fill(rng()) : hostile(rng), n = rng() < 0.5 ? k : hostile(rng);
      return ['Model.classifyBatch', [x, n], () => live.model.classifyBatch(x, n)];
    }],
    ['Model.evaluate', () => { const x = hostile(rng), y = hostile(rng); return ['Model.evaluate', [x, y], () => live.model.evaluate(x, y)]; }],
    ['Model.cost', () => { const x = rng() < 0.3 ? 'mnsim2' : hostile(rng); return ['Model.cost', x, () => live.model.cost(x)]; }],
    ['Model.info', () => ['Model.info', null, () => { live.model.info(); return live.model.classes; }]],
    ['Model.free+use', () => ['Model.free+use', null, () => { const md = live.model; live.model = m.Model.load(modelBytes); md.free(); md.free?.(); return md.predict(new Float32Array(784)); }]],
    ['SearchSession.new', () => { const a = arg(SEARCH); return ['SearchSession.new', a, () => { new m.SearchSession(a).free(); }]; }],
    ['SearchSession.step', () => { const g = rng() < 0.5 ? 1 : hostile(rng); return ['SearchSession.step', g, () => session().step(g)]; }],
    ['SearchSession.query', () => { const id = hostile(rng); const f = pick(rng, ['bestDesign', 'layers', 'exact']); return [`SearchSession.${f}`, id, () => session()[f](id)]; }],
    ['SearchSession.state', () => { const f = pick(rng, ['front', 'progress', 'cancel']); return [`SearchSession.${f}`, null, () => session()[f]()]; }],
    ['SearchSession.free+use', () => ['SearchSession.free+use', null, () => { const s = session(); live.session = null; s.free(); return s.step(1); }]],
    ['drawChart', () => { const c = hostile(rng), d = arg({ title: 't', rows: [{ method: 'm', area_um2: 1, latency_ns: 1, energy_pj: 1, bits_per_weight: 8 }] }), k = rng() < 0.5 ? 'area' : hostile(rng); return ['drawChart', [c, d, k], () => m.drawChart(c, d, k, hostile(rng))]; }],
    ['drawFront', () => { const c = hostile(rng), d = arg({ title: 't', points: [{ area_um2: 1e6, latency_ns: 1e3 }], best: 0 }); return ['drawFront', [c, d], () => m.drawFront(c, d, hostile(rng))]; }],
    ['readIdxDataset', () => {
      const im = rng() < 0.6 ? mutateBytes(rng, IDX_IMAGES) : hostile(rng), lb = rng() < 0.6 ? mutateBytes(rng, IDX_LABELS) : hostile(rng);
      return ['readIdxDataset', [im, lb], () => m.readIdxDataset(im, lb).count];
    }],
    ['EvalRun', () => {
      const b = rng() < 0.7 ? modelBytes : rng() < 0.5 ? mutateBytes(rng, modelBytes) : hostile(rng), x = rng() < 0.7 ? new Uint8Array(784 * 2).fill(90) : hostile(rng);
      const y = rng() < 0.7 ? new Uint8Array(2).fill(4) : hostile(rng), c = rng() < 0.6 ? 1 : hostile(rng);
      return ['EvalRun', [x, y, c], () => { const r = new m.EvalRun(b, x, y); try { r.step(c); return r.step(c).correct; } finally { r.free(); } }];
    }],
    ['listNetworks/listPresets/limits', () => ['listNetworks/listPresets/limits', null, () => { m.listNetworks(); m.listPresets(); m.limits(); m.version(); }]],
    ['checkMethod', () => { const t = rng() < 0.5 ? pick(rng, URL_VALUES) : hostile(rng); return ['checkMethod', t, () => m.checkMethod(t)]; }],
    // One or two images per case: a bit-serial image costs tens of ms.
    ['pimEvaluate', () => {
      const b = rng() < 0.8 ? modelBytes : rng() < 0.5 ? mutateBytes(rng, modelBytes) : hostile(rng), k = arg(PIM_KNOBS), n = 1 + Math.floor(rng() * 2);
      const x = rng() < 0.8 ? new Uint8Array(784 * n).fill(200) : hostile(rng), y = rng() < 0.8 ? new Uint8Array(n).fill(3) : hostile(rng), s = rng() < 0.7 ? 2 : hostile(rng);
      return ['pimEvaluate', [k, s], () => m.pimEvaluate(b, k, x, y, s)];
    }],
    ['pimLayerErrors', () => {
      const b = rng() < 0.8 ? modelBytes : rng() < 0.5 ? mutateBytes(rng, modelBytes) : hostile(rng), k = arg(PIM_KNOBS);
      const x = rng() < 0.8 ? new Uint8Array(784).fill(200) : hostile(rng), y = rng() < 0.8 ? new Uint8Array(1).fill(3) : hostile(rng), s = rng() < 0.7 ? 1 : hostile(rng);
      return ['pimLayerErrors', [k, s], () => m.pimLayerErrors(b, k, x, y, s).length];
    }],
    ['pimRun', () => {
      const k = arg(PIM_KNOBS), c = rng() < 0.6 ? 1 : hostile(rng);
      return ['pimRun', [k, c], () => { const r = new m.PimRun(modelBytes, k, new Uint8Array(784 * 2), new Uint8Array(2), 1); try { r.step(c); r.step(c); return r.done + r.total; } finally { r.free(); } }];
    }],
    ['pimCurve', () => { const kn = rng() < 0.6 ? pick(rng, ['adc-bits', 'variation', 'stuck']) : hostile(rng), d = arg(PIM_SERIES), t = rng() < 0.5 ? undefined : hostile(rng); return ['pimCurve', [kn, d, t], () => m.pimCurve(kn, d, t)]; }],
    ['pimAdcCosts', () => {
      const p = rng() < 0.6 ? pick(rng, ['mnsim2', 'isaac', 'ideal']) : hostile(rng), k = arg(PIM_KNOBS);
      const ms = rng() < 0.7 ? [{ label: 'm', bytes: rng() < 0.8 ? modelBytes : mutateBytes(rng, modelBytes) }] : hostile(rng);
      return ['pimAdcCosts', [p, k], () => m.pimAdcCosts(p, k, ms).length];
    }],
    ['pimTradeCurve', () => { const a = rng() < 0.6 ? pick(rng, ['energy', 'area', 'latency']) : hostile(rng), d = arg(PIM_TRADE), t = rng() < 0.5 ? undefined : hostile(rng); return ['pimTradeCurve', [a, d, t], () => m.pimTradeCurve(a, d, t)]; }],
    ['pimMerge', () => { const d = arg(PIM_PARTS); return ['pimMerge', d, () => m.pimMerge(d)]; }],
    ['pimPresetKnobs', () => { const n = rng() < 0.5 ? pick(rng, ['mnsim2', 'isaac', 'ideal']) : hostile(rng); return ['pimPresetKnobs', n, () => m.pimPresetKnobs(n)]; }],
    ['pimAdcChoices', () => { const b = rng() < 0.5 ? Math.floor(rng() * 18) : hostile(rng); return ['pimAdcChoices', b, () => m.pimAdcChoices(b)]; }],
    ['pimDacChoices', () => { const b = rng() < 0.5 ? Math.floor(rng() * 10) : hostile(rng); return ['pimDacChoices', b, () => m.pimDacChoices(b)]; }],
    ['pimCheckKnobs', () => { const k = arg(PIM_KNOBS); return ['pimCheckKnobs', k, () => m.pimCheckKnobs(k)]; }],
    ['pimDrawCurve', () => { const c = hostile(rng), d = arg({ title: 't', x_desc: 'x', y_desc: 'y', series: [{ label: 'a', points: [{ x: 1, y: 2, spread: 0 }] }] }); return ['pimDrawCurve', [c, d], () => m.drawCurve(c, d, hostile(rng))]; }],
    // The on-demand module (issue 18, issue 12): ONNX import, compare on it, tract-core.
    ['importOnnx', () => {
      const b = rng() < 0.7 ? mutateBytes(rng, TINY_ONNX) : hostile(rng), o = rng() < 0.5 ? undefined : arg({ name: 'n', inputShape: [1, 1, 8, 8], wBits: 4 });
      return ['importOnnx', [b, o], () => onnx.importOnnx(b, o)];
    }],
    ['OnnxNetwork.compare', () => {
      const a = arg({ baseline: 'dense:bits=32', methods: ['prune:kind=crossbar,ratio=0.5,bits=8', 'epitome:bits=3,ratio=2'] });
      return ['OnnxNetwork.compare', a, () => { const n = onnx.OnnxNetwork.import(TINY_ONNX); try { n.summary(); return n.compare(a); } finally { n.free(); } }];
    }],
    ['OnnxClassifier', () => {
      const b = rng() < 0.7 ? mutateBytes(rng, TINY_ONNX_28) : hostile(rng), x = rng() < 0.5 ? new Float32Array(784).fill(rng()) : hostile(rng);
      return ['OnnxClassifier', [b, x], () => { const c = onnx.OnnxClassifier.load(b); try { return c.classifyImage(x).class; } finally { c.free(); } }];
    }],
    ['TractModel', () => {
      const b = rng() < 0.3 ? modelBytes : rng() < 0.5 ? mutateBytes(rng, modelBytes) : hostile(rng), k = 1 + Math.floor(rng() * 3);
      const x = rng() < 0.5 ? new Float32Array(784 * k).fill(rng()) : hostile(rng), n = rng() < 0.5 ? k : hostile(rng);
      return ['TractModel', [x, n], () => { const t = onnx.TractModel.load(b); try { return t.logits(x, n); } finally { t.free(); } }];
    }],
    ['urlState', () => { const h = hostileHash(rng, page); return ['urlState', h, () => openLink(m, page, h)]; }],
    // Training (docs/training.md): settings, then a run on 128 generated images, a few batches.
    ['checkTrainSettings', () => { const a = arg(TRAIN_SETTINGS); return ['checkTrainSettings', a, () => m.checkTrainSettings(a)]; }],
    ['TrainRun', () => {
      const a = rng() < 0.5 ? { ...TRAIN_SETTINGS } : arg(TRAIN_SETTINGS), c = rng() < 0.6 ? 1 : hostile(rng);
      const im = rng() < 0.8 ? TRAIN_IDX.images : rng() < 0.5 ? mutateBytes(rng, TRAIN_IDX.images) : hostile(rng);
      const lb = rng() < 0.8 ? TRAIN_IDX.labels : hostile(rng);
      return ['TrainRun', [a, c], () => {
        const r = new m.TrainRun(a, im, lb);
        try { r.step(c); r.setHeldOut(TRAIN_IDX.images, TRAIN_IDX.labels, rng() < 0.5 ? 16 : hostile(rng)); r.heldOutAccuracy(); return r.chart(rng() < 0.7 ? 'loss' : hostile(rng)); } finally { r.free(); }
      }];
    }],
  ];
  const allowed = only ? cases.filter(([n]) => only.some((o) => n.startsWith(o))) : cases;
  if (!allowed.length) throw new Error(`--only ${only.join(',')} matches no case (${cases.map(([n]) => n).join(', ')})`);
  const [name, input, run] = allowed[Math.floor(r * allowed.length)][1]();
  return { export: name, input: () => describe(input), run };
}

// ------------------------------------------------------------ URL state
// A link is input too: the page decodes the hash (www/js/state.js), checks names against
// the core's lists, then the explorer and the Costs panel call the core with what it
// decoded. The `urlState` case runs that path without a DOM, through the page's own
// modules, and fails (bad-error) when the decoder breaks its contract: it throws, a
// notice is not one line of <= 300 characters, or the state it returns does not survive
// encode -> decode unchanged and without notices (a value the page would later reject).

/** A broken contract of the page's own code (not an error the reader is shown). */
class ContractError extends Error {}

async function pageModules() {
  const imp = (p) => import(pathToFileURL(path.join(root, p)).href);
  const [state, format, explorer, costs] = await Promise.all([
    imp('www/js/state.js'), imp('www/js/format.js'), imp('www/js/views/explorer.js'), imp('www/js/views/costs.js'),
  ]);
  return { ...state, specFromForm: format.specFromForm, shapeToValues: explorer.shapeToValues, request: costs.request };
}

const URL_VALUES = [
  '', '0', '-1', '1', '3', '999', '1000', '99999', '1e309', 'NaN', 'Infinity', '0x10', '4.5', ' 1', '1 ',
  '9'.repeat(40), '2147483648', '18446744073709551617', 'vgg8', 'lenet', 'resnet50-imagenet', 'isaac', 'mnsim2',
  'not-a-net', 'mnist-cnn-dense-8b', 'costs', 'explorer', 'mnsim', 'physical', '<script>alert(1)</script>',
  '%E0%A4%A', '%', '%%', '\u0000', '\ud800', 'é'.repeat(50), 'dense:bits=8', 'dense:bits=0', 'dense:bits=99',
  'epitome:bits=3,ratio=2', 'epitome:bits=3,ratio=0', 'epitome:bits=3,e=1x1x1x1', 'prune:kind=xrs,ratio=1.5',
  'design=x', 'epitome:design=d1', 'dense:bits=8 with space', '~', '~~~', 'dense:bits=3~dense:bits=4',
  '262144,1,1,1/1,1,512,512', '999999,1,1,1/1,1,999,1001', '65536,1,1,1/1,1,256,256', '268435456,1,1,1/1,1,1,1',
  '32,16,3,3/16,8,4,4', '1,1,1,1/1,1,1,1', '0,0,0,0/0,0,0,0', '64,64,3,3/128,64,3,3', '3,3,3,3/3,3,2,2',
];

/** A hash: a few settings (known or unknown keys, repeated keys) with hostile or valid values. */
function hostileHash(rng, page) {
  const keys = [...Object.keys(page.SCHEMA), 'x', 'panel', 'm', 'm', 'shape', 'shape'];
  const p = [];
  for (let i = 0, n = 1 + Math.floor(rng() * 6); i < n; i++) {
    const k = pick(rng, keys);
    let v;
    const r = rng();
    if (r < 0.05) v = Array.from({ length: 1 + Math.floor(rng() * 5000) }, () => pick(rng, URL_VALUES)).join('~');
    else if (r < 0.1) v = 'x'.repeat(Math.floor(rng() * 200000));
    else if (r < 0.2) v = String(Math.floor(rng() * 2 ** 31) - 2 ** 30);
    else if (r < 0.3) v = Array.from({ length: 8 }, () => pick(rng, [1, 2, 3, 4, 8, 16, 64, 0, 512, 65536, 999999])).join(',').replace(/^((?:[^,]*,){3}[^,]*),/, '$1/');
    else v = pick(rng, URL_VALUES);
    p.push(`${encodeURIComponent(k)}=${rng() < 0.8 ? encodeURIComponent(v) : v}`);
  }
  return `${rng() < 0.5 ? '#' : ''}${p.join('&')}`;
}

/** Opens a link as the page does; throws an Error when the core rejects what the link held. */
function openLink(m, page, hash) {
  let decoded;
  try {
    decoded = page.decode(hash);
  } catch (e) {
    throw new ContractError(`decode threw: ${String(e?.message ?? e).slice(0, 100)}`); // a bad-error
  }
  const checked = page.checkNames(decoded.state, {
    net: m.listNetworks().map((n) => n.name),
    preset: m.listPresets().map((n) => n.name),
  });
  const methods = page.checkMethods(checked.state, (text) => m.checkMethod(text));
  for (const msg of [...decoded.errors, ...checked.errors, ...methods.errors]) {
    if (typeof msg !== 'string' || msg.includes('\n') || msg.length > 300) throw new ContractError(`notice is not one short line: ${String(msg).slice(0, 100)}`);
  }
  const again = page.decode(page.encode(methods.state));
  if (again.errors.length || JSON.stringify(again.state) !== JSON.stringify(methods.state)) {
    throw new ContractError(`state does not round-trip: ${again.errors.join('; ').slice(0, 100) || 'values differ'}`);
  }
  const s = methods.state;
  // The explorer (www/js/views/explorer.js): the shape's info, and its sampling map when
  // the page would draw it.
  const info = m.epitomeInfo(page.specFromForm(page.shapeToValues(s.shape)));
  if (info.weight_count <= 1 << 16) {
    const { layer, epitome } = page.specFromForm(page.shapeToValues(s.shape));
    m.epitomeMaterialize({ layer: { ...layer, stride: 1, padding: 0 }, epitome: { shape: [epitome.e_out, epitome.e_in, epitome.e_h, epitome.e_w], data: new Float32Array(info.param_count) } });
  }
  // The Costs panel.
  return m.compare(page.request(s).request);
}

/** A valid IDX pair: 3 images of 28x28 and their labels (the page's test subset format). */
const TINY_ONNX = tinyOnnx();
const TINY_ONNX_28 = tinyOnnx({ h: 28, w: 28 });
const IDX_IMAGES = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28, ...new Array(3 * 784).fill(7)]);
const IDX_LABELS = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);

function mutateBytes(rng, bytes) {
  const b = bytes.slice(0, rng() < 0.2 ? Math.floor(rng() * bytes.length) : bytes.length);
  for (let i = 0, n = Math.floor(rng() * 8); i < n && b.length; i++) b[Math.floor(rng() * Math.min(b.length, rng() < 0.7 ? 2048 : b.length))] = Math.floor(rng() * 256);
  return b;
}

if (isMainThread) await main();
else await work();
