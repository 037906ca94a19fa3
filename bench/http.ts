/**
 * HTTP throughput, latency and memory under overload, each printed with a ratio to a baseline measured in the same
 * run:
 *
 * 1. throughput: requests per second, p50 and p99 latency of a one-step echo handler (a 64-byte body) through e2rx
 *    (`createEngine`, the Wasm runtime on its worker threads) against a bare node:http server that calls the same
 *    Wasm module inline (direct WebAssembly instantiation with a one-function host). Both are driven by the same
 *    closed-loop keep-alive load generator (`bench/http-load.ts`) in a child process, with the same connections.
 * 2. backpressure: a slow handler (a Wasm function that sleeps 20 ms) bounded at `maxInFlight: 8, queueSize: 0`,
 *    first at 1x its bound (8 connections), then twice at 10x (80 connections): resident memory of the server
 *    process (`process.memoryUsage().rss`, sampled every 50 ms; and the JS heap after a full GC when run with
 *    --expose-gc) must not grow from one round to the next, the excess gets 503 at once, and the accepted requests
 *    keep their latency. For contrast, the same function with a bound far above the load (every request waits in the
 *    runtime's queue) at 10x.
 *
 * Two more throughput rows split the costs: node:http calling the e2rx runtime directly (the worker threads, no
 * engine), and the engine with a JavaScript echo runner (router, gate, RxJS pipeline, metrics, sinks; no Wasm).
 *
 * Run: npm run bench -- http   (or node --expose-gc --import tsx bench/http.ts; about 55 s)
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { App, AppFunction } from '../src/app/index.js';
import { formatProblems, parseDirective } from '../src/directive/index.js';
import { DEFAULT_CAPABILITIES } from '../src/capabilities/config.js';
import { createHostServices } from '../src/capabilities/host-services-impl.js';
import { createEngine, type Engine } from '../src/engine/engine.js';
import { createRuntime } from '../src/runtime/runtime.js';
import { requestFromHttp } from '../src/sources/http.js';
import { compileWat, compileWatSource } from '../specs/support/wasm.js';
import { of } from 'rxjs';
import type { FunctionRunner } from '../src/steps/function-runner.js';
import type { LoadOptions, LoadReport } from './http-load.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const THROUGHPUT_CONNECTIONS = 16;
const THROUGHPUT_MS = 6_000;
const WARMUP_MS = 1_000;
const BOUND = 8;
const SLEEP_MS = 20;
const OVERLOAD_MS = 5_000;
const BODY = 'hello, world: a small request body of about 64 bytes, like JSON!';

/** Sleeps SLEEP_MS with WASI poll_oneoff (the worker blocks, as a slow function would), then echoes its input. */
const SLEEP_WAT = `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "env" "return_result" (func $return_result (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "deallocate") (param i32 i32))
  (func (export "run_e") (param $ptr i32) (param $size i32) (param $ident i32)
    (i64.store (i32.const 64) (i64.const 0))
    (i32.store8 (i32.const 72) (i32.const 0))
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (i64.const ${SLEEP_MS * 1_000_000}))
    (i64.store (i32.const 96) (i64.const 0))
    (i32.store16 (i32.const 104) (i32.const 0))
    (drop (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 160)))
    (call $return_result (local.get $ptr) (local.get $size) (local.get $ident))))`;

const DIRECTIVE = `
identifier: com.e2rx.bench
appVersion: v1.0.0
atmoVersion: v0.4.7
runnables:
  - name: echo
    namespace: default
  - name: sleep
    namespace: default
handlers:
  - type: request
    resource: /echo
    method: POST
    limits:
      maxInFlight: ${THROUGHPUT_CONNECTIONS * 4}
      queueSize: ${THROUGHPUT_CONNECTIONS * 4}
    steps:
      - fn: echo
  - type: request
    resource: /slow
    method: POST
    limits:
      maxInFlight: ${BOUND}
      queueSize: 0
    steps:
      - fn: sleep
  - type: request
    resource: /slow-unbounded
    method: POST
    limits:
      maxInFlight: 100000
      queueSize: 100000
      requestTimeoutMs: 600000
    steps:
      - fn: sleep
`;

/** The bare baseline: node:http, the body read, the Wasm echo called inline on the main thread. */
async function startBaseline(echo: Uint8Array): Promise<{ server: Server; port: number }> {
  let output = new Uint8Array(0);
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(echo), {
    env: {
      // Called only from run_e, after `memory` below is initialised.
      return_result: (ptr: number, size: number) => {
        output = new Uint8Array(memory.buffer, ptr, size).slice();
      },
    },
  });
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const allocate = instance.exports['allocate'] as (size: number) => number;
  const deallocate = instance.exports['deallocate'] as (ptr: number, size: number) => void;
  const runE = instance.exports['run_e'] as (ptr: number, size: number, ident: number) => void;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const ptr = allocate(body.length);
      new Uint8Array(memory.buffer, ptr, body.length).set(body);
      runE(ptr, body.length, 1);
      deallocate(ptr, body.length);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': output.length });
      res.end(output);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** node:http calling the e2rx Wasm runtime directly (worker threads, no pipeline): splits the runtime's cost from the engine's. */
