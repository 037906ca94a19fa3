import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createCacheCapability, createMemoryCacheStore, type CacheStore } from '../../src/capabilities/cache.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../../src/directive/capability-config.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : new TextDecoder().decode(data));

/** A clock the spec moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const cacheConfig = (overrides: Partial<CapabilityConfig['cache']> = {}, rules: Partial<CapabilityConfig['cache']['rules']> = {}) => ({
  ...DEFAULT_CAPABILITIES.cache,
  ...overrides,
  rules: { ...DEFAULT_CAPABILITIES.cache.rules, ...rules },
});

describe('cache', () => {
  it('createMemoryCacheStore - a value lives until its TTL in seconds has passed', async () => {
    const clock = manualClock();
    const store = createMemoryCacheStore({ now: clock.now });
    await store.set('k', bytes('v'), 2);
    clock.advance(1999);
    expect(text(await store.get('k'))).toBe('v');
    clock.advance(1);
    expect(await store.get('k')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('createMemoryCacheStore - a TTL of 0 (or below) never expires', async () => {
    const clock = manualClock();
    const store = createMemoryCacheStore({ now: clock.now });
    await store.set('forever', bytes('v'), 0);
    await store.set('negative', bytes('v'), -5);
    clock.advance(365 * 24 * 3600 * 1000);
    expect(text(await store.get('forever'))).toBe('v');
    expect(text(await store.get('negative'))).toBe('v');
  });

  it('createMemoryCacheStore - setting again replaces the value and its TTL', async () => {
    const clock = manualClock();
    const store = createMemoryCacheStore({ now: clock.now });
    await store.set('k', bytes('one'), 1);
    await store.set('k', bytes('two'), 0);
    clock.advance(5000);
    expect(text(await store.get('k'))).toBe('two');
  });

  it('createMemoryCacheStore - evicts the least recently used entry beyond maxEntries', async () => {
    const store = createMemoryCacheStore({ maxEntries: 2 });
    await store.set('a', bytes('1'), 0);
    await store.set('b', bytes('2'), 0);
    await store.get('a'); // a is now more recent than b
    await store.set('c', bytes('3'), 0);
    expect(text(await store.get('a'))).toBe('1');
    expect(await store.get('b')).toBeUndefined();
    expect(text(await store.get('c'))).toBe('3');
    expect(store.size).toBe(2);
  });

  it('createMemoryCacheStore - sweeps expired entries before evicting live ones', async () => {
    const clock = manualClock();
    const store = createMemoryCacheStore({ maxEntries: 2, now: clock.now });
    await store.set('live', bytes('1'), 0);
    await store.set('short', bytes('2'), 1);
    clock.advance(1000);
    await store.set('new', bytes('3'), 0);
    expect(text(await store.get('live'))).toBe('1');
    expect(text(await store.get('new'))).toBe('3');
  });

  it('createMemoryCacheStore - bounds the bytes held and refuses a value larger than the cache', async () => {
    const store = createMemoryCacheStore({ maxBytes: 20 });
    await store.set('a', new Uint8Array(8), 0); // 2 + 8 bytes
    await store.set('b', new Uint8Array(8), 0); // 2 + 8 bytes
    await store.set('c', new Uint8Array(8), 0); // evicts a
    expect(await store.get('a')).toBeUndefined();
    expect(store.bytes).toBeLessThanOrEqual(20);
    await expect(store.set('huge', new Uint8Array(64), 0)).rejects.toThrow(/larger than the cache/);
  });

  it('createMemoryCacheStore - stores a copy and hands out copies', async () => {
    const store = createMemoryCacheStore();
    const value = bytes('abc');
    await store.set('k', value, 0);
    value[0] = 0;
    const read = await store.get('k');
    expect(text(read)).toBe('abc');
    read![0] = 0;
    expect(text(await store.get('k'))).toBe('abc');
  });

  it('createCacheCapability - get of a missing key is the error "key not found"', async () => {
    const cache = createCacheCapability(cacheConfig(), createMemoryCacheStore(), logger);
    expect(await cache.cacheGet('nope', context)).toEqual({ kind: 'error', message: 'key not found' });
    expect(await cache.cacheSet('k', bytes('v'), 0, context)).toEqual({ kind: 'status', status: 0 });
    const got = await cache.cacheGet('k', context);
    expect(got.kind === 'data' && text(got.data)).toBe('v');
    expect(await cache.cacheDelete('k', context)).toEqual({ kind: 'status', status: 0 });
    expect(await cache.cacheGet('k', context)).toEqual({ kind: 'error', message: 'key not found' });
  });

  it('createCacheCapability - a disabled capability: errors for get and delete, -2 for set', async () => {
    const cache = createCacheCapability(cacheConfig({ enabled: false }), createMemoryCacheStore(), logger);
    expect(await cache.cacheGet('k', context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
    expect(await cache.cacheSet('k', bytes('v'), 0, context)).toEqual({ kind: 'status', status: -2 });
    expect(await cache.cacheDelete('k', context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
  });

  it('createCacheCapability - allowSet, allowGet and allowDelete each refuse their operation', async () => {
    const store = createMemoryCacheStore();
    await store.set('k', bytes('v'), 0);
    const noSet = createCacheCapability(cacheConfig({}, { allowSet: false }), store, logger);
    expect(await noSet.cacheSet('k', bytes('x'), 0, context)).toEqual({ kind: 'status', status: -2 });
    expect((await noSet.cacheGet('k', context)).kind).toBe('data');
    const noGet = createCacheCapability(cacheConfig({}, { allowGet: false }), store, logger);
    expect(await noGet.cacheGet('k', context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
    const noDelete = createCacheCapability(cacheConfig({}, { allowDelete: false }), store, logger);
    expect(await noDelete.cacheDelete('k', context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
    expect(text(await store.get('k'))).toBe('v');
  });

  it('createCacheCapability - a failing store gives an error for get and -2 for set, never a rejection', async () => {
    const broken: CacheStore = {
      get: () => Promise.reject(new Error('redis at 127.0.0.1:1: connect ECONNREFUSED')),
      set: () => Promise.reject(new Error('down')),
      delete: () => Promise.reject(new Error('down')),
      close: () => Promise.resolve(),
    };
    const cache = createCacheCapability(cacheConfig(), broken, logger);
    expect(await cache.cacheGet('k', context)).toEqual({ kind: 'error', message: 'redis at 127.0.0.1:1: connect ECONNREFUSED' });
    expect(await cache.cacheSet('k', bytes('v'), 0, context)).toEqual({ kind: 'status', status: -2 });
  });
});
