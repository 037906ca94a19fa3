import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NO_STATIC_FILES } from '../../src/app/static-files.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../../src/directive/capability-config.js';
import { createHostServices } from '../../src/capabilities/host-services-impl.js';
import { E2rxError } from '../../src/errors.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };
const bytes = (text: string) => new TextEncoder().encode(text);

describe('host-services-impl', () => {
  it('createHostServices - the in-memory cache works with the default config', async () => {
    const services = createHostServices(DEFAULT_CAPABILITIES, { staticFiles: NO_STATIC_FILES, logger });
    expect(await services.start()).toEqual({ queries: [] });
    expect(await services.cacheSet('k', bytes('v'), 0, context)).toEqual({ kind: 'status', status: 0 });
    const got = await services.cacheGet('k', context);
    expect(got.kind === 'data' && new TextDecoder().decode(got.data)).toBe('v');
    expect(await services.cacheDelete('k', context)).toEqual({ kind: 'status', status: 0 });
    expect(await services.cacheGet('k', context)).toEqual({ kind: 'error', message: 'key not found' });
    expect(await services.getStaticFile('x.txt', context)).toEqual({ kind: 'error', message: 'file does not exist' });
    expect(await services.dbExec(1, 'q', [], context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
    expect(await services.health()).toEqual({});
    await services.close();
  });

  it('createHostServices - cache.maxEntries bounds the in-memory cache', async () => {
    const config: CapabilityConfig = { ...DEFAULT_CAPABILITIES, cache: { ...DEFAULT_CAPABILITIES.cache, maxEntries: 1 } };
    const services = createHostServices(config, { staticFiles: NO_STATIC_FILES, logger });
    await services.cacheSet('a', bytes('1'), 0, context);
    await services.cacheSet('b', bytes('2'), 0, context);
    expect(await services.cacheGet('a', context)).toEqual({ kind: 'error', message: 'key not found' });
    expect((await services.cacheGet('b', context)).kind).toBe('data');
    await services.close();
  });

  it('createHostServices - an unexpected exception becomes an error result, never a rejection', async () => {
    const broken = { ...DEFAULT_CAPABILITIES, cache: { enabled: true } } as unknown as CapabilityConfig;
    const services = createHostServices(broken, { staticFiles: NO_STATIC_FILES, logger });
    const result = await services.cacheGet('k', context);
    expect(result.kind).toBe('error');
    const throwingFiles = {
      read: () => {
        throw new Error('disk on fire');
      },
    };
    const withFiles = createHostServices(DEFAULT_CAPABILITIES, { staticFiles: throwingFiles, logger });
    expect(await withFiles.getStaticFile('a.txt', context)).toEqual({ kind: 'error', message: 'disk on fire' });
    await services.close();
    await withFiles.close();
  });

  it('createHostServices - after close every call is an error', async () => {
    const services = createHostServices(DEFAULT_CAPABILITIES, { staticFiles: NO_STATIC_FILES, logger });
    await services.close();
    await services.close();
    expect(await services.cacheGet('k', context)).toEqual({ kind: 'error', message: 'host services are closed' });
    expect(await services.fetchUrl(0, 'https://example.com/', new Uint8Array(), context)).toEqual({
      kind: 'error',
      message: 'host services are closed',
    });
  });

  it('createHostServices - an unreadable connection string fails start and the db calls, not the factory', async () => {
    const config: CapabilityConfig = {
      ...DEFAULT_CAPABILITIES,
      db: { enabled: true, database: { type: 'mysql', connectionString: 'not a dsn' }, queries: [] },
    };
    const services = createHostServices(config, { staticFiles: NO_STATIC_FILES, logger });
    await expect(services.start()).rejects.toSatisfy((error) => E2rxError.is(error, 'E2RX_CONNECTION'));
    const result = await services.dbExec(1, 'q', [], context);
    expect(result).toEqual({ kind: 'error', message: 'invalid MySQL connection string: missing the "/" before the database name' });
    await services.close();
  });

  it('createHostServices - an unreadable Redis address fails start and the cache calls', async () => {
    const config: CapabilityConfig = {
      ...DEFAULT_CAPABILITIES,
      cache: { ...DEFAULT_CAPABILITIES.cache, redis: { serverAddress: 'http://nope', username: '', password: '' } },
    };
    const services = createHostServices(config, { staticFiles: NO_STATIC_FILES, logger });
    await expect(services.start()).rejects.toThrow(/invalid Redis server address/);
    expect(await services.cacheGet('k', context)).toEqual({ kind: 'error', message: 'invalid Redis server address "http://nope"' });
    expect(await services.cacheSet('k', bytes('v'), 0, context)).toEqual({ kind: 'status', status: -2 });
    await services.close();
  });

  it('createHostServices - the http rules refuse before any connection (injected resolver)', async () => {
    const config: CapabilityConfig = {
      ...DEFAULT_CAPABILITIES,
      http: { ...DEFAULT_CAPABILITIES.http, rules: { ...DEFAULT_CAPABILITIES.http.rules, allowPrivate: false } },
    };
    const services = createHostServices(config, {
      staticFiles: NO_STATIC_FILES,
      logger,
      network: { resolver: { lookup: () => Promise.resolve([{ address: '10.0.0.5', family: 4 }]) } },
    });
    expect(await services.fetchUrl(0, 'https://internal.example/', new Uint8Array(), context)).toEqual({
      kind: 'error',
      message: 'requests to private IP address ranges are disallowed',
    });
    expect(await services.fetchUrl(0, 'http://169.254.169.254/latest', new Uint8Array(), context)).toEqual({
      kind: 'error',
      message: 'requests to private IP address ranges are disallowed',
    });
    await services.close();
  });
});
