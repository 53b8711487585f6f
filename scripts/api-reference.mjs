#!/usr/bin/env node
// The API reference of the wasm packages, generated from their TypeScript declarations
// (www/pkg/epim.d.ts and the on-demand www/pkg-onnx/epim_onnx.d.ts: wasm-bindgen writes
// the exports and their doc comments, tsify-next the types of the serde structs that
// cross the boundary),
// so the reference cannot drift from the code: one source, the Rust doc comments.
//
//   node scripts/api-reference.mjs            writes docs/api.md
//   node scripts/api-reference.mjs --check    exits 1 when docs/api.md is not current, or
//                                            when a declaration outside the loader
//                                            plumbing is typed `any` ([untyped])
//   node scripts/api-reference.mjs --fix-dts  cleans the declarations in place (build-wasm.sh)
//
// --fix-dts: tsify-next 0.5.6 writes the doc comments of fields declared through
// `macro_rules!` (sim/config.rs's `level!`) as the raw-string tokens the compiler made
// of them (` *r" Node, nm."`) and escapes apostrophes (`network\'s`); TypeScript users
// would read both in their editors. It rewrites them as plain comment text.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DTS = 'www/pkg/epim.d.ts';
// The packages the reference covers: the page's module and the on-demand one.
const MODULES = [
  { dts: DTS, title: '`www/pkg/epim.js`: the page\'s module', blurb: 'Loaded with the page: the operator, the simulator, the comparison and its charts, trained models, crossbar accuracy, the design search and training.' },
  { dts: 'www/pkg-onnx/epim_onnx.d.ts', title: '`www/pkg-onnx/epim_onnx.js`: the on-demand module', blurb: 'Fetched only when a reader drops an ONNX file or picks the tract-core engine (docs/import.md): the ONNX importer and tract-core.' },
];
const OUT = 'docs/api.md';
// wasm-bindgen's loader plumbing, documented once in the header instead.
const PLUMBING = new Set(['InitInput', 'InitOutput', 'SyncInitInput', 'initSync', '__wbg_init']);

/** The declarations with tsify-next's raw-string and escaped-quote artefacts removed. */
export function cleanDts(text) {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s*\*)r"(.*?)"?$/.exec(line);
      const fixed = m ? `${m[1]}${m[2].startsWith(' ') ? '' : ' '}${m[2]}` : line;
      return /^\s*\*/.test(fixed) ? fixed.replace(/\\'/g, "'") : fixed;
    })
    .join('\n');
}

/** Text of a `/** ... *\/` block as plain lines (the leading ` * ` removed); rustdoc's
 * intra-doc links (`[text](crate::path)`) become their text, they resolve only in rustdoc. */
function docText(block) {
  return block
    .replace(/\[([^\]]*)\]\((?:crate|self|super)::[^)]*\)/g, '$1')
    .replace(/^\s*\/\*\*/, '')
    .replace(/\*\/\s*$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
}

/**
 * The top-level declarations of a d.ts: `{kind, name, doc, text}` in file order, where
 * `text` is the whole declaration (braces balanced) and `doc` its doc comment.
 */
export function declarations(text) {
  const lines = text.split('\n');
  const out = [];
  let doc = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\/\*\*/.test(line)) {
      let j = i;
      while (j < lines.length && !/\*\/\s*$/.test(lines[j])) j++;
      doc = docText(lines.slice(i, j + 1).join('\n'));
      i = j;
      continue;
    }
    const m = /^export (?:default )?(?:declare )?(interface|class|type|function|enum) ([A-Za-z_$][\w$]*)/.exec(line);
    if (!m) {
      if (line.trim() !== '') doc = '';
      continue;
    }
    let j = i;
    let depth = 0;
    for (; j < lines.length; j++) {
      for (const ch of lines[j]) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
      const ends = depth === 0 && (/[;}]\s*$/.test(lines[j]) || (m[1] !== 'type' && /\}\s*$/.test(lines[j])));
      if (ends) break;
    }
    out.push({ kind: m[1], name: m[2], doc, text: lines.slice(i, j + 1).join('\n') });
    doc = '';
    i = j;
  }
  return out;
}

/**
 * The declarations (loader plumbing aside) whose code, comments left out, says `any`:
 * `name: line` for each such line. A TypeScript user would get no checking there
 * (tests/ts/usage.ts checks the parts it uses; this, every export and type).
 */
export function untyped(text) {
  const out = [];
  for (const d of declarations(text).filter((x) => !PLUMBING.has(x.name))) {
    const code = d.text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const line of code.split('\n')) {
      if (/\bany\b/.test(line)) out.push(`${d.name}: ${line.trim()}`);
    }
  }
  return out;
}

/** The members of a class declaration: `{signature, doc}`, without `free`/dispose. */
function classMembers(text) {
  const body = text.split('\n').slice(1, -1);
  const out = [];
  let doc = '';
  for (let i = 0; i < body.length; i++) {
    const t = body[i].trim();
    if (t.startsWith('/**')) {
      let j = i;
      while (j < body.length && !/\*\/\s*$/.test(body[j])) j++;
      doc = docText(body.slice(i, j + 1).join('\n'));
      i = j;
      continue;
    }
    if (t === '' || /^(free\(\)|\[Symbol\.dispose\]\(\)|private constructor)/.test(t)) {
      doc = '';
      continue;
    }
    out.push({ signature: t.replace(/;$/, ''), doc });
    doc = '';
  }
  return out;
}


