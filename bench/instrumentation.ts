/**
 * The cost of deadline instrumentation (src/runtime/instrument.ts) on real Runnables, each measured against the same
 * module uninstrumented in the same run.
 *
 * For each module: its size before and after (and the checks inserted), the time `instrumentDeadlines` takes, and the
 * time of one call: `allocate`, copy the input in, `run_e`, `deallocate`, as the
 * runtime does it. Both instances are created directly with `new WebAssembly.Instance` and the same minimal host
 * (below: the Runnable ABI answered from fixed values, a WASI preview 1 subset), in this process, so that only the
 * checks differ; the instrumented one also gets its meter armed before each call, as the runtime arms it. Calls are
 * timed in batches, original and instrumented alternating, after a warm-up that lets V8 tier the code up; a module's
 * per-call time is the median over ROUNDS batches.
 *
 * Modules:
 * - in the repository: the Rust fixture (`specs/fixtures/rust/hello-rs.wasm`, Suborbital's `suborbital` crate
 *   0.15.1), AssemblyScript examples built by `e2rx build` (`examples/`), and the worst cases: two AssemblyScript
 *   functions built now with `buildApp` (a hash loop over the input, naive recursive Fibonacci) and the same two in
 *   hand-written WAT, whose inner loop is a handful of instructions that the check then doubles;
 * - with `E2CORE_WASM_DIR=<dir>`: every `.wasm` in that directory as well (for instance the prebuilt Rust and TinyGo
 *   Runnables of github.com/suborbital/e2core, `sat/engine2/enginetest/testdata/` and `sat/examples/`, and the Grain
 *   ones of github.com/suborbital/reactr, `engine/testdata/grain-*`). They are not in this repository.
 *
 * Run: node --import tsx bench/instrumentation.ts   (or `npm run bench -- instrumentation`; a minute or two)
 * Environment: E2CORE_WASM_DIR (extra modules), E2RX_BENCH_ROUNDS (default 21), E2RX_BENCH_BATCH_MS (default 10).
 */
import { randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from '../src/build/build-app.js';
import { Meter } from '../src/runtime/deadline.js';
import { FUEL_EXPORT, instrumentDeadlines, METER_IMPORT, METER_MODULE } from '../src/runtime/instrument.js';
import { readModuleLayout } from '../src/runtime/wasm-binary.js';
import { compileWatSource } from '../specs/support/wasm.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 21);
const BATCH_MS = Number(process.env['E2RX_BENCH_BATCH_MS'] ?? 10);
const WARMUP_MS = 300;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A module to measure and the input of its calls. */
interface Subject {
  readonly name: string;
  readonly language: string;
  readonly bytes: Uint8Array;
  readonly input: Uint8Array;
}

// ----- the minimal host -----

class Exit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
  }
}

/** What one call produced, as text for comparing the two instances. */
interface Host {
  readonly imports: WebAssembly.Imports;
  bind(memory: WebAssembly.Memory): void;
  /** The call's result: `output <text>`, `error <code> <message>`, `abort <message>`, or `none`. */
  outcome: string;
}

const REQUEST_FIELDS: Readonly<Record<string, string>> = { method: 'POST', url: '/bench/x?name=bench', id: 'bench-request', body: '' };

/**
 * The Runnable ABI (module `env`) answered from fixed values and a WASI subset: enough for the SDKs' code paths to run
 * to their result. Imports it does not know answer 0.
 */
