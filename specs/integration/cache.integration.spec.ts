/**
 * The cache capability end to end: a Wasm function (specs/fixtures/functions/cache-probe) calls `cache_set` and
 * `cache_get` through the engine, against the in-memory cache and against the real Redis of `scripts/services.sh`
 * (`connections.redis`), with the `allowSet` / `allowGet` rules, TTLs and the capability disabled.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, requireService } from '../support/services.js';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'cache-probe';
const run = randomBytes(4).toString('hex');
const key = (name: string): string => `e2rx-it:${run}:${name}`;
/** A URL: Atmo's validator parses `serverAddress` as one, so a bare `127.0.0.1:6379` is refused. */
const REDIS_CONNECTION = `connections:\n  redis:\n    serverAddress: ${REDIS_URL}`;

const apps: StartedApp[] = [];
const start = async (capabilities?: string, extra?: string): Promise<StartedApp> => {
  const app = await startApp({ functions: [FN], ...(capabilities ? { capabilities } : {}), ...(extra ? { extra } : {}) });
  apps.push(app);
  return app;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await builtFunctions();
});

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
});

describe('cache capability, in memory', () => {
  let app: StartedApp;
  beforeAll(async () => {
    app = await start();
  });

  it('cache_set / cache_get - a value stored by one call is read by the next', async () => {
    expect(await app.call(FN, { op: 'set', key: 'greeting', value: 'hello cache' })).toMatchObject({ status: 200, text: 'stored greeting' });
    expect(await app.call(FN, { op: 'get', key: 'greeting' })).toMatchObject({ status: 200, text: 'hello cache' });
  });

  it('cache_get - a missing key is the error "key not found"', async () => {
    expect(await app.call(FN, { op: 'get', key: 'never-set' })).toMatchObject({ status: 500, message: 'key not found' });
  });

  it('cache_set - a TTL in seconds expires the value', async () => {
    await app.call(FN, { op: 'set', key: 'short', value: 'brief', ttl: '1' });
    await app.call(FN, { op: 'set', key: 'forever', value: 'kept', ttl: '0' });
    expect(await app.call(FN, { op: 'get', key: 'short' })).toMatchObject({ status: 200, text: 'brief' });
    await sleep(1_200);
    expect(await app.call(FN, { op: 'get', key: 'short' })).toMatchObject({ status: 500, message: 'key not found' });
    expect(await app.call(FN, { op: 'get', key: 'forever' })).toMatchObject({ status: 200, text: 'kept' });
  });

  it('cache - each app has its own in-memory cache', async () => {
    const other = await start();
    expect(await other.call(FN, { op: 'get', key: 'greeting' })).toMatchObject({ status: 500, message: 'key not found' });
  });
});

describe('cache capability, Redis', () => {
  let app: StartedApp;
  let redis: Redis;
  beforeAll(async () => {
    await requireService('redis');
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    app = await start(undefined, REDIS_CONNECTION);
  });
  afterAll(async () => {
    const keys = await redis.keys(`e2rx-it:${run}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('cache_set - stores the value in Redis under the key as given', async () => {
    expect(await app.call(FN, { op: 'set', key: key('r1'), value: 'in redis' })).toMatchObject({ status: 200 });
    expect(await redis.get(key('r1'))).toBe('in redis');
    expect(await redis.ttl(key('r1'))).toBe(-1);
  });

  it('cache_get - reads a value written to Redis by someone else', async () => {
    await redis.set(key('external'), 'written outside');
    expect(await app.call(FN, { op: 'get', key: key('external') })).toMatchObject({ status: 200, text: 'written outside' });
  });

  it('cache_get - a missing Redis key is "key not found"', async () => {
    expect(await app.call(FN, { op: 'get', key: key('missing') })).toMatchObject({ status: 500, message: 'key not found' });
  });

  it('cache_set - a TTL becomes the Redis expiry and the value goes away', async () => {
    await app.call(FN, { op: 'set', key: key('ttl'), value: 'brief', ttl: '1' });
    const ttl = await redis.pttl(key('ttl'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
    await sleep(1_200);
    expect(await redis.exists(key('ttl'))).toBe(0);
    expect(await app.call(FN, { op: 'get', key: key('ttl') })).toMatchObject({ status: 500, message: 'key not found' });
  });

  it('cache - two apps on the same Redis share values', async () => {
    const other = await start(undefined, REDIS_CONNECTION);
    await app.call(FN, { op: 'set', key: key('shared'), value: 'from app one' });
    expect(await other.call(FN, { op: 'get', key: key('shared') })).toMatchObject({ status: 200, text: 'from app one' });
  });

  it('cache rules - allowSet and allowGet apply to Redis too', async () => {
    await redis.set(key('ro'), 'read only');
    const readOnly = await start('cache:\n  rules: { allowSet: false }', REDIS_CONNECTION);
    expect(await readOnly.call(FN, { op: 'set', key: key('ro'), value: 'changed' })).toMatchObject({
      status: 500,
      message: 'the cache refused to store the value',
    });
    expect(await redis.get(key('ro'))).toBe('read only');
    expect(await readOnly.call(FN, { op: 'get', key: key('ro') })).toMatchObject({ status: 200, text: 'read only' });
  });
});

describe('cache capability, rules', () => {
  it('cache rules - allowSet false: cache_set returns -2 (the SDK reports a refusal), cache_get works', async () => {
    const app = await start('cache:\n  rules: { allowSet: false }');
    expect(await app.call(FN, { op: 'set', key: 'k', value: 'v' })).toMatchObject({ status: 500, message: 'the cache refused to store the value' });
    expect(await app.call(FN, { op: 'get', key: 'k' })).toMatchObject({ status: 500, message: 'key not found' });
  });

  it('cache rules - allowGet false: cache_get is "capability is not enabled", cache_set works', async () => {
    const app = await start('cache:\n  rules: { allowGet: false }');
    expect(await app.call(FN, { op: 'set', key: 'k', value: 'v' })).toMatchObject({ status: 200, text: 'stored k' });
    expect(await app.call(FN, { op: 'get', key: 'k' })).toMatchObject({ status: 500, message: 'capability is not enabled' });
  });

  it('cache disabled - cache_get is "capability is not enabled" and cache_set is refused', async () => {
    const app = await start('cache:\n  enabled: false');
    expect(await app.call(FN, { op: 'set', key: 'k', value: 'v' })).toMatchObject({ status: 500, message: 'the cache refused to store the value' });
    expect(await app.call(FN, { op: 'get', key: 'k' })).toMatchObject({ status: 500, message: 'capability is not enabled' });
  });
});
