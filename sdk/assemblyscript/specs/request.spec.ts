import { describe, expect, it } from 'vitest';
import { hostFor } from './support/fixtures.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

/** The `key=value` lines the `request` fixture prints. */
function lines(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

async function runRequestFixture() {
  const host = await hostFor('request');
  return host.run('{"name":"Ada","age":36}', {
    method: 'POST',
    url: '/users/42?q=search+me&q=2',
    id: 'abc-123',
    headers: { 'x-custom': 'custom value' },
    params: { id: '42' },
    state: { previous: encode('earlier output') },
  });
}

describe('sdk req', () => {
  it('req - reads the meta fields, raw body, body field, header, param, state and query', async () => {
    const result = await runRequestFixture();
    expect(result.error).toBeUndefined();
    const seen = lines(result.text);
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/users/42?q=search+me&q=2',
      id: 'abc-123',
      body: '{"name":"Ada","age":36}',
      bodyText: '{"name":"Ada","age":36}',
      input: '{"name":"Ada","age":36}',
      bodyField: 'Ada',
      missingBodyField: '',
      header: 'custom value',
      urlParam: '42',
      state: 'earlier output',
      stateRaw: '14',
      query: 'search me',
      missingQuery: '',
    });
  });

  it('req - setters change the request for later steps, with the field types of the host', async () => {
    const result = await runRequestFixture();
    const seen = lines(result.text);
    expect(seen['setError']).toBeUndefined();
    expect(decode(result.request.state['greeting'])).toBe('hi there');
    expect(result.request.headers['x-set']).toBe('yes');
    expect(result.request.params['id']).toBe('77');
    expect(result.request.method).toBe('PUT');
    expect(result.request.url).toBe('/changed?q=2');
    expect(seen['afterSetBodyField']).toBe('Grace');
    expect(seen['afterSetMethod']).toBe('PUT');
  });

  it('req.setBody - replaces the raw body (Meta field body), not a JSON field named body', async () => {
    const result = await runRequestFixture();
    const seen = lines(result.text);
    expect(seen['setBody']).toBe('ok');
    expect(seen['afterSetBody']).toBe('raw body');
    expect(decode(result.request.body)).toBe('raw body');
    const setBody = result.calls.find((call) => call.name === 'request_set_field' && call.args[0] === 0 && call.args[2] === 4);
    expect(setBody).toBeDefined();
  });

  it('req - getters give empty strings when the request has no such field', async () => {
    const host = await hostFor('request');
    const seen = lines(host.run('', { url: '/' }).text);
    expect(seen).toMatchObject({ body: '', bodyField: '', header: '', urlParam: '', state: '', stateRaw: '0', query: '' });
  });

  it('resp - sets response headers, Content-Type included', async () => {
    const result = await runRequestFixture();
    expect(result.request.respHeaders).toEqual({ 'X-Result': 'done', 'Content-Type': 'text/plain' });
  });
});
