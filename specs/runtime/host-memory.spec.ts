import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { hostBudgetBytes, HostMemoryExceeded } from '../../src/runtime/host-memory.js';
import { classify } from '../../src/runtime/instance.js';
import { Invocation } from '../../src/runtime/invocation.js';
import { makeRequest, Program } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';
import { compileWatSource } from '../support/wasm.js';

const KIB = 1024;
const MIB = 1024 * KIB;
/** The memory limit of the runtimes below: the hostcall fixture's own memory (64 pages) fits it exactly. */
const LIMIT_MB = 4;
const BIG = new Uint8Array(256 * KIB).fill(97);
const HELD = /^\w+: the call holds [\d,]+ bytes on the host \(state, response headers, FFI variables, logs\), above its memory limit of 4 MiB$/;

/** A guest writing 80 × 64 KiB to stdout in one call. */
const STDOUT_WAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "allocate") (param i32) (result i32) (i32.const 1024))
  (func (export "run_e") (param i32 i32 i32) (local $i i32)
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $again
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 80))))))`;

/** A program calling request_set_field (State) `times` times with a 256 KiB value, under `key(i)`. */
function setState(times: number, key: (i: number) => string): Program {
  const p = new Program();
  const [v, vl] = p.str(BIG);
  for (let i = 0; i < times; i += 1) {
    const [k, kl] = p.str(key(i));
    p.call('request_set_field', 4, k, kl, v, vl).collect();
  }
  return p;
}

async function failure(t: TestRuntime, program: Program): Promise<E2rxError> {
  const error = await t.runtime.invoke('hostcall', makeRequest({ body: program.build() })).then(
    (result) => new Error(`expected a failure, got ${result.kind}`),
    (e: unknown) => e,
  );
  if (!E2rxError.is(error)) throw error;
  return error;
}

describe('host-memory', () => {
  it('hostBudgetBytes - a call may hold its memory limit on the host', () => {
    expect(hostBudgetBytes(256)).toBe(268_435_456);
  });

  it('HostMemoryExceeded - says what is held, how much, and the limit', () => {
    const error = new HostMemoryExceeded(268_435_457, hostBudgetBytes(256));
    expect(error.message).toBe(
      'the call holds 268,435,457 bytes on the host (state, response headers, FFI variables, logs), above its memory limit of 256 MiB',
    );
    expect(error.held).toBe(268_435_457);
    expect(error.budget).toBe(268_435_456);
  });

  it('Invocation.hold - counts up to the budget, releases, and refuses past it without counting', () => {
    const invocation = new Invocation(1, 'fn', makeRequest(), 100);
    invocation.hold(60);
    invocation.hold(40);
    expect(invocation.held).toBe(100);
    expect(() => invocation.hold(1)).toThrow(HostMemoryExceeded);
    expect(invocation.held).toBe(100);
    invocation.hold(-50);
    invocation.hold(50);
    expect(invocation.held).toBe(100);
  });

  it('classify - a host function refusing to hold more is E2RX_HOST_MEMORY, with the bytes held and the limit', () => {
    const failure = classify(new HostMemoryExceeded(5 * MIB, 4 * MIB), 0, 4 * MIB);
    expect(failure.code).toBe('E2RX_HOST_MEMORY');
    expect(failure.details).toEqual({ heldBytes: 5 * MIB, limitBytes: 4 * MIB });
  });

  it('Invocation.hold - unbounded without a budget', () => {
    const invocation = new Invocation(1, 'fn', makeRequest());
    invocation.hold(Number.MAX_SAFE_INTEGER);
    expect(invocation.held).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe.each([
  ['the calling thread', { inline: true }],
  ['a worker', { inline: false, placement: 'workers' as const }],
])('host-memory on %s', (_where, options) => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['hostcall'], limits: { maxMemoryMb: LIMIT_MB }, workers: 1, ...options });
    await t.runtime.register('stdout', await compileWatSource(STDOUT_WAT, 'stdout'));
  });
  afterAll(() => t.runtime.close());

  it('request_set_field - state past the memory limit fails the call with E2RX_HOST_MEMORY; the next call runs', async () => {
    const error = await failure(t, setState(20, (i) => `key-${i}`));
    expect(error.code).toBe('E2RX_HOST_MEMORY');
    expect(error.message).toMatch(HELD);
    expect(error.details['limitBytes']).toBe(LIMIT_MB * MIB);
    expect(error.details['heldBytes']).toBeGreaterThan(LIMIT_MB * MIB);
    expect(error.retriable).toBe(false);
    const after = await t.runtime.invoke('hostcall', makeRequest({ body: setState(2, (i) => `key-${i}`).returnOutput().build() }));
    expect(after.kind).toBe('output');
  });

  it('request_set_field - replacing one key releases the old value: 40 sets of 256 KiB under one key succeed', async () => {
    const result = await t.runtime.invoke('hostcall', makeRequest({ body: setState(40, () => 'same').returnOutput().build() }));
    if (result.kind !== 'output') throw new Error(`expected an output, got ${result.kind}`);
    expect(result.request.state['same']).toEqual(BIG);
    expect(Object.keys(result.request.state)).toEqual(['same']);
  });

  it('request_set_field - a call under the bound keeps everything it set', async () => {
    const result = await t.runtime.invoke('hostcall', makeRequest({ body: setState(12, (i) => `key-${i}`).returnOutput().build() }));
    if (result.kind !== 'output') throw new Error(`expected an output, got ${result.kind}`);
    expect(Object.keys(result.request.state)).toHaveLength(12);
  });

  it('request_set_field - a call that returned its result before passing the bound still fails', async () => {
    const p = new Program();
    p.returnOutput();
    const [v, vl] = p.str(BIG);
    for (let i = 0; i < 20; i += 1) {
      const [k, kl] = p.str(`key-${i}`);
      p.call('request_set_field', 4, k, kl, v, vl).collect();
    }
    expect((await failure(t, p)).code).toBe('E2RX_HOST_MEMORY');
  });

  it('resp_set_header - response headers count against the memory limit', async () => {
    const p = new Program();
    const [v, vl] = p.str(BIG);
    for (let i = 0; i < 20; i += 1) {
      const [k, kl] = p.str(`x-header-${i}`);
      p.call('resp_set_header', k, kl, v, vl);
    }
    const error = await failure(t, p);
    expect(error.code).toBe('E2RX_HOST_MEMORY');
    expect(error.message).toMatch(HELD);
  });

  it('log_msg - log lines count against the memory limit', async () => {
    const p = new Program();
    const [m, ml] = p.str(new Uint8Array(64 * KIB).fill(98));
    for (let i = 0; i < 70; i += 1) p.call('log_msg', m, ml, 4);
    const error = await failure(t, p);
    expect(error.code).toBe('E2RX_HOST_MEMORY');
    expect(error.message).toMatch(HELD);
  });

  it('fd_write - stdout lines count against the memory limit', async () => {
    const error = await t.runtime.invoke('stdout', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_HOST_MEMORY')).toBe(true);
    expect((error as E2rxError).message).toMatch(HELD);
  });

  it('add_ffi_var - FFI variables count until db_exec takes them', async () => {
    const adding = new Program();
    const [n, nl] = adding.str('v');
    const [v, vl] = adding.str(BIG);
    for (let i = 0; i < 20; i += 1) adding.call('add_ffi_var', n, nl, v, vl);
    expect((await failure(t, adding)).code).toBe('E2RX_HOST_MEMORY');

    const taken = new Program();
    const [n2, nl2] = taken.str('v');
    const [v2, vl2] = taken.str(BIG);
    const [q, ql] = taken.str('missing');
    for (let i = 0; i < 20; i += 1) taken.call('add_ffi_var', n2, nl2, v2, vl2).call('db_exec', 1, q, ql).collect();
    const result = await t.runtime.invoke('hostcall', makeRequest({ body: taken.returnOutput().build() }));
    expect(result.kind).toBe('output');
  });
});
