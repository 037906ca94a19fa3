import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRequest, Program, type OutputRecord } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

async function run(t: TestRuntime, program: Program): Promise<OutputRecord[]> {
  program.returnOutput();
  const result = await t.runtime.invoke('hostcall', makeRequest({ body: program.build() }));
  if (result.kind !== 'output') throw new Error(JSON.stringify(result));
  return program.decode(result.output);
}

describe('abi/http (workers)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['hostcall'], inline: false, workers: 1 });
  });
  afterAll(() => t.runtime.close());

  it('fetch_url - passes method, URL (with ::header segments) and body, and delivers the response', async () => {
    const p = new Program();
    const [u, ul] = p.str('https://example.com/x::authorization:bearer abc');
    const [b, bl] = p.str('payload');
    p.call('fetch_url', 3, u, ul, b, bl).collect();
    const out = await run(t, p);
    const expected = 'fetched 3 https://example.com/x::authorization:bearer abc';
    expect(out).toEqual([expected.length, { rc: 0, bytes: new TextEncoder().encode(expected), text: expected }]);
    expect(t.services.calls.at(-1)).toMatchObject({ op: 'fetchUrl', args: [3, 'https://example.com/x::authorization:bearer abc', 'payload'] });
  });

  it('fetch_url - an error response is a negative size with its text', async () => {
    const p = new Program();
    const [u, ul] = p.str('https://example.com/fail');
    p.call('fetch_url', 0, u, ul, 0, 0).collect();
    const out = await run(t, p);
    expect(out[0]).toBe(-'500: upstream failed'.length);
    expect(out[1]).toMatchObject({ rc: 0, text: '500: upstream failed' });
  });

  it('fetch_url - a bad method gives the services\' status -2 with nothing stored', async () => {
    const p = new Program();
    const [u, ul] = p.str('https://example.com/');
    p.call('fetch_url', 9, u, ul, 0, 0).call('get_ffi_result', 2000);
    expect(await run(t, p)).toEqual([-2, -1]);
  });

  it('fetch_url - a response larger than the bridge buffer arrives whole (the buffer grows)', async () => {
    const p = new Program();
    const [u, ul] = p.str('https://example.com/big');
    p.call('fetch_url', 0, u, ul, 0, 0).collect().call('fetch_url', 0, u, ul, 0, 0);
    const out = await run(t, p);
    expect(out[0]).toBe(300_000);
    const collected = out[1] as Exclude<OutputRecord, number>;
    expect(collected.rc).toBe(0);
    expect(collected.bytes.length).toBe(300_000);
    expect(collected.bytes.every((b) => b === 7)).toBe(true);
    expect(out[2]).toBe(300_000);
  });

  it('graphql_query - passes endpoint and query and delivers the response', async () => {
    const p = new Program();
    const [e, el] = p.str('https://api.example.com/graphql');
    const [q, ql] = p.str('{ me { id } }');
    p.call('graphql_query', e, el, q, ql).collect();
    const out = await run(t, p);
    expect((out[1] as Exclude<OutputRecord, number>).text).toBe(JSON.stringify({ data: { endpoint: 'https://api.example.com/graphql', query: '{ me { id } }' } }));
  });
});

describe('abi/http (inline)', () => {
  it('fetch_url - is not available inline', async () => {
    const t = await startRuntime({ fixtures: ['hostcall'] });
    const p = new Program();
    const [u, ul] = p.str('https://example.com/');
    p.call('fetch_url', 0, u, ul, 0, 0).collect().call('graphql_query', u, ul, u, ul).collect();
    const out = await run(t, p);
    const message = 'capability is not available in inline mode';
    expect(out.map((r) => (typeof r === 'number' ? r : r.text))).toEqual([-message.length, message, -message.length, message]);
    await t.runtime.close();
  });
});
