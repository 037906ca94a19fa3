import { describe, expect, it } from 'vitest';
import { RUNNABLE_HOST_FUNCTIONS } from '../../../src/build/assemblyscript.js';
import { fixtureBinary, hostFor } from './support/fixtures.js';

const FFI_FUNCTIONS = new Set(['request_get_field', 'request_set_field', 'fetch_url', 'cache_get', 'get_static_file', 'db_exec', 'graphql_query', 'get_secret_value']);
const decode = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

describe('sdk abi', () => {
  it('module - exports exactly memory, allocate, deallocate and run_e', async () => {
    const module = new WebAssembly.Module(await fixtureBinary('echo'));
    const exports = WebAssembly.Module.exports(module).map((e) => `${e.name}:${e.kind}`).sort();
    expect(exports).toEqual(['allocate:function', 'deallocate:function', 'memory:memory', 'run_e:function']);
  });

  it('module - imports only host functions of the ABI, from env', async () => {
    for (const name of ['echo', 'hello', 'outcomes', 'request', 'capabilities', 'manual']) {
      const module = new WebAssembly.Module(await fixtureBinary(name));
      for (const entry of WebAssembly.Module.imports(module)) {
        expect(entry.module, `${name} imports ${entry.module}.${entry.name}`).toBe('env');
        expect(RUNNABLE_HOST_FUNCTIONS, `${name} imports ${entry.name}`).toContain(entry.name);
        expect(entry.kind).toBe('function');
      }
    }
  });

  it('module - imports only the host functions it uses', async () => {
    const names = (binary: Uint8Array) =>
      WebAssembly.Module.imports(new WebAssembly.Module(binary)).map((e) => e.name).sort();
    expect(names(await fixtureBinary('hello'))).toEqual(['return_abort', 'return_result']);
    expect(names(await fixtureBinary('capabilities'))).toEqual(
      expect.arrayContaining(['add_ffi_var', 'cache_get', 'cache_set', 'db_exec', 'fetch_url', 'get_ffi_result', 'get_secret_value', 'get_static_file', 'graphql_query', 'log_msg']),
    );
  });

  it('module - a hello function is small', async () => {
    expect((await fixtureBinary('hello')).byteLength).toBeLessThan(8 * 1024);
  });

  it('run_e - passes the input and returns an Output through return_result', async () => {
    const host = await hostFor('echo');
    const result = host.run('some bytes');
    expect(result.text).toBe('some bytes');
    expect(result.error).toBeUndefined();
    expect(result.calls.filter((c) => c.name === 'return_result')).toHaveLength(1);
  });

  it('run_e - sends a returned string as UTF-8', async () => {
    const host = await hostFor('hello');
    expect(host.run('wörld ✓').text).toBe('hello wörld ✓');
  });

  it('run_e - handles an empty input', async () => {
    const host = await hostFor('hello');
    expect(host.run('').text).toBe('hello ');
  });

  it('run_e - handles a large input', async () => {
    const host = await hostFor('echo');
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    const output = host.run(big).output ?? new Uint8Array();
    expect(Buffer.compare(output, big)).toBe(0);
  });

  it('run_e - reuses one instance across many invocations without leaking', async () => {
    const host = await hostFor('hello');
    const memory = host.exports['memory'] as WebAssembly.Memory;
    const input = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 20; i += 1) host.run(input);
    const after20 = memory.buffer.byteLength;
    for (let i = 0; i < 200; i += 1) expect(host.run(input).text).toBe(`hello ${input}`);
    expect(memory.buffer.byteLength).toBe(after20);
  });

  it('Output.ok - sends bytes of a Uint8Array and an empty output', async () => {
    const host = await hostFor('outcomes');
    expect([...(host.run('bytes').output ?? [])]).toEqual([1, 2, 255]);
    const empty = host.run('empty');
    expect(empty.output).toEqual(new Uint8Array());
    expect(empty.error).toBeUndefined();
  });

  it('Output.err - calls return_error with the code and message', async () => {
    const host = await hostFor('outcomes');
    const result = host.run('err');
    expect(result.error).toEqual({ code: 404, message: 'not found' });
    expect(result.output).toBeUndefined();
    expect(result.trap).toBeUndefined();
  });

  it('abort - reports through return_abort with the message, file and position, then traps', async () => {
    const host = await hostFor('outcomes');
    const result = host.run('abort');
    expect(result.error?.code).toBe(-1);
    // An explicit abort(message) has no position; the compiler's own aborts (assert, bounds) do.
    expect(result.error?.message).toBe('runnable abort: it broke; file: , line: 0, col: 0');
    expect(result.trap).toBeInstanceOf(WebAssembly.RuntimeError);
  });

  it('abort - a failed assert reaches the host as an abort', async () => {
    const host = await hostFor('outcomes');
    expect(host.run('assert').error?.message).toMatch(/^runnable abort: input too short; file: outcomes\.ts, line: 17, col: \d+$/);
  });

  it('abort - an out-of-range index aborts with the standard library position', async () => {
    const host = await hostFor('outcomes');
    const result = host.run('oob');
    expect(result.error?.code).toBe(-1);
    expect(result.error?.message).toMatch(/^runnable abort: Index out of range; file: ~lib\/array\.ts/);
  });

  it('Result.unwrap - aborts with the error message', async () => {
    const host = await hostFor('outcomes');
    expect(host.run('unwrap').error?.message).toMatch(/^runnable abort: host said no; file: /);
  });

  it('run_e - a trap without a result leaves neither output nor error', async () => {
    const host = await hostFor('outcomes');
    const result = host.run('trap');
    expect(result.trap).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(result.output).toBeUndefined();
    expect(result.error).toBeUndefined();
  });

  it('run_e - the instance still works after a trap', async () => {
    const host = await hostFor('outcomes');
    host.run('trap');
    host.run('abort');
    expect(host.run('ok').text).toBe('fine');
  });

  it('run - returning a Result gives its value, or its error with code 500', async () => {
    const host = await hostFor('result-return');
    host.cache.set('present', new TextEncoder().encode('cached'));
    expect(host.run('present').text).toBe('cached');
    expect(host.run('absent').error).toEqual({ code: 500, message: 'key not found' });
  });

  it('runE - a hand-written run_e works the same', async () => {
    const host = await hostFor('manual');
    expect(host.run('input').text).toBe('manual input');
  });

  it('Math.random - is seeded through WASI random_get', async () => {
    const module = new WebAssembly.Module(await fixtureBinary('random'));
    expect(WebAssembly.Module.imports(module)).toContainEqual({ module: 'wasi_snapshot_preview1', name: 'random_get', kind: 'function' });
    const host = await hostFor('random');
    expect(host.run('').text).toBe('in range');
  });

  it('ffi - every FFI call is collected with get_ffi_result, also an empty result', async () => {
    const host = await hostFor('request');
    const result = host.run('{"name":"Ada"}', { url: '/x', state: { previous: new Uint8Array() } });
    const calls = result.calls;
    expect(calls.filter((call) => call.refused === true)).toEqual([]);
    calls.forEach((call, i) => {
      if (!FFI_FUNCTIONS.has(call.name) || call.returned === -1) return;
      expect(calls[i + 1]?.name, `${call.name} (call ${i}) is followed by get_ffi_result`).toBe('get_ffi_result');
    });
    expect(calls.some((call) => call.name === 'request_get_field' && call.returned === 0)).toBe(true);
    expect(decode(result.output)).toContain('state=\n');
  });

  it('ffi - a -1 from the host is not collected and gives the unknown-error message', async () => {
    const host = await hostFor('request');
    const result = host.run('not json');
    const refusedGet = result.calls.findIndex((call) => call.name === 'request_get_field' && call.returned === -1);
    expect(refusedGet).toBeGreaterThan(-1);
    expect(result.calls[refusedGet + 1]?.name).not.toBe('get_ffi_result');
    expect(decode(result.output)).toContain('bodyField=\n');
  });
});
