import { describe, expect, it } from 'vitest';
import { checkModule, RUNNABLE_EXPORTS } from '../../src/app/index.js';
import { E2rxError } from '../../src/errors.js';
import { compileWat, NOT_WASM, notRunnableWasm, runnableWasm, TRUNCATED_WASM } from '../support/apps.js';

async function failure(bytes: Uint8Array, file: string): Promise<E2rxError> {
  const error: unknown = await checkModule(bytes, file).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(E2rxError.is(error, 'E2RX_MODULE_INVALID'), String(error)).toBe(true);
  return error as E2rxError;
}

describe('checkModule', () => {
  it('checkModule - RUNNABLE_EXPORTS are memory, allocate and run_e', () => {
    expect(RUNNABLE_EXPORTS).toEqual(['memory', 'allocate', 'run_e']);
  });

  it('checkModule - a Runnable compiles and is runnable', async () => {
    const check = await checkModule(await runnableWasm(), 'hello.wasm');
    expect(check.isRunnable).toBe(true);
    expect(check.missingExports).toEqual([]);
    expect(check.module).toBeInstanceOf(WebAssembly.Module);
  });

  it('checkModule - a module without run_e is not runnable and says what it lacks', async () => {
    const check = await checkModule(await notRunnableWasm(), 'lib.wasm');
    expect(check.isRunnable).toBe(false);
    expect(check.missingExports).toEqual(['run_e']);
  });

  it('checkModule - an empty module lacks every Runnable export', async () => {
    const check = await checkModule(await compileWat('(module)'), 'empty.wasm');
    expect(check.missingExports).toEqual(['memory', 'allocate', 'run_e']);
  });

  it('checkModule - bytes without the wasm magic number are E2RX_MODULE_INVALID naming the file', async () => {
    const error = await failure(NOT_WASM, 'fn/fn.wasm');
    expect(error.message).toBe('fn/fn.wasm is not a WebAssembly module (it does not start with the \\0asm magic number)');
  });

  it('checkModule - empty and very short files are E2RX_MODULE_INVALID', async () => {
    await failure(new Uint8Array(), 'empty.wasm');
    await failure(new Uint8Array([0x00, 0x61, 0x73, 0x6d]), 'short.wasm');
  });

  it('checkModule - a broken module body is E2RX_MODULE_INVALID with the compiler error as cause', async () => {
    const error = await failure(TRUNCATED_WASM, 'broken.wasm');
    expect(error.message).toMatch(/^broken\.wasm is not a valid WebAssembly module: /);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.hint).toContain('rebuild');
  });
});