async function startRuntimeOnly(echo: Uint8Array): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const logger = pino({ level: 'silent' });
  const services = createHostServices(DEFAULT_CAPABILITIES, { logger, staticFiles: { read: () => Promise.resolve(undefined) } });
  const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services, logger });
  await runtime.register('echo', echo);
  await runtime.ready();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // The same request the engine builds (headers, a fresh id), so that only the pipeline differs.
      const request = requestFromHttp(req, new Uint8Array(Buffer.concat(chunks)), {});
      runtime.invoke('echo', request).then(
        (outcome) => {
          const output = outcome.kind === 'output' ? outcome.output : new Uint8Array();
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': output.length });
          res.end(output);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await runtime.close();
      await services.close();
    },
  };
}

async function startE2rx(echo: Uint8Array, sleep: Uint8Array, runner?: FunctionRunner): Promise<{ engine: Engine; port: number }> {
  const { directive, problems } = parseDirective(DIRECTIVE, { file: 'bench Directive' });
  if (!directive) throw new Error(formatProblems(problems));
  const bytes: Record<string, Uint8Array> = { echo, sleep };
  const functions = new Map<string, AppFunction>();
  for (const runnable of directive.runnables) {
    const module = bytes[runnable.name] as Uint8Array;
    functions.set(runnable.fqfn, { runnable, file: `${runnable.name}.wasm`, bytes: module, module: await WebAssembly.compile(module) });
  }
  const app: App = { path: 'bench', kind: 'directory', directiveFile: 'bench Directive', directive, warnings: [], functions, staticFiles: { read: () => Promise.resolve(undefined) } };
  const engine = createEngine({ app, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), shutdownTimeoutMs: 2_000, ...(runner ? { runner } : {}) });
  return { engine, port: await engine.start() };
}

/** Runs the load generator in a child process and returns its report. */
function load(options: Omit<LoadOptions, 'host' | 'method' | 'body'>): Promise<LoadReport> {
  const full: LoadOptions = { host: '127.0.0.1', method: 'POST', body: BODY, ...options };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./http-load.ts', import.meta.url)), JSON.stringify(full)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`));
      else resolve(JSON.parse(out) as LoadReport);
    });
  });
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * Samples this process's RSS every 50 ms while `work` runs; returns the work's result, the RSS before and at its
 * peak, and the JS heap in use after a full GC (when node runs with --expose-gc, as `npm run bench` does).
 */
