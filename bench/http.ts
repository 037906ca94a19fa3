/**
 * HTTP throughput of a one-step echo handler, against baselines measured in the same run, each server in its own
 * process and the load generator (autocannon, keep-alive connections, closed loop) in another:
 *
 * - **bare (baseline):** `bench/servers/bare-http.mjs`, a plain node:http server that reads the body and calls the
 *   same Wasm module inline (direct instantiation), as a competent engineer would write by hand;
 * - **e2rx:** `e2rx start` (bin/e2rx.js, the built dist/) on an app with one handler `POST /echo` → the same module,
 *   with the defaults and with `runtime.placement: workers` (every call handed to a worker thread);
 * - **Atmo v0.4.7** (when built with ../shared/tools/atmo-peer/build.sh; `E2RX_ATMO_PEER` names its wrapper, default
 *   ../shared/tools/atmo-peer/wrapper.sh), on the same app, `ATMO_LOG_LEVEL=warn`.
 *
 * The module is `specs/fixtures/functions/stream-echo` (AssemblyScript, e2rx's SDK): it returns its input. The
 * request body is 64 bytes. For 32 and 256 connections, servers are run in turn, `E2RX_BENCH_ROUNDS` times (default
 * 2), each run `E2RX_BENCH_SECONDS` long (default 8) after a 2-second warm-up; the medians are compared.
 * Also the idle resident memory of e2rx and Atmo: after start, and after the load.
 *
 * Run: npm run bench -- http   (about 2 minutes; 3 with Atmo)
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { functionWasm } from '../specs/integration/support/functions.js';
import { autocannon, median, startServer, type LoadResult, type ServerProcess } from './load.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 2);
const SECONDS = Number(process.env['E2RX_BENCH_SECONDS'] ?? 8);
const CONNECTIONS = (process.env['E2RX_BENCH_CONNECTIONS'] ?? '32,256').split(',').map(Number);
const BODY = 'hello, world: a small request body of about 64 bytes, like JSON!';
const ATMO_WRAPPER = process.env['E2RX_ATMO_PEER'] ?? join(ROOT, '..', 'shared', 'tools', 'atmo-peer', 'wrapper.sh');
const ATMO_BIN = join(process.env['ATMO_PEER'] ?? join(homedir(), '.cache', 'atmo-peer'), 'atmo-src', '.bin', 'atmo');

interface Contender {
  readonly name: string;
  start(port: number): Promise<ServerProcess>;
  readonly path: string;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  const started = performance.now();
  const wasm = await functionWasm('stream-echo');
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-http-'));
  await writeFile(join(dir, 'echo.wasm'), wasm);
  await writeFile(
    join(dir, 'Directive.yaml'),
    'identifier: com.e2rx.bench\nappVersion: v1.0.0\natmoVersion: v0.4.7\nrunnables:\n  - name: echo\n    namespace: default\n    lang: assemblyscript\nhandlers:\n  - type: request\n    resource: /echo\n    method: POST\n    steps:\n      - fn: echo\n',
  );
  // The same app with every call handed to a worker (`runtime.placement: workers`, docs/decisions/0007).
  const workersDir = join(dir, 'workers');
  await mkdir(workersDir);
  await writeFile(join(workersDir, 'echo.wasm'), wasm);
  await writeFile(join(workersDir, 'Directive.yaml'), `${await readFile(join(dir, 'Directive.yaml'), 'utf8')}runtime:\n  placement: workers\n`);
  const e2rxStart = (app: string) => (port: number) =>
    startServer([process.execPath, join(ROOT, 'bin', 'e2rx.js'), 'start', app, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn'], port, '/health');
  const contenders: Contender[] = [
    { name: 'bare node:http + inline Wasm (baseline)', path: '/', start: (port) => startServer([process.execPath, join(ROOT, 'bench', 'servers', 'bare-http.mjs'), join(dir, 'echo.wasm'), String(port)], port, '/') },
    { name: 'e2rx start', path: '/echo', start: e2rxStart(dir) },
    { name: 'e2rx start, placement: workers', path: '/echo', start: e2rxStart(workersDir) },
  ];
  const atmo = existsSync(ATMO_WRAPPER) && existsSync(ATMO_BIN);
  if (atmo) {
    contenders.push({
      name: 'Atmo v0.4.7 (Go)',
      path: '/echo',
      start: (port) => startServer(['bash', ATMO_WRAPPER, 'start', dir, '--port', String(port)], port, '/health', { ATMO_LOG_LEVEL: 'warn' }),
    });
  }

  const results = new Map<string, LoadResult[]>();
  const idle = new Map<string, { afterStart: number; afterLoad: number }>();
  let port = 18_400;
  try {
    for (const connections of CONNECTIONS) {
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const contender of contenders) {
          port += 1;
          const server = await contender.start(port);
          try {
            await settle(1_000);
            const afterStart = server.rss();
            const url = `http://127.0.0.1:${port}${contender.path}`;
            await autocannon({ url, connections, seconds: 2, body: BODY });
            const result = await autocannon({ url, connections, seconds: SECONDS, body: BODY });
            const key = `${contender.name}|${connections}`;
            results.set(key, [...(results.get(key) ?? []), result]);
            await settle(2_000);
            if (!idle.has(contender.name)) idle.set(contender.name, { afterStart, afterLoad: server.rss() });
          } finally {
            await server.stop();
          }
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}; ${ROUNDS} rounds of ${SECONDS} s, medians`);
  console.log(`${'server'.padEnd(42)} ${'conns'.padStart(5)} ${'2xx/s'.padStart(9)} ${'non-2xx'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}  ratio to bare  ratio to Atmo`);
  for (const connections of CONNECTIONS) {
    const stat = (name: string) => {
      const runs = results.get(`${name}|${connections}`) ?? [];
      return { ok: median(runs.map((r) => r.ok)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)), non2xx: runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0) };
    };
    const bare = stat(contenders[0]?.name ?? '');
    const peer = atmo ? stat('Atmo v0.4.7 (Go)') : undefined;
    for (const contender of contenders) {
      const s = stat(contender.name);
      const toBare = `x${(s.ok / bare.ok).toFixed(2)} (p99 x${(s.p99 / Math.max(bare.p99, 1)).toFixed(1)})`;
      const toAtmo = peer ? `x${(s.ok / peer.ok).toFixed(2)}` : '';
      console.log(
        `${contender.name.padEnd(42)} ${String(connections).padStart(5)} ${s.ok.toFixed(0).padStart(9)} ${String(s.non2xx).padStart(8)} ${s.p50.toFixed(1).padStart(7)} ${s.p99.toFixed(1).padStart(7)}  ${toBare.padEnd(14)} ${toAtmo}`,
      );
    }
  }
  for (const [name, memory] of idle) console.log(`idle RSS, ${name}: ${mb(memory.afterStart)} after start, ${mb(memory.afterLoad)} after the load`);
  const e2rxIdle = idle.get('e2rx start');
  const atmoIdle = idle.get('Atmo v0.4.7 (Go)');
  if (e2rxIdle && atmoIdle) console.log(`idle RSS ratio e2rx / Atmo: x${(e2rxIdle.afterStart / atmoIdle.afterStart).toFixed(2)} after start, x${(e2rxIdle.afterLoad / atmoIdle.afterLoad).toFixed(2)} after the load`);
  if (!atmo) console.log(`(Atmo not measured: build it with ../shared/tools/atmo-peer/build.sh; looked for ${ATMO_BIN})`);
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
