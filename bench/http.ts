/**
 * HTTP throughput of a one-step echo handler, against baselines measured in the same run, each server in its own
 * process and the load generator (autocannon, keep-alive connections, closed loop) in another:
 *
 * - **bare (baseline):** `bench/servers/bare-http.mjs`, a plain node:http server that reads the body and calls the
 *   same Wasm module inline (direct instantiation), as a competent engineer would write by hand;
 * - **e2rx:** `e2rx start` (bin/e2rx.js, the built dist/) on an app with one handler `POST /echo` → the same module,
 *   with the defaults and with `runtime.placement: workers` (every call handed to a worker thread);
 * - **Atmo v0.4.7** (when built with ../shared/tools/atmo-peer/build.sh; `E2RX_ATMO_PEER` names its wrapper, by
 *   default the nearest shared/tools/atmo-peer/wrapper.sh above the repository), on the same app, `ATMO_LOG_LEVEL=warn`.
 *
 * The module is `specs/fixtures/functions/stream-echo` (AssemblyScript, e2rx's SDK): it returns its input. The
 * request body is 64 bytes. For 32 and 256 connections, servers are run in turn, `E2RX_BENCH_ROUNDS` times (default
 * 2), each run `E2RX_BENCH_SECONDS` long (default 8) after a 2-second warm-up; the medians are compared.
 * Also the idle resident memory of e2rx and Atmo: after start, and after the load.
 *
 * Run: npm run bench -- http   (about 2 minutes; 3 with Atmo)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ATMO_BIN, ATMO_NAME, atmoServer, bareServer, type Contender, e2rxServer, ECHO_BODY, writeEchoApp } from './echo-app.js';
import { autocannon, median, type LoadResult } from './load.js';

const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 2);
const SECONDS = Number(process.env['E2RX_BENCH_SECONDS'] ?? 8);
const CONNECTIONS = (process.env['E2RX_BENCH_CONNECTIONS'] ?? '32,256').split(',').map(Number);

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-http-'));
  await writeEchoApp(dir);
  // The same app with every call handed to a worker (`runtime.placement: workers`, docs/decisions/0007).
  const workersDir = join(dir, 'workers');
  await writeEchoApp(workersDir, 'runtime:\n  placement: workers\n');
  const contenders: Contender[] = [
    bareServer('bare node:http + inline Wasm (baseline)', dir),
    e2rxServer('e2rx start', dir),
    e2rxServer('e2rx start, placement: workers', workersDir),
  ];
  const peer = atmoServer(dir);
  const atmo = peer !== undefined;
  if (peer) contenders.push(peer);

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
            await autocannon({ url, connections, seconds: 2, body: ECHO_BODY });
            const result = await autocannon({ url, connections, seconds: SECONDS, body: ECHO_BODY });
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
    const peer = atmo ? stat(ATMO_NAME) : undefined;
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
  const atmoIdle = idle.get(ATMO_NAME);
  if (e2rxIdle && atmoIdle) console.log(`idle RSS ratio e2rx / Atmo: x${(e2rxIdle.afterStart / atmoIdle.afterStart).toFixed(2)} after start, x${(e2rxIdle.afterLoad / atmoIdle.afterLoad).toFixed(2)} after the load`);
  if (!atmo) console.log(`(Atmo not measured: build it with ../shared/tools/atmo-peer/build.sh; looked for ${ATMO_BIN})`);
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
