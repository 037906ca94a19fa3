import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionRequest } from '../../../src/runtime/request.js';
import { makeRequest, Program, type OutputRecord } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

async function records(t: TestRuntime, program: Program, request: Partial<FunctionRequest> = {}): Promise<{ out: OutputRecord[]; request: FunctionRequest }> {
  program.returnOutput();
  const result = await t.runtime.invoke('hostcall', makeRequest({ ...request, body: program.build() }));
  if (result.kind !== 'output') throw new Error(`expected an output, got ${JSON.stringify(result)}`);
  return { out: program.decode(result.output), request: result.request };
}

describe('abi/request', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['hostcall'] });
  });
  afterAll(() => t.runtime.close());

  it('request_get_field - reads every field type through the FFI protocol', async () => {
    const p = new Program();
    const field = (type: number, key: string) => {
      const [k, len] = p.str(key);
      p.call('request_get_field', type, k, len).collect();
    };
    field(0, 'method');
    field(0, 'url');
    field(0, 'id');
    field(2, 'X-Api-Key');
    field(3, 'id');
    field(4, 'prev');
    field(5, 'name');
    field(4, 'missing');
    const { out } = await records(t, p, {
      method: 'DELETE',
      url: '/users/7?name=world',
      id: 'req-42',
      headers: { 'x-api-key': 'secret' },
      params: { id: '7' },
      state: { prev: new TextEncoder().encode('previous output') },
    });
    const texts = out.filter((r): r is Exclude<OutputRecord, number> => typeof r !== 'number').map((r) => r.text);
    expect(texts).toEqual(['DELETE', '/users/7?name=world', 'req-42', 'secret', '7', 'previous output', 'world', '']);
    expect(out.filter((r) => typeof r === 'number')).toEqual([6, 19, 6, 6, 1, 15, 5, 0]);
  });

  it('request_get_field - body fields read a JSON body set by the guest', async () => {
    const p = new Program();
    const [metaBody, metaBodyLen] = p.str('body');
    const [json, jsonLen] = p.str('{"name":"ann","n":1}');
    const [name, nameLen] = p.str('name');
    const [n, nLen] = p.str('n');
    p.call('request_set_field', 0, metaBody, metaBodyLen, json, jsonLen).collect();
    p.call('request_get_field', 1, name, nameLen).collect();
    p.call('request_get_field', 1, n, nLen);
    const { out } = await records(t, p);
    expect(out[0]).toBe(0);
    expect(out[3]).toMatchObject({ rc: 0, text: 'ann' });
    expect(out[4]).toBe(-1);
  });

  it('request_get_field - an invalid field type returns -1 and is logged', async () => {
    const p = new Program();
    const [k, len] = p.str('x');
    p.call('request_get_field', 42, k, len);
    const { out } = await records(t, p);
    expect(out).toEqual([-1]);
    expect(t.lines.some((l) => l.msg === 'invalid field type: module requested field type 42')).toBe(true);
  });

  it('request_set_field - changes are visible in the returned request, not in the caller\'s', async () => {
    const p = new Program();
    const set = (type: number, key: string, value: string) => {
      const [k, kl] = p.str(key);
      const [v, vl] = p.str(value);
      p.call('request_set_field', type, k, kl, v, vl).collect();
    };
    set(0, 'method', 'PUT');
    set(0, 'url', '/changed');
    set(2, 'x-new', 'h');
    set(3, 'id', '99');
    set(4, 'result', 'stored');
    set(0, 'nope', 'x');
    set(5, 'q', 'x');
    const original = makeRequest();
    const { out, request } = await records(t, p, original);
    expect(out.filter((r) => typeof r === 'number')).toEqual([0, 0, 0, 0, 0, -13, -18]);
    expect(out[11]).toMatchObject({ rc: 0, text: 'key not found' });
    expect(out[13]).toMatchObject({ rc: 0, text: 'invalid field type' });
    expect(request).toMatchObject({ method: 'PUT', url: '/changed', headers: { 'x-new': 'h' }, params: { id: '99' } });
    expect(new TextDecoder().decode(request.state['result'])).toBe('stored');
    expect(original.method).toBe('GET');
    expect(original.state).toEqual({});
  });

  it('resp_set_header - sets response headers, last write wins', async () => {
    const p = new Program();
    const [k, kl] = p.str('Content-Type');
    const [v1, v1l] = p.str('text/plain');
    const [v2, v2l] = p.str('application/json');
    p.call('resp_set_header', k, kl, v1, v1l).call('resp_set_header', k, kl, v2, v2l);
    const { request } = await records(t, p, { respHeaders: { 'x-before': '1' } });
    expect(request.respHeaders).toEqual({ 'x-before': '1', 'Content-Type': 'application/json' });
  });

  it('request_get_field - refuses a call while a result is uncollected (single-pending rule)', async () => {
    const p = new Program();
    const [k, len] = p.str('method');
    p.call('request_get_field', 0, k, len).call('request_get_field', 0, k, len).collect().call('request_get_field', 0, k, len);
    const { out } = await records(t, p);
    // collect sizes its buffer from the last result (-1 here): the stored result is consumed (rc 0), 0 bytes copied
    expect(out).toEqual([3, -1, { rc: 0, bytes: new Uint8Array(0), text: '' }, 3]);
    expect(t.lines.some((l) => l.msg === 'env.request_get_field: cannot use instance for host call with existing call in progress')).toBe(true);
  });

  it('request_get_field - with an unknown ident returns -1 and is logged as potentially malicious', async () => {
    const p = new Program();
    const [k, len] = p.str('method');
    p.callWithIdent(424242, 'request_get_field', 0, k, len);
    const { out } = await records(t, p);
    expect(out).toEqual([-1]);
    expect(t.lines.find((l) => l.msg.includes('unknown ident 424242'))).toMatchObject({ level: 40, fn: 'hostcall' });
  });
});

describe('abi/request - capability gating', () => {
  it('request_get_field - returns -1 and request_set_field stores "capability is not enabled" when not allowed', async () => {
    const t = await startRuntime({
      fixtures: ['hostcall'],
      capabilities: { requestHandler: { enabled: true, allowGetField: false, allowSetField: false } },
    });
    const p = new Program();
    const [k, kl] = p.str('method');
    p.call('request_get_field', 0, k, kl).call('request_set_field', 0, k, kl, k, kl).collect();
    const { out, request } = await records(t, p);
    expect(out).toEqual([-1, -25, { rc: 0, bytes: new TextEncoder().encode('capability is not enabled'), text: 'capability is not enabled' }]);
    expect(request.method).toBe('GET');
    await t.runtime.close();
  });

  it('resp_set_header - does nothing when the requestHandler capability is disabled', async () => {
    const t = await startRuntime({
      fixtures: ['hostcall'],
      capabilities: { requestHandler: { enabled: false, allowGetField: true, allowSetField: true } },
    });
    const p = new Program();
    const [k, kl] = p.str('x');
    p.call('resp_set_header', k, kl, k, kl);
    const { request } = await records(t, p);
    expect(request.respHeaders).toEqual({});
    await t.runtime.close();
  });
});
