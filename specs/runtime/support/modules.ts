/**
 * Helpers for the specs of the deadline instrumentation (instrument.spec.ts, wasm-instructions.spec.ts): the
 * WebAssembly binaries of the repository, a walk over function bodies with the runtime's own instruction reader, and
 * oracles independent of it (wabt's text, V8's `WebAssembly.Module` reflection).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reader, SECTION, sections } from '../../../src/runtime/wasm-binary.js';
import { skipImmediates } from '../../../src/runtime/wasm-instructions.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function walkFiles(dir: string, found: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walkFiles(path, found);
    else if (entry.name.endsWith('.wasm')) found.push(path);
  }
}

/** Every `.wasm` committed under `specs/fixtures/` and `examples/`, as paths relative to the repository root. */
export async function repositoryWasm(): Promise<string[]> {
  const found: string[] = [];
  for (const dir of ['specs/fixtures', 'examples']) await walkFiles(join(ROOT, dir), found);
  return found.map((path) => relative(ROOT, path)).sort();
}

/** The bytes of a repository file. */
export async function repositoryFile(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(ROOT, path)));
}

/** The names of the WAT fixtures of `specs/fixtures/wasm/` (without `.wat`). */
export async function watFixtures(): Promise<string[]> {
  const names = await readdir(join(ROOT, 'specs/fixtures/wasm'));
  return names.filter((n) => n.endsWith('.wat')).map((n) => n.slice(0, -4)).sort();
}

/** One function body of the code section, by offsets. */
export interface CodeBody {
  readonly start: number;
  readonly end: number;
}

/** The function bodies of a binary's code section. */
export function codeBodies(bytes: Uint8Array): CodeBody[] {
  const code = sections(bytes).find((s) => s.id === SECTION.code);
  if (code === undefined) return [];
  const reader = new Reader(bytes, code.payload, code.end);
  const count = reader.u32();
  const bodies: CodeBody[] = [];
  for (let i = 0; i < count; i += 1) {
    const size = reader.u32();
    bodies.push({ start: reader.offset, end: reader.offset + size });
    reader.offset += size;
  }
  return bodies;
}

/** Walks one body with {@link skipImmediates}: the opcodes in order and where the walk stopped. */
export function walkBody(bytes: Uint8Array, body: CodeBody): { opcodes: number[]; stoppedAt: number } {
  const reader = new Reader(bytes, body.start, body.end);
  const groups = reader.u32();
  for (let i = 0; i < groups; i += 1) {
    reader.u32();
    reader.byte();
  }
  const opcodes: number[] = [];
  while (reader.offset < body.end) {
    const opcode = reader.byte();
    skipImmediates(reader, opcode);
    opcodes.push(opcode);
  }
  return { opcodes, stoppedAt: reader.offset };
}

/**
 * The number of instructions of each function in wabt's flat text (one instruction per line; the final `end` of a
 * body is not printed, so a binary body holds one more).
 */
export function textInstructionCounts(wat: string): number[] {
  const counts: number[] = [];
  let depth = 0;
  let count = -1;
  for (const raw of wat.split('\n')) {
    const line = raw.replace(/\(;.*?;\)/g, '').replace(/;;.*$/, '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const trimmed = line.trim();
    if (count < 0 && trimmed.startsWith('(func')) {
      count = 0;
      depth = 0;
    } else if (count >= 0 && trimmed !== '' && !trimmed.startsWith('(')) count += 1;
    if (count >= 0) {
      for (const c of line) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
      if (depth <= 0) {
        counts.push(count);
        count = -1;
      }
    }
  }
  return counts;
}

/** The flags of each element segment of a binary (0..7, WebAssembly core spec §5.5.12). */
export function elementFlags(bytes: Uint8Array): number[] {
  const section = sections(bytes).find((s) => s.id === SECTION.element);
  if (section === undefined) return [];
  const reader = new Reader(bytes, section.payload, section.end);
  const constExpr = (): void => {
    for (;;) {
      const opcode = reader.byte();
      if (opcode === 0x0b) return;
      skipImmediates(reader, opcode);
    }
  };
  const flags: number[] = [];
  const count = reader.u32();
  for (let i = 0; i < count; i += 1) {
    const flag = reader.u32();
    flags.push(flag);
    if (flag === 2 || flag === 6) reader.u32();
    if ((flag & 1) === 0) constExpr();
    if ((flag & 3) !== 0) reader.byte();
    const items = reader.u32();
    for (let j = 0; j < items; j += 1) {
      if ((flag & 4) !== 0) constExpr();
      else reader.u32();
    }
  }
  return flags;
}

/** A module's imports and exports as V8 reflects them, in order, as `module.name:kind` / `name:kind`. */
export function interfaceOf(bytes: Uint8Array): { imports: string[]; exports: string[] } {
  const module = new WebAssembly.Module(bytes);
  return {
    imports: WebAssembly.Module.imports(module).map((d) => `${d.module}.${d.name}:${d.kind}`),
    exports: WebAssembly.Module.exports(module).map((d) => `${d.name}:${d.kind}`),
  };
}
