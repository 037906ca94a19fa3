import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ASC_FLAGS,
  checkRunnableModule,
  compileAssemblyScript,
  definesRunE,
  generatedEntry,
} from '../../src/build/assemblyscript.js';
import { cleanupApps, compileWat, runnableWasm } from '../support/apps.js';
import { BROKEN_SOURCE, HELLO_SOURCE, makeFunctionApp } from './support.js';

afterAll(cleanupApps);

describe('compileAssemblyScript', () => {
  it('compileAssemblyScript - compiles a function to a Runnable module with the ABI exports', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': HELLO_SOURCE });
    const outcome = await compileAssemblyScript({ source: join(app, 'hello/index.ts'), baseDir: app });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const module = new WebAssembly.Module(outcome.binary);
    expect(WebAssembly.Module.exports(module).map((e) => e.name).sort()).toEqual(['allocate', 'deallocate', 'memory', 'run_e']);
    expect(WebAssembly.Module.imports(module).every((e) => e.module === 'env')).toBe(true);
    expect(outcome.inputs).toContain(join(app, 'hello/index.ts'));
  });

  it('compileAssemblyScript - reports a compile error with file:line:col relative to the app', async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': BROKEN_SOURCE });
    const outcome = await compileAssemblyScript({ source: join(app, 'hello/index.ts'), baseDir: app });
    expect(outcome.ok).toBe(false);
    expect(outcome.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'TS2322',
        message: "Type 'i32' is not assignable to type '~lib/string/String'.",
        file: 'hello/index.ts',
        line: 4,
        column: 21,
      },
    ]);
  });

  it('compileAssemblyScript - ignores an asconfig.json of the app', async () => {
    const app = await makeFunctionApp({
      'hello/index.ts': HELLO_SOURCE,
      'asconfig.json': JSON.stringify({ options: { runtime: 'no-such-runtime' } }),
    });
    expect((await compileAssemblyScript({ source: join(app, 'hello/index.ts'), baseDir: app })).ok).toBe(true);
  });

  it('ASC_FLAGS - use the incremental runtime, optimise, and route abort, trace, seed and console to the SDK', () => {
    const flags = ASC_FLAGS.join(' ');
    expect(flags).toContain('--runtime incremental');
    expect(flags).toContain('--optimizeLevel 3');
    expect(flags).toMatch(/--use abort=~lib\/@e2rx\/sdk-assemblyscript\/assembly\/runnable\/abortHandler/);
    expect(flags).toMatch(/--use console=/);
    expect(flags).not.toContain('--noAssert');
  });

  it('generatedEntry - imports run and exports run_e, allocate and deallocate', () => {
    const entry = generatedEntry('index');
    expect(entry).toContain('import { run } from "./index";');
    expect(entry).toContain('export function run_e(');
    expect(entry).toMatch(/export \{ allocate, deallocate \}/);
  });

  it('definesRunE - recognises a hand-written run_e', () => {
    expect(definesRunE('export function run_e(p: usize, s: i32, i: i32): void {}')).toBe(true);
    expect(definesRunE('export { run_e, allocate } from "./x";')).toBe(true);
    expect(definesRunE('export function run(input: ArrayBuffer): string { return "run_e"; }')).toBe(false);
  });

  it('checkRunnableModule - accepts a Runnable and lists foreign imports and missing exports', async () => {
    expect(checkRunnableModule(await runnableWasm())).toEqual([]);
    const foreign = await compileWat('(module (import "env" "abort" (func (param i32 i32 i32 i32))) (memory (export "memory") 1))');
    expect(checkRunnableModule(foreign)).toEqual([
      'the module imports env.abort, which no Runnable host provides: build with `e2rx build`, which routes abort to return_abort',
      'the module does not export `allocate`',
      'the module does not export `deallocate`',
      'the module does not export `run_e`',
    ]);
  });
});