async function sampled<T>(work: () => Promise<T>): Promise<{ result: T; peak: number; before: number; heapAfterGc: number | undefined }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    gc?.();
    return { result, peak, before, heapAfterGc: gc ? process.memoryUsage().heapUsed : undefined };
  } finally {
    clearInterval(timer);
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const signedMb = (bytes: number): string => `${bytes < 0 ? '-' : '+'}${mb(Math.abs(bytes))}`;
const ms = (value: number): string => `${value.toFixed(2)} ms`;
const share = (report: LoadReport, status: string): number => (report.statuses[status] ?? 0) / Math.max(1, report.requests);

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  const started = performance.now();
  const echo = await compileWat('echo');
  const sleep = await compileWatSource(SLEEP_WAT, 'sleep');
  const baseline = await startBaseline(echo);
  const e2rx = await startE2rx(echo, sleep);
  try {
    console.error(`http: throughput, ${THROUGHPUT_CONNECTIONS} keep-alive connections, ${THROUGHPUT_MS / 1000} s each...`);
    const bare = await load({ port: baseline.port, path: '/', connections: THROUGHPUT_CONNECTIONS, durationMs: THROUGHPUT_MS, warmupMs: WARMUP_MS });
    const runtimeOnly = await startRuntimeOnly(echo);
    const viaRuntime = await load({ port: runtimeOnly.port, path: '/', connections: THROUGHPUT_CONNECTIONS, durationMs: THROUGHPUT_MS, warmupMs: WARMUP_MS });
    await runtimeOnly.close();
    const ours = await load({ port: e2rx.port, path: '/echo', connections: THROUGHPUT_CONNECTIONS, durationMs: THROUGHPUT_MS, warmupMs: WARMUP_MS });
    const jsEcho: FunctionRunner = (_fn, request) => of({ kind: 'output', output: request.body, request });
    const engineOnly = await startE2rx(echo, sleep, jsEcho);
    const viaEngine = await load({ port: engineOnly.port, path: '/echo', connections: THROUGHPUT_CONNECTIONS, durationMs: THROUGHPUT_MS, warmupMs: WARMUP_MS });
    await engineOnly.engine.stop();

    console.error(`http: overload, a ${SLEEP_MS} ms function bounded at maxInFlight ${BOUND}, queueSize 0...`);
    await load({ port: e2rx.port, path: '/slow', connections: BOUND, durationMs: 500 });
    const atBound = await sampled(() => load({ port: e2rx.port, path: '/slow', connections: BOUND, durationMs: OVERLOAD_MS }));
    const overload = await sampled(() => load({ port: e2rx.port, path: '/slow', connections: BOUND * 10, durationMs: OVERLOAD_MS }));
    const overloadAgain = await sampled(() => load({ port: e2rx.port, path: '/slow', connections: BOUND * 10, durationMs: OVERLOAD_MS }));
    const unbounded = await sampled(() => load({ port: e2rx.port, path: '/slow-unbounded', connections: BOUND * 10, durationMs: OVERLOAD_MS }));

    const rows: Array<[string, string, string]> = [];
    const row = (label: string, value: string, ratio: string): void => {
      rows.push([label, value, ratio]);
    };
    row('echo, bare node:http + inline Wasm (baseline): req/s', bare.rps.toFixed(0), 'x1.000');
    row('echo, bare node:http + e2rx runtime (worker threads, no engine): req/s', viaRuntime.rps.toFixed(0), `x${(viaRuntime.rps / bare.rps).toFixed(3)}`);
    row('echo, e2rx (engine, worker threads): req/s', ours.rps.toFixed(0), `x${(ours.rps / bare.rps).toFixed(3)} (x${(ours.rps / viaRuntime.rps).toFixed(3)} of runtime only)`);
    row('echo, e2rx engine with a JS echo runner (no Wasm): req/s', viaEngine.rps.toFixed(0), `x${(viaEngine.rps / bare.rps).toFixed(3)}`);
    row('echo, baseline latency p50 / p99', `${ms(bare.p50)} / ${ms(bare.p99)}`, '');
    row('echo, runtime only latency p50 / p99', `${ms(viaRuntime.p50)} / ${ms(viaRuntime.p99)}`, `x${(viaRuntime.p50 / bare.p50).toFixed(2)} / x${(viaRuntime.p99 / bare.p99).toFixed(2)}`);
    row('echo, e2rx latency p50 / p99', `${ms(ours.p50)} / ${ms(ours.p99)}`, `x${(ours.p50 / bare.p50).toFixed(2)} / x${(ours.p99 / bare.p99).toFixed(2)}`);
    row('echo, non-200 replies (baseline / e2rx)', `${bare.requests - (bare.statuses['200'] ?? 0)} / ${ours.requests - (ours.statuses['200'] ?? 0)}`, '');
    const deltaBound = atBound.peak - atBound.before;
    const deltaOver = overload.peak - atBound.before;
    row(`slow, 1x bound (${BOUND} conns): RSS before / peak`, `${mb(atBound.before)} / ${mb(atBound.peak)}`, signedMb(deltaBound));
    row(`slow, 10x bound (${BOUND * 10} conns): RSS peak`, mb(overload.peak), `${signedMb(deltaOver)} (x${(overload.peak / atBound.peak).toFixed(3)} of the 1x peak)`);
    row(
      'slow, 10x bound, second round: RSS peak',
      mb(overloadAgain.peak),
      `${signedMb(overloadAgain.peak - atBound.before)} (x${(overloadAgain.peak / overload.peak).toFixed(3)} of the first round)`,
    );
    if (atBound.heapAfterGc !== undefined && overload.heapAfterGc !== undefined && overloadAgain.heapAfterGc !== undefined) {
      row(
        'slow, JS heap after GC: 1x / 10x / 10x again',
        `${mb(atBound.heapAfterGc)} / ${mb(overload.heapAfterGc)} / ${mb(overloadAgain.heapAfterGc)}`,
        `x${(overloadAgain.heapAfterGc / atBound.heapAfterGc).toFixed(3)}`,
      );
    }
    row('slow, 1x bound: 200 req/s, ok p50 / p99', `${atBound.result.okRps.toFixed(0)}, ${ms(atBound.result.okP50)} / ${ms(atBound.result.okP99)}`, 'x1.000');
    row(
      'slow, 10x bound: 200 req/s, ok p50 / p99',
      `${overload.result.okRps.toFixed(0)}, ${ms(overload.result.okP50)} / ${ms(overload.result.okP99)}`,
      `x${(overload.result.okRps / atBound.result.okRps).toFixed(3)} req/s, x${(overload.result.okP99 / atBound.result.okP99).toFixed(2)} p99`,
    );
    row(
      'slow, 10x bound: 503 share, 503 p50',
      `${(share(overload.result, '503') * 100).toFixed(1)}% of ${overload.result.requests}, ${ms(overload.result.p50)}`,
      '',
    );
    row(
      'slow, 10x unbounded (contrast): 200 req/s, p50 / p99, RSS peak',
      `${unbounded.result.okRps.toFixed(0)}, ${ms(unbounded.result.okP50)} / ${ms(unbounded.result.okP99)}, ${mb(unbounded.peak)}`,
      `x${(unbounded.result.okP99 / atBound.result.okP99).toFixed(2)} p99 of the 1x bound`,
    );

    console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`);
    for (const [label, value, ratio] of rows) console.log(`${label.padEnd(66)} ${value.padStart(32)}  ${ratio}`);
    console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } finally {
    await e2rx.engine.stop();
    await new Promise<void>((resolve) => baseline.server.close(() => resolve()));
    baseline.server.closeAllConnections();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
