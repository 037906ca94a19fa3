import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { GuestMemory } from '../../src/runtime/memory.js';
import { createWasiImports, WASI_FUNCTION_NAMES, WasiExit } from '../../src/runtime/wasi.js';
import { makeRequest } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

const BADF = 8;
const INVAL = 28;
const NOSYS = 52;
const NOTDIR = 54;
const NOTSOCK = 57;
const NOTSUP = 58;
const SPIPE = 70;

/** What wasi.wat reports, in order (see the comments in the fixture). */
const EXPECTED = [
  0, 9, 0, 0, BADF, BADF, // writes
  0, 1, 0, 1, INVAL, 0, // clocks
  0, 0, 0, 0, 0, 0, // args, environ
  0, 1, // random
  BADF, BADF, BADF, NOTDIR, // preopens, path_open
  0, 0, BADF, SPIPE, // stdin, fd 3, seek stdout
  BADF, 0, 2, BADF, // seek fd 5, fdstat stdout (character device), fdstat fd 7
  0, BADF, NOTDIR, NOTSUP, BADF, SPIPE, BADF, NOTSUP, 0, BADF, SPIPE, NOTSUP, BADF, BADF, NOTSUP, 0, // the fd set
  BADF, BADF, BADF, BADF, BADF, BADF, BADF, BADF, BADF, // the path set
  0, 1, 42, // poll_oneoff
  NOSYS, 0, BADF, NOTSOCK, BADF, NOTSOCK, // process, sockets
];

function errnos(output: Uint8Array): number[] {
  return [...new Int32Array(output.buffer, output.byteOffset, output.length / 4)];
}

describe('wasi', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['wasi', 'exit'] });
  });
  afterAll(() => t.runtime.close());

  it('createWasiImports - provides all 46 preview 1 functions', () => {
    expect(WASI_FUNCTION_NAMES).toHaveLength(46);
  });

  it('wasi_snapshot_preview1 - every call links and returns the documented errno', async () => {
    const result = await t.runtime.invoke('wasi', makeRequest());
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(errnos(result.output)).toEqual(EXPECTED);
  });

  it('fd_write - stdout and stderr go to the logger line by line with the invocation scope', async () => {
    await t.runtime.invoke('wasi', makeRequest({ id: 'wasi-log' }));
    const lines = t.lines.filter((l) => l.request_id === 'wasi-log');
    expect(lines.map((l) => [l.stream, l.msg, l.level])).toEqual([
      ['stdout', 'hello', 30],
      ['stdout', 'world', 30],
      ['stderr', 'oops', 40],
    ]);
    expect(lines.every((l) => l.fn === 'wasi' && typeof l.ident === 'number')).toBe(true);
  });

  it('proc_exit - fails the call with E2RX_WASM_EXIT and the exit code; proc_exit(0) in _start is fine', async () => {
    const error = await t.runtime.invoke('exit', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_EXIT')).toBe(true);
    expect((error as E2rxError).details).toMatchObject({ fn: 'exit', exitCode: 3 });
    const again = await t.runtime.invoke('exit', makeRequest()).catch((e: unknown) => e);
    expect(E2rxError.is(again, 'E2RX_WASM_EXIT')).toBe(true);
  });

  it('fd_write - runs on a worker too', async () => {
    const w = await startRuntime({ fixtures: ['wasi'], inline: false, workers: 1 });
    const result = await w.runtime.invoke('wasi', makeRequest({ id: 'wasi-worker' }));
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(errnos(result.output)).toEqual(EXPECTED);
    expect(w.lines.filter((l) => l.request_id === 'wasi-worker').map((l) => l.msg)).toEqual(['hello', 'world', 'oops']);
    await w.runtime.close();
  });
});