function minimalHost(bytes: Uint8Array, input: Uint8Array): Host {
  let memory: WebAssembly.Memory | undefined;
  let pending: Uint8Array | undefined;
  const view = (): DataView => new DataView((memory as WebAssembly.Memory).buffer);
  const read = (ptr: number, size: number): Uint8Array => new Uint8Array((memory as WebAssembly.Memory).buffer, ptr >>> 0, size >>> 0).slice();
  const text = (ptr: number, size: number): string => decoder.decode(read(ptr, size));
  const answer = (value: string | Uint8Array): number => {
    pending = typeof value === 'string' ? encoder.encode(value) : value;
    return pending.length;
  };
  const host: Host = {
    imports: {},
    bind: (m) => (memory = m),
    outcome: 'none',
  };
  const env: Record<string, (...args: never[]) => unknown> = {
    return_result: (ptr: number, size: number) => void (host.outcome = `output ${text(ptr, size)}`),
    return_error: (code: number, ptr: number, size: number) => void (host.outcome = `error ${code} ${text(ptr, size)}`),
    return_abort: (ptr: number, size: number) => void (host.outcome = `abort ${text(ptr, size)}`),
    log_msg: () => undefined,
    get_ffi_result: (ptr: number) => {
      if (pending === undefined) return -1;
      new Uint8Array((memory as WebAssembly.Memory).buffer).set(pending, ptr >>> 0);
      pending = undefined;
      return 0;
    },
    request_get_field: (type: number, ptr: number, size: number) => {
      const key = text(ptr, size);
      if (type === 0 && key === 'body') return answer(input);
      return answer(type === 0 ? (REQUEST_FIELDS[key] ?? '') : `${key}-value`);
    },
    request_set_field: () => 0,
    resp_set_header: () => undefined,
    add_ffi_var: () => 0,
    fetch_url: () => answer('fetched'),
    graphql_query: () => answer('{"data":{}}'),
    cache_get: () => answer('cached'),
    cache_set: () => 0,
    db_exec: () => answer('[]'),
    get_static_file: () => answer('static'),
    get_secret_value: () => answer('secret'),
  };
  const wasi: Record<string, (...args: never[]) => unknown> = {
    fd_write: (_fd: number, iovs: number, count: number, written: number) => {
      let total = 0;
      for (let i = 0; i < count; i += 1) total += view().getUint32(iovs + i * 8 + 4, true);
      view().setUint32(written, total, true);
      return 0;
    },
    environ_sizes_get: (count: number, size: number) => (view().setUint32(count, 0, true), view().setUint32(size, 0, true), 0),
    args_sizes_get: (count: number, size: number) => (view().setUint32(count, 0, true), view().setUint32(size, 0, true), 0),
    environ_get: () => 0,
    args_get: () => 0,
    clock_time_get: (_id: number, _precision: bigint, ptr: number) => (view().setBigUint64(ptr, process.hrtime.bigint(), true), 0),
    random_get: (ptr: number, size: number) => (randomFillSync(new Uint8Array((memory as WebAssembly.Memory).buffer, ptr, size)), 0),
    sched_yield: () => 0,
    proc_exit: (code: number) => {
      throw new Exit(code);
    },
  };
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const entry of readModuleLayout(bytes).imports) {
    const target = (imports[entry.module] ??= {});
    if (entry.desc.kind !== 'function') continue;
    const known = entry.module === 'env' ? env[entry.name] : entry.module === 'wasi_snapshot_preview1' ? wasi[entry.name] : undefined;
    const result = entry.desc.type.results[0];
    const nosys = entry.module === 'wasi_snapshot_preview1' ? 52 : 0;
    target[entry.name] = known ?? (() => (result === 'i64' ? 0n : result === undefined ? undefined : nosys));
  }
  (host as { imports: WebAssembly.Imports }).imports = imports;
  return host;
}

type Exported = (...args: number[]) => unknown;

