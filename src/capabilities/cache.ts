/**
 * The `cache` capability: the host side of `cache_set` and `cache_get` (docs/reference/host-abi.md §5), plus a delete that the
 * ABI never exposed but the rules (`allowDelete`) govern.
 *
 * Backed by a bounded in-memory store by default, or by Redis when `config.cache.redis` is set. Outcomes:
 * - disabled capability: `capability is not enabled` (error; status -2 for a set);
 * - a rule refusing the operation (`allowGet`, `allowSet`, `allowDelete`): the same error (status -2 for a set);
 * - a missing key: the error `key not found`;
 * - a Redis failure: an error naming the address (status -2 for a set).
 *
 * @module
 */

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { HostCallContext, HostCallResult } from './host-services.js';
import { redisClientLabel } from '../connections/redis.js';
import { CAPABILITY_NOT_ENABLED, errorResult, statusResult } from './results.js';

/** The error of `cache_get` for a key that is not there (or has expired). */
export const KEY_NOT_FOUND = 'key not found';

/** The default bound on the number of entries of the in-memory cache. */
export const DEFAULT_MEMORY_CACHE_MAX_ENTRIES = 10_000;

/** The default bound on the bytes (keys and values) held by the in-memory cache. */
export const DEFAULT_MEMORY_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/** Where cached values live. Every method may reject; the capability turns rejections into results. */
export interface CacheStore {
  /** The value, or `undefined` when missing or expired. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores a copy of `value`; `ttlSeconds` ≤ 0 means no expiry. */
  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Releases what the store owns (not an injected Redis client). */
  close(): Promise<void>;
}

/** Options of {@link createMemoryCacheStore}. */
export interface MemoryCacheOptions {
  /** At most this many entries; the least recently used are evicted. */
  readonly maxEntries?: number;
  /** At most this many bytes of keys and values; the least recently used are evicted. */
  readonly maxBytes?: number;
  /** The clock, in milliseconds (injectable for specs). */
  readonly now?: () => number;
}

interface MemoryEntry {
  readonly value: Uint8Array;
  readonly expiresAt: number | undefined;
  readonly bytes: number;
}

/** The in-memory store, with its size visible for specs and metrics. */
export interface MemoryCacheStore extends CacheStore {
  /** Entries held, expired ones not yet swept included. */
  readonly size: number;
  /** Bytes held. */
  readonly bytes: number;
}

/**
 * An in-memory cache with per-entry TTL (seconds; 0 = no expiry) and least-recently-used eviction when the entry or
 * byte bound is reached. Expired entries are dropped when read and swept before evicting live ones. A value larger
 * than the byte bound is refused.
 *
 * @example
 * ```ts
 * const store = createMemoryCacheStore({ maxEntries: 1000 });
 * await store.set('k', new TextEncoder().encode('v'), 60);
 * await store.get('k'); // Uint8Array [118]
 * ```
 */
export function createMemoryCacheStore(options: MemoryCacheOptions = {}): MemoryCacheStore {
  const maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MEMORY_CACHE_MAX_ENTRIES);
  const maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_MEMORY_CACHE_MAX_BYTES);
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, MemoryEntry>();
  let bytes = 0;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    bytes -= entry.bytes;
  };
  const expired = (entry: MemoryEntry, at: number) => entry.expiresAt !== undefined && entry.expiresAt <= at;
  const sweep = (at: number) => {
    for (const [key, entry] of entries) if (expired(entry, at)) remove(key);
  };

  return {
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return Promise.resolve(undefined);
      if (expired(entry, now())) {
        remove(key);
        return Promise.resolve(undefined);
      }
      entries.delete(key);
      entries.set(key, entry);
      return Promise.resolve(entry.value.slice());
    },
    set(key, value, ttlSeconds) {
      const size = key.length * 2 + value.length;
      if (size > maxBytes) {
        return Promise.reject(new Error(`value of ${value.length} bytes is larger than the cache (${maxBytes} bytes)`));
      }
      remove(key);
      const at = now();
      if (entries.size >= maxEntries || bytes + size > maxBytes) sweep(at);
      for (const [oldest] of entries) {
        if (entries.size < maxEntries && bytes + size <= maxBytes) break;
        remove(oldest);
      }
      const expiresAt = ttlSeconds > 0 ? at + ttlSeconds * 1000 : undefined;
      entries.set(key, { value: new Uint8Array(value), expiresAt, bytes: size });
      bytes += size;
      return Promise.resolve();
    },
    delete(key) {
      remove(key);
      return Promise.resolve();
    },
    close() {
      entries.clear();
      bytes = 0;
      return Promise.resolve();
    },
  };
}

