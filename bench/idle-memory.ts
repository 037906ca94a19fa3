/**
 * Resident memory (RSS) at idle of `e2rx start` on a one-step echo app, against Atmo v0.4.7 serving the same app
 * directory (the same Directive and module, through ../shared/tools/atmo-peer/wrapper.sh, which bundles it as `subo`
 * would), and against floors: what a Node process costs before e2rx adds anything.
 *
 * - **Servers** (`e2rx start`, Atmo, and `bench/servers/bare-http.mjs`, a hand-written node:http server that calls
 *   the same module inline): each is started, and its RSS read (a) 2 s after it first answers `GET /health` (`/` for
 *   the bare server), and (b) after 10,000 requests (64-byte body, `POST /echo`, autocannon, 32 keep-alive
 *   connections) and then 30 s idle. The servers are started in turn, `E2RX_IDLE_RUNS` times (default 5), the order
 *   rotated each round; medians are printed, with the range.
 * - **Floors**: `node` doing nothing (a timer); `node` that only imports one of e2rx's start-time dependencies; and
 *   one that imports all of them. RSS 2 s after the imports, median of the same number of runs.
 *
 * RSS is split into its anonymous part (heap, V8 spaces, code: this process's own) and its file-backed part (the
 * mapped executable and libraries, shared with every other process that runs them). The ratio that counts is total
 * RSS against total RSS.
 *
 * `E2RX_IDLE_COMPARE=<path to another bin/e2rx.js>` adds that build as a contender (before/after in the same run).
 * `E2RX_IDLE_SKIP_FLOORS=1` skips the floors.
 *
 * Run: npm run bench -- idle-memory   (about 6 minutes with Atmo and 5 runs)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ATMO_BIN, ATMO_NAME, atmoServer, bareServer, type Contender, e2rxServer, ECHO_BODY, writeEchoApp } from './echo-app.js';
import { autocannon, median, memoryOf, type ResidentMemory } from './load.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = Number(process.env['E2RX_IDLE_RUNS'] ?? 5);
const REQUESTS = 10_000;
const CONNECTIONS = 32;
const AFTER_READY_MS = 2_000;
const IDLE_MS = 30_000;
/** The packages `e2rx start` imports on the way to serving an app (the lazy ones are not listed). */
export const START_DEPENDENCIES: readonly string[] = ['rxjs', 'zod', 'yaml', 'pino', 'find-my-way', 'fflate'];

