/**
 * Go functions (built from specs/fixtures/go with the Go SDK and the installed Go) on e2rx's Wasm runtime, with
 * worker threads: what Go's runtime needs from e2rx's — the reactor's `_initialize` once per instance before the
 * first `allocate`, its WASI imports, memory growth under `limits.maxMemoryMb`, the time limit, panics and exits, sleeps
 * and goroutines, input buffers given back to the garbage collector. Skipped, with the reason, without Go 1.24+.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../../src/directive/capability-config.js';
import { E2rxError } from '../../../src/errors.js';
import { createRequest } from '../../../src/runtime/request.js';
import { createRuntime, type FunctionOutcome, type Runtime } from '../../../src/runtime/runtime.js';
import { WASI_FUNCTION_NAMES } from '../../../src/runtime/wasi.js';
import { FakeServices, captureLogger, type LogLine } from '../../runtime/support/driver.js';
import { describeWithGo, goFixture } from '../../support/go.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MEMORY_MB = 64;
const TIMEOUT_MS = 1500;

function call(runtime: Runtime, fn: string, body: string | Uint8Array): Promise<FunctionOutcome> {
  return runtime.invoke(fn, createRequest({ method: 'POST', url: `/${fn}`, body: typeof body === 'string' ? encoder.encode(body) : body }));
}

async function output(runtime: Runtime, fn: string, body: string | Uint8Array): Promise<string> {
  const result = await call(runtime, fn, body);
  if (result.kind !== 'output') throw new Error(`${fn} ${String(body).slice(0, 20)}: ${JSON.stringify(result)}`);
  return decoder.decode(result.output);
}

async function failure(runtime: Runtime, fn: string, body: string): Promise<E2rxError> {
  try {
    const result = await call(runtime, fn, body);
    throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  } catch (error) {
    if (!E2rxError.is(error)) throw error;
    return error;
  }
}

describeWithGo('Go functions on the runtime', () => {
  let runtime: Runtime;
  let fresh: Runtime;
  /** One instance for good (placement: workers, one worker): a slow call cannot move the function elsewhere. */
  let pinned: Runtime;
  let lines: LogLine[];

  beforeAll(async () => {
    const captured = captureLogger();
    lines = captured.lines;
    const capabilities = {
      ...DEFAULT_CAPABILITIES,
      publish: { ...DEFAULT_CAPABILITIES.publish, enabled: true, allow: ['orders.>'], connections: { nats: true, kafka: true } },
    };
    const options = { capabilities, services: new FakeServices(), logger: captured.logger, workers: 1, limits: { maxMemoryMb: MEMORY_MB, timeoutMs: TIMEOUT_MS } };
    runtime = createRuntime(options);
    fresh = createRuntime({ ...options, freshInstancePerCall: true });
    pinned = createRuntime({ ...options, placement: 'workers' });
    for (const target of [runtime, fresh, pinned]) {
      await target.register('hello', await goFixture('hello'));
      await target.register('lifecycle', await goFixture('lifecycle'));
      await target.register('publish', await goFixture('publish'));
      await target.ready();
    }
  }, 180_000);

  afterAll(async () => {
    await runtime?.close();
    await fresh?.close();
    await pinned?.close();
  });

  it('go runtime - a Go reactor registers cleanly: _initialize, the ABI exports, only WASI and host imports', () => {
    const info = runtime.functions.get('hello');
    expect(info?.lifecycle).toEqual({ initialize: true, start: false, init: false, deallocate: true });
    expect(info?.exports).toEqual(expect.arrayContaining(['memory', '_initialize', 'allocate', 'deallocate', 'run_e']));
    expect(info?.warnings).toEqual([]);
    expect(info?.unknownImports).toEqual([]);
    expect(info?.hostImports).toEqual(expect.arrayContaining(['return_result', 'return_error']));
    for (const name of info?.wasiImports ?? []) expect(WASI_FUNCTION_NAMES).toContain(name);
    expect(info?.wasiImports).toEqual(expect.arrayContaining(['fd_write', 'random_get', 'clock_time_get', 'poll_oneoff', 'proc_exit']));
    // Go declares no maximum: the runtime caps it at the limit.
    expect(info?.memory?.maximumPages).toBe((MEMORY_MB * 1024 * 1024) / 65536);
  });

  it('go runtime - (e2rx) package publish reaches e2rx.publish; a module without it imports nothing from e2rx', async () => {
    expect(runtime.functions.get('publish')?.hostImports).toContain('publish');
    expect(runtime.functions.get('hello')?.hostImports).not.toContain('publish');
    const result = await call(runtime, 'publish', 'nats orders.eu event\nkafka orders.audit o-1 audit\nnats billing no');
    if (result.kind !== 'output') throw new Error(JSON.stringify(result));
    expect(decoder.decode(result.output)).toBe('ok\nok\npublish: the target is not allowed (capabilities.publish.allow)\n');
    expect(result.publishes).toEqual([
      { connection: 'nats', target: 'orders.eu', body: encoder.encode('event'), headers: [['kind', 'go']] },
      { connection: 'kafka', target: 'orders.audit', body: encoder.encode('audit'), headers: [['kind', 'go']], key: encoder.encode('o-1') },
    ]);
  });

  it('go runtime - hello answers, and the instance is reused: init ran once for three calls', async () => {
    expect(await output(runtime, 'hello', 'world')).toBe('hello world');
    await output(runtime, 'lifecycle', 'inits');
    await output(runtime, 'lifecycle', 'inits');
    expect(await output(runtime, 'lifecycle', 'inits')).toMatch(/^inits=1 calls=\d+$/);
    expect(Number(/calls=(\d+)/.exec(await output(runtime, 'lifecycle', 'inits'))?.[1])).toBeGreaterThanOrEqual(4);
  });

  it('go runtime - with a fresh instance per call, each call starts the Go runtime again', async () => {
    for (let i = 0; i < 3; i += 1) expect(await output(fresh, 'lifecycle', 'inits')).toBe('inits=1 calls=1');
  });

  it('go runtime - inputs of 0 bytes to 4 MiB arrive whole, and module globals keep their value between calls', async () => {
    expect(await output(runtime, 'lifecycle', 'echo\n')).toBe('');
    const big = 'x'.repeat(4 * 1024 * 1024);
    expect(await output(runtime, 'lifecycle', `size\n${big}`)).toBe(String(big.length));
    // On one instance (a loaded machine can make the 4 MiB call slow enough to move the function off the calling thread).
    await output(pinned, 'lifecycle', 'keep\nfirst');
    expect(await output(pinned, 'lifecycle', 'keep\nsecond')).toBe('first');
  });

  it('go runtime - input buffers are garbage: 300 calls of 512 KiB fit in 64 MiB', async () => {
    const payload = encoder.encode(`size\n${'y'.repeat(512 * 1024)}`);
    for (let i = 0; i < 300; i += 1) expect(await output(runtime, 'lifecycle', payload)).toBe(String(512 * 1024));
  }, 60_000);

  it('go runtime - memory grows up to the limit; past it the call fails with E2RX_WASM_MEMORY and the next call gets a new instance', async () => {
    expect(Number(await output(runtime, 'lifecycle', 'grow 8'))).toBeGreaterThanOrEqual(8);
    const error = await failure(runtime, 'lifecycle', 'oom');
    expect(error.code).toBe('E2RX_WASM_MEMORY');
    expect(error.message).toMatch(/memory limit/);
    expect(lines.some((line) => line.fn === 'lifecycle' && line.msg === 'fatal error: out of memory')).toBe(true);
    expect(await output(runtime, 'lifecycle', 'inits')).toBe('inits=1 calls=1');
  }, 60_000);

  it('go runtime - a loop that never returns is stopped at the time limit (E2RX_WASM_TIMEOUT), and the function recovers', async () => {
    const started = performance.now();
    const error = await failure(runtime, 'lifecycle', 'loop');
    expect(error.code).toBe('E2RX_WASM_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(await output(runtime, 'hello', 'again')).toBe('hello again');
  }, 30_000);

  it('go runtime - a panic traps (E2RX_WASM_TRAP): its message and stack are logged on stderr, the next call works', async () => {
    const error = await failure(runtime, 'lifecycle', 'panic');
    expect(error.code).toBe('E2RX_WASM_TRAP');
    const stderr = lines.filter((line) => line.fn === 'lifecycle' && line['stream'] === 'stderr').map((line) => line.msg);
    expect(stderr).toContain('panic: lifecycle was asked to panic');
    expect(stderr.some((line) => line.startsWith('main.run('))).toBe(true);
    expect(await output(runtime, 'lifecycle', 'inits')).toBe('inits=1 calls=1');
  });

  it('go runtime - os.Exit fails the call with E2RX_WASM_EXIT and its code', async () => {
    const error = await failure(runtime, 'lifecycle', 'exit');
    expect(error.code).toBe('E2RX_WASM_EXIT');
    expect(error.details).toMatchObject({ exitCode: 3 });
  });

  it('go runtime - time.Sleep sleeps (WASI poll_oneoff) and goroutines run within the call', async () => {
    expect(Number(await output(runtime, 'lifecycle', 'sleep 40'))).toBeGreaterThanOrEqual(40);
    expect(await output(runtime, 'lifecycle', 'goroutines')).toBe('36');
  });

  it('go runtime - a RunError becomes the runError outcome with its code', async () => {
    const result = await call(runtime, 'lifecycle', 'unknown-op');
    expect(result).toMatchObject({ kind: 'runError', code: 400, message: 'unknown operation unknown-op' });
  });
});
