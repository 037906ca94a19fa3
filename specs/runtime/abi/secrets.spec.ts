import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRequest, Program, type OutputRecord } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

describe('abi/secrets', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    process.env['E2RX_SPEC_SECRET'] = 's3cret';
    process.env['E2RX_SPEC_OTHER'] = 'hidden';
    t = await startRuntime({ fixtures: ['hostcall'], capabilities: { secrets: { enabled: true, allowedKeys: ['E2RX_SPEC_SECRET', 'E2RX_SPEC_UNSET'] } } });
  });
  afterAll(async () => {
    delete process.env['E2RX_SPEC_SECRET'];
    delete process.env['E2RX_SPEC_OTHER'];
    await t.runtime.close();
  });

  async function secrets(...keys: string[]): Promise<OutputRecord[]> {
    const p = new Program();
    for (const key of keys) {
      const [k, len] = p.str(key);
      p.call('get_secret_value', k, len).collect();
    }
    p.returnOutput();
    const result = await t.runtime.invoke('hostcall', makeRequest({ body: p.build() }));
    if (result.kind !== 'output') throw new Error(result.kind);
    return p.decode(result.output);
  }

  it('get_secret_value - gives an allowed environment variable', async () => {
    expect(await secrets('E2RX_SPEC_SECRET')).toEqual([6, { rc: 0, bytes: new TextEncoder().encode('s3cret'), text: 's3cret' }]);
  });

  it('get_secret_value - gives empty for a key that is not allowed or not set', async () => {
    const out = await secrets('E2RX_SPEC_OTHER', 'E2RX_SPEC_UNSET', 'PATH');
    expect(out.filter((r) => typeof r === 'number')).toEqual([0, 0, 0]);
  });

  it('get_secret_value - is not guarded by the single-pending rule: it replaces an uncollected result', async () => {
    const p = new Program();
    const [m, ml] = p.str('method');
    const [k, kl] = p.str('E2RX_SPEC_SECRET');
    p.call('request_get_field', 0, m, ml).call('get_secret_value', k, kl).collect().returnOutput();
    const result = await t.runtime.invoke('hostcall', makeRequest({ body: p.build() }));
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(p.decode(result.output)).toEqual([3, 6, { rc: 0, bytes: new TextEncoder().encode('s3cret'), text: 's3cret' }]);
  });

  it('get_secret_value - gives empty when the secrets capability is disabled', async () => {
    const off = await startRuntime({ fixtures: ['hostcall'], capabilities: { secrets: { enabled: false, allowedKeys: ['E2RX_SPEC_SECRET'] } } });
    const p = new Program();
    const [k, kl] = p.str('E2RX_SPEC_SECRET');
    p.call('get_secret_value', k, kl).returnOutput();
    const result = await off.runtime.invoke('hostcall', makeRequest({ body: p.build() }));
    if (result.kind !== 'output') throw new Error(result.kind);
    expect(p.decode(result.output)).toEqual([0]);
    await off.runtime.close();
  });
});
