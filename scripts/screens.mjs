// Screenshots of every panel at 1280x800 and 390x844, light and dark, for a person
// to look at: test-results/screens/<panel>-<width>-<scheme>.png (the first screen)
// and ...-full.png (the whole page); for costs also ...-search.png and ...-trained.png
// (a 6-generation search's front and the trained models' chart). Needs the built page (npm run build:wasm,
// node scripts/build-site.mjs) and Debian's /usr/bin/chromium.
//   node scripts/screens.mjs [panel ...]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'test-results', 'screens');
fs.mkdirSync(out, { recursive: true });
const panels = process.argv.slice(2).length ? process.argv.slice(2) : ['try', 'explorer', 'costs', 'train', 'about'];
const { server, url } = await serve(path.join(root, 'www'));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    for (const scheme of ['light', 'dark']) {
      for (const panel of panels) {
        const page = await browser.newPage({ viewport: { width, height }, colorScheme: scheme });
        const errors = [];
        page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${url}#panel=${panel}&img=7`);
        await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
        if (panel === 'try') await page.waitForFunction(() => /^Prediction: \d/.test(document.querySelector('#try-pred').textContent), null, { timeout: 30000 });
        if (panel === 'costs') await page.waitForFunction(() => document.querySelectorAll('#costs-table tbody tr').length > 0, null, { timeout: 60000 });
        if (panel === 'explorer') {
          await page.waitForFunction(() => document.querySelector('#ex-heat').dataset.lit !== undefined, null, { timeout: 30000 });
          // A kernel whose input channel has wrapped, so the link is on the picture.
          const cell = Number(await page.getAttribute('#ex-w', 'data-cell'));
          await page.click('#ex-w', { position: { x: 6 * 4 * cell + cell, y: 17 * 4 * cell + cell } });
          await page.waitForFunction(() => document.querySelector('#ex-w').dataset.lit === '[[17,6]]');
        }
        if (panel === 'costs') {
          // The trained models' chart and a short search, so their core-drawn charts are seen too.
          await page.click('#trained-run');
          await page.fill('#search-form input[name="generations"]', '6');
          await page.click('#search-start');
          await page.waitForFunction(() => document.querySelector('#search-root').dataset.searchDone === 'true', null, { timeout: 120000 });
          await page.waitForFunction(() => document.querySelectorAll('#trained-table tbody tr').length > 0, null, { timeout: 60000 });
        }
        await page.waitForTimeout(400);
        const name = `${panel}-${width}-${scheme}`;
        if (panel === 'costs') {
          await page.locator('#search-results').screenshot({ path: path.join(out, `${name}-search.png`) });
          await page.locator('#trained-results').screenshot({ path: path.join(out, `${name}-trained.png`) });
        }
        await page.screenshot({ path: path.join(out, `${name}.png`) });
        await page.screenshot({ path: path.join(out, `${name}-full.png`), fullPage: true });
        console.log(`${name}${errors.length ? `: ${errors.join('; ')}` : ''}`);
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
  server.close();
}
