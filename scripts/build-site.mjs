// Puts the trained models and the MNIST test subset next to the page:
//   www/models/*.safetensors + www/models/manifest.json   (from models/)
//   www/data/mnist-test-2000-{images,labels}.u8          (scripts/build-data.mjs)
// Both are generated (git-ignored). The manifest lists each model with the
// metadata stored in its safetensors header.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The `__metadata__` of a safetensors file (8-byte little-endian header length, then JSON). */
export function safetensorsMetadata(bytes) {
  if (bytes.length < 8) throw new Error('file too short for a safetensors header');
  const n = Number(Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0));
  if (n > bytes.length - 8) throw new Error(`header length ${n} exceeds the file`);
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString('utf8'));
  return header.__metadata__ ?? {};
}

/** A readable label from a model id such as mnist-cnn-epim2.25-3b or mnist-cnn-xrs0.556-8b. */
export function labelFromId(id) {
  const m = id.match(/^(?:[a-z-]+?-)?cnn-(dense|epim|filter|xrs|xcs|crossbar|pim-prune)([\d.]*)-(\d+)b$/);
  if (!m) return id;
  const [, kind, x, bits] = m;
  const pct = (r) => `${Math.round(100 * Number(r))} %`;
  const what = {
    dense: 'Dense CNN',
    epim: `EPIM, ${x}x fewer weights`,
    filter: `Filter-pruned ${pct(x)}`,
    xrs: `XRS-pruned ${pct(x)}`,
    xcs: `XCS-pruned ${pct(x)}`,
    crossbar: `Crossbar-pruned ${pct(x)}`,
    'pim-prune': `PIM-Prune ${pct(x)}`,
  }[kind];
  return `${what}, ${bits}-bit`;
}

/** Manifest entry of one model file: id, label, file, and the recorded facts. */
export function manifestEntry(file, meta) {
  const id = path.basename(file, '.safetensors');
  const acc = Number(meta['epim.accuracy_0_to_1']);
  const facts = [];
  if (meta['epim.dataset']) facts.push(meta['epim.dataset']);
  if (Number.isFinite(acc)) facts.push(`recorded test accuracy ${(100 * acc).toFixed(2)} %`);
  return {
    id,
    label: meta['epim.label'] ?? labelFromId(id),
    file: `models/${path.basename(file)}`,
    accuracy_0_to_1: Number.isFinite(acc) ? acc : null,
    dataset: meta['epim.dataset'] ?? null,
    summary: meta['epim.description'] ?? facts.join('; '),
  };
}

function buildModels() {
  const src = path.join(root, 'models');
  const out = path.join(root, 'www', 'models');
  fs.mkdirSync(out, { recursive: true });
  const files = fs.readdirSync(src).filter((f) => f.endsWith('.safetensors')).sort();
  const manifest = [];
  for (const f of files) {
    const bytes = fs.readFileSync(path.join(src, f));
    manifest.push(manifestEntry(f, safetensorsMetadata(bytes)));
    fs.copyFileSync(path.join(src, f), path.join(out, f));
  }
  fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
  console.log(`build-site: ${manifest.length} models -> www/models/`);
}

function buildData() {
  const script = path.join(root, 'scripts', 'build-data.mjs');
  if (!fs.existsSync(script)) return;
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) throw new Error('scripts/build-data.mjs failed');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    buildModels();
    buildData();
  } catch (e) {
    console.error(`build-site: ${e.message}`);
    process.exit(1);
  }
}