/** One instance ready to take calls; `call()` runs one and returns its outcome. */
function instantiate(module: WebAssembly.Module, bytes: Uint8Array, input: Uint8Array, metered: boolean): () => string {
  const host = minimalHost(bytes, input);
  const meter = new Meter();
  const imports = metered ? { ...host.imports, [METER_MODULE]: { [METER_IMPORT]: meter.check } } : host.imports;
  const instance = new WebAssembly.Instance(module, imports);
  const exports = instance.exports as Record<string, unknown>;
  host.bind(exports['memory'] as WebAssembly.Memory);
  if (metered) meter.bind(exports[FUEL_EXPORT] as WebAssembly.Global);
  for (const name of ['_initialize', '_start', 'init']) {
    const entry = exports[name];
    if (typeof entry !== 'function') continue;
    try {
      (entry as Exported)();
    } catch (error) {
      if (!(error instanceof Exit && error.code === 0)) throw error;
    }
  }
  const allocate = exports['allocate'] as Exported;
  const runE = exports['run_e'] as Exported;
  const deallocate = exports['deallocate'] as Exported | undefined;
  const memory = exports['memory'] as WebAssembly.Memory;
  return () => {
    if (metered) meter.arm({ at: performance.now() + 60_000, reason: 'timeout' });
    host.outcome = 'none';
    try {
      const ptr = (allocate(input.length) as number) >>> 0;
      new Uint8Array(memory.buffer, ptr, input.length).set(input);
      runE(ptr, input.length, 1);
      deallocate?.(ptr, input.length);
    } catch (error) {
      // a Runnable that panics on its input (or on purpose): the trap is its outcome, for both instances
      return `trap ${(error as Error).message}`;
    }
    return host.outcome;
  };
}

// ----- measuring -----

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

