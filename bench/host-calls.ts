/**
 * The cost of one asynchronous host call through the runtime, against the real capability implementations:
 * `cache_get` (+ `get_ffi_result`) from a guest on a worker thread, answered on the main thread by
 * `createHostServices` with the in-memory cache, then with Redis — each as a ratio to a synchronous host call
 * (`request_get_field` + `get_ffi_result`, answered inside the worker) measured in the same run.
 *
 * Method: the guest is the programmable `specs/fixtures/wasm/hostcall.wat`; one invocation runs N calls. The cost of
 * one call is (time per invocation with N calls − time per invocation with none) / N, each rate the best of 5 rounds of
 * 0.4 s (the best, to keep other processes' noise out). Round trips per second = 1e9 / cost. On a busy 2-CPU machine
 * the asynchronous figures still vary by ±50 % between runs: compare the ratios of one run.
 *
 * Needs Redis (`bash scripts/services.sh up redis`; `E2RX_REDIS_URL`, default redis://127.0.0.1:6379).
 *
 * Run: node --import tsx bench/host-calls.ts   (about 15 s)
 */
import { availableParallelism, cpus } from 'node:os';
import { pino } from 'pino';
import { NO_STATIC_FILES } from '../src/app/static-files.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../src/directive/capability-config.js';
import { createHostServices, type CapabilityHostServices } from '../src/capabilities/host-services-impl.js';
import { createRequest, type FunctionRequest } from '../src/runtime/request.js';
import { createRuntime, type Runtime } from '../src/runtime/runtime.js';
import { Program } from '../specs/runtime/support/driver.js';
import { REDIS_URL, requireService } from '../specs/support/services.js';
import { compileWat } from '../specs/support/wasm.js';

const ROUND_MS = 400;
const ROUNDS = 5;
const WARMUP_MS = 300;
const KEY = 'e2rx-bench:host-calls';
const VALUE = 'cached value of about 32 bytes..';
const logger = pino({ level: 'silent' });
const context = { fn: 'bench', requestId: 'bench' };
const hostcall = await compileWat('hostcall');

const request = (body: Uint8Array): FunctionRequest => createRequest({ method: 'POST', url: '/bench', id: 'bench', body });

/** Invocations per second of `call`: the best of ROUNDS rounds, after a warm-up. */
async function rate(call: () => Promise<unknown>): Promise<number> {
  const warm = performance.now() + WARMUP_MS;
  while (performance.now() < warm) await call();
  let best = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    let done = 0;
    const started = performance.now();
    const end = started + ROUND_MS;
    while (performance.now() < end) {
      await call();
      done += 1;
    }
    best = Math.max(best, done / ((performance.now() - started) / 1000));
  }
  return best;
}

/** A program of `n` host calls, each followed by get_ffi_result, then return_result. */
function program(n: number, add: (p: Program) => void): FunctionRequest {
  const p = new Program();
  for (let i = 0; i < n; i += 1) add(p);
  return request(p.returnOutput().build());
}

const syncCall = (p: Program): void => {
  const [k, len] = p.str('method');
  p.call('request_get_field', 0, k, len).collect();
};
const cacheGet = (p: Program): void => {
  const [k, len] = p.str(KEY);
  p.call('cache_get', k, len).collect();
};

/** Nanoseconds per host call, and a check that the calls succeeded. */
async function costOf(runtime: Runtime, n: number, add: (p: Program) => void, expected: string): Promise<number> {
  const full = program(n, add);
  const probe = await runtime.invoke('hostcall', full);
  if (probe.kind !== 'output' || !Buffer.from(probe.output).includes(expected)) {
    throw new Error(`the host calls did not return ${JSON.stringify(expected)}: ${JSON.stringify(probe)}`);
  }
  const empty = program(0, add);
  const base = await rate(() => runtime.invoke('hostcall', empty));
  const loaded = await rate(() => runtime.invoke('hostcall', full));
  return (1e9 / loaded - 1e9 / base) / n;
}

async function withRuntime<T>(capabilities: CapabilityConfig, use: (runtime: Runtime, services: CapabilityHostServices) => Promise<T>): Promise<T> {
  const services = createHostServices(capabilities, { staticFiles: NO_STATIC_FILES, logger });
  await services.start();
  const runtime = createRuntime({ capabilities, services, logger, workers: 1 });
  try {
    await runtime.register('hostcall', hostcall);
    await runtime.ready();
    return await use(runtime, services);
  } finally {
    await runtime.close();
    await services.close();
  }
}

await requireService('redis');
const started = performance.now();
const rows: Array<{ label: string; ns: number }> = [];

await withRuntime(DEFAULT_CAPABILITIES, async (runtime, services) => {
  await services.cacheSet(KEY, new TextEncoder().encode(VALUE), 0, context);
  rows.push({ label: 'sync: request_get_field (answered in the worker)', ns: await costOf(runtime, 200, syncCall, 'POST') });
  rows.push({ label: 'async: cache_get, in-memory cache (bridge to main)', ns: await costOf(runtime, 100, cacheGet, VALUE) });
});

const redis: CapabilityConfig = {
  ...DEFAULT_CAPABILITIES,
  cache: { ...DEFAULT_CAPABILITIES.cache, redis: { serverAddress: REDIS_URL, username: '', password: '' } },
};
await withRuntime(redis, async (runtime, services) => {
  await services.cacheSet(KEY, new TextEncoder().encode(VALUE), 60, context);
  rows.push({ label: `async: cache_get, Redis ${new URL(REDIS_URL).host} (bridge + Redis)`, ns: await costOf(runtime, 50, cacheGet, VALUE) });
});

const sync = rows[0]?.ns ?? Number.NaN;
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`);
console.log(`${'host call (+ get_ffi_result), 1 worker, one call at a time'.padEnd(60)} ${'ns/call'.padStart(10)} ${'calls/s'.padStart(10)}  cost vs sync`);
for (const { label, ns } of rows) {
  console.log(`${label.padEnd(60)} ${ns.toFixed(0).padStart(10)} ${(1e9 / ns).toFixed(0).padStart(10)}  x${(ns / sync).toFixed(1)}`);
}
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
