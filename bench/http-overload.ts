/**
 * HTTP under 10× overload: does admission refuse by time and keep memory bounded?
 *
 * The engine runs in this process (so that its heap can be read after a full GC; `npm run bench` gives every
 * benchmark `--expose-gc`), on an app with one handler `POST /busy` → `busy` (AssemblyScript, e2rx's SDK; it burns
 * CPU for as many rounds as its body says). The load generators run in child processes:
 *
 * 1. **capacity:** autocannon, 32 keep-alive connections, closed loop: the 2xx/s the handler sustains;
 * 2. **overload:** `bench/clients/open-loop.mjs` opens 8,192 keep-alive connections, then sends at 10× that rate for
 *    `E2RX_BENCH_SECONDS` (default 20), open loop (requests are sent when due, answered or not, at most one per
 *    connection at a time; latency counted from when they were due). The connections are opened first so that the
 *    run measures admission, not a storm of new connections (whose SYNs the kernel drops once the accept queue is
 *    full, and clients retry after 1, 3, 7, … s).
 *
 * The handler's `requestTimeoutMs` is 2,000 ms here (a service with a 2-second objective; the default is 60 s, which
 * would let a 20-second run end before any request could time out). Reported: the 2xx/s served during the overload
 * against the capacity, the accepted requests' p99 against the timeout, what was refused and how fast, whether every
 * refusal carried Retry-After, and the heap after a full GC every second: its first and last thirds must agree
 * (flat), and the peak RSS.
 *
 * Two functions are measured (see {@link VARIANTS}).
 *
 * Run: npm run bench -- http-overload   (about two minutes)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createEngine } from '../dist/index.js';
import { functionWasm } from '../specs/integration/support/functions.js';
import { autocannon, median } from './load.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SECONDS = Number(process.env['E2RX_BENCH_SECONDS'] ?? 20);
const OVERLOAD = Number(process.env['E2RX_BENCH_OVERLOAD'] ?? 10);
const TIMEOUT_MS = 2_000;
/** Keep-alive connections the clients open before the overload (and at most outstanding requests). */
const CLIENTS = 8_192;
/**
 * The two functions measured, by rounds of the busy loop per request (`E2RX_BENCH_ROUNDS_OF_WORK` names one):
 * - about 0.5 ms of CPU, which runs on the calling thread (decision 0007): 10× its capacity is ~20,000 requests a
 *   second, and on two cores refusing them (each a read and a write on a socket, on both sides) takes much of the
 *   server's thread and most of the generator's, so the generator's own lag (printed) shows in the latencies;
 * - about 4 ms, which moves to the worker threads (its calls take more than 1 ms): 10× is ~4,000 requests a second,
 *   which the generator sends and reads on time, so what is measured is the server's admission alone.
 */
const VARIANTS: ReadonlyArray<{ readonly name: string; readonly rounds: string }> = process.env['E2RX_BENCH_ROUNDS_OF_WORK']
  ? [{ name: `${process.env['E2RX_BENCH_ROUNDS_OF_WORK']} rounds`, rounds: process.env['E2RX_BENCH_ROUNDS_OF_WORK'] }]
  : [
      { name: 'a 0.5 ms function (calling thread)', rounds: '300000' },
      { name: 'a 4 ms function (worker threads)', rounds: '2400000' },
    ];

interface OpenLoopReport {
  readonly sent: number;
  readonly skipped: number;
  readonly errors: number;
  readonly outstandingAtEnd: number;
  readonly openedDuringRun: number;
  readonly statuses: Record<string, number>;
  readonly ok: { count: number; p50: number; p99: number; max: number };
  readonly refused: { count: number; p99: number; retryAfterMissing: number };
  readonly okFromSend: { p50: number; p99: number };
  readonly sendLag: { p50: number; p99: number; max: number };
}

function openLoop(options: { url: string; rate: number; seconds: number; body: string; preconnect: number }): Promise<OpenLoopReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'clients', 'open-loop.mjs'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as OpenLoopReport) : reject(new Error(`open-loop exited with ${code}`))));
  });
}

/**
 * The kernel's count of connections dropped because a listen (accept) queue was full (`TcpExt ListenOverflows`,
 * system-wide), or `undefined` where /proc/net/netstat cannot be read.
 */
