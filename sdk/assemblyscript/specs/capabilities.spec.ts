import { describe, expect, it } from 'vitest';
import type { MiniFetch } from './support/mini-host.js';
import { hostFor } from './support/fixtures.js';

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('sdk capabilities', () => {
  it('http - sends each method with the host numbering, bodies and ::Name:Value headers', async () => {
    const host = await hostFor('capabilities', {
      fetch: (request: MiniFetch) =>
        request.url.endsWith('/missing') ? { status: 404, body: 'nothing here' } : { status: 200, body: `${request.method} answered` },
    });
    const result = host.run('http');
    expect(result.error).toBeUndefined();
    const methods = result.calls.filter((call) => call.name === 'fetch_url').map((call) => call.args[0]);
    expect(methods).toEqual([0, 1, 2, 3, 4, 5, 6, 0]);
    const [get, , , post, put, patch] = result.fetches;
    expect(get?.headers).toEqual({ authorization: 'Bearer abc', 'x-other': '1' });
    expect(get?.url).toBe('http://example.test/get');
    expect(decode(post?.body ?? new Uint8Array())).toBe('text body');
    expect(decode(put?.body ?? new Uint8Array())).toBe('buffer body');
    expect([...(patch?.body ?? [])]).toEqual([0, 0]);
    expect(result.text).toContain('get ok: GET answered\n');
    expect(result.text).toContain('delete ok: DELETE answered\n');
    expect(result.text).toContain('missing err: 404: nothing here\n');
  });

  it('http - refuses a header value containing a colon without calling the host', async () => {
    const host = await hostFor('capabilities', { fetch: () => ({ status: 200, body: '' }) });
    const result = host.run('http');
    expect(result.text).toContain("badHeader err: value of header 'x-time' must not contain ':'\n");
    expect(result.fetches).toHaveLength(8);
  });

  it('cache - sets with a TTL, gets, and reports a missing key and a refused set', async () => {
    const host = await hostFor('capabilities', { refuseCacheKeys: ['refuse'] });
    const result = host.run('cache');
    expect(result.text).toBe(
      'set ok: \nget ok: cached value\nmissing err: key not found\nrefused err: the cache refused to store the value\n',
    );
    const set = result.calls.find((call) => call.name === 'cache_set');
    expect(set?.args[4]).toBe(30);
    expect(decode(host.cache.get('k') ?? new Uint8Array())).toBe('cached value');
  });

  it('graphql - queries the endpoint', async () => {
    const host = await hostFor('capabilities', {
      graphql: (endpoint, query) => JSON.stringify({ data: { endpoint, query } }),
    });
    expect(host.run('graphql').text).toBe(
      'query ok: {"data":{"endpoint":"http://example.test/graphql","query":"{ me { name } }"}}\n',
    );
  });

  it('graphql - reports the host error', async () => {
    const host = await hostFor('capabilities');
    expect(host.run('graphql').text).toBe('query err: capability is not enabled\n');
  });

  it('file - reads static files and reports a missing one', async () => {
    const host = await hostFor('capabilities', { staticFiles: { 'hello.txt': 'static hello' } });
    expect(host.run('file').text).toBe(
      'file ok: static hello\nmissing err: open static/nope.txt: file does not exist\n',
    );
  });

  it('db - runs named queries with ordered variables and the host query types (0 insert, 1 select, 2 update, 3 delete)', async () => {
    const seen: { type: number; name: string; values: readonly string[] }[] = [];
    const host = await hostFor('capabilities', {
      db: (type, name, values) => {
        seen.push({ type, name, values });
        if (name === 'unknownQuery') throw new Error('query not found');
        return type === 1 ? '[{"id":1}]' : '{"lastInsertID":1,"rowsAffected":0}';
      },
    });
    const result = host.run('db');
    expect(seen).toEqual([
      { type: 0, name: 'insertUser', values: ['ada', 'ada@example.test'] },
      { type: 1, name: 'selectUser', values: ['1'] },
      { type: 2, name: 'updateUser', values: ['1'] },
      { type: 3, name: 'deleteUser', values: [] },
      { type: 1, name: 'unknownQuery', values: [] },
    ]);
    expect(result.text).toContain('select ok: [{"id":1}]\n');
    expect(result.text).toContain('unknown err: query not found\n');
  });

  it('secrets - gives allowed values and an empty string otherwise', async () => {
    const host = await hostFor('capabilities', { secrets: { API_TOKEN: 's3cret' } });
    expect(host.run('secrets').text).toBe('allowed=s3cret\ndenied=\n');
  });

  it('log - writes each level, console.* and trace through log_msg', async () => {
    const host = await hostFor('capabilities');
    const result = host.run('log');
    expect(result.logs).toEqual([
      { level: 1, message: 'an error' },
      { level: 2, message: 'a warning' },
      { level: 3, message: 'some info' },
      { level: 4, message: 'a detail' },
      { level: 3, message: 'console log' },
      { level: 1, message: 'console error' },
      { level: 4, message: 'trace: traced 1.5, 2.0' },
    ]);
  });
});