interface Sample {
  readonly ready: ResidentMemory;
  readonly idle: ResidentMemory;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** "median (min–max)" of some byte counts, in MB. */
function spread(values: readonly number[]): string {
  return `${mb(median(values))} (${mb(Math.min(...values))}–${mb(Math.max(...values))})`;
}

/** Runs `node --input-type=module -e <code>` (after `code`, it prints `ready`) and reads its memory 2 s later. */
async function floorSample(code: string): Promise<ResidentMemory> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `${code}\nsetInterval(() => {}, 1000);\nconsole.log('ready');`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('ready')) resolve();
      });
      child.once('exit', (exitCode) => reject(new Error(`floor process exited with ${exitCode}: ${code}`)));
    });
    await settle(AFTER_READY_MS);
    return memoryOf(child.pid);
  } finally {
    child.kill('SIGKILL');
  }
}

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-idle-'));
  await writeEchoApp(dir);
  const contenders: Contender[] = [e2rxServer('e2rx start', dir)];
  const compare = process.env['E2RX_IDLE_COMPARE'];
  if (compare) contenders.push(e2rxServer(`e2rx start (${compare})`, dir, compare));
  const peer = atmoServer(dir);
  const atmo = peer !== undefined;
  if (peer) contenders.push(peer);
  contenders.push(bareServer('bare node:http + inline Wasm', dir));

  const floors: Array<{ name: string; code: string }> = [
    { name: 'node, a timer only', code: '' },
    ...START_DEPENDENCIES.map((name) => ({ name: `node + import '${name}'`, code: `await import(${JSON.stringify(name)});` })),
    { name: 'node + all of them', code: START_DEPENDENCIES.map((name) => `await import(${JSON.stringify(name)});`).join('\n') },
  ];

  const samples = new Map<string, Sample[]>();
  const floorSamples = new Map<string, ResidentMemory[]>();
  let port = 18_600;
  try {
    for (let round = 0; round < RUNS; round += 1) {
      const order = contenders.map((_, index) => contenders[(index + round) % contenders.length] as Contender);
      for (const contender of order) {
        port += 1;
        const server = await contender.start(port);
        try {
          await settle(AFTER_READY_MS);
          const ready = memoryOf(server.child.pid);
          const load = await autocannon({ url: `http://127.0.0.1:${port}${contender.path}`, connections: CONNECTIONS, seconds: 0, amount: REQUESTS, body: ECHO_BODY });
          if (load.non2xx + load.errors > 0) throw new Error(`${contender.name}: ${load.non2xx} non-2xx replies, ${load.errors} errors`);
          await settle(IDLE_MS);
          samples.set(contender.name, [...(samples.get(contender.name) ?? []), { ready, idle: memoryOf(server.child.pid) }]);
        } finally {
          await server.stop();
        }
      }
      if (process.env['E2RX_IDLE_SKIP_FLOORS'] !== '1') {
        for (const floor of floors) floorSamples.set(floor.name, [...(floorSamples.get(floor.name) ?? []), await floorSample(floor.code)]);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}; ${RUNS} runs, medians (range), MB`);
  console.log(`${'server'.padEnd(44)} ${'2 s after ready'.padEnd(20)} ${'anon/file'.padEnd(11)} ${`${REQUESTS} req + ${IDLE_MS / 1000} s idle`.padEnd(24)} anon/file`);
  const medianOf = (values: readonly ResidentMemory[], key: keyof ResidentMemory): number => median(values.map((value) => value[key]));
  for (const contender of contenders) {
    const runs = samples.get(contender.name) ?? [];
    const ready = runs.map((sample) => sample.ready);
    const idle = runs.map((sample) => sample.idle);
    console.log(
      `${contender.name.padEnd(44)} ${spread(ready.map((m) => m.rss)).padEnd(20)} ${`${mb(medianOf(ready, 'anon'))}/${mb(medianOf(ready, 'file'))}`.padEnd(11)} ${spread(idle.map((m) => m.rss)).padEnd(24)} ${mb(medianOf(idle, 'anon'))}/${mb(medianOf(idle, 'file'))}`,
    );
  }
  const rssMedian = (name: string, key: keyof Sample): number => median((samples.get(name) ?? []).map((sample) => sample[key].rss));
  if (atmo) {
    for (const contender of contenders.filter((c) => c.name.startsWith('e2rx'))) {
      console.log(
        `ratio ${contender.name} / Atmo: x${(rssMedian(contender.name, 'ready') / rssMedian(ATMO_NAME, 'ready')).toFixed(2)} 2 s after ready, x${(rssMedian(contender.name, 'idle') / rssMedian(ATMO_NAME, 'idle')).toFixed(2)} after the load and idle`,
      );
    }
  } else {
    console.log(`(Atmo not measured: build it with ../shared/tools/atmo-peer/build.sh; looked for ${ATMO_BIN})`);
  }
  if (floorSamples.size > 0) {
    console.log(`\n${'floor (2 s after the imports)'.padEnd(44)} ${'RSS'.padEnd(20)} anon/file`);
    for (const [name, values] of floorSamples) {
      console.log(`${name.padEnd(44)} ${spread(values.map((m) => m.rss)).padEnd(20)} ${mb(medianOf(values, 'anon'))}/${mb(medianOf(values, 'file'))}`);
    }
  }
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
