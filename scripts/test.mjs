// Runs every test tier in order, stopping at the first red one, and ends with
// one summary line "N passed, N failed" (tests counted from each runner's own
// summary; each lint/build check counts as one).
//
//   node scripts/test.mjs                  all tiers
//   node scripts/test.mjs --only wasm,js   just the named tiers
//   node scripts/test.mjs --list           the tiers and their commands
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const home = process.env.HOME ?? '/root';
const env = {
  ...process.env,
  PATH: `${root}/node_modules/.bin:${home}/.cargo/bin:${process.env.PATH}`,
  CARGO_TERM_COLOR: process.env.CARGO_TERM_COLOR ?? 'never',
};

// Counts from a runner's output: cargo/libtest and wasm-bindgen-test print
// "test result: ok. 5 passed; 0 failed"; node --test (spec reporter) prints
// "ℹ pass 5" / "ℹ fail 0".
export function countTests(output) {
  let passed = 0;
  let failed = 0;
  let seen = false;
  for (const m of output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    seen = true;
  }
  for (const m of output.matchAll(/^\S* ?(pass|fail) (\d+)$/gm)) {
    if (m[1] === 'pass') passed += Number(m[2]);
    else failed += Number(m[2]);
    seen = true;
  }
  // Our own scripts (the benchmark) end with a line "N passed, N failed".
  for (const m of output.matchAll(/^(\d+) passed, (\d+) failed$/gm)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    seen = true;
  }
  return { passed, failed, seen };
}

