// A TypeScript user of the wasm package (www/pkg, built by scripts/build-wasm.sh):
// `tsc --noEmit -p tests/ts` type-checks it against the generated epim.d.ts (the e2e
// tier runs it right after the build). Besides using the API as a TS user would, it
// fails to compile if a report, request or option it touches is typed `any`.
import init, {
  compare,
  drawChart,
  drawCurve,
  drawFront,
  EvalRun,
  epitomeCells,
  epitomeConv,
  epitomeInfo,
  epitomeMaterialize,
  epitomeReaders,
  epitomeSampling,
  epitomeTables,
  epitomeWindow,
  limits,
  listNetworks,
  pimAdcCosts,
  pimCurve,
  pimLayerErrors,
  pimMerge,
  pimTradeCurve,
  quantize,
  listPresets,
  Model,
  simulate,
  SearchSession,
  type ChartData,
  type CompareReport,
  type CompareRequest,
  type CompareRow,
  type ConvResult,
  type EpitomeInfo,
  type EpitomeLayerSpec,
  type FrontPoint,
  type Limits,
  type MaterializeResult,
  type ModelInfo,
  type NetworkSpec,
  type QuantizeResult,
  type SearchRequest,
  type SimOptions,
  type SimReport,
  type StepReport,
} from '../../www/pkg/epim.js';

// `true` only for `any` (nothing else is assignable both ways to 0 and 1).
type IsAny<T> = 0 extends 1 & T ? true : false;
// Compiles only when `T` is not `any`.
type NotAny<T> = IsAny<T> extends true ? never : true;
const notAny = <T>(_witness: NotAny<T>): void => {};

notAny<SimReport>(true);
// The explorer's links (session 6: they were `any`).
notAny<ReturnType<typeof epitomeWindow>>(true);
notAny<ReturnType<typeof epitomeWindow>['next_i']>(true);
notAny<ReturnType<typeof epitomeWindow>['cells'][number]>(true);
notAny<ReturnType<typeof epitomeReaders>['kernels']>(true);
notAny<ReturnType<typeof epitomeCells>['e_index'][number][number]>(true);
notAny<ReturnType<typeof epitomeSampling>['counts']>(true);
notAny<Parameters<typeof epitomeWindow>[0]>(true);
notAny<SimReport['totals']>(true);
notAny<SimReport['layers'][number]['breakdown']['energy_pj']>(true);
notAny<SimReport['totals']['area_um2']>(true);
notAny<CompareReport>(true);
notAny<CompareRow['breakdown']['area_um2']>(true);
notAny<NonNullable<CompareRow['layers']>[number]['breakdown']['energy_pj']>(true);
notAny<CompareRequest>(true);
notAny<CompareRequest['config']>(true);
notAny<SimOptions>(true);
notAny<Limits>(true);
notAny<ReturnType<typeof simulate>>(true);
notAny<ReturnType<typeof compare>>(true);
notAny<ReturnType<typeof compare>['chart']['rows'][number]>(true);
notAny<StepReport['chart']>(true);
notAny<Parameters<typeof drawChart>[1]>(true);
notAny<Parameters<typeof drawFront>[1]>(true);
notAny<ReturnType<EvalRun['step']>>(true);
notAny<ReturnType<typeof pimLayerErrors>[number]>(true);
notAny<ReturnType<typeof pimLayerErrors>[number]['mapping']>(true);
notAny<ReturnType<typeof listNetworks>>(true);
notAny<ReturnType<typeof listPresets>>(true);
notAny<ReturnType<typeof limits>>(true);
notAny<Parameters<typeof simulate>[0]>(true);
notAny<Parameters<typeof simulate>[2]>(true);
notAny<Parameters<typeof compare>[0]>(true);
notAny<EpitomeInfo>(true);
notAny<Parameters<typeof epitomeInfo>[0]>(true);
notAny<StepReport>(true);
notAny<StepReport['info']>(true);
notAny<FrontPoint>(true);
notAny<SearchRequest>(true);
notAny<ReturnType<SearchSession['step']>>(true);
notAny<ReturnType<SearchSession['exact']>>(true);
notAny<ReturnType<SearchSession['bestDesign']>>(true);
notAny<ReturnType<typeof pimCurve>>(true);
notAny<ReturnType<typeof pimCurve>['curve']>(true);
// The ADC trade: the simulator's costs and the chart joining them with accuracies.
notAny<ReturnType<typeof pimAdcCosts>[number]['costs'][number]>(true);
notAny<Parameters<typeof pimTradeCurve>[1][number]['points'][number]>(true);
notAny<ReturnType<typeof pimTradeCurve>['curve']['series'][number]['points'][number]['label']>(true);
const axis: Parameters<typeof pimTradeCurve>[0] = 'energy';
void axis;
// A model's info (session 9: it was `any`).
notAny<ReturnType<Model['info']>>(true);
notAny<ModelInfo['metadata'][string]>(true);
notAny<ModelInfo['arch']['layers'][number]>(true);
notAny<ModelInfo['arch']['input'][0]>(true);
// The canvas the drawing exports take (session 9: it was `any`).
notAny<Parameters<typeof drawChart>[0]>(true);
notAny<Parameters<typeof drawFront>[0]>(true);
notAny<Parameters<typeof drawCurve>[0]>(true);
// The epitome operator and quantizer on a layer file (session 9: they were `any`).
notAny<Parameters<typeof epitomeMaterialize>[0]>(true);
notAny<Parameters<typeof epitomeConv>[0]>(true);
notAny<Parameters<typeof epitomeTables>[0]>(true);
notAny<Parameters<typeof quantize>[0]>(true);
notAny<Parameters<typeof quantize>[1]>(true);
notAny<EpitomeLayerSpec['epitome']['data']>(true);
notAny<ReturnType<typeof epitomeMaterialize>>(true);
notAny<MaterializeResult['data']>(true);
notAny<MaterializeResult['offsets'][number]>(true);
notAny<ReturnType<typeof epitomeConv>>(true);
notAny<ConvResult['data']>(true);
notAny<ReturnType<typeof epitomeTables>['ifat'][number]>(true);
notAny<ReturnType<typeof quantize>>(true);
notAny<QuantizeResult['codes']>(true);
notAny<QuantizeResult['scales']>(true);