async function listenOverflows(): Promise<number | undefined> {
  try {
    const lines = (await readFile('/proc/net/netstat', 'utf8')).split('\n').filter((line) => line.startsWith('TcpExt:'));
    const names = (lines[0] ?? '').split(' ');
    const values = (lines[1] ?? '').split(' ');
    const at = names.indexOf('ListenOverflows');
    return at < 0 ? undefined : Number(values[at]);
  } catch {
    return undefined;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc (npm run bench does)');
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`);
  for (const variant of VARIANTS) {
    console.log(`== ${variant.name}`);
    await measure(variant.rounds);
  }
}

/** Capacity, then 10× of it, of the handler over a function that runs `rounds` rounds of its loop per request. */
async function measure(rounds: string): Promise<void> {
  const collect = gc as () => void;
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-overload-'));
  await writeFile(join(dir, 'busy.wasm'), await functionWasm('busy'));
  await writeFile(
    join(dir, 'Directive.yaml'),
    `identifier: com.e2rx.bench\nappVersion: v1.0.0\natmoVersion: v0.4.7\nrunnables:\n  - name: busy\n    namespace: default\n    lang: assemblyscript\nhandlers:\n  - type: request\n    resource: /busy\n    method: POST\n    steps:\n      - fn: busy\nlimits:\n  requestTimeoutMs: ${TIMEOUT_MS}\n`,
  );
  const engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger: pino({ level: 'warn' }) });
  const port = await engine.start();
  const url = `http://127.0.0.1:${port}/busy`;
  try {
    await autocannon({ url, connections: 32, seconds: 3, body: rounds });
    const capacityRuns = [await autocannon({ url, connections: 32, seconds: 5, body: rounds }), await autocannon({ url, connections: 32, seconds: 5, body: rounds })];
    const capacity = median(capacityRuns.map((r) => r.ok));
    const rate = Math.round(capacity * OVERLOAD);

    collect();
    const heapBefore = process.memoryUsage().heapUsed;
    const heaps: number[] = [];
    let peakRss = 0;
    const sampler = setInterval(() => {
      collect();
      const memory = process.memoryUsage();
      heaps.push(memory.heapUsed);
      peakRss = Math.max(peakRss, memory.rss);
    }, 1_000);
    const overflowsBefore = await listenOverflows();
    const report = await openLoop({ url, rate, seconds: SECONDS, body: rounds, preconnect: CLIENTS });
    const overflowsAfter = await listenOverflows();
    clearInterval(sampler);
    collect();
    const heapAfter = process.memoryUsage().heapUsed;

    const third = Math.max(1, Math.floor(heaps.length / 3));
    const firstThird = mean(heaps.slice(0, third));
    const lastThird = mean(heaps.slice(-third));
    const served = report.ok.count / SECONDS;
    const refused = report.refused.count;
    console.log(`capacity (32 connections, closed loop): ${capacity.toFixed(0)} 2xx/s (${capacityRuns.map((r) => r.ok.toFixed(0)).join(', ')}); 0 non-2xx expected, got ${capacityRuns.reduce((s, r) => s + r.non2xx + r.errors, 0)}`);
    console.log(`overload: ${rate} req/s offered (x${OVERLOAD}) for ${SECONDS} s, open loop, from ${CLIENTS} keep-alive connections opened before; requestTimeoutMs ${TIMEOUT_MS}`);
    console.log(`  served ${served.toFixed(0)} 2xx/s (x${(served / capacity).toFixed(2)} of capacity); statuses ${JSON.stringify(report.statuses)}; errors ${report.errors}; generator skipped ${report.skipped}`);
    console.log(`  accepted latency p50 ${report.ok.p50.toFixed(0)} ms, p99 ${report.ok.p99.toFixed(0)} ms (x${(report.ok.p99 / TIMEOUT_MS).toFixed(2)} of the timeout), max ${report.ok.max.toFixed(0)} ms`);
    console.log(`  the same from the actual send: p50 ${report.okFromSend.p50.toFixed(0)} ms, p99 ${report.okFromSend.p99.toFixed(0)} ms; the generator's own send lag p50 ${report.sendLag.p50.toFixed(0)} ms, p99 ${report.sendLag.p99.toFixed(0)} ms, max ${report.sendLag.max.toFixed(0)} ms`);
    const overflows = overflowsBefore === undefined || overflowsAfter === undefined ? 'unknown' : String(overflowsAfter - overflowsBefore);
    console.log(`  connections opened during the run: ${report.openedDuringRun}; listen-queue overflows (system-wide, preconnect included): ${overflows}`);
    console.log(`  refused ${refused} (${((refused / Math.max(1, report.sent)) * 100).toFixed(1)}%), p99 ${report.refused.p99.toFixed(0)} ms to the refusal; without Retry-After: ${report.refused.retryAfterMissing}`);
    console.log(`  heap after GC: ${mb(heapBefore)} before, ${mb(firstThird)} first third, ${mb(lastThird)} last third (x${(lastThird / firstThird).toFixed(2)}), ${mb(heapAfter)} after; peak RSS ${mb(peakRss)}`);
    console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    await engine.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
