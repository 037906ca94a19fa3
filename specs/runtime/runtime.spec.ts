import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/directive/capability-config.js';
import { E2rxError } from '../../src/errors.js';
import { createRuntime, DEFAULT_LIMITS } from '../../src/runtime/runtime.js';
import { compileWat } from '../support/wasm.js';
import { captureLogger, FakeServices, makeRequest, text } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

describe('runtime', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['echo', 'error'], limits: { maxInputBytes: 100 } });
  });
  afterAll(() => t.runtime.close());

  it('createRuntime - applies default limits', () => {
    expect(DEFAULT_LIMITS).toEqual({ timeoutMs: 30_000, maxMemoryMb: 256, maxInputBytes: 16 * 1024 * 1024, maxOutputBytes: 16 * 1024 * 1024 });
  });

  it('register - returns and keeps the function info', async () => {
    const info = await t.runtime.register('echo2', await compileWat('echo'));
    expect(info).toMatchObject({ name: 'echo2', hostImports: ['return_result'], unknownImports: [] });
    expect(t.runtime.functions.get('echo2')).toBe(info);
    expect([...t.runtime.functions.keys()]).toEqual(['echo', 'error', 'echo2']);
  });

  it('register - rejects a binary that is not WebAssembly', async () => {
    await expect(t.runtime.register('junk', new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'E2RX_MODULE_INVALID' });
    expect(t.runtime.functions.has('junk')).toBe(false);
  });

  it('invoke - the input is the request body and the output comes back', async () => {
    const result = await t.runtime.invoke('echo', makeRequest({ bodyText: 'body in' }));
    expect(result.kind === 'output' && text(result.output)).toBe('body in');
  });

  it('invoke - an unknown function rejects with E2RX_FUNCTION_NOT_FOUND', async () => {
    const error = await t.runtime.invoke('nope', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_FUNCTION_NOT_FOUND')).toBe(true);
    expect((error as E2rxError).details['fn']).toBe('nope');
  });

  it('invoke - an input above maxInputBytes rejects with E2RX_INPUT_TOO_LARGE', async () => {
    const error = await t.runtime.invoke('echo', makeRequest({ body: new Uint8Array(101) })).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_INPUT_TOO_LARGE')).toBe(true);
    expect((error as E2rxError).details).toMatchObject({ fn: 'echo', size: 101 });
  });

  it('stats - counts calls and failures per function', async () => {
    await t.runtime.invoke('error', makeRequest());
    const stats = t.runtime.stats();
    expect(stats.mode).toBe('inline');
    expect(stats.functions['error']).toMatchObject({ calls: 1, failures: 0 });
    expect(stats.functions['echo']?.failures).toBe(1);
  });

  it('createRuntime - starts os.availableParallelism() workers by default, once a function needs them', async () => {
    const { logger } = captureLogger();
    const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger, placement: 'workers' });
    await runtime.ready();
    expect(runtime.stats()).toMatchObject({ mode: 'workers', workers: 0 });
    await runtime.register('echo', await compileWat('echo'));
    await runtime.ready();
    expect(runtime.stats()).toMatchObject({ mode: 'workers', workers: availableParallelism(), busyWorkers: 0, queued: 0 });
    await runtime.close();
    await runtime.close();
    await expect(runtime.register('late', await compileWat('echo'))).rejects.toMatchObject({ code: 'E2RX_POOL_CLOSED' });
  });

  it('invoke - calls made before the workers are ready wait for them', async () => {
    const { logger } = captureLogger();
    const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger, workers: 1, placement: 'workers' });
    await runtime.register('echo', await compileWat('echo'));
    expect(runtime.stats().workers).toBe(1);
    const result = await runtime.invoke('echo', makeRequest({ bodyText: 'early' }));
    expect(result.kind === 'output' && text(result.output)).toBe('early');
    await runtime.close();
  });
});

describe('runtime - placement and metering', () => {
  it('register - an instrumented function reports metered, without the meter import or the fuel export', async () => {
    const { logger } = captureLogger();
    const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services: new FakeServices(), logger, inline: true });
    const info = await runtime.register('echo', await compileWat('echo'));
    expect(info).toMatchObject({ metered: true, hostImports: ['return_result'], unknownImports: [], wasiImports: [] });
    expect(info.meteringError).toBeUndefined();
    expect(info.exports).toEqual(['memory', 'allocate', 'deallocate', 'run_e']);
    await runtime.close();
  });

  it('execute - a call on a worker returns a ticket whose cancel() drops its outcome; the call still ends on its worker', async () => {
    const { logger } = captureLogger();
    const services = new FakeServices();
    services.delayMs = 100;
    const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services, logger, workers: 1 });
    await runtime.register('exclusive', await compileWat('exclusive'));
    await runtime.ready();
    const delivered: string[] = [];
    const ticket = runtime.execute('exclusive', makeRequest(), (outcome) => delivered.push(outcome.kind));
    expect(ticket).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runtime.stats()).toMatchObject({ running: 1, queued: 0 });
    ticket?.cancel();
    ticket?.cancel();
    const next = await runtime.invoke('exclusive', makeRequest());
    expect(next.kind === 'output' && next.output[0]).toBe(2); // the same instance ran the cancelled call to its end
    expect(delivered).toEqual([]);
    expect(runtime.stats()).toMatchObject({ relocations: 0, workerRestarts: 0, timeouts: 0 });
    expect(runtime.stats().functions['exclusive']).toMatchObject({ lane: 'workers', calls: 1 });
    await runtime.close();
  });
});
