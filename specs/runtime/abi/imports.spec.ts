import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planImports } from '../../../src/runtime/abi/imports.js';
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

  it("planImports - (e2rx) e2rx.publish binds to the host; another signature, an unknown e2rx name and env.publish are stubbed", () => {
    const fn = (params: number) => ({ kind: 'function' as const, type: { params: Array.from({ length: params }, () => 'i32' as const), results: ['i32' as const] } });
    const imports = [
      { module: 'e2rx', name: 'publish', desc: fn(10) },
      { module: 'e2rx', name: 'publish', desc: fn(9) },
      { module: 'e2rx', name: 'subscribe', desc: fn(3) },
      { module: 'env', name: 'publish', desc: fn(10) },
    ];
    const descriptors = imports.map(({ module, name }) => ({ module, name, kind: 'function' as const }));
    const { plan, warnings } = planImports('m', descriptors, imports, new Set());
    expect(plan.map((binding) => binding.kind)).toEqual(['host', 'stub', 'stub', 'stub']);
    expect(warnings).toEqual([
      'module m imports e2rx.publish as (i32, i32, i32, i32, i32, i32, i32, i32, i32) -> (i32) but the ABI has (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> (i32) (built for an older SDK?); it will return -1',
      'module m imports unknown function e2rx.subscribe; it will return -1',
      'module m imports unknown function env.publish; it will return -1',
    ]);
  });
});