/**
 * One module's section: its functions, classes and types, at heading level 3 and 4.
 * `seen`: the type declarations of the sections before (name -> text); a type
 * declared the same way there is named, not repeated.
 */
function moduleSection(mod, seen) {
  const decls = declarations(mod.text).filter((d) => !PLUMBING.has(d.name));
  const fns = decls.filter((d) => d.kind === 'function').sort((a, b) => a.name.localeCompare(b.name));
  const classes = decls.filter((d) => d.kind === 'class').sort((a, b) => a.name.localeCompare(b.name));
  const allTypes = decls.filter((d) => !['function', 'class'].includes(d.kind)).sort((a, b) => a.name.localeCompare(b.name));
  const shared = allTypes.filter((t) => seen.get(t.name) === t.text);
  const types = allTypes.filter((t) => seen.get(t.name) !== t.text);
  for (const t of allTypes) if (!seen.has(t.name)) seen.set(t.name, t.text);
  const sharedNote = shared.length
    ? ` ${shared.length} more types are declared as in the module above and listed there.`
    : '';
  const parts = [`## ${mod.title}`, '', `${mod.blurb} Declarations: \`${mod.dts}\`.`, '',
    `${fns.length} functions, ${classes.length} classes, ${types.length} types.${sharedNote}`, '', '### Functions', ''];
  for (const f of fns) {
    parts.push(`#### \`${f.name}\``, '', '```ts', f.text.replace(/^export /, ''), '```', '', f.doc, '');
  }
  parts.push('### Classes', '');
  for (const c of classes) {
    parts.push(`#### \`${c.name}\``, '', c.doc, '');
    for (const m of classMembers(c.text)) {
      parts.push(`- \`${m.signature}\`${m.doc ? `: ${m.doc.replace(/\n+/g, ' ')}` : ''}`);
    }
    parts.push('');
  }
  parts.push('### Types', '');
  for (const t of types) {
    parts.push(`#### \`${t.name}\``, '', t.doc, '', '```ts', t.text.replace(/^export /, ''), '```', '');
  }
  return parts;
}

/** docs/api.md from the cleaned declarations of `modules` ([{dts, title, blurb, text}]). */
export function reference(modules) {
  const parts = [
    '# API reference of the wasm packages',
    '',
    'Generated by `node scripts/api-reference.mjs` from the TypeScript declarations that',
    'wasm-bindgen and tsify-next write from the Rust doc comments of the exports and of the',
    'structs that cross the boundary. Do not edit it by hand: `npm test` fails when it is not current.',
    'Each module is loaded with its default export, `init({module_or_path})`, or `initSync({module})`',
    '(wasm-bindgen\'s `--target web` loader); the README shows a headless example. Every function and',
    'method throws a JS `Error` whose message names the field path and the bound',
    '([limits.md](limits.md)).',
    '',
  ];
  const seen = new Map();
  for (const m of modules) parts.push(...moduleSection(m, seen));
  return `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function main() {
  const argv = process.argv.slice(2);
  const present = MODULES.filter((m) => existsSync(join(root, m.dts)));
  if (!present.some((m) => m.dts === DTS)) {
    console.error(`api-reference: ${DTS} does not exist; build the packages first (bash scripts/build-wasm.sh)`);
    return 2;
  }
  for (const m of MODULES.filter((x) => !present.includes(x))) {
    console.error(`api-reference: ${m.dts} does not exist; its section is left out`);
  }
  if (argv.includes('--fix-dts')) {
    for (const m of present) writeFileSync(join(root, m.dts), cleanDts(readFileSync(join(root, m.dts), 'utf8')));
    return 0;
  }
  const want = reference(present.map((m) => ({ ...m, text: cleanDts(readFileSync(join(root, m.dts), 'utf8')) })));
  const outPath = join(root, OUT);
  if (argv.includes('--check')) {
    const anys = present.flatMap((m) => untyped(cleanDts(readFileSync(join(root, m.dts), 'utf8'))).map((u) => `${m.dts}: ${u}`));
    if (anys.length) {
      console.log(`api-reference: typed \`any\` (give the Rust export unchecked_param_type / unchecked_return_type or a Tsify type):\n  ${anys.join('\n  ')}\n(0 passed, 1 failed)`);
      return 1;
    }
    const have = existsSync(outPath) ? readFileSync(outPath, 'utf8') : '';
    if (have === want && present.length === MODULES.length) {
      console.log(`api-reference: ${OUT} is current (1 passed, 0 failed)`);
      return 0;
    }
    console.log(`api-reference: ${OUT} is not current with the packages' declarations; run node scripts/api-reference.mjs (0 passed, 1 failed)`);
    return 1;
  }
  writeFileSync(outPath, want);
  console.log(`api-reference: wrote ${OUT}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
