import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRequest, Program, type OutputRecord } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

async function run(t: TestRuntime, program: Program, id = 'req-1'): Promise<OutputRecord[]> {
  program.returnOutput();
  const result = await t.runtime.invoke('hostcall', makeRequest({ id, body: program.build() }));
  if (result.kind !== 'output') throw new Error(JSON.stringify(result));
  return program.decode(result.output);
}

describe('abi/cache (workers)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['hostcall'], inline: false, workers: 1 });
  });
  afterAll(() => t.runtime.close());

  it('cache_set - stores through the services with the ttl and returns 0', async () => {
    const p = new Program();
    const [k, kl] = p.str('greeting');
    const [v, vl] = p.str('hello');
    p.call('cache_set', k, kl, v, vl, 60);
    expect(await run(t, p, 'set-1')).toEqual([0]);
    expect(t.services.calls.at(-1)).toEqual({ op: 'cacheSet', args: ['greeting', 'hello', 60], context: { fn: 'hostcall', requestId: 'set-1' } });
  });

  it('cache_set - returns the services\' status when refused (-2)', async () => {
    const p = new Program();
    const [k, kl] = p.str('refused');
    p.call('cache_set', k, kl, k, kl, 0);
    expect(await run(t, p)).toEqual([-2]);
  });

  it('cache_get - delivers the value through get_ffi_result', async () => {
    t.services.cache.set('k1', new TextEncoder().encode('cached value'));
    const p = new Program();
    const [k, kl] = p.str('k1');
    p.call('cache_get', k, kl).collect();
    expect(await run(t, p)).toEqual([12, { rc: 0, bytes: new TextEncoder().encode('cached value'), text: 'cached value' }]);
  });

  it('cache_get - a missing key is the error "key not found" (negative size)', async () => {
    const p = new Program();
    const [k, kl] = p.str('nope');
    p.call('cache_get', k, kl).collect();
    expect(await run(t, p)).toEqual([-13, { rc: 0, bytes: new TextEncoder().encode('key not found'), text: 'key not found' }]);
  });

  it('cache_get - refused while a result is uncollected, without calling the services', async () => {
    const p = new Program();
    const [m, ml] = p.str('method');
    const [k, kl] = p.str('k1');
    const before = t.services.calls.length;
    p.call('request_get_field', 0, m, ml).call('cache_get', k, kl);
    expect(await run(t, p)).toEqual([3, -1]);
    expect(t.services.calls.length).toBe(before);
  });

  it('cache_get - an unknown ident returns -1', async () => {
    const p = new Program();
    const [k, kl] = p.str('k1');
    p.callWithIdent(99, 'cache_get', k, kl).callWithIdent(99, 'cache_set', k, kl, k, kl, 0);
    expect(await run(t, p)).toEqual([-1, -1]);
  });
});

describe('abi/cache (inline)', () => {
  it('cache_get - is not available inline; cache_set returns -2', async () => {
    const t = await startRuntime({ fixtures: ['hostcall'] });
    const p = new Program();
    const [k, kl] = p.str('k');
    p.call('cache_get', k, kl).collect().call('cache_set', k, kl, k, kl, 0);
    const message = 'capability is not available in inline mode';
    expect(await run(t, p)).toEqual([-message.length, { rc: 0, bytes: new TextEncoder().encode(message), text: message }, -2]);
    expect(t.services.calls).toEqual([]);
    await t.runtime.close();
  });
});
