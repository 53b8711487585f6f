// No function in crate/src is longer than 150 lines (issue 17, "rooms that do too much"):
// a long function is split into named steps behind a short coordinator. The source is
// rustfmt-formatted, so a function's body ends at the first line that is its own
// indentation followed by `}`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAX_FN_LINES = 150;

const FN_START = /^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:(?:const|async|unsafe|extern(?:\s+"[^"]*")?)\s+)*fn\s+([A-Za-z_][A-Za-z0-9_]*)/;

/** Every function with a body in `text`: { name, line (1-based), lines }. */
export function functionLengths(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FN_START.exec(lines[i]);
    if (!m) continue;
    const indent = m[1];
    const close = `${indent}}`;
    // The signature ends at the first line ending in `{` (a body), `;` (a declaration)
    // or `}` (a one-line body, short by definition).
    let j = i;
    while (j < lines.length && !/[{;}]\s*$/.test(lines[j])) j++;
    if (j >= lines.length || !/\{\s*$/.test(lines[j])) continue;
    let k = j + 1;
    while (k < lines.length && lines[k].trimEnd() !== close) k++;
    if (k >= lines.length) continue;
    out.push({ name: m[2], line: i + 1, lines: k - i + 1 });
  }
  return out;
}

function rustFiles(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...rustFiles(p));
    else if (e.name.endsWith('.rs')) out.push(p);
  }
  return out;
}

test('the length counter measures a function from its signature to its closing brace', () => {
  const src = [
    'fn short() {', // 1
    '    let x = 1;',
    '}', // 3 lines
    'pub(crate) fn wrapped(',
    '    a: u32,',
    ') -> u32 {',
    '    if a > 0 {',
    '        a',
    '    } else {',
    '        0',
    '    }',
    '}', // 9 lines
    'impl X {',
    '    pub const fn inner(&self) -> u32 {',
    '        1',
    '    }', // 3 lines
    '    fn decl(&self);',
    '    fn one_line(&self) -> u32 { 1 }',
    '    fn after() {',
    '    }',
    '}',
  ].join('\n');
  assert.deepEqual(
    functionLengths(src).map((f) => [f.name, f.line, f.lines]),
    [
      ['short', 1, 3],
      ['wrapped', 4, 9],
      ['inner', 14, 3],
      ['after', 19, 2],
    ],
  );
});

test(`no function in crate/src is longer than ${MAX_FN_LINES} lines`, () => {
  const files = rustFiles(path.join(root, 'crate', 'src'));
  assert.ok(files.length > 20, `found only ${files.length} Rust files`);
  let counted = 0;
  const long = [];
  for (const file of files) {
    for (const f of functionLengths(fs.readFileSync(file, 'utf8'))) {
      counted++;
      if (f.lines > MAX_FN_LINES) long.push(`${path.relative(root, file)}:${f.line} ${f.name} (${f.lines} lines)`);
    }
  }
  assert.ok(counted > 500, `measured only ${counted} functions`);
  assert.deepEqual(long, [], `split these into named steps:\n${long.join('\n')}`);
});
