import { describe, expect, it } from 'vitest';
import { capMemoryMaximum, readModuleLayout } from '../../src/runtime/wasm-binary.js';
import { compileWat, compileWatSource } from '../support/wasm.js';

describe('wasm-binary', () => {
  it('readModuleLayout - reads imports with their signatures and the defined memory', async () => {
    const layout = readModuleLayout(await compileWat('unknown-import'));
    expect(layout.imports.map((i) => `${i.module}.${i.name}`)).toEqual(['env.return_result', 'env.foo', 'env.bar', 'other.baz', 'env.fetch_url']);
    expect(layout.imports[2]?.desc).toEqual({ kind: 'function', type: { params: [], results: ['i64'] } });
    expect(layout.imports[3]?.desc).toEqual({ kind: 'function', type: { params: ['f64'], results: ['f64'] } });
    expect(layout.memories).toEqual([{ min: 1, shared: false, is64: false }]);
  });

  it('readModuleLayout - reads memory, table and global imports', async () => {
    const bytes = await compileWatSource(`(module
      (import "env" "memory" (memory 2 10))
      (import "env" "table" (table 3 funcref))
      (import "env" "g" (global (mut i64))))`);
    const layout = readModuleLayout(bytes);
    expect(layout.imports.map((i) => i.desc)).toEqual([
      { kind: 'memory', limits: { min: 2, max: 10, shared: false, is64: false } },
      { kind: 'table', element: 'funcref', limits: { min: 3, shared: false, is64: false } },
      { kind: 'global', type: 'i64', mutable: true },
    ]);
  });

  it('readModuleLayout - refuses what is not WebAssembly', () => {
    expect(() => readModuleLayout(new TextEncoder().encode('not wasm at all'))).toThrow(/magic/);
  });

  it('capMemoryMaximum - adds a maximum so that memory.grow fails at the limit', async () => {
    const capped = capMemoryMaximum(await compileWat('oom'), 4);
    expect(readModuleLayout(capped).memories).toEqual([{ min: 1, max: 4, shared: false, is64: false }]);
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(capped));
    const memory = instance.exports['memory'] as WebAssembly.Memory;
    expect(() => memory.grow(4)).toThrow(RangeError);
    memory.grow(3);
    expect(memory.buffer.byteLength).toBe(4 * 65536);
  });

  it('capMemoryMaximum - keeps a smaller declared maximum and leaves the binary alone', async () => {
    const bytes = await compileWatSource('(module (memory (export "memory") 1 2))');
    expect(capMemoryMaximum(bytes, 100)).toBe(bytes);
    expect(readModuleLayout(capMemoryMaximum(bytes, 1)).memories).toEqual([{ min: 1, max: 1, shared: false, is64: false }]);
  });

  it('capMemoryMaximum - refuses a module whose initial memory is above the limit', async () => {
    const bytes = await compileWatSource('(module (memory 20))');
    expect(() => capMemoryMaximum(bytes, 10)).toThrow(/needs 20 pages/);
  });

  it('capMemoryMaximum - leaves a module without memory unchanged', async () => {
    const bytes = await compileWatSource('(module (func))');
    expect(capMemoryMaximum(bytes, 10)).toBe(bytes);
  });
});