const cargo = (...args) => ['cargo', args];
// Crate features whose code and tests `npm test` covers natively (the shipped wasm
// package enables none of them; `train` and `burn` are also linted for wasm32 below).
export const nativeFeatures = ['train', 'burn', 'tract', 'onnx'];
const features = ['--features', nativeFeatures.join(',')];
const tiers = [
  {
    name: 'lint',
    steps: [
      { label: 'cargo fmt --check', cmd: cargo('fmt', '--all', '--', '--check'), check: true },
      { label: 'clippy (native)', cmd: cargo('clippy', '--all-targets', ...features, '--', '-D', 'warnings'), check: true },
      {
        label: 'clippy (wasm32)',
        cmd: cargo('clippy', '--target', 'wasm32-unknown-unknown', '--', '-D', 'warnings'),
        check: true,
      },
      {
        // The trainer builds for wasm32 too (the page's training worker, issue 13).
        label: 'clippy (wasm32, trainer)',
        cmd: cargo('clippy', '--target', 'wasm32-unknown-unknown', '--lib', '--features', 'train', '--', '-D', 'warnings'),
        check: true,
      },
      {
        // burn's flex backend builds for wasm32 too (the export BurnTrainRun, kept out of
        // the page's package; docs/models.md#which-trainer-runs-in-the-browser).
        label: 'clippy (wasm32, burn)',
        cmd: cargo('clippy', '--target', 'wasm32-unknown-unknown', '--lib', '--features', 'burn', '--', '-D', 'warnings'),
        check: true,
      },
      {
        // The crate's API reference (rustdoc): every intra-doc link resolves.
        label: 'rustdoc (cargo doc, warnings denied)',
        cmd: cargo('doc', '--no-deps', '-p', 'epim', ...features),
        env: { RUSTDOCFLAGS: '-D warnings' },
        check: true,
      },
    ],
  },
  { name: 'rust', steps: [{ label: 'cargo test', cmd: cargo('test', ...features) }] },
  {
    name: 'wasm',
    steps: [
      { label: 'wasm-pack test --node', cmd: ['wasm-pack', ['test', '--node', '--mode', 'no-install', 'crate', '--test', 'web']] },
      {
        label: 'wasm-pack test --headless --chrome',
        cmd: ['wasm-pack', ['test', '--headless', '--chrome', '--mode', 'no-install', 'crate', '--test', 'web']],
        env: { WASM_BINDGEN_USE_BROWSER: '1' },
      },
    ],
  },
  { name: 'js', steps: [{ label: 'node --test tests/js', cmd: ['node', ['--test', '--test-reporter=spec', 'tests/js/']] }] },
  {
    name: 'e2e',
    steps: [
      { label: 'build wasm (release)', cmd: ['bash', ['scripts/build-wasm.sh']], check: true },
      // The generated www/pkg/epim.d.ts names real types (tsify-next): a TS user's example
      // type-checks, and fails to if a report, request or option it reads is `any`.
      { label: 'TypeScript types (tsc --noEmit -p tests/ts)', cmd: ['tsc', ['--noEmit', '-p', 'tests/ts']], check: true },
      // docs/api.md is generated from www/pkg/epim.d.ts: the one API reference, current.
      { label: 'API reference current (docs/api.md)', cmd: ['node', ['scripts/api-reference.mjs', '--check']], check: true },
      { label: 'wasm size budget', cmd: ['node', ['scripts/size.mjs', '--check']], check: true },
      { label: 'models and test data for the page', cmd: ['node', ['scripts/build-site.mjs']], check: true },
      { label: 'page in headless Chromium', cmd: ['node', ['--test', '--test-reporter=spec', 'tests/e2e/']] },
      {
        // The side-by-side benchmark on 300 images, one round: every runtime runs and they
        // agree on the classes (timings printed, never asserted). The exporter is the epim
        // binary the rust tier built with nativeFeatures (onnx among them).
        label: 'benchmark smoke run (npm run bench -- --smoke)',
        cmd: ['node', ['scripts/bench/bench.mjs', '--smoke', '--epim', path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug', 'epim')]],
      },
    ],
  },
  {
    // Against the release package the e2e tier built (docs/limits.md, "Fuzzing").
    name: 'fuzz',
    steps: [
      { label: 'hostile input through the built package (node)', cmd: ['node', ['--test', '--test-reporter=spec', 'tests/wasm-node/']] },
      { label: 'fuzz every wasm export (15 s)', cmd: ['node', ['scripts/fuzz.mjs', '--seconds', '15']], check: true },
    ],
  },
];

function run(step) {
  const [cmd, args] = step.cmd;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...env, ...(step.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('error', (e) => { out += String(e); resolve({ code: 127, out }); });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--list')) {
    for (const t of tiers) for (const s of t.steps) console.log(`${t.name}: ${s.cmd[0]} ${s.cmd[1].join(' ')}`);
    return 0;
  }
  const onlyIdx = argv.indexOf('--only');
  const only = onlyIdx >= 0 ? new Set(argv[onlyIdx + 1].split(',')) : null;
  let passed = 0;
  let failed = 0;
  const started = Date.now();
  for (const tier of tiers) {
    if (only && !only.has(tier.name)) continue;
    for (const step of tier.steps) {
      console.log(`\n=== [${tier.name}] ${step.label}`);
      const t0 = Date.now();
      const { code, out } = await run(step);
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      const c = step.check ? { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, seen: true } : countTests(out);
      if (!c.seen && code === 0) {
        console.error(`=== [${tier.name}] ${step.label}: exited 0 but ran no test`);
        c.failed += 1;
      }
      if (code !== 0 && c.failed === 0) c.failed = 1; // a crash before any summary
      passed += c.passed;
      failed += c.failed;
      console.log(`=== [${tier.name}] ${step.label}: ${code === 0 && c.failed === 0 ? 'ok' : 'FAILED'} (${c.passed} passed, ${c.failed} failed, ${secs} s)`);
      if (code !== 0 || c.failed > 0) {
        console.log(`\nstopped at the first red tier (${tier.name}) after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        console.log(`${passed} passed, ${failed} failed`);
        return 1;
      }
    }
  }
  console.log(`\nall tiers green in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then((code) => process.exit(code));
}
