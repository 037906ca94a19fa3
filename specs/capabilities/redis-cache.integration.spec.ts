import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_STATIC_FILES } from '../../src/app/static-files.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../../src/directive/capability-config.js';
import { createHostServices, type CapabilityHostServices } from '../../src/capabilities/host-services-impl.js';
import { connectRedis, createRedisClient } from '../../src/connections/redis.js';
import { E2rxError } from '../../src/errors.js';
import { REDIS_URL } from '../support/services.js';
import { serviceGate, uniqueSuffix } from './support/services.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const redisConfig = { serverAddress: REDIS_URL, username: '', password: '' };
const prefix = `e2rx-spec-${uniqueSuffix()}:`;

const withRedis = (rules: Partial<CapabilityConfig['cache']['rules']> = {}): CapabilityConfig => ({
  ...DEFAULT_CAPABILITIES,
  cache: { enabled: true, rules: { ...DEFAULT_CAPABILITIES.cache.rules, ...rules }, redis: redisConfig },
});

describe('redis cache', () => {
  const gate = serviceGate('redis');
  beforeEach(() => gate.enforce());
  let services: CapabilityHostServices;
  let observer: Redis;

  beforeAll(async () => {
    if (!(await gate.check())) return;
    services = createHostServices(withRedis(), { staticFiles: NO_STATIC_FILES, logger });
    await services.start();
    observer = createRedisClient(redisConfig);
    await connectRedis(observer);
  });

  afterAll(async () => {
    const keys = observer === undefined ? [] : await observer.keys(`${prefix}*`);
    if (keys.length > 0) await observer.del(...keys);
    await observer?.quit();
    await services?.close();
  });

  it('createHostServices - sets and gets bytes through Redis', async () => {
    const value = new Uint8Array([0, 1, 2, 255, 254]);
    expect(await services.cacheSet(`${prefix}bin`, value, 0, context)).toEqual({ kind: 'status', status: 0 });
    const got = await services.cacheGet(`${prefix}bin`, context);
    expect(got.kind === 'data' && [...got.data]).toEqual([0, 1, 2, 255, 254]);
    // Stored under the key as given (the original used no prefix), visible to other Redis clients.
    expect([...((await observer.getBuffer(`${prefix}bin`)) ?? [])]).toEqual([0, 1, 2, 255, 254]);
  });

  it('createHostServices - a missing key is "key not found"', async () => {
    expect(await services.cacheGet(`${prefix}missing`, context)).toEqual({ kind: 'error', message: 'key not found' });
  });

  it('createHostServices - the TTL is set in seconds and the key expires', async () => {
    await services.cacheSet(`${prefix}ttl`, bytes('short'), 1, context);
    const ttl = await observer.pttl(`${prefix}ttl`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    await services.cacheSet(`${prefix}forever`, bytes('long'), 0, context);
    expect(await observer.ttl(`${prefix}forever`)).toBe(-1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await services.cacheGet(`${prefix}ttl`, context)).toEqual({ kind: 'error', message: 'key not found' });
    const forever = await services.cacheGet(`${prefix}forever`, context);
    expect(forever.kind === 'data' && text(forever.data)).toBe('long');
  });

  it('createHostServices - deletes a key', async () => {
    await services.cacheSet(`${prefix}del`, bytes('x'), 0, context);
    expect(await services.cacheDelete(`${prefix}del`, context)).toEqual({ kind: 'status', status: 0 });
    expect(await observer.exists(`${prefix}del`)).toBe(0);
  });

  it('createHostServices - the rules refuse set (-2), get and delete (errors) on Redis too', async () => {
    await observer.set(`${prefix}ruled`, 'v');
    const restricted = createHostServices(withRedis({ allowSet: false, allowGet: false, allowDelete: false }), {
      staticFiles: NO_STATIC_FILES,
      logger,
    });
    try {
      expect(await restricted.cacheSet(`${prefix}ruled`, bytes('w'), 0, context)).toEqual({ kind: 'status', status: -2 });
      expect(await restricted.cacheGet(`${prefix}ruled`, context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
      expect(await restricted.cacheDelete(`${prefix}ruled`, context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
      expect(await observer.get(`${prefix}ruled`)).toBe('v');
    } finally {
      await restricted.close();
    }
  });

  it('createHostServices - an injected client is used and left open', async () => {
    const injected = createRedisClient(redisConfig);
    const shared = createHostServices(withRedis(), { staticFiles: NO_STATIC_FILES, logger, connections: { redis: injected } });
    await shared.start();
    await shared.cacheSet(`${prefix}shared`, bytes('s'), 0, context);
    await shared.close();
    expect(await injected.get(`${prefix}shared`)).toBe('s');
    await injected.quit();
  });

  it('createHostServices - an unreachable Redis fails start naming the address, and calls fail fast without rejecting', async () => {
    const config: CapabilityConfig = {
      ...DEFAULT_CAPABILITIES,
      cache: { ...DEFAULT_CAPABILITIES.cache, redis: { serverAddress: '127.0.0.1:1', username: '', password: '' } },
    };
    const down = createHostServices(config, {
      staticFiles: NO_STATIC_FILES,
      logger,
      cache: { connectTimeoutMs: 1000, commandTimeoutMs: 1500 },
    });
    try {
      const failure = await down.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(E2rxError.is(failure, 'E2RX_CONNECTION')).toBe(true);
      expect((failure as E2rxError).retriable).toBe(true);
      expect((failure as E2rxError).message).toBe('cannot connect to Redis at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
      const started = Date.now();
      const got = await down.cacheGet('k', context);
      expect(got.kind).toBe('error');
      expect(got.kind === 'error' && got.message).toBe('cannot reach Redis at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
      expect(await down.cacheSet('k', bytes('v'), 0, context)).toEqual({ kind: 'status', status: -2 });
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await down.close();
    }
  });
});
