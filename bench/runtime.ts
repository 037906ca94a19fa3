/**
 * Benchmarks of the Wasm runtime, each printed with its ratio to a baseline measured in the same run.
 *
 * - echo calls/s: a direct WebAssembly call on one thread (baseline) vs the runtime inline, on one worker
 *   (one call at a time), on one worker in fresh-instance mode, and with 1, 2 and 4 workers under load;
 * - the cost of one synchronous host call (request_get_field + get_ffi_result, answered in the worker) and of one
 *   asynchronous host call through the bridge (cache_get + get_ffi_result on an in-memory HostServices).
 *
 * Run: node --import tsx bench/runtime.ts   (about 25 s). Each rate is the best of 3 rounds of 0.5 s.
 */
import { availableParallelism, cpus } from 'node:os';
import pino from 'pino';
import { DEFAULT_CAPABILITIES } from '../src/directive/capability-config.js';
import type { HostCallResult, HostServices } from '../src/capabilities/host-services.js';
import { createRequest, type FunctionRequest } from '../src/runtime/request.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../src/runtime/runtime.js';
import { Program } from '../specs/runtime/support/driver.js';
import { compileWat } from '../specs/support/wasm.js';

const DURATION_MS = 500;
const ROUNDS = 3;
const encoder = new TextEncoder();
const input = encoder.encode('hello, world: a small request body of about 64 bytes, like JSON');
const request = (body: Uint8Array = input): FunctionRequest => createRequest({ method: 'POST', url: '/bench', id: 'bench', body });

const cache = new Map<string, Uint8Array>([['k', encoder.encode('cached value')]]);
const status = (): Promise<HostCallResult> => Promise.resolve({ kind: 'status', status: -1 });
const services: HostServices = {
  cacheGet: (key) => {
    const value = cache.get(key);
    return Promise.resolve(value === undefined ? { kind: 'error', message: 'key not found' } : { kind: 'data', data: value });
  },
  cacheSet: status,
  fetchUrl: status,
  graphqlQuery: status,
  dbExec: status,
  getStaticFile: status,
  close: () => Promise.resolve(),
};

const echoWasm = await compileWat('echo');
const hostcallWasm = await compileWat('hostcall');

async function start(options: Partial<RuntimeOptions>): Promise<Runtime> {
  const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services, logger: pino({ level: 'silent' }), ...options });
  await runtime.register('echo', echoWasm);
  await runtime.register('hostcall', hostcallWasm);
  await runtime.ready();
  return runtime;
}

/**
 * Calls per second of `call` with `concurrency` calls in flight: the best of ROUNDS rounds of DURATION_MS (the best,
 * not the mean, to keep out other processes' interference on a shared machine).
 */
async function rate(call: () => unknown, concurrency = 1): Promise<number> {
  for (let i = 0; i < 200; i += 1) await call();
  let best = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    let done = 0;
    const end = performance.now() + DURATION_MS;
    const lane = async (): Promise<void> => {
      while (performance.now() < end) {
        await call();
        done += 1;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, lane));
    best = Math.max(best, done / ((performance.now() - started) / 1000));
  }
  return best;
}

/** A direct call of echo's run_e on this thread: allocate, copy in, run_e, copy out. */
function directEcho(): () => Uint8Array {
  let output = new Uint8Array(0);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(echoWasm), {
    env: {
      // Called only from run_e, after `memory` below is initialised.
      return_result: (ptr: number, size: number) => {
        output = new Uint8Array(memory.buffer, ptr, size).slice();
      },
    },
  });
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const { allocate, run_e, deallocate } = instance.exports as Record<string, (...a: number[]) => number>;
  return () => {
    const ptr = (allocate as (n: number) => number)(input.length);
    new Uint8Array(memory.buffer, ptr, input.length).set(input);
    (run_e as (...a: number[]) => void)(ptr, input.length, 1);
    (deallocate as (...a: number[]) => void)(ptr, input.length);
    return output;
  };
}

/** Nanoseconds per host call: a program of N calls minus a program of none, per call. */
async function hostCallCost(runtime: Runtime, build: (p: Program) => void, n: number): Promise<number> {
  const empty = request(new Program().returnOutput().build());
  const p = new Program();
  for (let i = 0; i < n; i += 1) build(p);
  const full = request(p.returnOutput().build());
  const base = await rate(() => runtime.invoke('hostcall', empty));
  const loaded = await rate(() => runtime.invoke('hostcall', full));
  return (1e9 / loaded - 1e9 / base) / n;
}

const sync = (p: Program): void => {
  const [k, len] = p.str('method');
  p.call('request_get_field', 0, k, len).collect();
};
const async_ = (p: Program): void => {
  const [k, len] = p.str('k');
  p.call('cache_get', k, len).collect();
};

const rows: Array<[string, number, string, number]> = [];
const row = (label: string, value: number, unit: string, base: number): void => {
  rows.push([label, value, unit, base]);
  console.error(`  ${label}: ${value.toFixed(0)} ${unit}`);
};

const direct = await rate(directEcho());
row('echo, direct WebAssembly call (baseline)', direct, 'calls/s', direct);

const inline = await start({ inline: true });
row('echo, runtime inline', await rate(() => inline.invoke('echo', request())), 'calls/s', direct);
const inlineSync = await hostCallCost(inline, sync, 200);
await inline.close();

const one = await start({ workers: 1 });
const oneSerial = await rate(() => one.invoke('echo', request()));
row('echo, 1 worker, one call at a time', oneSerial, 'calls/s', direct);
const workerSync = await hostCallCost(one, sync, 200);
const workerAsync = await hostCallCost(one, async_, 100);
await one.close();

const fresh = await start({ workers: 1, freshInstancePerCall: true });
row('echo, 1 worker, fresh instance per call', await rate(() => fresh.invoke('echo', request())), 'calls/s', direct);
await fresh.close();

let oneWorkerLoad = 0;
for (const workers of [1, 2, 4]) {
  const runtime = await start({ workers });
  const value = await rate(() => runtime.invoke('echo', request()), 16 * workers);
  if (workers === 1) oneWorkerLoad = value;
  row(`echo, ${workers} worker(s), ${16 * workers} calls in flight`, value, 'calls/s', direct);
  await runtime.close();
}

rows.push(['sync host call (request_get_field+get_ffi_result), inline', inlineSync, 'ns/call', inlineSync]);
rows.push(['sync host call (request_get_field+get_ffi_result), worker', workerSync, 'ns/call', inlineSync]);
rows.push(['async host call through the bridge (cache_get+get_ffi_result)', workerAsync, 'ns/call', inlineSync]);

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}`);
for (const [label, value, unit, base] of rows) {
  console.log(`${label.padEnd(66)} ${value.toFixed(0).padStart(10)} ${unit.padEnd(8)} x${(value / base).toFixed(3)}`);
}
console.log(`scaling under load: 1 worker = ${oneWorkerLoad.toFixed(0)} calls/s (ratios of the worker rows above are to the direct call)`);
