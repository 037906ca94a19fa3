/**
 * Which WASI preview 1 implementation should the runtime use? Measures, in one run, the per-call cost of
 * clock_time_get, fd_write (to stdout) and random_get from a WAT module, and the cost of one instantiation with a new
 * WASI context (what fresh-instance mode pays per call), for:
 *
 * - own:    src/runtime/wasi.ts (stdout line-buffered to a callback, as the runtime routes it to the logger);
 * - node:   node:wasi (stdout is a file descriptor: /dev/null here);
 * - wasmer: @wasmer/wasi 1.2.2 (a WASI implementation compiled to Wasm; stdout buffered, drained per batch).
 *
 * Run: node --import tsx bench/runtime-wasi.ts
 * Prints ns per call and the ratio to `own` (the baseline). Figures are in docs/decisions/0001-wasi.md.
 */
import { openSync, closeSync } from 'node:fs';
import { WASI as NodeWasi } from 'node:wasi';
import { init as initWasmer, WASI as WasmerWasi } from '@wasmer/wasi';
import { compileWat } from '../specs/support/wasm.js';
import { GuestMemory } from '../src/runtime/memory.js';
import { LineBuffer } from '../src/runtime/stdio.js';
import { createWasiImports } from '../src/runtime/wasi.js';

type Exports = { clock(n: number): void; write(n: number): void; random(n: number): void };
interface Candidate {
  readonly name: string;
  /** Creates an instance with a fresh WASI context. */
  instantiate(): Exports;
  /** Called after each batch (drains buffered stdout). */
  drain(): void;
}

const module = await WebAssembly.compile(await compileWat('bench-wasi'));
const devNull = openSync('/dev/null', 'w');
let lines = 0;

const own: Candidate = {
  name: 'own',
  instantiate() {
    const memory = new GuestMemory();
    const out = new LineBuffer(() => (lines += 1));
    const wasi = createWasiImports({ memory, write: (_fd, bytes) => out.write(bytes) });
    const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasi });
    memory.bind(instance.exports['memory'] as WebAssembly.Memory);
    return instance.exports as unknown as Exports;
  },
  drain: () => undefined,
};

const node: Candidate = {
  name: 'node:wasi',
  instantiate() {
    const wasi = new NodeWasi({ version: 'preview1', stdout: devNull, stderr: devNull, returnOnExit: true });
    const instance = new WebAssembly.Instance(module, wasi.getImportObject() as WebAssembly.Imports);
    wasi.initialize(instance);
    return instance.exports as unknown as Exports;
  },
  drain: () => undefined,
};

await initWasmer();
let wasmerCurrent: WasmerWasi | undefined;
const wasmer: Candidate = {
  name: '@wasmer/wasi',
  instantiate() {
    wasmerCurrent?.free();
    wasmerCurrent = new WasmerWasi({ args: [], env: {} });
    const instance = wasmerCurrent.instantiate(module, {});
    return instance.exports as unknown as Exports;
  },
  drain: () => {
    lines += wasmerCurrent?.getStdoutBuffer().length ?? 0;
  },
};

function perCall(candidate: Candidate, op: keyof Exports, calls: number): number {
  const exports = candidate.instantiate();
  exports[op](1000);
  candidate.drain();
  const samples: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const start = process.hrtime.bigint();
    exports[op](calls);
    candidate.drain();
    samples.push(Number(process.hrtime.bigint() - start) / calls);
  }
  return samples.sort((a, b) => a - b)[2] as number;
}

function perInstance(candidate: Candidate, count: number): number {
  for (let i = 0; i < 50; i += 1) candidate.instantiate();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i += 1) candidate.instantiate();
  return Number(process.hrtime.bigint() - start) / count;
}

const candidates = [own, node, wasmer];
const rows: Array<[string, number[]]> = [];
for (const [label, measure] of [
  ['clock_time_get (ns/call)', (c: Candidate) => perCall(c, 'clock', 200_000)],
  ['fd_write 2 bytes to stdout (ns/call)', (c: Candidate) => perCall(c, 'write', 50_000)],
  ['random_get 16 bytes (ns/call)', (c: Candidate) => perCall(c, 'random', 100_000)],
  ['instantiate + WASI context (ns/instance)', (c: Candidate) => perInstance(c, 500)],
] as const) {
  rows.push([label, candidates.map(measure)]);
}
closeSync(devNull);

console.log(`node ${process.version}, ${new Date().toISOString()}`);
console.log(['measure'.padEnd(42), ...candidates.map((c) => c.name.padStart(22))].join(''));
for (const [label, values] of rows) {
  const base = values[0] as number;
  const cells = values.map((v) => `${v.toFixed(0)} (x${(v / base).toFixed(2)})`.padStart(22));
  console.log([label.padEnd(42), ...cells].join(''));
}