/** Options of {@link createRedisCacheStore}. */
export interface RedisCacheStoreOptions {
  /** Whether {@link CacheStore.close} quits the client (true when the store created it). */
  readonly ownsClient: boolean;
}

/**
 * A cache store on Redis (`GET`, `SET … EX ttl`, `DEL`; keys are used as given, as the original did). Failures reject
 * with a message naming the Redis address.
 *
 * @example
 * ```ts
 * const store = createRedisCacheStore(createRedisClient(config), { ownsClient: true });
 * ```
 */
export function createRedisCacheStore(client: Redis, options: RedisCacheStoreOptions): CacheStore {
  const label = redisClientLabel(client);
  // The last connection error, to say why a command failed while Redis was unreachable.
  let connectionError: string | undefined;
  client.on('error', (error: unknown) => (connectionError = errorMessage(error)));
  client.on('ready', () => (connectionError = undefined));
  const wrap = (error: unknown): Error =>
    client.status !== 'ready' && connectionError !== undefined
      ? new Error(`cannot reach Redis at ${label}: ${connectionError}`, { cause: error })
      : new Error(`redis at ${label}: ${errorMessage(error)}`, { cause: error });
  return {
    async get(key) {
      try {
        const value = await client.getBuffer(key);
        return value === null ? undefined : new Uint8Array(value);
      } catch (error) {
        throw wrap(error);
      }
    },
    async set(key, value, ttlSeconds) {
      try {
        const buffer = Buffer.from(value);
        if (ttlSeconds > 0) await client.set(key, buffer, 'EX', Math.floor(ttlSeconds));
        else await client.set(key, buffer);
      } catch (error) {
        throw wrap(error);
      }
    },
    async delete(key) {
      try {
        await client.del(key);
      } catch (error) {
        throw wrap(error);
      }
    },
    async close() {
      if (!options.ownsClient) return;
      if (client.status !== 'ready') {
        client.disconnect(); // stops the reconnection attempts of a client that is not connected
        return;
      }
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

/** The cache host services. */
export interface CacheCapability {
  cacheGet(key: string, context: HostCallContext): Promise<HostCallResult>;
  cacheSet(key: string, value: Uint8Array, ttlSeconds: number, context: HostCallContext): Promise<HostCallResult>;
  /** Not reachable from the ABI (no `cache_delete` import); governed by `allowDelete`. */
  cacheDelete(key: string, context: HostCallContext): Promise<HostCallResult>;
  close(): Promise<void>;
}

/**
 * Creates the `cache` capability over a store.
 *
 * @example
 * ```ts
 * const cache = createCacheCapability(DEFAULT_CAPABILITIES.cache, createMemoryCacheStore(), logger);
 * await cache.cacheSet('k', bytes, 0, context); // { kind: 'status', status: 0 }
 * ```
 */
export function createCacheCapability(
  config: CapabilityConfig['cache'],
  store: CacheStore,
  logger: Logger,
): CacheCapability {
  const log = logger.child({ capability: 'cache' });
  const failed = (operation: string, context: HostCallContext, error: unknown) =>
    log.warn({ fn: context.fn, request_id: context.requestId, err: errorMessage(error) }, `cache ${operation} failed`);
  return {
    async cacheGet(key, context) {
      if (!config.enabled || !config.rules.allowGet) return errorResult(CAPABILITY_NOT_ENABLED);
      try {
        const value = await store.get(key);
        return value === undefined ? errorResult(KEY_NOT_FOUND) : { kind: 'data', data: value };
      } catch (error) {
        failed('get', context, error);
        return errorResult(errorMessage(error));
      }
    },
    async cacheSet(key, value, ttlSeconds, context) {
      if (!config.enabled || !config.rules.allowSet) return statusResult(-2);
      try {
        await store.set(key, value, ttlSeconds);
        return statusResult(0);
      } catch (error) {
        failed('set', context, error);
        return statusResult(-2);
      }
    },
    async cacheDelete(key, context) {
      if (!config.enabled || !config.rules.allowDelete) return errorResult(CAPABILITY_NOT_ENABLED);
      try {
        await store.delete(key);
        return statusResult(0);
      } catch (error) {
        failed('delete', context, error);
        return errorResult(errorMessage(error));
      }
    },
    close: () => store.close(),
  };
}
