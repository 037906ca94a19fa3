import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES, DEFAULT_HTTP_RULES } from '../../src/directive/capability-config.js';
import { publishConnections, resolveCapabilities } from '../../src/directive/capabilities.js';
import { normalizeDirective } from '../../src/directive/normalize.js';
import type { DirectiveInput } from '../../src/directive/schema.js';

const directiveWith = (extra: Partial<DirectiveInput>) =>
  normalizeDirective({
    identifier: 'com.example.app',
    appVersion: 'v0.1.0',
    atmoVersion: 'v0.4.7',
    runnables: [{ name: 'hello', namespace: 'default' }],
    ...extra,
  });

describe('resolveCapabilities', () => {
  it('resolveCapabilities - gives the defaults when the Directive configures nothing', () => {
    expect(resolveCapabilities(directiveWith({}), {})).toEqual(DEFAULT_CAPABILITIES);
  });

  it('resolveCapabilities - replaces the default object of a capability that is given', () => {
    const capabilities = resolveCapabilities(
      directiveWith({
        capabilities: {
          graphql: { enabled: false },
          logger: { enabled: false },
          http: { rules: { allowedDomains: ['*.example.com'], blockedPorts: [22] } },
        },
      }),
      {},
    );
    expect(capabilities.graphql.enabled).toBe(false);
    expect(capabilities.logger.enabled).toBe(false);
    expect(capabilities.http.rules).toEqual({ ...DEFAULT_HTTP_RULES, allowedDomains: ['*.example.com'], blockedPorts: [22] });
    expect(capabilities.file).toEqual(DEFAULT_CAPABILITIES.file);
  });

  it('resolveCapabilities - completes a partial object with the documented defaults (deviation: Go would read false)', () => {
    const capabilities = resolveCapabilities(
      directiveWith({
        capabilities: {
          http: { rules: { allowPrivate: false } },
          cache: { rules: { allowDelete: false } },
          requestHandler: { allowSetField: false },
          file: {},
          secrets: {},
        },
      }),
      {},
    );
    expect(capabilities.http).toEqual({ ...DEFAULT_CAPABILITIES.http, rules: { ...DEFAULT_HTTP_RULES, allowPrivate: false } });
    expect(capabilities.cache).toEqual({ enabled: true, rules: { allowSet: true, allowGet: true, allowDelete: false } });
    expect(capabilities.requestHandler).toEqual({ enabled: true, allowGetField: true, allowSetField: false });
    expect(capabilities.file).toEqual({ enabled: true });
    expect(capabilities.secrets).toEqual({ enabled: true, allowedKeys: [] });
  });

  it('resolveCapabilities - keeps e2rx http limits and cache size when given', () => {
    const capabilities = resolveCapabilities(
      directiveWith({ capabilities: { http: { timeoutMs: 500, maxResponseBytes: 1024 }, cache: { maxEntries: 10 }, secrets: { env: { allowedKeys: ['API_KEY'] } } } }),
      {},
    );
    expect(capabilities.http).toMatchObject({ enabled: true, timeoutMs: 500, maxResponseBytes: 1024 });
    expect(capabilities.cache.maxEntries).toBe(10);
    expect(capabilities.secrets.allowedKeys).toEqual(['API_KEY']);
  });

  it('resolveCapabilities - wires authentication.domains into the auth headers, env resolved', () => {
    const capabilities = resolveCapabilities(
      directiveWith({
        authentication: {
          domains: {
            'api.github.com': { headerType: 'bearer', value: 'env(GITHUB_TOKEN)' },
            'api.example.com:8443': { value: 'plain-secret' },
            'unset.example.com': { headerType: 'token', value: 'env(NOT_SET)' },
          },
        },
      }),
      { GITHUB_TOKEN: 'ghp_123' },
    );
    expect(capabilities.auth).toEqual({
      enabled: true,
      headers: {
        'api.github.com': { headerType: 'bearer', value: 'ghp_123' },
        'api.example.com:8443': { headerType: 'bearer', value: 'plain-secret' },
        'unset.example.com': { headerType: 'token', value: '' },
      },
    });
  });

  it('resolveCapabilities - merges capabilities.auth.headers with authentication.domains, which win', () => {
    const capabilities = resolveCapabilities(
      directiveWith({
        capabilities: { auth: { headers: { 'a.example': { value: 'env(A)' }, 'b.example': { headerType: 'basic', value: 'old' } } } },
        authentication: { domains: { 'b.example': { headerType: 'bearer', value: 'new' } } },
      }),
      { A: 'a-secret' },
    );
    expect(capabilities.auth.headers).toEqual({
      'a.example': { headerType: 'bearer', value: 'a-secret' },
      'b.example': { headerType: 'bearer', value: 'new' },
    });
  });

  it('resolveCapabilities - attaches connections.redis to the cache, env resolved', () => {
    const capabilities = resolveCapabilities(
      directiveWith({ connections: { redis: { serverAddress: 'env(REDIS_ADDR)', username: 'app', password: 'env(REDIS_PW)' } } }),
      { REDIS_ADDR: 'cache:6379', REDIS_PW: 'pw' },
    );
    expect(capabilities.cache.redis).toEqual({ serverAddress: 'cache:6379', username: 'app', password: 'pw' });
    expect(capabilities.cache.enabled).toBe(true);
  });

  it('resolveCapabilities - prefers capabilities.cache.redis over connections.redis', () => {
    const capabilities = resolveCapabilities(
      directiveWith({ connections: { redis: { serverAddress: 'conn:6379' } }, capabilities: { cache: { redis: { serverAddress: 'cap:6379' } } } }),
      {},
    );
    expect(capabilities.cache.redis).toEqual({ serverAddress: 'cap:6379', username: '', password: '' });
  });

  it('resolveCapabilities - builds db from connections.database and queries, env resolved', () => {
    const capabilities = resolveCapabilities(
      directiveWith({
        connections: { database: { type: 'postgresql', connectionString: 'env(DATABASE)' } },
        queries: [{ name: 'SelectUser', query: 'SELECT * FROM users WHERE uuid = $1' }],
      }),
      { DATABASE: 'postgresql://db/app' },
    );
    expect(capabilities.db).toEqual({
      enabled: true,
      database: { type: 'postgresql', connectionString: 'postgresql://db/app' },
      queries: [{ name: 'SelectUser', query: 'SELECT * FROM users WHERE uuid = $1', type: 'select', varCount: 1 }],
    });
  });

  it('resolveCapabilities - leaves db disabled when the connection string resolves to empty', () => {
    const capabilities = resolveCapabilities(directiveWith({ connections: { database: { type: 'mysql', connectionString: 'env(UNSET)' } } }), {});
    expect(capabilities.db.enabled).toBe(false);
    expect(capabilities.db.database).toEqual({ type: 'mysql', connectionString: '' });
  });

  it('resolveCapabilities - lets an enabled capabilities.db with a connection string win over connections.database', () => {
    const capabilities = resolveCapabilities(
      directiveWith({
        connections: { database: { type: 'postgresql', connectionString: 'postgresql://conn' } },
        capabilities: { db: { enabled: true, dbType: 'mysql', connectionString: 'env(DSN)' } },
      }),
      { DSN: 'user@tcp(db)/app' },
    );
    expect(capabilities.db).toMatchObject({ enabled: true, database: { type: 'mysql', connectionString: 'user@tcp(db)/app' } });
  });

  it('resolveCapabilities - lets capabilities.db enabled: false turn the database off', () => {
    const capabilities = resolveCapabilities(
      directiveWith({
        connections: { database: { type: 'postgresql', connectionString: 'postgresql://conn' } },
        capabilities: { db: { enabled: false } },
      }),
      {},
    );
    expect(capabilities.db.enabled).toBe(false);
  });

  it('resolveCapabilities - reads process.env by default', () => {
    process.env['E2RX_CAPABILITIES_SPEC_TOKEN'] = 'from-process';
    try {
      const capabilities = resolveCapabilities(directiveWith({ authentication: { domains: { h: { value: 'env(E2RX_CAPABILITIES_SPEC_TOKEN)' } } } }));
      expect(capabilities.auth.headers['h']?.value).toBe('from-process');
    } finally {
      delete process.env['E2RX_CAPABILITIES_SPEC_TOKEN'];
    }
  });

  it('resolveCapabilities - publish is off without a block, on with one, with its bounds and the connections it may use', () => {
    expect(resolveCapabilities(directiveWith({}), {}).publish.enabled).toBe(false);
    const directive = directiveWith({
      connections: { kafka: { brokerAddress: 'localhost:9092' } },
      capabilities: { publish: { allow: ['orders.>'], maxMessages: 3 } },
    });
    expect(resolveCapabilities(directive, {}).publish).toEqual({
      enabled: true,
      allow: ['orders.>'],
      maxMessages: 3,
      maxBytes: 1024 * 1024,
      connections: { nats: false, kafka: true },
    });
    expect(publishConnections(directive)).toEqual({ nats: false, kafka: true });
  });

  it('publishConnections - none when publish is off, even with connections', () => {
    const directive = directiveWith({
      connections: { nats: { serverAddress: 'nats://localhost:4222' } },
      capabilities: { publish: { enabled: false, allow: ['a'] } },
    });
    expect(publishConnections(directive)).toEqual({ nats: false, kafka: false });
  });
});