describe('wasi - functions', () => {
  function setup(): { memory: GuestMemory; wasi: Record<string, (...args: never[]) => unknown>; view: () => DataView; writes: string[] } {
    const memory = new GuestMemory();
    memory.bind(new WebAssembly.Memory({ initial: 1 }));
    const writes: string[] = [];
    const wasi = createWasiImports({ memory, write: (fd, bytes) => writes.push(`${fd}:${new TextDecoder().decode(bytes)}`) }) as unknown as Record<
      string,
      (...args: never[]) => unknown
    >;
    return { memory, wasi, view: () => memory.view, writes };
  }
  const call = (f: ((...args: never[]) => unknown) | undefined, ...args: Array<number | bigint>): unknown => (f as (...a: Array<number | bigint>) => unknown)(...args);

  it('poll_oneoff - answers fd subscriptions at once without sleeping', () => {
    const { wasi, view } = setup();
    const v = view();
    v.setBigUint64(0, 7n, true);
    v.setUint8(8, 2); // fd_write
    v.setUint32(16, 1, true);
    v.setBigUint64(48, 8n, true);
    v.setUint8(56, 0); // clock, 10 s: must not be waited for
    v.setUint32(64, 1, true);
    v.setBigUint64(72, 10_000_000_000n, true);
    const start = Date.now();
    expect(call(wasi['poll_oneoff'], 0, 200, 2, 400)).toBe(0);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(v.getUint32(400, true)).toBe(1);
    expect(v.getBigUint64(200, true)).toBe(7n);
    expect(v.getUint16(208, true)).toBe(0);
  });

  it('poll_oneoff - sleeps until an absolute deadline; refuses zero subscriptions', () => {
    const { wasi, view } = setup();
    const v = view();
    call(wasi['clock_time_get'], 1, 0n, 100);
    const now = v.getBigUint64(100, true);
    v.setUint8(8, 0);
    v.setUint32(16, 1, true);
    v.setBigUint64(24, now + 20_000_000n, true);
    v.setUint16(40, 1, true); // abstime
    const start = performance.now();
    expect(call(wasi['poll_oneoff'], 0, 200, 1, 400)).toBe(0);
    expect(performance.now() - start).toBeGreaterThanOrEqual(15);
    expect(call(wasi['poll_oneoff'], 0, 200, 0, 400)).toBe(INVAL);
  });

  it('clock_time_get - realtime is the wall clock in ns and monotonic does not go back', () => {
    const { wasi, view } = setup();
    call(wasi['clock_time_get'], 0, 0n, 0);
    const wall = view().getBigUint64(0, true);
    expect(Number(wall / 1_000_000n)).toBeGreaterThan(Date.now() - 1000);
    call(wasi['clock_time_get'], 1, 0n, 8);
    call(wasi['clock_time_get'], 1, 0n, 16);
    expect(view().getBigUint64(16, true)).toBeGreaterThanOrEqual(view().getBigUint64(8, true));
    expect(call(wasi['clock_time_get'], 2, 0n, 24)).toBe(0);
  });

  it('random_get - gives different bytes each time, also for large buffers', () => {
    const { wasi, memory } = setup();
    call(wasi['random_get'], 0, 32);
    call(wasi['random_get'], 32, 32);
    call(wasi['random_get'], 1000, 10_000);
    const bytes = memory.bytes;
    expect(Buffer.from(bytes.subarray(0, 32)).equals(Buffer.from(bytes.subarray(32, 64)))).toBe(false);
    expect(bytes.subarray(1000, 11_000).some((b) => b !== 0)).toBe(true);
  });

  it('fd_write - gathers the iovecs; proc_exit throws WasiExit', () => {
    const { wasi, memory, view, writes } = setup();
    memory.write(100, new TextEncoder().encode('abcdef'));
    const v = view();
    v.setUint32(0, 100, true);
    v.setUint32(4, 3, true);
    v.setUint32(8, 103, true);
    v.setUint32(12, 3, true);
    expect(call(wasi['fd_write'], 2, 0, 2, 50)).toBe(0);
    expect(v.getUint32(50, true)).toBe(6);
    expect(writes).toEqual(['2:abc', '2:def']);
    expect(() => call(wasi['proc_exit'], 4)).toThrow(WasiExit);
  });
});
