import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2rxError } from '../../../src/errors.js';
import type { FunctionRequest } from '../../../src/runtime/request.js';
import { makeRequest, Program, text } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

describe('abi/result', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['hostcall', 'error', 'abort', 'none', 'echo'], limits: { maxOutputBytes: 1000 } });
  });
  afterAll(() => t.runtime.close());

  const run = (program: Program, request: Partial<FunctionRequest> = {}) =>
    t.runtime.invoke('hostcall', makeRequest({ ...request, body: program.build() }));

  it('return_result - sets the output', async () => {
    const result = await t.runtime.invoke('echo', makeRequest({ bodyText: 'hello' }));
    expect(result.kind).toBe('output');
    if (result.kind === 'output') expect(text(result.output)).toBe('hello');
  });

  it('return_result - an empty output is an output', async () => {
    const p = new Program();
    const [ptr] = p.str('');
    p.call('return_result', ptr, 0);
    expect(await run(p)).toMatchObject({ kind: 'output', output: new Uint8Array(0) });
  });

  it('return_error - gives a Runnable error with code and message', async () => {
    expect(await t.runtime.invoke('error', makeRequest())).toMatchObject({ kind: 'runError', code: 404, message: 'not found' });
  });

  it('return_abort - gives code -1 with the AssemblyScript abort message, and logs it', async () => {
    const result = await t.runtime.invoke('abort', makeRequest({ id: 'abort-1' }));
    const message = 'runnable abort: boom; file: assembly/index.ts, line: 12, col: 7';
    expect(result).toMatchObject({ kind: 'runError', code: -1, message });
    expect(t.lines.find((l) => l.msg === message)).toMatchObject({ level: 50, fn: 'abort', request_id: 'abort-1' });
  });

  it('run_e - returning nothing gives kind none', async () => {
    expect(await t.runtime.invoke('none', makeRequest())).toMatchObject({ kind: 'none' });
  });

  it('return_result - the first of result and error wins', async () => {
    const p = new Program();
    const [ok, okLen] = p.str('ok');
    const [bad, badLen] = p.str('bad');
    p.call('return_result', ok, okLen).call('return_error', 500, bad, badLen);
    const result = await run(p);
    expect(result.kind).toBe('output');
    const q = new Program();
    const [bad2, badLen2] = q.str('bad');
    const [ok2, okLen2] = q.str('ok');
    q.call('return_error', 500, bad2, badLen2).call('return_result', ok2, okLen2);
    expect(await run(q)).toMatchObject({ kind: 'runError', code: 500, message: 'bad' });
  });

  it('return_error - wins over a later trap (host ABI §3 precedence)', async () => {
    const p = new Program();
    const [msg, len] = p.str('teapot');
    p.call('return_error', 418, msg, len).trap();
    expect(await run(p)).toMatchObject({ kind: 'runError', code: 418, message: 'teapot' });
  });

  it('return_result - an output above maxOutputBytes fails the call with E2RX_OUTPUT_TOO_LARGE', async () => {
    const p = new Program();
    const [ptr] = p.str(new Uint8Array(1001));
    p.call('return_result', ptr, 1001);
    const error = await run(p).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_OUTPUT_TOO_LARGE')).toBe(true);
    expect((error as E2rxError).details).toMatchObject({ fn: 'hostcall', size: 1001 });
  });

  it('get_ffi_result - copies the pending result once, then returns -1', async () => {
    const p = new Program();
    const [key, keyLen] = p.str('method');
    p.call('request_get_field', 0, key, keyLen).collect().collect().returnOutput();
    const result = await run(p, { method: 'PATCH' });
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(p.decode(result.output)).toEqual([5, { rc: 0, bytes: new TextEncoder().encode('PATCH'), text: 'PATCH' }, { rc: -1, bytes: new Uint8Array(0), text: '' }]);
  });

  it('get_ffi_result - returns -1 when nothing was stored', async () => {
    const p = new Program();
    p.call('get_ffi_result', 2000).returnOutput();
    const result = await run(p);
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(p.decode(result.output)).toEqual([-1]);
  });

  it('get_ffi_result - a pointer outside memory traps', async () => {
    const p = new Program();
    const [key, keyLen] = p.str('method');
    p.call('request_get_field', 0, key, keyLen).call('get_ffi_result', 0x3fffffff);
    const error = await run(p).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_TRAP')).toBe(true);
    expect((error as Error).message).toMatch(/out of bounds/);
  });

  it('add_ffi_var - returns 0, and -1 for an unknown ident', async () => {
    const p = new Program();
    const [n, nLen] = p.str('id');
    const [v, vLen] = p.str('42');
    p.call('add_ffi_var', n, nLen, v, vLen).callWithIdent(7, 'add_ffi_var', n, nLen, v, vLen).returnOutput();
    const result = await run(p);
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(p.decode(result.output)).toEqual([0, -1]);
  });

  it('return_result - with an unknown ident is ignored', async () => {
    const p = new Program();
    const [ptr, len] = p.str('sneaky');
    p.callWithIdent(12345, 'return_result', ptr, len);
    expect(await run(p)).toMatchObject({ kind: 'none' });
  });
});
