/**
 * The worker hand-off (docs/decisions/0006-worker-hand-off.md): what a call on a worker thread costs, as ratios to a
 * baseline measured in the same run: a bare `postMessage` round trip per call to two hand-written workers that run the
 * same echo module directly (the request structured-cloned there and the output back, calls pipelined in the ports'
 * queues; no pool, no timeouts: the floor of a `postMessage` design).
 *
 * Two functions forced onto e2rx's workers (`placement: 'workers'`, 2 workers): `echo` (returns its input) and
 * `cache` (one asynchronous host call: `cache_get` on the in-memory cache, then `get_ffi_result`, returns the
 * value). Each is driven closed-loop with 1, 32 and 256 calls in flight through `runtime.execute` (the callback form
 * the engine uses); the calling-thread placement of echo is measured for reference (the cache function cannot run
 * there). The request is an HTTP-like one: a 64-byte body, 8 headers, no params, no state.
 *
 * Per cell: calls/s, and main-thread CPU per call. The main thread's CPU is read from
 * `/proc/self/task/<pid>/schedstat` (nanoseconds the main thread spent on a CPU: it leaves out the workers, and the
 * time the thread waited for a core, which matters on a shared 2-core machine); `performance.eventLoopUtilization()`
 * is printed beside it as a cross-check (it counts the wall time the loop was not idle, so it reads higher when the
 * thread waits for a core). `other` is the rest of the process's CPU (`process.cpuUsage()` minus the main thread): the
 * workers and V8's helper threads. Variants are interleaved round by round so that the machine's drift hits them
 * alike; each figure is the median over the rounds, with the range.
 *
 * The decision's own table (today's `postMessage` per call, batched messages, shared-memory rings, request-copy
 * variants) came from this file at commit 1a8455e, where the pool had all of them; see the decision record.
 *
 * Imports the system under test from `dist/` (under tsx the workers would run the TypeScript sources through its
 * loader).
 *
 * Run: npm run build && npm run bench -- worker-handoff   (or node --import tsx bench/worker-handoff.ts; about a minute;
 *      E2RX_BENCH_ROUNDS, default 5, and E2RX_BENCH_ROUND_MS, default 300, set the rounds)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { NO_STATIC_FILES } from '../dist/app/static-files.js';
import { DEFAULT_CAPABILITIES } from '../dist/directive/capability-config.js';
import { createHostServices } from '../dist/capabilities/host-services-impl.js';
import { createRequest, type FunctionRequest } from '../dist/runtime/request.js';
import { createRuntime, type RuntimeOptions } from '../dist/runtime/runtime.js';
import { compileWat, compileWatSource } from '../specs/support/wasm.js';

const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 5);
const ROUND_MS = Number(process.env['E2RX_BENCH_ROUND_MS'] ?? 300);
const WARMUP_MS = 150;
const CONCURRENCY = [1, 32, 256] as const;
const logger = pino({ level: 'silent' });
const encoder = new TextEncoder();

/** One `cache_get` of "k", its value collected with get_ffi_result and returned. */
const CACHE_WAT = `(module
  (import "env" "cache_get" (func $cache_get (param i32 i32 i32) (result i32)))
  (import "env" "get_ffi_result" (func $get_ffi_result (param i32 i32) (result i32)))
  (import "env" "return_result" (func $return_result (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "k")
  (func (export "allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "deallocate") (param i32 i32))
  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (local $n i32)
    (local.set $n (call $cache_get (i32.const 16) (i32.const 1) (local.get $ident)))
    (drop (call $get_ffi_result (i32.const 4096) (local.get $ident)))
    (call $return_result (i32.const 4096) (local.get $n) (local.get $ident))))`;

/** Something that runs a call and calls back with its outcome: a runtime, or the bare baseline. */
interface Target {
  execute(name: string, request: FunctionRequest, done: (outcome: { kind: string }) => void): unknown;
  close(): Promise<void>;
}

interface Variant {
  readonly label: string;
  readonly start: (echo: Uint8Array, cache: Uint8Array) => Promise<Target>;
  /** Runs `cache` too. */
  readonly cache: boolean;
}

