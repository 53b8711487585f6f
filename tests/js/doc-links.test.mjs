// Every relative link in every Markdown file of the repository resolves in a clone: the target
// file or directory exists, and a `#anchor` into a Markdown file names one of its headings
// (GitHub's slugs) or an explicit `<a id>` / `<a name>`. Links to http(s), mailto and other
// schemes are not fetched. Links that leave the repository fail: the repository stands alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The repository's Markdown files: tracked and untracked-but-not-ignored, else a walk. */
function markdownFiles() {
  try {
    const out = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z', '--', '*.md'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = out.split('\0').filter((f) => f && existsSync(join(root, f)));
    if (files.length > 0) return files.sort();
  } catch {
    // Not a git checkout (an exported tree): walk it instead.
  }
  const skip = new Set(['node_modules', 'target', 'pkg']);
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || skip.has(entry.name)) continue;
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) found.push(path);
    }
  };
  walk('');
  return found.sort();
}

/** Text with fenced code blocks blanked (line numbers kept) and inline code spans removed. */
export function stripCode(text) {
  const lines = text.split('\n');
  let fence = null;
  const out = lines.map((line) => {
    const m = line.match(/^\s{0,3}(`{3,}|~{3,})/);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length) fence = null;
      return '';
    }
    if (m) {
      fence = m[1];
      return '';
    }
    return line.replace(/(`+)[^`]*?\1/g, '');
  });
  return out.join('\n');
}

/** GitHub's heading anchor for a heading's text (as github-slugger computes it). */
export function slug(heading) {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .replace(/`/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a Markdown file defines: heading slugs (duplicates numbered) and `<a id>`s. */
export function anchors(text) {
  const seen = new Map();
  const out = new Set();
  const lines = text.split('\n');
  let fence = null;
  for (const line of lines) {
    const f = line.match(/^\s{0,3}(`{3,}|~{3,})/);
    if (fence) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length) fence = null;
      continue;
    }
    if (f) {
      fence = f[1];
      continue;
    }
    const h = line.match(/^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)="([^"]+)"/g)) out.add(a[1]);
  }
  return out;
}

/** The link targets of a Markdown text: inline links and images, and reference definitions. */
export function links(text) {
  const body = stripCode(text);
  const out = [];
  for (const m of body.matchAll(/!?\[(?:[^\][]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g)) {
    out.push(m[1].replace(/^<|>$/g, ''));
  }
  for (const m of body.matchAll(/^\s{0,3}\[[^\]]+\]:\s+(<[^>]*>|\S+)/gm)) {
    out.push(m[1].replace(/^<|>$/g, ''));
  }
  return out;
}

/** Why a link from `file` does not resolve, or null when it does. */
function brokenLink(file, target) {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null; // http:, https:, mailto:, ...
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
  const from = dirname(join(root, file));
  const dest = pathPart === '' ? join(root, file) : resolve(from, pathPart);
  const rel = relative(root, dest);
  if (rel.startsWith('..') || rel.split(sep)[0] === '..') return 'points outside the repository';
  if (!existsSync(dest)) return `${rel || '.'} does not exist`;
  if (anchor !== null && anchor !== '' && dest.endsWith('.md') && statSync(dest).isFile()) {
    if (!anchors(readFileSync(dest, 'utf8')).has(anchor)) return `${rel} has no heading #${anchor}`;
  }
  return null;
}

test('slugs follow GitHub', () => {
  assert.equal(slug('Accuracy against MNSIM 2.0'), 'accuracy-against-mnsim-20');
  assert.equal(slug('`physical` accounting: every difference from `mnsim`'), 'physical-accounting-every-difference-from-mnsim');
  assert.equal(slug('4. Quantization (`quant/`)'), '4-quantization-quant');
  assert.equal(slug('Results: MNIST in 2 s'), 'results-mnist-in-2-s');
  assert.equal(slug('per_layer and [a link](x.md)'), 'per_layer-and-a-link');
  const a = anchors('# T\n## Same\n```\n## not a heading\n```\n## Same\n<a id="here"></a>\n');
  assert.deepEqual([...a].sort(), ['here', 'same', 'same-1', 't']);
});

test('links are found outside code only', () => {
  const text = 'See [a](a.md#x) and ![img](i.png "t").\n`[no](n.md)`\n```\n[no](n2.md)\n```\n[ref]: docs/b.md\n';
  assert.deepEqual(links(text), ['a.md#x', 'i.png', 'docs/b.md']);
});

test('every relative link in every Markdown file resolves', () => {
  const files = markdownFiles();
  assert.ok(files.includes('README.md'), `README.md not among ${files.length} Markdown files`);
  const broken = [];
  let checked = 0;
  for (const file of files) {
    for (const target of links(readFileSync(join(root, file), 'utf8'))) {
      const why = brokenLink(file, target);
      if (why === null) checked += /^[a-z][a-z0-9+.-]*:/i.test(target) ? 0 : 1;
      else broken.push(`${file}: (${target}) ${why}`);
    }
  }
  assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
  assert.ok(checked > 20, `only ${checked} relative links checked: is the link pattern right?`);
});

/** The repository's source files that may cite docs in comments (Rust, JS, shell). */
function sourceFiles() {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || ['node_modules', 'target', 'pkg'].includes(entry.name)) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.(rs|mjs|js|sh|toml)$/.test(entry.name)) out.push(path);
    }
  };
  for (const dir of ['crate', 'tests', 'www', 'scripts']) if (existsSync(join(root, dir))) walk(dir);
  return out.sort();
}

test('every docs/ page and anchor cited in source code resolves', () => {
  const broken = [];
  let checked = 0;
  for (const file of sourceFiles()) {
    if (file === 'tests/js/doc-links.test.mjs') continue; // its own examples
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/\bdocs\/([\w.-]+\.md)(?:#([\w-]+))?/g)) {
      checked += 1;
      const why = brokenLink('README.md', `docs/${m[1]}${m[2] ? `#${m[2]}` : ''}`);
      if (why !== null) broken.push(`${file}: docs/${m[1]}${m[2] ? `#${m[2]}` : ''} ${why}`);
    }
  }
  assert.deepEqual(broken, [], `broken doc references in source:\n${broken.join('\n')}`);
  assert.ok(checked > 10, `only ${checked} doc references found in source`);
});
