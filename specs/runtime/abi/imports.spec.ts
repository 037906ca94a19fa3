import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRequest, text } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

describe('abi/imports', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['unknown-import', 'swift'] });
  });
  afterAll(() => t.runtime.close());

  it('buildImports - a module importing unknown functions links and they return -1 (i32, i64, f64)', async () => {
    const result = await t.runtime.invoke('unknown-import', makeRequest());
    if (result.kind !== 'output') throw new Error(result.kind);
    const values = new Int32Array(result.output.buffer, result.output.byteOffset, 4);
    expect([...values]).toEqual([-1, -1, -1, -1]);
  });

  it('register - logs each stubbed import once', () => {
    const warnings = t.lines.filter((l) => l.level === 40 && l.fn === 'unknown-import').map((l) => l.msg);
    expect(warnings).toContain('module unknown-import imports unknown function env.foo; it will return -1');
    expect(warnings).toContain('module unknown-import imports unknown function env.bar; it will return -1');
    expect(warnings).toContain('module unknown-import imports unknown function other.baz; it will return -1');
    expect(warnings.filter((w) => w.includes('env.fetch_url'))).toHaveLength(1);
  });

  it('buildImports - the _swift variants take two extra ignored parameters', async () => {
    const result = await t.runtime.invoke('swift', makeRequest({ method: 'OPTIONS', id: 'swift-1' }));
    expect(result.kind).toBe('output');
    if (result.kind === 'output') expect(text(result.output)).toBe('OPTIONS');
    expect(t.lines.find((l) => l.msg === 'swift hello')).toMatchObject({ level: 30, fn: 'swift', request_id: 'swift-1' });
  });
});
