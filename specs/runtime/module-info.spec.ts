import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { prepareModule } from '../../src/runtime/module-info.js';
import { compileWat, compileWatSource } from '../support/wasm.js';

describe('module-info', () => {
  it('prepareModule - describes a Runnable', async () => {
    const { info, module, plan } = await prepareModule('hostcall', await compileWat('hostcall'), 4096);
    expect(module).toBeInstanceOf(WebAssembly.Module);
    expect(info.name).toBe('hostcall');
    expect(info.hostImports).toHaveLength(16);
    expect([...info.asyncImports].sort()).toEqual(['cache_get', 'cache_set', 'db_exec', 'fetch_url', 'get_static_file', 'graphql_query']);
    expect(info.unknownImports).toEqual([]);
    expect(info.warnings).toEqual([]);
    expect(info.lifecycle).toEqual({ initialize: false, start: false, init: false, deallocate: true });
    expect(info.memory).toEqual({ initialPages: 64, maximumPages: 4096 });
    expect(plan.filter((b) => b.kind !== 'host')).toEqual([{ module: '__e2rx', name: 'deadline', kind: 'meter' }]);
    expect(info.metered).toBe(true);
  });

  it('prepareModule - lists WASI imports and lifecycle exports', async () => {
    const wasi = await prepareModule('wasi', await compileWat('wasi'), 4096);
    expect(wasi.info.wasiImports).toHaveLength(46);
    expect(wasi.info.asyncImports).toEqual([]);
    const lifecycle = await prepareModule('lifecycle', await compileWat('lifecycle'), 4096);
    expect(lifecycle.info.lifecycle).toEqual({ initialize: false, start: true, init: true, deallocate: true });
  });

  it('prepareModule - stubs unknown imports and imports of an older ABI, with a warning each', async () => {
    const { info, plan } = await prepareModule('odd', await compileWat('unknown-import'), 4096);
    expect(info.unknownImports).toEqual(['env.foo', 'env.bar', 'other.baz', 'env.fetch_url']);
    expect(info.warnings).toContain('module odd imports unknown function env.foo; it will return -1');
    expect(info.warnings).toContain('module odd imports unknown function other.baz; it will return -1');
    expect(info.warnings.find((w) => w.includes('env.fetch_url'))).toMatch(/older SDK/);
    expect(plan.find((b) => b.name === 'bar')).toEqual({ module: 'env', name: 'bar', kind: 'stub', results: ['i64'] });
  });

  it('prepareModule - recognises the Swift variants', async () => {
    const { info } = await prepareModule('swift', await compileWat('swift'), 4096);
    expect(info.hostImports).toEqual(['log_msg_swift', 'request_get_field_swift', 'get_ffi_result_swift', 'return_result_swift']);
    expect(info.unknownImports).toEqual([]);
  });

  it('prepareModule - caps the memory maximum at the limit', async () => {
    const { info } = await prepareModule('oom', await compileWat('oom'), 16);
    expect(info.memory).toEqual({ initialPages: 1, maximumPages: 16 });
  });

  it('prepareModule - rejects a binary that is not WebAssembly with E2RX_MODULE_INVALID', async () => {
    const error = await prepareModule('junk', new TextEncoder().encode('junk'), 16).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_MODULE_INVALID')).toBe(true);
    expect((error as E2rxError).details['fn']).toBe('junk');
  });

  it('prepareModule - rejects a module without the Runnable exports with E2RX_MODULE_NOT_RUNNABLE', async () => {
    const bytes = await compileWatSource('(module (memory (export "memory") 1) (func (export "run_e") (param i32 i32 i32)))');
    const error = await prepareModule('half', bytes, 16).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_MODULE_NOT_RUNNABLE')).toBe(true);
    expect((error as E2rxError).details['missing']).toEqual(['allocate']);
  });

  it('prepareModule - rejects a module whose initial memory is above the limit with E2RX_WASM_MEMORY', async () => {
    const bytes = await compileWatSource(`(module (memory (export "memory") 64)
      (func (export "allocate") (param i32) (result i32) (i32.const 0)) (func (export "run_e") (param i32 i32 i32)))`);
    const error = await prepareModule('big', bytes, 16).catch((e: unknown) => e);
    expect(E2rxError.is(error, 'E2RX_WASM_MEMORY')).toBe(true);
  });

  it('prepareModule - warns when deallocate is missing', async () => {
    const bytes = await compileWatSource(`(module (memory (export "memory") 1)
      (func (export "allocate") (param i32) (result i32) (i32.const 0)) (func (export "run_e") (param i32 i32 i32)))`);
    const { info } = await prepareModule('nodealloc', bytes, 16);
    expect(info.warnings).toEqual(['module nodealloc does not export deallocate; input buffers are not freed']);
  });

  it('prepareModule - accepts an imported memory and provides tables and globals', async () => {
    const bytes = await compileWatSource(`(module (import "env" "memory" (memory 1)) (import "x" "t" (table 1 funcref))
      (import "x" "g" (global i32))
      (func (export "allocate") (param i32) (result i32) (i32.const 0)) (func (export "run_e") (param i32 i32 i32)))`);
    const { info, plan } = await prepareModule('imported', bytes, 16);
    expect(plan.map((b) => b.kind)).toEqual(['memory', 'table', 'global', 'meter']);
    expect(info.memory).toEqual({ initialPages: 1, maximumPages: 16 });
    expect(info.warnings).toContain('module imported imports global x.g; it is given the value 0');
  });
});
