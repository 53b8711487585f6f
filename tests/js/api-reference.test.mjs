// scripts/api-reference.mjs: docs/api.md is generated from the package's declarations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanDts, declarations, reference, untyped } from '../../scripts/api-reference.mjs';

const DTS = `/* tslint:disable */
/**
 * Chip: the tile grid.
 */
export interface ChipConfig {
    /**
     *r" Tile grid rows.
     */
    tiles_x?: number;
    /**
     * The network\\'s name.
     */
    name: string;
}

export type Mode = "a" | "b";

/**
 * A loaded model; see [\`Model::load\`](crate::model::Model::load).
 */
export class Model {
    private constructor();
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Number of classes.
     */
    readonly classes: number;
    static load(bytes: Uint8Array): Model;
}

/**
 * Parses one method string.
 */
export function checkMethod(text: string): void;

export function initSync(module: SyncInitInput): InitOutput;
`;

test('cleanDts removes raw-string tokens and escaped apostrophes from doc comments only', () => {
  const c = cleanDts(DTS);
  assert.match(c, /^ {5}\* Tile grid rows\.$/m);
  assert.doesNotMatch(c, /r"/);
  assert.match(c, /The network's name\./);
  assert.equal(cleanDts('const s = "it\\\'s";'), 'const s = "it\\\'s";');
});

test('declarations finds every top-level declaration with its doc comment', () => {
  const d = declarations(cleanDts(DTS));
  assert.deepEqual(d.map((x) => `${x.kind} ${x.name}`), ['interface ChipConfig', 'type Mode', 'class Model', 'function checkMethod', 'function initSync']);
  assert.equal(d[0].doc, 'Chip: the tile grid.');
  assert.equal(d[1].doc, '');
  assert.equal(d[3].text, 'export function checkMethod(text: string): void;');
  assert.match(d[2].text, /static load\(bytes: Uint8Array\): Model;\n\}$/);
});

test('reference lists functions, class members and types, without the loader plumbing', () => {
  const r = reference([{ dts: 'x.d.ts', title: 'Module X', blurb: 'For tests.', text: cleanDts(DTS) }]);
  assert.match(r, /^## Module X\n\nFor tests\. Declarations: `x\.d\.ts`\.\n\n1 functions, 1 classes, 2 types\.$/m);
  assert.match(r, /#### `checkMethod`\n\n```ts\nfunction checkMethod\(text: string\): void;\n```\n\nParses one method string\./);
  assert.match(r, /- `readonly classes: number`: Number of classes\./);
  assert.match(r, /- `static load\(bytes: Uint8Array\): Model`\n/);
  assert.doesNotMatch(r, /free\(\)|Symbol\.dispose|private constructor|#### `initSync`/);
  // rustdoc's intra-doc link keeps its text, loses its crate:: target.
  assert.match(r, /A loaded model; see `Model::load`\./);
  assert.doesNotMatch(r, /\]\(crate::/);
});

test('untyped names the declarations typed any, not comments or the loader plumbing', () => {
  assert.deepEqual(untyped(cleanDts(DTS)), []);
  const loose = `/**
 * Any canvas; returns anything (any in a comment is fine).
 */
export function drawChart(canvas: any, kind: string): void;
export interface Info {
    /** The company. */
    company: string;
    arch: Record<string, any>;
}
export interface InitOutput {
    readonly drawChart: (a: any, b: any) => [number, number];
}
`;
  assert.deepEqual(untyped(loose), ['drawChart: export function drawChart(canvas: any, kind: string): void;', 'Info: arch: Record<string, any>;']);
});
