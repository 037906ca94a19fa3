/**
 * What tracing costs, two ways.
 *
 * In process, first: the CPU time of one run of a one-step handler (`createHandlerRun` over a function that answers
 * at once, so that only e2rx's own work is measured) with tracing off, on but unsampled, and on at 100% (recording,
 * encoding and exporting its three spans over OTLP/HTTP http/protobuf to a no-op receiver in a child process, whose
 * CPU is not counted), alternated `E2RX_BENCH_ROUNDS` times (at least 3) after a round that warms up, medians. This
 * is deterministic enough on a shared machine to compare.
 *
 * Then on the HTTP path: the one-step echo app of bench/http.ts served by `e2rx start` with tracing off
 * and with tracing on at 100% sampling (`OTEL_TRACES_SAMPLER=always_on`, OTLP http/protobuf, the default batch span
 * processor), exporting to a no-op OTLP/HTTP receiver in this process (it reads each export and answers 200), with
 * and at 10% (`parentbased_traceidratio`, 0.1), with the bare node:http baseline of bench/http.ts measured in the same run, so that the off row's ratio to bare can be
 * compared with bench/http.ts's. Each server in its own process, autocannon in another; servers run in turn,
 * `E2RX_BENCH_ROUNDS` times (default 2), `E2RX_BENCH_SECONDS` long (default 6) after a 2-second warm-up, 32
 * connections (`E2RX_BENCH_CONNECTIONS`); medians. The target: tracing on costs at most 10% of throughput.
 *
 * Run: npm run bench -- tracing   (about a minute)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bareServer, type Contender, ECHO_BODY, writeEchoApp } from './echo-app.js';
import { autocannon, median, startServer, type LoadResult } from './load.js';
import pino from 'pino';
import { of } from 'rxjs';
import { createHandlerRun } from '../dist/handlers/handler-run.js';
import type { FunctionRunner, FunctionStart } from '../dist/steps/function-runner.js';
import { startTracing } from '../dist/telemetry/start-tracing.js';
import { testRequest } from '../dist/testing/index.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 2);
const SECONDS = Number(process.env['E2RX_BENCH_SECONDS'] ?? 6);
const CONNECTIONS = (process.env['E2RX_BENCH_CONNECTIONS'] ?? '32').split(',').map(Number);
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`: 100 on Linux). */
const CLOCK_TICKS = 100;

/** The CPU time (user + system, every thread) a process used so far, in seconds; `undefined` off Linux. */
async function cpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces): utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** `e2rx start` on the app with `env` added to its environment. */
function e2rx(name: string, app: string, env: NodeJS.ProcessEnv): Contender {
  const command = [process.execPath, join(ROOT, 'bin', 'e2rx.js'), 'start', app, '--host', '127.0.0.1', '--log-level', 'warn'];
  return { name, path: '/echo', start: (port) => startServer([...command, '--port', String(port)], port, '/health', env) };
}

