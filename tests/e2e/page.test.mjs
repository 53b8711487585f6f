// End to end: serve www/ on a free 127.0.0.1 port, open it in Debian's headless
// Chromium through playwright-core, wait for the wasm core, check content that
// Rust computed, the error path, and that the console stayed clean; save a
// screenshot under test-results/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = path.join(root, 'test-results');
let browser, server, url;

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

before(async () => {
  assert.ok(fs.existsSync(path.join(root, 'www/pkg/epim_bg.wasm')), 'www/pkg is built (npm run build:wasm)');
  ({ server, url } = await serve(path.join(root, 'www')));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  fs.mkdirSync(results, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** The text of every body cell of table `sel`, row by row. */
const tableCells = (page, sel) => page.$$eval(`${sel} tbody tr`, (r) => r.map((tr) => [...tr.cells].map((c) => c.textContent)));

/** The crossbars of a layer table's rows (third column), added up, as the page writes a count. */
const layerCrossbars = (layers) => String(layers.reduce((a, l) => a + Number(l[2].replaceAll(',', '')), 0));

async function openPage(hash = '', { width = 1280, height = 900, colorScheme = 'light' } = {}) {
  const page = await browser.newPage({ viewport: { width, height }, colorScheme });
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(url + hash);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return { page, problems };
}

test('the explorer loads the wasm core and shows Rust-computed counts', async () => {
  const { page, problems } = await openPage('#panel=explorer&shape=64%2C64%2C3%2C3%2F32%2C32%2C4%2C4');
  const cargo = fs.readFileSync(path.join(root, 'crate/Cargo.toml'), 'utf8');
  const version = cargo.match(/^version = "([^"]+)"/m)[1];
  assert.equal(await page.textContent('#core-version'), `epim ${version}`);
  // Default shape: 64x64x3x3 from a 32x32x4x4 epitome.
  await page.waitForFunction(() => document.querySelector('#ex-result [data-field="compression"]').textContent !== '–');
  assert.equal(await page.textContent('#ex-result [data-field="weight_count"]'), '36,864');
  assert.equal(await page.textContent('#ex-result [data-field="param_count"]'), '16,384');
  assert.equal(await page.textContent('#ex-result [data-field="compression"]'), '2.25×');
  assert.equal(await page.textContent('#ex-result [data-field="groups"]'), '2');
  // Output channel 40 is in group 1 (offset a = 16, b = 1, c = 0 by the default schedule).
  await page.fill('#ex-o', '40');
  assert.match(await page.textContent('#ex-o-info'), /group 1, epitome row 8, offset \(a=16, b=1, c=0\)/);
  assert.match(await page.textContent('#ex-pattern'), /pattern 1 of 2/);
  // The heat map has pixels.
  const drawn = await page.$eval('#ex-heat', (c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v) => v > 0));
  assert.ok(drawn);
  assert.match(page.url(), /o=40/);
  await page.screenshot({ path: path.join(results, 'explorer-1280.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('an invalid epitome shows the core error inline and the page keeps working', async () => {
  const { page, problems } = await openPage('#panel=explorer');
  await page.fill('#ex-form input[name="e_h"]', '2');
  await page.waitForSelector('#ex-error:not([hidden])');
  assert.equal(await page.textContent('#ex-error'), 'invalid epitome.e_h: must be >= k_h = 3, got 2');
  assert.equal(await page.textContent('#ex-result [data-field="compression"]'), '–');
  await page.fill('#ex-form input[name="e_h"]', '3');
  await page.waitForSelector('#ex-error[hidden]', { state: 'attached' });
  // 64*64*9 / (32*32*3*4) = 3.
  assert.equal(await page.textContent('#ex-result [data-field="compression"]'), '3×');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a link restores the same state (URL-hash round trip)', async () => {
  const { page, problems } = await openPage('#panel=explorer&shape=64%2C64%2C3%2C3%2F32%2C32%2C4%2C4');
  await page.fill('#ex-form input[name="c_out"]', '8');
  await page.fill('#ex-form input[name="e_out"]', '4');
  await page.fill('#ex-o', '6');
  await page.waitForFunction(() => location.hash.includes('o=6'));
  const link = page.url();
  assert.match(link, /shape=8%2C64%2C3%2C3%2F4%2C32%2C4%2C4/);
  const again = await browser.newPage();
  await again.goto(link);
  await again.waitForSelector('body[data-ready="true"]');
  await again.waitForFunction(() => document.querySelector('#ex-o-info').textContent.includes('group'));
  assert.equal(await again.inputValue('#ex-form input[name="c_out"]'), '8');
  assert.equal(await again.inputValue('#ex-o'), '6');
  assert.equal(await again.getAttribute('#tab-explorer', 'aria-selected'), 'true');
  assert.match(await again.textContent('#ex-o-info'), /group 1, epitome row 2/);
  assert.deepEqual(problems, []);
  await again.close();
  await page.close();
});

test('embed mode shows one panel without the page chrome', async () => {
  const { page, problems } = await openPage('?embed=explorer');
  assert.equal(await page.isVisible('#panel-explorer'), true);
  for (const id of ['#panel-try', '#panel-costs', '#panel-about', 'header.top', 'nav.tabs']) {
    assert.equal(await page.isVisible(id), false, id);
  }
  await page.screenshot({ path: path.join(results, 'embed-explorer.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('the <epim-playground> element renders a panel in another page', async () => {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url + 'embed-example.html');
  const frame = await (await page.waitForSelector('epim-playground >> iframe')).contentFrame();
  await frame.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  await frame.waitForFunction(() => document.querySelector('#ex-result [data-field="compression"]').textContent === '2.25×');
  assert.match(frame.url(), /embed=explorer/);
  // The iframe grows to the panel's height (reported by postMessage).
  await page.waitForFunction(() => {
    const f = document.querySelector('epim-playground').shadowRoot.querySelector('iframe');
    return parseInt(f.style.height, 10) > 700;
  });
  await page.screenshot({ path: path.join(results, 'custom-element.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

/** A cheap fingerprint of a canvas's pixels. */
async function canvasHash(page, sel) {
  return page.$eval(sel, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0, inked = 0;
    for (let i = 0; i < d.length; i += 4) {
      h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2] + 17 * d[i + 3]) >>> 0;
      if (d[i + 3] > 0) inked++;
    }
    return { h, inked };
  });
}

test('crossbar costs: table and charts from the core; switching network redraws', async () => {
  const { page, problems } = await openPage('#panel=costs&net=lenet');
  await page.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 20000 });
  // Baseline + the five default methods.
  assert.equal(await page.$$eval('#costs-table tbody tr', (r) => r.length), 6);
  const first = await page.$$eval('#costs-table tbody tr:first-child td', (t) => t.map((x) => x.textContent));
  assert.equal(first[0], 'dense:bits=32');
  assert.match(first[2], /mm²$/);
  assert.match(await page.textContent('#costs-summary'), /^lenet on mnsim2 \(physical accounting\)/);
  const before = await canvasHash(page, 'canvas[data-kind="area"]');
  assert.ok(before.inked > 1000, 'the area chart has pixels');
  await page.screenshot({ path: path.join(results, 'costs-1280.png'), fullPage: true });
  await page.selectOption('#costs-net', 'vgg8');
  await page.waitForFunction(() => document.querySelector('#costs-summary').textContent.startsWith('vgg8'));
  const after = await canvasHash(page, 'canvas[data-kind="area"]');
  assert.notEqual(after.h, before.h, 'the chart was redrawn for the new network');
  assert.match(page.url(), /net=vgg8/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('crossbar costs, layer by layer: the chosen method follows a change of network as a page opened on it shows it', async () => {
  const { page, problems } = await openPage('#panel=costs&net=lenet');
  await page.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 20000 });
  await page.click('#costs-layers summary');
  const methods = await tableCells(page, '#costs-table');
  // The baseline and every method are offered; the first method after the baseline is shown first.
  assert.deepEqual(await page.$$eval('#costs-layers-method option', (o) => o.map((x) => x.value)), methods.map((r) => r[0]));
  assert.equal(await page.$eval('#costs-layers-method', (s) => s.value), methods[1][0]);
  const epitome = methods.find((r) => r[0].startsWith('epitome:'));
  assert.ok(epitome, 'a default method is an epitome');
  await page.selectOption('#costs-layers-method', epitome[0]);
  const lenet = await tableCells(page, '#costs-layers-table');
  assert.equal(lenet.length, 7, 'lenet has 7 layers');
  assert.equal(layerCrossbars(lenet), epitome[1], 'the layers add up to the method\'s crossbars');
  const headers = await page.$$eval('#costs-layers-table thead th', (t) => t.map((x) => x.textContent));
  const at = (h) => headers.indexOf(h);
  assert.ok(at('Latency added') > 0 && at('lookup tables') > 0, headers.join('|'));
  assert.ok(lenet.some((l) => l[at('lookup tables')] !== '0'), 'an epitome layer reads lookup tables');
  await page.selectOption('#costs-layers-method', methods[1][0]);
  assert.ok((await tableCells(page, '#costs-layers-table')).every((l) => l[at('lookup tables')] === '0'), 'dense layers read none');
  await page.selectOption('#costs-layers-method', epitome[0]);
  // Another network: the table follows, the method stays chosen, and it equals a page opened there.
  await page.selectOption('#costs-net', 'resnet18');
  await page.waitForFunction(() => document.querySelector('#costs-summary').textContent.startsWith('resnet18'));
  assert.equal(await page.$eval('#costs-layers-method', (s) => s.value), epitome[0], 'the chosen method stays chosen');
  const switched = await tableCells(page, '#costs-layers-table');
  assert.equal(switched.length, 31, 'resnet18 has 31 layers');
  const resnetRow = (await tableCells(page, '#costs-table')).find((r) => r[0] === epitome[0]);
  assert.equal(layerCrossbars(switched), resnetRow[1]);
  const caption = await page.textContent('#costs-layers-table caption');
  const { page: fresh, problems: freshProblems } = await openPage('#panel=costs&net=resnet18');
  await fresh.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 20000 });
  await fresh.click('#costs-layers summary');
  await fresh.selectOption('#costs-layers-method', epitome[0]);
  assert.deepEqual(await tableCells(fresh, '#costs-layers-table'), switched);
  assert.equal(await fresh.textContent('#costs-layers-table caption'), caption);
  await page.screenshot({ path: path.join(results, 'costs-layers-1280.png'), fullPage: true });
  assert.deepEqual([...problems, ...freshProblems], []);
  await Promise.all([page.close(), fresh.close()]);
});

test('crossbar costs: a bad method is reported inline and the panel recovers', async () => {
  const { page, problems } = await openPage('#panel=costs&net=lenet');
  await page.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 20000 });
  await page.click('#methods-as-text');
  await page.fill('#costs-form textarea[name="m"]', 'epitome:bits=3,ratio=2,bogus=1');
  await page.dispatchEvent('#costs-form textarea[name="m"]', 'change');
  await page.waitForSelector('#costs-error:not([hidden])');
  assert.match(await page.textContent('#costs-error'), /bogus/);
  await page.fill('#costs-form textarea[name="m"]', 'dense:bits=8');
  await page.dispatchEvent('#costs-form textarea[name="m"]', 'change');
  await page.waitForSelector('#costs-error[hidden]', { state: 'attached' });
  assert.equal(await page.$$eval('#costs-table tbody tr', (r) => r.length), 2);
  assert.deepEqual(problems, []);
  await page.close();
});

test('crossbar costs: the trained models are costed with their recorded accuracy', async () => {
  const { page, problems } = await openPage('#panel=costs&net=lenet');
  await page.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 20000 });
  await page.click('#trained-run');
  await page.waitForFunction(() => document.querySelectorAll('#trained-table tbody tr').length > 0, null, { timeout: 20000 });
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'www/models/manifest.json'), 'utf8'))
    .filter((m) => m.dataset === 'mnist');
  const rows = await tableCells(page, '#trained-table');
  assert.equal(rows.length, manifest.length);
  for (const m of manifest) {
    const row = rows.find((r) => r[0] === m.label);
    assert.ok(row, `a row for ${m.label}`);
    assert.equal(row[1], `${(100 * m.accuracy_0_to_1).toFixed(2)} %`);
  }
  const epim3 = manifest.find((m) => m.id === 'mnist-cnn-epim2.25-3b');
  assert.equal(rows.find((r) => r[0] === epim3.label)[2], '16', 'crossbars as in models/README.md');
  assert.ok((await canvasHash(page, '#trained-chart')).inked > 1000, 'the area-vs-accuracy chart has pixels');
  // The comment names the rows the core picked (accuracy_picks): the most accurate here.
  const best = manifest.reduce((a, b) => (b.accuracy_0_to_1 > a.accuracy_0_to_1 ? b : a));
  const comment = await page.textContent('#trained-comment');
  assert.ok(comment.includes(`${best.label} (${(100 * best.accuracy_0_to_1).toFixed(2)} %`), comment);
  if (manifest.some((m) => /^EPIM/.test(m.label))) assert.match(comment, /EPIM/);
  // Layer by layer: the chosen model's layers (the core's `layers` of its row) add up to
  // its crossbars in the table above; only EPIM layers read lookup tables.
  const layerRows = () => tableCells(page, '#trained-layers-table');
  const crossbarsOf = (label, table) => table.find((r) => r[0] === label)[2];
  await page.click('#trained-layers summary');
  const tablesColumn = (await page.$$eval('#trained-layers-table thead th', (t) => t.map((x) => x.textContent))).indexOf('lookup tables');
  assert.ok(tablesColumn > 0);
  const epim8 = manifest.find((m) => m.id === 'mnist-cnn-epim2.25-8b');
  const filter8 = manifest.find((m) => m.id === 'mnist-cnn-filter0.5625-8b');
  for (const [m, tables] of [[epim8, true], [filter8, false], [epim3, true]]) {
    await page.selectOption('#trained-layers-model', m.label);
    const layers = await layerRows();
    assert.deepEqual(layers.map((l) => l[0]), ['conv1', 'pool1', 'conv2', 'pool2', 'conv3', 'pool3', 'fc'], m.label);
    assert.equal(layerCrossbars(layers), crossbarsOf(m.label, rows), m.label);
    const lookup = layers.filter((l) => ['conv2', 'conv3', 'fc'].includes(l[0])).map((l) => l[tablesColumn]);
    assert.ok(lookup.every((v) => (v !== '0') === tables), `${m.label}: lookup tables ${lookup}`);
  }
  // The hardware settings apply: 128x128 crossbars change the counts, in both tables.
  await page.selectOption('#costs-form select[name="xbar"]', '128');
  await page.waitForFunction((v) => [...document.querySelectorAll('#trained-table tbody tr')]
    .some((tr) => tr.cells[0].textContent === v && tr.cells[2].textContent !== '16'), epim3.label, { timeout: 20000 });
  const rows128 = await tableCells(page, '#trained-table');
  assert.equal(await page.$eval('#trained-layers-model', (s) => s.value), epim3.label, 'the chosen model stays chosen');
  const sum128 = layerCrossbars(await layerRows());
  assert.equal(sum128, crossbarsOf(epim3.label, rows128));
  assert.notEqual(sum128, '16');
  await page.screenshot({ path: path.join(results, 'costs-trained-1280.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('design search steps per frame, finishes, and its best design joins the comparison', async () => {
  const { page, problems } = await openPage('#panel=costs&net=vgg8');
  await page.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 20000 });
  await page.fill('#search-form input[name="generations"]', '6');
  await page.fill('#search-form input[name="population"]', '12');
  await page.fill('#search-form input[name="budget"]', '0.2');
  await page.click('#search-start');
  await page.waitForSelector('#search-root[data-search-done="true"]', { state: 'attached', timeout: 60000 });
  assert.match(await page.textContent('#search-status'), /^vgg8: generation 6, [\d,]+ designs evaluated .* done/);
  const before = await page.$$eval('#costs-table tbody tr', (r) => r.length);
  await page.click('#search-apply');
  await page.waitForFunction((n) => document.querySelectorAll('#costs-table tbody tr').length === n + 1, before);
  const last = await page.$$eval('#costs-table tbody tr:last-child td', (t) => t.map((x) => x.textContent));
  assert.equal(last[0], 'epitome:bits=3,design=searched');
  await page.screenshot({ path: path.join(results, 'costs-search-1280.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('every panel fits a 390 px phone and a 1280 px desktop, light and dark (screenshots)', async () => {
  for (const [width, height, scheme] of [[390, 844, 'light'], [1280, 800, 'light'], [390, 844, 'dark'], [1280, 800, 'dark']]) {
    for (const panel of ['try', 'explorer', 'costs', 'about']) {
      // Try it on a fixed test image (7, a "9"), so screenshots compare across runs.
      const { page, problems } = await openPage(`#panel=${panel}&net=lenet&img=7`, { width, height, colorScheme: scheme });
      if (panel === 'costs') {
        await page.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 20000 });
      }
      if (panel === 'try') {
        await page.waitForFunction(() => /^Prediction: \d/.test(document.querySelector('#try-pred').textContent), null, { timeout: 20000 });
        // The first screen: the reader's digit and every model's row.
        await page.screenshot({ path: path.join(results, `try-first-screen-${width}-${scheme}.png`) });
      }
      await page.waitForTimeout(300);
      // No horizontal scrolling of the page itself (wide tables scroll inside their wrapper).
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${panel} at ${width}px overflows by ${overflow}px`);
      await page.screenshot({ path: path.join(results, `${panel}-${width}-${scheme}.png`), fullPage: true });
      assert.deepEqual(problems, [], `${panel} at ${width}px`);
      const panelErrors = await page.$$eval(`#panel-${panel} .error:not([hidden])`, (els) => els.map((e) => e.textContent));
      assert.deepEqual(panelErrors, [], `${panel} at ${width}px`);
      await page.close();
    }
  }
});

/** Draws a "1": a vertical stroke through the middle of the pad, with mouse events. */
async function drawOne(page) {
  const box = await page.locator('#try-pad').boundingBox();
  const x = box.x + box.width / 2;
  await page.mouse.move(x, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let t = 0.15; t <= 0.85; t += 0.05) await page.mouse.move(x + 2, box.y + box.height * t);
  // Pen still down: the chosen model has classified the partial stroke, marked as such.
  await page.waitForFunction(() => document.querySelector('#try-pred').dataset.live === 'true'
    && /^Prediction: \d/.test(document.querySelector('#try-pred').textContent), null, { timeout: 20000 });
  await page.mouse.up();
}

test('try it: a drawn digit is classified; the test-subset accuracy matches the record', async () => {
  const { page, problems } = await openPage('#panel=try&model=mnist-cnn-epim2.25-8b');
  await page.waitForFunction(() => /crossbars/.test(document.querySelector('#try-model-info')?.textContent ?? ''), null, { timeout: 30000 });
  await drawOne(page);
  // While the pen moves, the chosen model classifies the partial stroke once per frame (an
  // early one reads "8"); on release every model classifies the whole drawing. A slow machine
  // can still show a partial stroke's prediction just after the release: wait for the whole.
  await page.waitForFunction(() => document.querySelector('#try-pred').dataset.live === 'false'
    && /^Prediction: \d/.test(document.querySelector('#try-pred').textContent), null, { timeout: 20000 });
  const rows = await page.$$eval('#try-all tbody tr td.pred', (tds) => tds.map((td) => td.textContent));
  assert.ok(rows.length >= 2 && rows.every((t) => /^\d \(/.test(t)), `every model classified the drawing: ${rows}`);
  assert.equal(await page.textContent('#try-pred'), 'Prediction: 1');
  assert.match(await page.textContent('#try-time'), /ms in wasm/);
  const probs = await page.$$eval('#try-bars .pct', (p) => p.map((x) => parseFloat(x.textContent)));
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 100) < 0.5, `probabilities sum to 100 %: ${probs}`);
  await page.screenshot({ path: path.join(results, 'try-drawn-1280.png'), fullPage: true });
  // The whole 2,000-image subset, in chunks, against the accuracy stored in the model file.
  await page.click('#try-eval');
  await page.waitForFunction(() => document.querySelector('#try-acc').dataset.accuracy !== undefined, null, { timeout: 120000 });
  const acc = Number(await page.getAttribute('#try-acc', 'data-accuracy'));
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'www/models/manifest.json'), 'utf8'));
  const recorded = manifest.find((m) => m.id === 'mnist-cnn-epim2.25-8b').accuracy_0_to_1;
  assert.ok(Math.abs(acc - recorded) <= 0.01, `browser ${acc} vs recorded ${recorded}`);
  assert.match(await page.textContent('#try-acc'), /^Accuracy [\d.]+ % on 2,000 test images .* crossbars/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('try it: a corrupt model file shows an error and the page still classifies', async () => {
  const { page, problems } = await openPage('#panel=try');
  await page.waitForFunction(() => /crossbars/.test(document.querySelector('#try-model-info')?.textContent ?? ''), null, { timeout: 30000 });
  await page.setInputFiles('#try-file', { name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('this is not a model at all') });
  await page.waitForSelector('#try-error:not([hidden])');
  assert.match(await page.textContent('#try-error'), /^That file is not a usable model: /);
  await page.click('#try-random');
  await page.waitForFunction(() => /^Prediction: \d \(label \d\)/.test(document.querySelector('#try-pred').textContent));
  assert.deepEqual(problems, []);
  await page.close();
});
