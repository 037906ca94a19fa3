import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/build/build-app.js';
import { E2rxError } from '../../src/errors.js';
import { guestFrame, wasmFrames } from '../../src/runtime/guest-frame.js';
import { makeFunctionApp } from '../build/support.js';
import { compileWatSource } from '../support/wasm.js';
import { makeRequest } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

/** A function whose `run` reads past the end of an array, or traps, or aborts, depending on its input. */
const FAILING_SOURCE = `export function run(input: ArrayBuffer): string {
  const mode = String.UTF8.decode(input);
  const values: i32[] = [1, 2, 3];
  if (mode == "index") {
    const n = values[values.length + 2];
    return n.toString();
  }
  if (mode == "trap") {
    unreachable();
  }
  return "fine";
}
`;

const WAT_TRAP = `(module
  (memory (export "memory") 1)
  (func $allocate (export "allocate") (param i32) (result i32) i32.const 16)
  (func $user_run (export "run_e") (param i32 i32 i32) unreachable))`;

async function rejection(promise: Promise<unknown>): Promise<E2rxError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof E2rxError) return error;
    throw error;
  }
  throw new Error('the call did not fail');
}

describe('guest-frame - wasmFrames', () => {
  it('guest-frame - reads named and unnamed Wasm frames of a V8 stack, innermost first', () => {
    const stack = [
      'RuntimeError: unreachable',
      '    at ~lib/array/Array<i32>#__get (wasm://wasm/0001a2b2:wasm-function[12]:0x4f3)',
      '    at wasm://wasm/0001a2b2:wasm-function[7]:0x1a0',
      '    at RunnableInstance.run (file:///x/instance.js:10:5)',
    ].join('\n');
    expect(wasmFrames(stack)).toEqual([
      { name: '~lib/array/Array<i32>#__get', functionIndex: 12, offset: 0x4f3 },
      { name: undefined, functionIndex: 7, offset: 0x1a0 },
    ]);
  });

  it('guest-frame - without a source map, names the first function that is not the library', () => {
    const stack = ['    at ~lib/rt/abort (wasm://wasm/1:wasm-function[3]:0x10)', '    at app/index/run (wasm://wasm/1:wasm-function[4]:0x20)'].join('\n');
    expect(guestFrame(stack)).toEqual({ frame: 'app/index/run', function: 'app/index/run' });
    expect(guestFrame('    at wasm://wasm/1:wasm-function[3]:0x10')).toBeUndefined();
  });
});

describe('guest-frame - failures of an AssemblyScript function built by e2rx build', () => {
  let t: TestRuntime;
  let noMap: TestRuntime;
  beforeAll(async () => {
    const app = await makeFunctionApp({ 'hello/index.ts': FAILING_SOURCE });
    const report = await buildApp(app);
    expect(report.ok).toBe(true);
    const wasm = new Uint8Array(await readFile(join(app, 'hello.wasm')));
    const sourceMap = await readFile(join(app, 'hello.wasm.map'), 'utf8');
    t = await startRuntime({ inline: false, workers: 1 });
    await t.runtime.register('hello', wasm, { sourceMap });
    noMap = await startRuntime();
    await noMap.runtime.register('hello', wasm);
    await noMap.runtime.register('wat', await compileWatSource(WAT_TRAP, 'trap', { names: true }));
  }, 60_000);
  afterAll(async () => {
    await t.runtime.close();
    await noMap.runtime.close();
  });

  it('guest-frame - an index out of range names the library check and the user line that led there (on a worker)', async () => {
    const result = await t.runtime.invoke('hello', makeRequest({ bodyText: 'index' }));
    expect(result.kind).toBe('runError');
    if (result.kind !== 'runError') return;
    expect(result.message).toMatch(/^runnable abort: Index out of range; file: ~lib\/array\.ts, line: \d+, col: \d+; called from hello\/index\.ts:5:\d+/);
  });

  it('guest-frame - an unreachable in user code names its line in the message and details.frame', async () => {
    const error = await rejection(t.runtime.invoke('hello', makeRequest({ bodyText: 'trap' })));
    expect(error.code).toBe('E2RX_WASM_TRAP');
    expect(error.message).toMatch(/wasm trap: unreachable.* \(in hello\/index\.ts:9:\d+/);
    expect(error.details?.['frame']).toMatch(/^hello\/index\.ts:9:\d+$/);
  });

  it('guest-frame - a module registered without its map keeps today\'s messages', async () => {
    const aborted = await noMap.runtime.invoke('hello', makeRequest({ bodyText: 'index' }));
    expect(aborted.kind === 'runError' && aborted.message).toMatch(/^runnable abort: Index out of range; file: ~lib\/array\.ts, line: \d+, col: \d+$/);
    const error = await rejection(noMap.runtime.invoke('hello', makeRequest({ bodyText: 'trap' })));
    expect(error.message).toBe('hello: wasm trap: unreachable');
    expect(error.details?.['frame']).toBeUndefined();
  });

  it('guest-frame - a module with a name section but no map names the function', async () => {
    const error = await rejection(noMap.runtime.invoke('wat', makeRequest({ bodyText: '' })));
    expect(error.code).toBe('E2RX_WASM_TRAP');
    expect(error.details?.['frame']).toMatch(/user_run/);
  });
});
