import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAssemblyScript } from '../support/wasm.js';
import { makeRequest, text } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

describe('runtime - an AssemblyScript Runnable', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ inline: false, workers: 1 });
    await t.runtime.register('as', await compileAssemblyScript('as-runnable'));
  }, 30_000);
  afterAll(() => t.runtime.close());

  it('register - links it with no unknown import (abort is routed to return_abort)', () => {
    expect(t.runtime.functions.get('as')).toMatchObject({
      hostImports: ['return_result', 'return_abort', 'request_get_field', 'log_msg', 'get_ffi_result'],
      unknownImports: [],
    });
  });

  it('invoke - reads its input and a header, logs and returns', async () => {
    const result = await t.runtime.invoke('as', makeRequest({ bodyText: 'world', headers: { 'x-caller': 'vitest' }, id: 'as-1' }));
    expect(result.kind === 'output' && text(result.output)).toBe('hello world from vitest');
    expect(t.lines.find((l) => l.request_id === 'as-1')).toMatchObject({ msg: 'hello from AssemblyScript', fn: 'as', level: 30 });
  });

  it('invoke - an assertion goes through return_abort: code -1 with the abort message, despite the trap after it', async () => {
    const result = await t.runtime.invoke('as', makeRequest({ bodyText: 'abort' }));
    expect(result.kind).toBe('runError');
    if (result.kind !== 'runError') return;
    expect(result.code).toBe(-1);
    expect(result.message).toMatch(/^runnable abort: the input said so; file: runnable\.ts, line: \d+, col: \d+$/);
  });

  it('invoke - the heap is reused across calls of the pooled instance', async () => {
    for (let i = 0; i < 200; i += 1) {
      const result = await t.runtime.invoke('as', makeRequest({ bodyText: `n${i}` }));
      expect(result.kind === 'output' && text(result.output)).toBe(`hello n${i} from `);
    }
  });
});