function timeMs(fn: () => unknown, times: number): number {
  const samples: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/**
 * Microseconds per call of each (batches alternating, median over ROUNDS), and the median of the ratios of the two
 * batches of each round: adjacent in time, they share whatever else the machine was doing.
 */
function perCall(original: () => string, instrumented: () => string): { original: number; instrumented: number; ratio: number } {
  for (const call of [original, instrumented]) {
    const until = performance.now() + WARMUP_MS;
    while (performance.now() < until) call();
  }
  const started = performance.now();
  let calibration = 0;
  while (performance.now() - started < BATCH_MS / 2 || calibration < 3) {
    original();
    calibration += 1;
  }
  const batch = Math.max(1, Math.round((calibration * BATCH_MS) / (performance.now() - started)));
  const samples = { original: [] as number[], instrumented: [] as number[] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? (['original', 'instrumented'] as const) : (['instrumented', 'original'] as const);
    for (const which of order) {
      const call = which === 'original' ? original : instrumented;
      const t0 = performance.now();
      for (let i = 0; i < batch; i += 1) call();
      samples[which].push(((performance.now() - t0) * 1000) / batch);
    }
  }
  const ratios = samples.instrumented.map((value, i) => value / (samples.original[i] as number));
  return { original: median(samples.original), instrumented: median(samples.instrumented), ratio: median(ratios) };
}

interface Row {
  readonly name: string;
  readonly language: string;
  readonly size: number;
  readonly growth: number;
  readonly checks: string;
  readonly instrumentMs: number;
  readonly callUs: readonly [number, number];
  /** The median of the per-round ratios instrumented / original. */
  readonly ratio: number;
  readonly outcome: string;
}

function measure(subject: Subject): Row | string {
  let instrumented: Uint8Array;
  let checks: string;
  try {
    const result = instrumentDeadlines(subject.bytes);
    instrumented = result.bytes;
    checks = `${result.loopChecks}+${result.entryChecks}/${result.functions}`;
  } catch (error) {
    return `${subject.name}: not instrumented (${(error as Error).message})`;
  }
  const instrumentMs = timeMs(() => instrumentDeadlines(subject.bytes), 7);
  const original = instantiate(new WebAssembly.Module(subject.bytes), subject.bytes, subject.input, false);
  const metered = instantiate(new WebAssembly.Module(instrumented), subject.bytes, subject.input, true);
  const expected = original();
  const got = metered();
  if (got !== expected) return `${subject.name}: the instrumented module answered ${JSON.stringify(got.slice(0, 80))} instead of ${JSON.stringify(expected.slice(0, 80))}`;
  const times = perCall(original, metered);
  const outcome = expected.split(' ')[0] ?? 'none';
  return {
    name: subject.name,
    language: subject.language,
    size: subject.bytes.length,
    growth: instrumented.length / subject.bytes.length - 1,
    checks,
    instrumentMs,
    callUs: [times.original, times.instrumented],
    ratio: times.ratio,
    outcome,
  };
}

// ----- the modules -----

const HASH_WAT = `(module
  (import "env" "return_result" (func $return_result (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "deallocate") (param i32 i32))
  ;; FNV-1a over the input, 64 times: the inner loop is a load, an xor, a multiply and the loop control
  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (local $h i32) (local $i i32) (local $round i32)
    (local.set $h (i32.const 0x811c9dc5))
    (loop $rounds
      (local.set $i (i32.const 0))
      (loop $bytes
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (i32.add (local.get $ptr) (local.get $i)))) (i32.const 0x01000193)))
        (br_if $bytes (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $size))))
      (br_if $rounds (i32.lt_u (local.tee $round (i32.add (local.get $round) (i32.const 1))) (i32.const 64))))
    (i32.store (i32.const 16) (local.get $h))
    (call $return_result (i32.const 16) (i32.const 4) (local.get $ident))))`;

const FIB_WAT = `(module
  (import "env" "return_result" (func $return_result (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1))) (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "deallocate") (param i32 i32))
  ;; fib(input length), naively: every step is a call
  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (i32.store (i32.const 16) (call $fib (local.get $size)))
    (call $return_result (i32.const 16) (i32.const 4) (local.get $ident))))`;

const AS_FUNCTIONS: Readonly<Record<string, string>> = {
  'as-hash': `import { Output } from "@e2rx/sdk-assemblyscript";

// FNV-1a over the input, 64 times.
export function run(input: ArrayBuffer): Output {
  const bytes = Uint8Array.wrap(input);
  let h: u32 = 0x811c9dc5;
  for (let round = 0; round < 64; round++) {
    for (let i = 0; i < bytes.length; i++) h = (h ^ bytes[i]) * 0x01000193;
  }
  return Output.ok(h.toString());
}
`,
  'as-fib': `import { Output } from "@e2rx/sdk-assemblyscript";

function fib(n: i32): i32 {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

// fib(input length), naively.
export function run(input: ArrayBuffer): Output {
  return Output.ok(fib(input.byteLength).toString());
}
`,
};

/** Builds the AssemblyScript worst cases with `buildApp`, as `e2rx build` does, in a temporary app. */
async function buildAssemblyScript(): Promise<Map<string, Uint8Array>> {
  const app = await mkdtemp(join(tmpdir(), 'e2rx-bench-instrumentation-'));
  try {
    for (const [name, source] of Object.entries(AS_FUNCTIONS)) {
      await mkdir(join(app, name));
      await writeFile(join(app, name, 'index.ts'), source);
    }
    const report = await buildApp(app, { force: true });
    if (!report.ok) throw new Error(`e2rx build failed: ${JSON.stringify(report.functions.map((f) => f.diagnostics))}`);
    const built = new Map<string, Uint8Array>();
    for (const fn of report.functions) built.set(fn.name, new Uint8Array(await readFile(fn.output)));
    return built;
  } finally {
    await rm(app, { recursive: true, force: true });
  }
}

const SMALL_INPUT = encoder.encode('{"name":"bench","email":"bench@example.com","id":"7","amount":1250}');
const HASH_INPUT = randomFillSync(new Uint8Array(4096));
const FIB_INPUT = new Uint8Array(25);

/** A language for a module of E2CORE_WASM_DIR, from its exports and name. */
function languageOf(name: string, bytes: Uint8Array): string {
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
  if (exports.includes('asyncify_get_state')) return 'TinyGo';
  if (/grain/i.test(name)) return 'Grain';
  if (exports.includes('__data_end')) return 'Rust';
  if (/(^|-)as-/.test(name)) return 'AssemblyScript';
  return '?';
}

async function subjects(): Promise<Subject[]> {
  const repo = async (path: string): Promise<Uint8Array> => new Uint8Array(await readFile(join(ROOT, path)));
  const list: Subject[] = [
    { name: 'hello-rs (fixture)', language: 'Rust', bytes: await repo('specs/fixtures/rust/hello-rs.wasm'), input: SMALL_INPUT },
    { name: 'examples/hello/hello', language: 'AssemblyScript', bytes: await repo('examples/hello/hello.wasm'), input: SMALL_INPUT },
    { name: 'examples/hello/greet', language: 'AssemblyScript', bytes: await repo('examples/hello/greet.wasm'), input: SMALL_INPUT },
    { name: 'examples/kafka-fanout/quote', language: 'AssemblyScript', bytes: await repo('examples/kafka-fanout/quote.wasm'), input: SMALL_INPUT },
    { name: 'examples/users/create-user', language: 'AssemblyScript', bytes: await repo('examples/users/create-user.wasm'), input: SMALL_INPUT },
  ];
  const built = await buildAssemblyScript();
  list.push({ name: 'as-hash: FNV-1a loop, 4 KiB x 64', language: 'AssemblyScript', bytes: built.get('as-hash') as Uint8Array, input: HASH_INPUT });
  list.push({ name: 'as-fib: fib(25), recursive', language: 'AssemblyScript', bytes: built.get('as-fib') as Uint8Array, input: FIB_INPUT });
  list.push({ name: 'wat-hash: FNV-1a loop, 4 KiB x 64', language: 'WAT', bytes: await compileWatSource(HASH_WAT, 'hash'), input: HASH_INPUT });
  list.push({ name: 'wat-fib: fib(25), recursive', language: 'WAT', bytes: await compileWatSource(FIB_WAT, 'fib'), input: FIB_INPUT });
  const extra = process.env['E2CORE_WASM_DIR'];
  if (extra !== undefined && extra !== '') {
    for (const file of (await readdir(extra)).filter((f) => f.endsWith('.wasm')).sort()) {
      const bytes = new Uint8Array(await readFile(join(extra, file)));
      list.push({ name: basename(file, '.wasm'), language: languageOf(file, bytes), bytes, input: SMALL_INPUT });
    }
  }
  return list;
}

// ----- the report -----

const kb = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`);

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  const started = performance.now();
  const rows: Row[] = [];
  const skipped: string[] = [];
  const all = await subjects();
  // one pass first, so that the first module's instrumentation time is not the instrumenter's own warm-up
  for (const subject of all) {
    try {
      instrumentDeadlines(subject.bytes);
    } catch {
      // reported by measure()
    }
  }
  for (const subject of all) {
    console.error(`instrumentation: ${subject.name}...`);
    const row = measure(subject);
    if (typeof row === 'string') skipped.push(row);
    else rows.push(row);
  }
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`);
  console.log(
    `per call: median of ${ROUNDS} alternating batches of ~${BATCH_MS} ms after a ${WARMUP_MS} ms warm-up; ratio: the median of the rounds' ratios; the baseline of each row is the same module uninstrumented`,
  );
  const header = ['module', 'lang', 'size', 'growth', 'checks loop+entry/fns', 'instrument', 'call orig', 'call instr', 'added', 'ratio', 'result'];
  const lines = rows.map((r) => [
    r.name,
    r.language,
    kb(r.size),
    `+${(r.growth * 100).toFixed(1)}%`,
    r.checks,
    `${r.instrumentMs.toFixed(2)} ms`,
    `${r.callUs[0].toFixed(2)} µs`,
    `${r.callUs[1].toFixed(2)} µs`,
    `${r.callUs[1] - r.callUs[0] >= 0 ? '+' : ''}${(r.callUs[1] - r.callUs[0]).toFixed(2)} µs`,
    `x${r.ratio.toFixed(3)}`,
    r.outcome,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const format = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 || i === 1 || i === header.length - 1 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
  for (const line of skipped) console.log(`skipped: ${line}`);
  if (process.env['E2CORE_WASM_DIR'] === undefined) console.log('(set E2CORE_WASM_DIR to a directory of prebuilt Runnables to measure those too)');
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