/** The bare workers' code: instantiate echo, answer each posted request with its output. */
const BARE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let output;
const instance = new WebAssembly.Instance(new WebAssembly.Module(workerData), {
  env: { return_result: (ptr, size) => { output = new Uint8Array(instance.exports.memory.buffer, ptr, size).slice(); } },
});
const { allocate, run_e, deallocate, memory } = instance.exports;
parentPort.on('message', ({ id, request }) => {
  const input = request.body;
  const ptr = allocate(input.length);
  new Uint8Array(memory.buffer, ptr, input.length).set(input);
  run_e(ptr, input.length, 1);
  deallocate(ptr, input.length);
  parentPort.postMessage({ id, output, request }, [output.buffer]);
});
parentPort.postMessage('ready');
`;

/** The baseline: two bare workers, calls posted to them in turn. */
async function bare(echo: Uint8Array): Promise<Target> {
  const pending = new Map<number, (outcome: { kind: string }) => void>();
  const workers = [0, 1].map(() => new Worker(BARE_WORKER, { eval: true, workerData: echo }));
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
  for (const worker of workers) {
    worker.on('message', (message: { id: number; output: Uint8Array }) => {
      const done = pending.get(message.id);
      pending.delete(message.id);
      done?.({ kind: 'output' });
    });
  }
  let next = 0;
  return {
    execute: (_name, request, done) => {
      const id = (next += 1);
      pending.set(id, done);
      const body = new Uint8Array(request.body);
      (workers[id % 2] as Worker).postMessage({ id, request: { ...request, body } }, [body.buffer]);
    },
    close: async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

async function runtimeOf(options: Partial<RuntimeOptions>, echo: Uint8Array, cache: Uint8Array): Promise<Target> {
  const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services, logger, workers: 2, ...options });
  await runtime.register('echo', echo);
  await runtime.register('cache', cache);
  await runtime.ready();
  return runtime;
}

const services = createHostServices(DEFAULT_CAPABILITIES, { staticFiles: NO_STATIC_FILES, logger });

const VARIANTS: readonly Variant[] = [
  { label: 'bare postMessage (base)', start: (echo) => bare(echo), cache: false },
  { label: 'e2rx workers', start: (echo, cache) => runtimeOf({ placement: 'workers' }, echo, cache), cache: true },
  { label: 'e2rx calling thread', start: (echo, cache) => runtimeOf({ placement: 'auto' }, echo, cache), cache: false },
];

/** Nanoseconds the main thread has spent on a CPU (Linux). */
function mainCpuNs(): number {
  const text = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
  return Number(text.split(' ')[0]);
}

/** Nanoseconds every thread of the process has spent on a CPU. */
function processCpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
}

const request = (): FunctionRequest =>
  createRequest({
    method: 'POST',
    url: '/bench?x=1',
    body: encoder.encode('{"message":"hello, world","n":42,"tags":["a","b","c"],"ok":true}'),
    headers: {
      host: 'localhost:8080',
      'user-agent': 'bench/1.0',
      accept: '*/*',
      'content-type': 'application/json',
      'content-length': '64',
      connection: 'keep-alive',
      'accept-encoding': 'gzip, deflate',
      'x-trace': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    },
  });

/** Completed calls of `name` in `ms` with `concurrency` in flight (closed loop; calls that end on the spot loop). */
function drive(runtime: Target, name: string, concurrency: number, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const end = performance.now() + ms;
    let calls = 0;
    let lanes = concurrency;
    const lane = (): void => {
      for (;;) {
        let sync = true;
        let again = false;
        runtime.execute(name, request(), (outcome) => {
          if (outcome.kind !== 'output') {
            reject(new Error(`${name}: ${JSON.stringify(outcome)}`));
            return;
          }
          calls += 1;
          if (performance.now() >= end) {
            lanes -= 1;
            if (lanes === 0) resolve(calls);
          } else if (sync) again = true;
          else lane();
        });
        sync = false;
        if (!again) return;
      }
    };
    for (let i = 0; i < concurrency; i += 1) lane();
  });
}

interface Sample {
  readonly rate: number;
  /** Main-thread CPU per call (µs), from schedstat. */
  readonly main: number;
  /** Event-loop active time per call (µs). */
  readonly elu: number;
  /** The other threads' CPU per call (µs). */
  readonly other: number;
}

async function measure(runtime: Target, name: string, concurrency: number): Promise<Sample> {
  await drive(runtime, name, concurrency, WARMUP_MS);
  const wall = performance.now();
  const main = mainCpuNs();
  const all = processCpuNs();
  const elu = performance.eventLoopUtilization();
  const calls = await drive(runtime, name, concurrency, ROUND_MS);
  const seconds = (performance.now() - wall) / 1000;
  const mainNs = mainCpuNs() - main;
  const allNs = processCpuNs() - all;
  const active = performance.eventLoopUtilization(elu).active;
  return { rate: calls / seconds, main: mainNs / calls / 1000, elu: (active * 1000) / calls, other: Math.max(0, allNs - mainNs) / calls / 1000 };
}

/** The median and the range of the rounds: `median (low–high)`. */
const range = (values: readonly number[], digits = 0): string => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? (sorted[Math.floor(mid)] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const lo = sorted[0] ?? Number.NaN;
  const hi = sorted[sorted.length - 1] ?? Number.NaN;
  return `${median.toFixed(digits)} (${lo.toFixed(digits)}–${hi.toFixed(digits)})`;
};

/** Runs the benchmark and prints one table per function. */
export async function run(): Promise<void> {
  const started = performance.now();
  await services.start();
  await services.cacheSet('k', encoder.encode('a cached value of about 32 bytes'), 0, { fn: 'bench', requestId: 'bench' });
  const echo = await compileWat('echo');
  const cache = await compileWatSource(CACHE_WAT, 'cache');
  const runtimes: Target[] = [];
  for (const variant of VARIANTS) runtimes.push(await variant.start(echo, cache));
  const functions = ['echo', 'cache'] as const;
  // samples[function][concurrency][variant] = one Sample per round
  const samples = new Map<string, Sample[]>();
  const key = (fn: string, c: number, v: number): string => `${fn}/${c}/${v}`;
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const fn of functions) {
      for (const concurrency of CONCURRENCY) {
        for (const [v, variant] of VARIANTS.entries()) {
          if (fn === 'cache' && !variant.cache) continue;
          const sample = await measure(runtimes[v] as Target, fn, concurrency);
          const list = samples.get(key(fn, concurrency, v)) ?? [];
          list.push(sample);
          samples.set(key(fn, concurrency, v), list);
        }
      }
    }
    process.stderr.write(`  round ${round + 1}/${ROUNDS} done\n`);
  }
  for (const runtime of runtimes) await runtime.close();
  await services.close();

  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`);
  console.log(`2 workers, ${ROUNDS} rounds of ${ROUND_MS} ms per cell, variants interleaved; median (range) over rounds; ×base: ratio to the bare postMessage echo in the same round`);
  for (const fn of functions) {
    for (const concurrency of CONCURRENCY) {
      console.log(`\n${fn}, ${concurrency} in flight`);
      console.log(`${'variant'.padEnd(26)} ${'calls/s'.padStart(26)} ${'×base'.padStart(20)} ${'main µs/call'.padStart(20)} ${'(elu µs)'.padStart(20)} ${'other µs/call'.padStart(20)}`);
      const base = samples.get(key('echo', concurrency, 0)) ?? [];
      for (const [v, variant] of VARIANTS.entries()) {
        const list = samples.get(key(fn, concurrency, v));
        if (list === undefined) continue;
        const ratios = list.map((s, i) => s.rate / (base[i]?.rate ?? Number.NaN));
        console.log(
          `${variant.label.padEnd(26)} ${range(list.map((s) => s.rate)).padStart(26)} ${range(ratios, 2).padStart(20)} ${range(list.map((s) => s.main), 1).padStart(20)} ${range(list.map((s) => s.elu), 1).padStart(20)} ${range(list.map((s) => s.other), 1).padStart(20)}`,
        );
      }
    }
  }
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