export async function main(): Promise<string[]> {
  await init();
  const lines: string[] = [];

  // A network of one's own: the spec object is checked field by field.
  const net: NetworkSpec = {
    name: 'tiny',
    input: { c: 1, h: 28, w: 28 },
    w_bits: 8,
    a_bits: 8,
    layers: [
      { kind: 'conv', c_out: 8, kernel: 3, padding: 1 },
      { kind: 'pool', kernel: 2 },
      { kind: 'fc', out: 10 },
    ],
  };
  const options: SimOptions = { accounting: 'physical', knobs: { crossbar_size: 128 } };
  const report: SimReport = simulate(net, { preset: 'mnsim2', device: { cell_bits: 2 }, pe: { inbuf_kb: 'auto' } }, options);
  const area_um2: number = report.totals.area_um2;
  const energy_pj: number = report.totals.energy_pj;
  lines.push(`${report.network}: ${area_um2.toFixed(0)} um2, ${energy_pj.toFixed(1)} pJ`);
  for (const layer of report.layers) {
    const adc_pj: number = layer.breakdown.energy_pj.adc;
    lines.push(`  ${layer.name} (${layer.kind}): ${layer.crossbars} crossbars, ADC ${adc_pj.toFixed(2)} pJ`);
  }
  // A zoo network by name, options and config left out.
  const vgg: SimReport = simulate('vgg8');
  lines.push(`vgg8: ${vgg.totals.tiles} tiles`);

  const request: CompareRequest = {
    network: 'lenet',
    baseline: 'dense:bits=32',
    methods: ['dense:bits=8', 'epitome:bits=8,ratio=2'],
    knobs: { crossbar_size: 256 },
  };
  const cmp: CompareReport = compare(request);
  for (const row of [cmp.baseline, ...cmp.rows]) {
    const ratio: number = row.area_ratio;
    const acc: number | undefined = row.accuracy_pct;
    lines.push(`${row.method}: area x${ratio.toFixed(2)}${acc === undefined ? '' : `, ${acc}%`}`);
    // Where the row's energy goes, layer by layer.
    for (const layer of row.layers ?? []) {
      const adc_pj: number = layer.breakdown.energy_pj.adc;
      const added_ns: number = layer.latency_ns;
      lines.push(`  ${layer.name} (${layer.kind}): ${layer.crossbars} crossbars, ADC ${adc_pj} pJ of ${layer.energy_pj} pJ, adds ${added_ns} ns`);
    }
  }
  // The chart data `epim compare --svg` draws, for drawChart as it is.
  const chart: ChartData = compare(request).chart;
  const picks = compare(request).accuracy_picks; // null: no row has an accuracy here
  if (picks) lines.push(`most accurate: ${cmp.rows[picks.most_accurate].method}`);
  const { curve, point_count } = pimCurve('adc-bits', [{ label: 'm', points: [{ value: 4, mean_0_to_1: 0.9 }] }], undefined);
  lines.push(`${curve.x_desc}: ${point_count} points`);
  // Parts of one evaluation split by images (the page's workers), merged by the core.
  const part = { images: 10, seeds: [1, 2], correct_per_seed: [9, 8], crossbars: 16 };
  const merged = pimMerge([part, part]);
  const perSeed: number[] = merged.correct_per_seed;
  notAny<typeof merged>(true);
  lines.push(`merged: ${merged.images} images, ${perSeed.join('/')} correct, mean ${merged.mean_0_to_1}`);
  lines.push(`${chart.title}: ${chart.rows.length} rows drawn`);

  const info: EpitomeInfo = epitomeInfo({
    layer: { c_out: 8, c_in: 4, k_h: 3, k_w: 3, stride: 1, padding: 1 },
    epitome: { e_out: 4, e_in: 2, e_h: 4, e_w: 4 },
    offsets: [[0, 0, 0], [1, 1, 1]],
  });
  lines.push(`epitome: ${info.compression}x smaller, patterns ${info.group_patterns.join(',')}`);

  // The layer file of `epim epitome ...`: data as arrays or Float32Arrays.
  const layer: EpitomeLayerSpec = {
    layer: { c_out: 8, c_in: 4, k_h: 3, k_w: 3, stride: 1, padding: 1 },
    epitome: { shape: [4, 2, 4, 4], data: new Float32Array(4 * 2 * 4 * 4).fill(0.5) },
    offsets: [[0, 0, 0], [1, 1, 1]],
    input: { shape: [1, 4, 5, 5], data: new Array<number>(4 * 5 * 5).fill(1) },
  };
  const weights: MaterializeResult = epitomeMaterialize(layer);
  const first: number | undefined = weights.data[0];
  lines.push(`W ${weights.shape.join('x')}: ${weights.data.length} weights (first ${first}), ${weights.compression}x, offsets ${weights.offsets.length}`);
  const out: ConvResult = epitomeConv(layer);
  const [n, c_out, h_out, w_out] = out.shape;
  lines.push(`conv: ${n}x${c_out}x${h_out}x${w_out}, sum ${out.data.reduce((a, b) => a + b, 0)}`);
  const tables = epitomeTables(layer);
  lines.push(`tables: ${tables.patterns} patterns, ${tables.ifat.length} IFAT entries`);
  const q: QuantizeResult = quantize(layer, 3);
  const codes: Int32Array = q.codes;
  lines.push(`${q.bits}-bit: ${q.bits_per_weight.toFixed(3)} bits/weight, ${codes.length} codes, ${q.scales.length} scales`);

  const max_kernel: number = limits().max_kernel;
  lines.push(`largest kernel ${max_kernel}`);
  for (const n of listNetworks()) lines.push(`${n.name}: ${n.params} params`);
  for (const p of listPresets()) lines.push(`${p.name}: ${p.arch.crossbar.rows} rows`);
  const search = new SearchSession({
    network: 'lenet',
    budget_fraction_of_dense32: 0.1,
    search: { population: 8, generations: 2, seed: 1, mode: { kind: 'pareto' } },
  });
  let step: StepReport = search.step(1);
  while (step.state !== 'done') step = search.step(1);
  const best: FrontPoint | null = step.best;
  if (best) lines.push(`best: ${best.crossbars} crossbars, ${best.area_um2.toFixed(0)} um2`);
  const budget: number | null = step.info.budget_crossbars;
  const suggested: number = step.info.suggested_budget_fraction;
  const why: string | null = step.main_infeasible;
  lines.push(`suggested budget ${suggested.toFixed(4)}; most infeasible: ${why ?? 'none'}`);
  lines.push(`dense: ${step.info.dense.crossbars} crossbars, budget ${budget}; stopped: ${step.stop}`);
  // The charts onto a canvas (a DOM element; a `<div>` is a type error).
  const canvas: HTMLCanvasElement = document.createElement('canvas');
  drawChart(canvas, chart, 'area', { dark: true });
  drawFront(canvas, step.chart, null);
  drawCurve(canvas, curve, { dark: false });
  // @ts-expect-error: not a canvas (the export would throw `invalid canvas: must be an HTMLCanvasElement ...`)
  drawChart(document.createElement('div'), chart, 'area', undefined);
  const design = search.bestDesign();
  if (design) lines.push(`design: ${design.layers.length} epitome layers`);
  search.free();
  return lines;
}

// A trained model file (models/*.safetensors) as a TS user reads it.
export function describeModel(bytes: Uint8Array): string[] {
  const model = Model.load(bytes);
  try {
    const info: ModelInfo = model.info();
    const lines = [`${info.params} params, input ${info.arch.input.join('x')}, ${info.arch.classes} classes`];
    const dataset: string | undefined = info.metadata['epim.dataset'];
    if (dataset !== undefined) lines.push(`trained on ${dataset}`);
    for (const layer of info.arch.layers) {
      if (layer.kind === 'conv' || layer.kind === 'dense') {
        const bits: number | undefined = layer.w_bits;
        const k: number = layer.k ?? 1;
        const epitome = layer.epitome ? `, epitome ${layer.epitome.e_out}x${layer.epitome.e_in}x${layer.epitome.e_h}x${layer.epitome.e_w}` : '';
        lines.push(`${layer.kind} ${layer.name}: ${layer.c_in}->${layer.c_out} (${k}x${k}), ${bits ?? 32}-bit${epitome}`);
      } else if (layer.kind === 'max_pool') {
        lines.push(`max pool ${layer.k}`);
      } else {
        lines.push(layer.kind);
      }
    }
    return lines;
  } finally {
    model.free();
  }
}