/** A no-op OTLP/HTTP receiver on an ephemeral port of 127.0.0.1 that prints its port: for `node -e`. */
const NO_OP_RECEIVER = `const server = require('node:http').createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

/** CPU time of this process so far (µs). */
function processCpu(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * The in-process part (see the module comment): µs of CPU per run for tracing `off`, `unsampled` and `on`, each the
 * median of the rounds.
 */
export async function inProcess(endpoint: string, rounds: number): Promise<Record<'off' | 'unsampled' | 'on', number>> {
  const logger = pino({ level: 'warn' });
  const call = { fn: 'echo', fqfn: 'com.e2rx.bench#default::echo@v1.0.0', name: 'echo', key: 'echo', with: {}, onErr: undefined };
  const start: FunctionStart = (_fn, request, next) => {
    next({ kind: 'output', output: request.body, request });
    return undefined;
  };
  const runner: FunctionRunner = Object.assign((_fn: unknown, request: ReturnType<typeof testRequest>) => of({ kind: 'output' as const, output: request.body, request }), { start });
  const body = new TextEncoder().encode(ECHO_BODY);
  const modes = ['off', 'unsampled', 'on'] as const;
  const samples: Record<(typeof modes)[number], number[]> = { off: [], unsampled: [], on: [] };
  // Round -1 warms up (the code's first runs, before the JIT compiled it, cost twice as much) and is not counted.
  for (let round = -1; round < rounds; round += 1) {
    for (const mode of modes) {
      const env = mode === 'off' ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: mode === 'on' ? 'always_on' : 'always_off', OTEL_METRICS_EXPORTER: 'none' };
      const tracing = startTracing(env, { name: 'com.e2rx.bench' }, logger);
      const handler = createHandlerRun({ id: 'POST /echo', steps: [{ kind: 'fn', call }], response: undefined, groupTimeoutMs: 30_000, requestTimeoutMs: 60_000, runner, logger });
      const runs = 40_000;
      const before = processCpu();
      for (let i = 0; i < runs; i += 1) {
        handler.start(testRequest({ id: `run-${round}-${i}`, url: '/echo', method: 'POST', body, headers: { 'user-agent': 'autocannon' } }), () => undefined);
        // Every span is exported (none dropped for a full queue: that would flatter the cost).
        if (i % 512 === 511) await tracing?.flush();
      }
      await tracing?.stop();
      if (round >= 0) samples[mode].push((processCpu() - before) / runs);
    }
  }
  return { off: median(samples.off), unsampled: median(samples.unsampled), on: median(samples.on) };
}

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  const started = performance.now();
  let exports = 0;
  let exportedBytes = 0;
  const receiver = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
    request.on('end', () => {
      exports += 1;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  // The in-process part exports to a receiver in a process of its own, so that its CPU is not counted as tracing's.
  const child = spawn(process.execPath, ['-e', NO_OP_RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const childPort = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', (data: Buffer) => resolve(data.toString().trim()));
  });
  let perRun: Awaited<ReturnType<typeof inProcess>>;
  try {
    perRun = await inProcess(`http://127.0.0.1:${childPort}`, Math.max(ROUNDS, 3));
  } finally {
    child.kill();
  }
  console.log(
    `in process, CPU per run of a one-step handler: off ${perRun.off.toFixed(2)} µs, on unsampled +${(perRun.unsampled - perRun.off).toFixed(2)} µs, on 100% +${(perRun.on - perRun.off).toFixed(2)} µs (three spans recorded, encoded and exported)`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-tracing-'));
  await writeEchoApp(dir);
  const off = 'e2rx start, tracing off';
  const on = 'e2rx start, tracing on (100%, OTLP)';
  const contenders: Contender[] = [
    bareServer('bare node:http + inline Wasm (baseline)', dir),
    // The off server gets no OTEL_* variable at all (those of this shell are removed).
    e2rx(off, dir, Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith('OTEL_')).map((name) => [name, undefined]))),
    e2rx(on, dir, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_SAMPLER: 'always_on' }),
    e2rx('e2rx start, tracing on (10% sampled)', dir, {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
    }),
  ];
  const results = new Map<string, LoadResult[]>();
  /** Server CPU per request (µs, every thread of the server process), per run. */
  const cpu = new Map<string, number[]>();
  let port = 18_600;
  try {
    for (const connections of CONNECTIONS) {
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const contender of contenders) {
          port += 1;
          const server = await contender.start(port);
          try {
            await settle(500);
            const url = `http://127.0.0.1:${port}${contender.path}`;
            await autocannon({ url, connections, seconds: 2, body: ECHO_BODY });
            const cpuBefore = await cpuSeconds(server.child.pid);
            const result = await autocannon({ url, connections, seconds: SECONDS, body: ECHO_BODY });
            const cpuAfter = await cpuSeconds(server.child.pid);
            const key = `${contender.name}|${connections}`;
            results.set(key, [...(results.get(key) ?? []), result]);
            const requests = result.all * SECONDS;
            if (cpuBefore !== undefined && cpuAfter !== undefined && requests > 0) cpu.set(key, [...(cpu.get(key) ?? []), ((cpuAfter - cpuBefore) * 1e6) / requests]);
          } finally {
            await server.stop();
          }
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    receiver.close();
  }

  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}; ${ROUNDS} rounds of ${SECONDS} s, medians`);
  console.log(
    `${'server'.padEnd(42)} ${'conns'.padStart(5)} ${'2xx/s'.padStart(9)} ${'non-2xx'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}  ratio to bare  ratio to off  ${'CPU µs/req'.padStart(10)}  CPU to off`,
  );
  for (const connections of CONNECTIONS) {
    const stat = (name: string) => {
      const runs = results.get(`${name}|${connections}`) ?? [];
      return {
        ok: median(runs.map((r) => r.ok)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
        non2xx: runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
        cpu: median(cpu.get(`${name}|${connections}`) ?? [Number.NaN]),
      };
    };
    const bare = stat(contenders[0]?.name ?? '');
    const baseline = stat(off);
    for (const contender of contenders) {
      const s = stat(contender.name);
      console.log(
        `${contender.name.padEnd(42)} ${String(connections).padStart(5)} ${s.ok.toFixed(0).padStart(9)} ${String(s.non2xx).padStart(8)} ${s.p50.toFixed(1).padStart(7)} ${s.p99.toFixed(1).padStart(7)}  x${(s.ok / bare.ok).toFixed(2).padEnd(13)} x${(s.ok / baseline.ok).toFixed(2).padEnd(12)} ${s.cpu.toFixed(1).padStart(10)}  x${(s.cpu / baseline.cpu).toFixed(2)}`,
      );
    }
  }
  console.log(`the no-op receiver got ${exports} exports, ${(exportedBytes / 1024 / 1024).toFixed(1)} MB of spans`);
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
