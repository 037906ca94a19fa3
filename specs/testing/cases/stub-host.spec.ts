import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../../../src/directive/capability-config.js';
import type { HostCallResult } from '../../../src/capabilities/host-services.js';
import { createStubHost, mergeStubs } from '../../../src/testing/cases/stub-host.js';
import type { RealCapability, Stubs } from '../../../src/testing/cases/case-schema.js';

const text = (result: HostCallResult | undefined): string =>
  result?.kind === 'data' ? new TextDecoder().decode(result.data) : result?.kind === 'error' ? `error ${result.message}` : `status ${String(result?.kind === 'status' ? result.status : result)}`;

const DB: CapabilityConfig = {
  ...DEFAULT_CAPABILITIES,
  db: {
    enabled: true,
    database: { type: 'postgresql', connectionString: 'postgresql://x' },
    queries: [{ name: 'SelectUser', query: 'SELECT * FROM users WHERE id = $1', type: 'select', varCount: 1 }],
  },
};

const host = (stubs: Stubs, capabilities: CapabilityConfig = DB, real: readonly RealCapability[] = []) =>
  createStubHost({ capabilities, stubs, real: new Set(real), staticFiles: new Map([['a/b.txt', new TextEncoder().encode('B')]]) });

describe('createStubHost', () => {
  it('stub host - the cache: contents, key not found, set; disabled as the real capability says', () => {
    const stubs = host({ cache: { k: 'v' } });
    expect(text(stubs.answer({ op: 'cacheGet', key: 'k' }))).toBe('v');
    expect(text(stubs.answer({ op: 'cacheGet', key: 'x' }))).toBe('error key not found');
    expect(text(stubs.answer({ op: 'cacheSet', key: 'x', value: new TextEncoder().encode('1'), ttlSeconds: 0 }))).toBe('status 0');
    expect(new TextDecoder().decode(stubs.cache.get('x'))).toBe('1');
    const off = host({}, { ...DB, cache: { ...DB.cache, enabled: false } });
    expect(text(off.answer({ op: 'cacheGet', key: 'k' }))).toBe('error capability is not enabled');
    expect(text(off.answer({ op: 'cacheSet', key: 'k', value: new Uint8Array(), ttlSeconds: 0 }))).toBe('status -2');
  });

  it('stub host - http by URL or METHOD URL; past 299 the error <status>: <body>; no stub names what to add', () => {
    const stubs = host({ http: { 'https://a.test/x': { json: { a: 1 } }, 'POST https://a.test/x': { status: 503, body: 'busy' } } });
    expect(text(stubs.answer({ op: 'fetchUrl', method: 0, url: 'https://a.test/x::accept:application/json', body: new Uint8Array() }))).toBe('{"a":1}');
    expect(text(stubs.answer({ op: 'fetchUrl', method: 3, url: 'https://a.test/x', body: new Uint8Array() }))).toBe('error 503: busy');
    expect(text(stubs.answer({ op: 'fetchUrl', method: 0, url: 'https://b.test/', body: new Uint8Array() }))).toBe(
      'error e2rx test: no stub for GET https://b.test/: add it under stubs.http, or list http under real',
    );
    expect(text(stubs.answer({ op: 'fetchUrl', method: 99, url: 'https://a.test/x', body: new Uint8Array() }))).toBe('status -2');
  });

  it("stub host - db: the real capability's checks first, then the stub (rows, a result, an error)", () => {
    const rows = host({ db: { SelectUser: [{ id: 1 }] } });
    expect(text(rows.answer({ op: 'dbExec', queryType: 1, name: 'SelectUser', variables: ['1'] }))).toBe('[{"id":1}]');
    expect(text(rows.answer({ op: 'dbExec', queryType: 1, name: 'SelectUser', variables: [] }))).toBe('error number of variables incorrect: expected 1 variables, got 0');
    expect(text(rows.answer({ op: 'dbExec', queryType: 0, name: 'SelectUser', variables: ['1'] }))).toBe('error query type incorrect');
    expect(text(rows.answer({ op: 'dbExec', queryType: 1, name: 'Nope', variables: [] }))).toBe('error query not found');
    expect(text(host({ db: { SelectUser: { error: 'boom' } } }).answer({ op: 'dbExec', queryType: 1, name: 'SelectUser', variables: ['1'] }))).toBe('error boom');
    expect(text(host({}, DEFAULT_CAPABILITIES).answer({ op: 'dbExec', queryType: 1, name: 'SelectUser', variables: ['1'] }))).toBe('error capability is not enabled');
  });

  it("stub host - static files are the app's; a real capability is not answered here", () => {
    const stubs = host({}, DB, ['cache', 'db']);
    expect(text(stubs.answer({ op: 'getStaticFile', name: 'static/a/b.txt' }))).toBe('B');
    expect(text(stubs.answer({ op: 'getStaticFile', name: '../Directive.yaml' }))).toBe('error invalid static file name: path traversal is not allowed');
    expect(stubs.answer({ op: 'cacheGet', key: 'k' })).toBeUndefined();
    expect(stubs.answer({ op: 'dbExec', queryType: 1, name: 'SelectUser', variables: ['1'] })).toBeUndefined();
  });

  it('mergeStubs - a case adds its own stubs to the file\'s, key by key', () => {
    expect(mergeStubs({ cache: { a: '1', b: '2' }, secrets: { S: 'x' } }, { cache: { b: '3' } })).toEqual({ cache: { a: '1', b: '3' }, secrets: { S: 'x' } });
  });
});
