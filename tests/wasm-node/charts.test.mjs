// The page and `epim compare --svg` draw one request's charts from the same chart data:
// the wasm `compare`/`compareModels` return `chart`/`accuracy_chart` (the page hands them
// to drawChart unchanged, www/js/views/costs.js and trained.js), and `--svg DIR` writes
// the data its SVGs are drawn from to DIR/chart-data.json (tests/compare_cli.rs checks
// that every SVG is that data rendered). Here the two are compared for the same
// requests. Needs the built package (npm run build:wasm) and the native binary
// (`cargo build -p epim`, or the rust tier's; EPIM_BIN overrides the path).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.join(root, 'www/pkg');
const bin = process.env.EPIM_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'debug', 'epim');
let m;

before(async () => {
  assert.ok(fs.existsSync(path.join(pkg, 'epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  assert.ok(fs.existsSync(bin), `the epim binary exists at ${bin} (cargo build -p epim, or set EPIM_BIN)`);
  m = await import(pathToFileURL(path.join(pkg, 'epim.js')).href);
  await m.default({ module_or_path: fs.readFileSync(path.join(pkg, 'epim_bg.wasm')) });
});

/** Runs `epim compare ARGS --svg DIR`; returns DIR/chart-data.json and the SVG file names. */
function cliCharts(args) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'epim-charts-'));
  try {
    execFileSync(bin, ['compare', ...args, '--svg', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const data = JSON.parse(fs.readFileSync(path.join(dir, 'chart-data.json'), 'utf8'));
    return { data, svgs: fs.readdirSync(dir).filter((f) => f.endsWith('.svg')).sort() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The CLI flags of a wasm compare request (no config or designs here). */
function flags(req) {
  const out = ['--baseline', req.baseline];
  if (req.network) out.push('--net', req.network);
  if (req.preset) out.push('--preset', req.preset);
  if (req.accounting) out.push('--accounting', req.accounting);
  for (const [k, v] of Object.entries(req.knobs ?? {})) out.push(`--${k.replaceAll('_', '-')}`, String(v));
  for (const x of req.methods) out.push('--method', x);
  return out;
}

const requests = [
  // Repeated methods and one equal to the baseline: drawn once (the copy in JS did not).
  { network: 'lenet', preset: 'mnsim2', baseline: 'dense:bits=32', methods: ['dense:bits=8', 'epitome:bits=3,ratio=2', 'dense:bits=8', 'dense:bits=32'] },
  {
    network: 'vgg8', preset: 'isaac', accounting: 'mnsim', knobs: { crossbar_size: 256, cell_bits: 2 }, baseline: 'dense:bits=16',
    methods: ['dense:bits=8', 'epitome:bits=4,ratio=4', 'prune:kind=xrs,ratio=0.5,bits=8', 'prune:kind=filter,ratio=0.5,bits=8'],
  },
];

for (const req of requests) {
  test(`compare(${req.network}, ${req.methods.length} methods): the page's chart data is what --svg draws`, () => {
    const page = m.compare(req);
    const cli = cliCharts(flags(req));
    assert.deepEqual(page.chart, cli.data.chart);
    assert.equal(page.accuracy_chart, null);
    assert.equal(cli.data.accuracy_chart, null);
    const methods = page.chart.rows.map((r) => r.method);
    assert.deepEqual(methods, [...new Set([req.baseline, ...req.methods])], 'baseline first, each method once');
    assert.equal(cli.svgs.length, 7);
  });
}

test('compareModels: the trained-models chart is what `epim compare --model ... --svg` draws', () => {
  const stems = ['mnist-cnn-dense-8b', 'mnist-cnn-epim2.25-3b', 'mnist-cnn-xrs0.556-8b'];
  const files = stems.map((s) => path.join(root, 'models', `${s}.safetensors`));
  const models = stems.map((s, i) => ({ label: `model:${s}`, bytes: new Uint8Array(fs.readFileSync(files[i])) }));
  const req = { preset: 'mnsim2', baseline: 'dense:bits=32', methods: [] };
  const page = m.compareModels(req, models);
  const cli = cliCharts(['--preset', 'mnsim2', ...files.flatMap((f) => ['--model', f])]);
  assert.deepEqual(page.chart, cli.data.chart);
  assert.deepEqual(page.accuracy_chart, cli.data.accuracy_chart);
  assert.deepEqual(page.accuracy_chart.rows.map((r) => r.method), models.map((x) => x.label));
  assert.ok(page.accuracy_chart.rows.every((r) => r.accuracy_pct > 90));
  assert.ok(cli.svgs.includes('area-vs-accuracy.svg'));
  // Each row's layers (where its energy goes) are the CLI's `--json` rows' layers.
  const json = JSON.parse(execFileSync(bin, ['compare', '--preset', 'mnsim2', ...files.flatMap((f) => ['--model', f]), '--json']));
  assert.equal(page.rows.length, json.rows.length);
  for (const [i, row] of page.rows.entries()) {
    const want = json.rows[i].layers;
    const shape = (ls) => ls.map((l) => [l.name, l.kind, l.crossbars]);
    assert.deepEqual(shape(row.layers), shape(want));
    assert.equal(row.layers.length, 7, row.method);
    for (const [j, l] of row.layers.entries()) {
      for (const v of [l.energy_pj, l.area_um2, l.latency_ns, l.breakdown.energy_pj.adc]) assert.ok(Number.isFinite(v));
      const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.abs(b);
      assert.ok(close(l.energy_pj, want[j].energy_pj), `${row.method} ${l.name}: ${l.energy_pj} vs ${want[j].energy_pj}`);
      assert.ok(close(l.breakdown.energy_pj.adc, want[j].breakdown.energy_pj.adc), `${row.method} ${l.name} adc`);
      assert.ok(close(l.latency_ns, want[j].latency_ns), `${row.method} ${l.name} latency`);
    }
  }
  // The rows the trained-models comment names (an oracle here; the page only reads them).
  const acc = page.rows.map((r) => r.accuracy_pct);
  const area = page.rows.map((r) => r.area_um2);
  assert.equal(page.accuracy_picks.most_accurate, acc.indexOf(Math.max(...acc)));
  assert.equal(page.accuracy_picks.smallest, area.indexOf(Math.min(...area)));
  assert.equal(page.accuracy_picks.smallest_epim, null, 'no label starts with EPIM');
  const epim = m.compareModels(req, models.map((x, i) => ({ ...x, label: i ? `EPIM ${i}` : 'dense' })));
  const epimAreas = epim.rows.slice(1).map((r) => r.area_um2);
  assert.equal(epim.accuracy_picks.smallest_epim, 1 + epimAreas.indexOf(Math.min(...epimAreas)));
  assert.equal(m.compare({ network: 'lenet', baseline: 'dense:bits=32', methods: ['dense:bits=8'] }).accuracy_picks, null);
});

test('pimCurve: the chart data, points sorted, and the number of points in it', () => {
  const series = [
    { label: 'a', points: [{ value: 6, mean_0_to_1: 0.9, std_0_to_1: 0.01 }, { value: 4, mean_0_to_1: 0.5 }] },
    { label: 'b', points: [{ value: 5, mean_0_to_1: 0.7 }] },
  ];
  const { curve, point_count } = m.pimCurve('adc-bits', series, 't');
  assert.equal(point_count, 3);
  assert.deepEqual(curve.series.map((s) => s.points.map((p) => p.x)), [[4, 6], [5]]);
  assert.equal(curve.series[0].points[1].y, 90);
  assert.throws(() => m.pimCurve('adc-bits', [{ label: 'a', points: [{ value: 1, mean_0_to_1: 2 }] }]), /series\[0\]\.points\[0\]\.mean_0_to_1/);
});
