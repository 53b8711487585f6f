// One method's network, layer by layer: the `layers` of a comparison row as the core
// computed them (crossbars, area, the latency each layer adds after its first producer,
// energy per image and its components). Used by the Crossbar costs table and by the
// trained models' view; JS only formats the numbers.
import { formatCount } from './format.js';
import { siValue, energyValue, timeValue } from './costs-model.js';
import { headerRow } from './table.js';

/** What the by-layer table's columns mean (the Crossbar costs table and the trained models' view). */
export const LAYERS_HINT = `<em>Latency added</em>: the time a layer adds after the layer feeding it finishes (the
  simulator's layer latency, as MNSIM 2.0 reports it). Along a chain of layers these add up to the latency; with residual
  branches they overlap and add up to more; a pool that finishes before its producer (it drops the last row) adds a
  negative time. Energy per image by component, as the simulator charges it (<code>epim compare --layers</code> prints
  the same).`;

/** [component of `breakdown.energy_pj`, column header] */
const PARTS = [['crossbar', 'of it: arrays'], ['adc', 'ADC'], ['dac', 'DAC'], ['digital', 'digital'], ['buffer', 'buffers'],
  ['tables', 'lookup tables'], ['interconnect', 'interconnect'], ['pooling', 'pooling']];

/**
 * Lists `rows`' methods in `select` and returns the row to show: the one chosen before if it
 * is still there, else `rows[fallback]`, else the first (undefined without rows).
 */
export function pickLayerRow(select, rows, fallback = 0) {
  const chosen = select.value;
  select.replaceChildren(...rows.map((x) => new Option(x.method, x.method)));
  const pick = rows.find((x) => x.method === chosen) ?? rows[fallback] ?? rows[0];
  if (pick) select.value = pick.method;
  return pick;
}

/** Fills `table` with `row`'s layers (`row.layers`), captioned with its totals. */
export function fillLayerTable(table, row) {
  table.replaceChildren();
  table.createCaption().textContent = `${row.method}: ${formatCount(row.crossbars)} crossbars, `
    + `${timeValue(row.latency_ns)} latency, ${energyValue(row.energy_pj)} per image.`;
  headerRow(table, ['Layer', 'Kind', 'Crossbars', 'Area', 'Latency added', 'Energy', ...PARTS.map(([, h]) => h)]);
  const body = table.createTBody();
  for (const l of row.layers ?? []) {
    const e = l.breakdown.energy_pj;
    const cells = [l.name, l.kind, formatCount(l.crossbars), siValue(l.area_um2 / 1e6, 'mm²'), timeValue(l.latency_ns),
      energyValue(l.energy_pj), ...PARTS.map(([k]) => energyValue(e[k]))];
    const tr = body.insertRow();
    cells.forEach((v, i) => {
      const td = tr.insertCell();
      td.textContent = v;
      if (i > 1) td.className = 'num';
    });
  }
}
