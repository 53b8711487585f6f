// Rewrites the `--out PATH` of the `epim.train_command` metadata entry of shipped models to
// `--out models/NAME.safetensors`, the command that reproduces the file in the repository.
// Only that one string of the safetensors JSON header changes: every other header byte and
// every tensor byte stay as they are (checked before the file is replaced).
//
//   node scripts/set-model-out.mjs [--check] [FILE.safetensors ...]   (default: models/*.safetensors)
//
// --check changes nothing and exits 1 if a file would change.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_HEADER_BYTES = 1 << 20;

/** Splits a safetensors file into its header text and the tensor bytes after it. */
export function splitSafetensors(bytes, name) {
  if (bytes.length < 8) throw new Error(`${name}: shorter than the 8-byte header length`);
  const n = bytes.readBigUInt64LE(0);
  if (n > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw new Error(`${name}: header length ${n} exceeds the file or ${MAX_HEADER_BYTES} bytes`);
  }
  const end = 8 + Number(n);
  return { header: bytes.subarray(8, end).toString('utf8'), data: bytes.subarray(end) };
}

/** Joins a header text and tensor bytes, padding the header with spaces to 8-byte alignment. */
export function joinSafetensors(header, data) {
  let text = header.replace(/ +$/, '');
  while ((8 + Buffer.byteLength(text)) % 8 !== 0) text += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  return Buffer.concat([len, Buffer.from(text, 'utf8'), data]);
}

/** The train command with its `--out` argument replaced by `models/NAME`. */
export function withRepoOut(command, fileName) {
  const re = /(^|\s)--out(\s+|=)(\S+)/g;
  const matches = [...command.matchAll(re)];
  if (matches.length !== 1) throw new Error(`expected one --out in '${command}', found ${matches.length}`);
  return command.replace(re, `$1--out$2models/${fileName}`);
}

/** The rewritten file bytes (identical to `bytes` when nothing changes). */
export function rewrite(bytes, fileName) {
  const { header, data } = splitSafetensors(bytes, fileName);
  const parsed = JSON.parse(header);
  const old = parsed.__metadata__?.['epim.train_command'];
  if (typeof old !== 'string') throw new Error(`${fileName}: no epim.train_command metadata`);
  const fresh = withRepoOut(old, fileName);
  if (fresh === old) return bytes;
  const oldJson = JSON.stringify(old);
  if (header.split(oldJson).length !== 2) {
    throw new Error(`${fileName}: the train command's JSON text is not found exactly once in the header`);
  }
  const out = joinSafetensors(header.replace(oldJson, () => JSON.stringify(fresh)), data);
  // Checks: the tensors are the same bytes, the header differs only in that one entry.
  const back = splitSafetensors(out, fileName);
  if (!back.data.equals(data)) throw new Error(`${fileName}: tensor bytes changed`);
  const reparsed = JSON.parse(back.header);
  if (reparsed.__metadata__['epim.train_command'] !== fresh) throw new Error(`${fileName}: rewrite lost`);
  reparsed.__metadata__['epim.train_command'] = old;
  if (JSON.stringify(reparsed) !== JSON.stringify(parsed)) throw new Error(`${fileName}: other header fields changed`);
  return out;
}

function main(argv) {
  const check = argv.includes('--check');
  let files = argv.filter((a) => a !== '--check');
  if (files.length === 0) {
    const dir = join(root, 'models');
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.safetensors'))
      .sort()
      .map((f) => join(dir, f));
  }
  let stale = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    const out = rewrite(bytes, basename(file));
    if (out === bytes) {
      console.log(`${basename(file)}: up to date`);
      continue;
    }
    stale += 1;
    if (check) {
      console.log(`${basename(file)}: --out is not models/${basename(file)}`);
    } else {
      writeFileSync(file, out);
      console.log(`${basename(file)}: rewritten (${bytes.length} -> ${out.length} bytes, tensors unchanged)`);
    }
  }
  if (check && stale > 0) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
}
