/**
 * The main-thread implementation of {@link HostServices}: one app's cache, http, graphql, db and file capabilities
 * behind the contract the runtime's bridge calls.
 *
 * Every method resolves, never rejects: an unexpected exception becomes `{ kind: 'error', message }` and is logged.
 * Connections (Redis, SQL) are injected when the caller owns them, or created here (and then closed by
 * {@link CapabilityHostServices.close}); they open lazily, and {@link CapabilityHostServices.start} checks them up
 * front.
 *
 * @module
 */

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StaticFiles } from '../app/static-files.js';
import { E2rxError, errorMessage } from '../errors.js';
import {
  createCacheCapability,
  createMemoryCacheStore,
  createRedisCacheStore,
  type CacheCapability,
  type CacheStore,
  type MemoryCacheOptions,
} from './cache.js';
import type { CapabilityConfig } from '../directive/capability-config.js';
import { createDbCapability, type DbCapability } from './db.js';
import { createFileCapability } from './file.js';
import { createGraphqlCapability } from './graphql.js';
import type { HostCallContext, HostCallResult, HostServices } from './host-services.js';
import { createHttpCapability } from './http.js';
import { SYSTEM_DNS_RESOLVER, type DnsResolver } from './http-rules.js';
import { createOutboundHttpClient, type DialOverride } from './outbound-http.js';
import { connectRedis, createRedisClient, type RedisClientOptions } from '../connections/redis.js';
import { errorResult } from './results.js';
import { createSqlClient, type QueryCheck, type SqlClient } from '../connections/sql.js';

/** Options of {@link createHostServices}. */
export interface CreateHostServicesOptions {
  /** The app's `static/` files. */
  readonly staticFiles: StaticFiles;
  readonly logger: Logger;
  /** Connections the caller owns and closes; when absent and configured, they are created (and closed) here. */
  readonly connections?: { readonly redis?: Redis; readonly sql?: SqlClient };
  /** Bounds of the in-memory cache, and the timeouts of a Redis client created here. */
  readonly cache?: MemoryCacheOptions & Omit<RedisClientOptions, 'logger'>;
  /** Outbound network: the resolver the rules use (injectable for specs), redirects followed, a test dial seam. */
  readonly network?: {
    readonly resolver?: DnsResolver;
    readonly maxRedirects?: number;
    /** Only for tests: see {@link DialOverride}. */
    readonly dial?: DialOverride;
  };
}

/** What {@link CapabilityHostServices.start} found. */
export interface HostServicesStartReport {
  /** Each named query and, when the database refused to prepare it, the error. */
  readonly queries: readonly QueryCheck[];
}

/** Which connections answer now (only those configured are present). */
export interface HostServicesHealth {
  readonly redis?: boolean;
  readonly sql?: boolean;
}

/** {@link HostServices} plus what the engine needs to run them. */
export interface CapabilityHostServices extends HostServices {
  /** Deletes a cache key under `allowDelete` (no ABI import reaches it; kept for the rule and for hosts). */
  cacheDelete(key: string, context: HostCallContext): Promise<HostCallResult>;
  /**
   * Checks the configured connections and prepares the named queries. Rejects with {@link E2rxError}
   * `E2RX_CONNECTION` (retriable) naming the server when Redis or the database cannot be reached; a query the database
   * refuses does not reject, it is reported (and `db_exec` of it returns the database's error).
   */
  start(): Promise<HostServicesStartReport>;
  /** Whether the configured connections answer. */
  health(): Promise<HostServicesHealth>;
}

const CLOSED = 'host services are closed';

/** A cache store whose every operation fails with the error that prevented creating the real one. */
function failingStore(error: Error): CacheStore {
  const fail = () => Promise.reject(error);
  return { get: fail, set: fail, delete: fail, close: () => Promise.resolve() };
}

/**
 * Creates the host services of one app from its resolved capability configuration.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const services = createHostServices(DEFAULT_CAPABILITIES, { staticFiles: NO_STATIC_FILES, logger: pino() });
 * await services.start();
 * const result = await services.fetchUrl(0, 'https://example.com/', new Uint8Array(), { fn: 'hello', requestId: '1' });
 * await services.close();
 * ```
 * @see HostServices
 */
export function createHostServices(config: CapabilityConfig, options: CreateHostServicesOptions): CapabilityHostServices {
  const logger = options.logger.child({ component: 'capabilities' });
  const owned: { redis?: Redis; sql?: SqlClient } = {};
  let redisSetupError: E2rxError | undefined;
  let sqlSetupError: E2rxError | undefined;

  // Cache: Redis when configured, in memory otherwise.
  let redis = options.connections?.redis;
  if (redis === undefined && config.cache.enabled && config.cache.redis !== undefined) {
    try {
      redis = owned.redis = createRedisClient(config.cache.redis, { ...options.cache, logger });
    } catch (error) {
      redisSetupError = asConnectionError(error);
    }
  }
  const cacheStore: CacheStore =
    config.cache.redis === undefined
      ? createMemoryCacheStore({
          ...options.cache,
          ...(config.cache.maxEntries === undefined ? {} : { maxEntries: config.cache.maxEntries }),
        })
      : redis !== undefined
        ? createRedisCacheStore(redis, { ownsClient: owned.redis !== undefined })
        : failingStore(redisSetupError ?? new E2rxError('E2RX_CONNECTION', 'no Redis client'));
  const cache: CacheCapability = createCacheCapability(config.cache, cacheStore, logger);

  // Database.
  let sql = options.connections?.sql;
  if (sql === undefined && config.db.enabled && config.db.database !== undefined) {
    try {
      sql = owned.sql = createSqlClient(config.db.database);
    } catch (error) {
      sqlSetupError = asConnectionError(error);
    }
  }
  const db: DbCapability = createDbCapability(config.db, sql, logger);

  // Outbound HTTP: one client (and its keep-alive agents) per capability.
  const clientOptions = {
    resolver: options.network?.resolver ?? SYSTEM_DNS_RESOLVER,
    ...(options.network?.maxRedirects === undefined ? {} : { maxRedirects: options.network.maxRedirects }),
    ...(options.network?.dial === undefined ? {} : { dial: options.network.dial }),
  };
  const httpClient = createOutboundHttpClient(clientOptions);
  const graphqlClient = createOutboundHttpClient(clientOptions);
  const http = createHttpCapability(config, { client: httpClient, logger });
  const graphql = createGraphqlCapability(config, { client: graphqlClient, logger });
  const file = createFileCapability(config.file, options.staticFiles, logger);

  let closed = false;
  /** Runs a host call so that it always resolves. */
  const guard = async (call: string, context: HostCallContext, run: () => Promise<HostCallResult>) => {
    if (closed) return errorResult(CLOSED);
    try {
      return await run();
    } catch (error) {
      logger.error({ call, fn: context.fn, request_id: context.requestId, err: error }, 'host call failed unexpectedly');
      return errorResult(errorMessage(error));
    }
  };

  return {
    cacheGet: (key, context) => guard('cache_get', context, () => cache.cacheGet(key, context)),
    cacheSet: (key, value, ttl, context) => guard('cache_set', context, () => cache.cacheSet(key, value, ttl, context)),
    cacheDelete: (key, context) => guard('cache_delete', context, () => cache.cacheDelete(key, context)),
    fetchUrl: (method, url, body, context) => guard('fetch_url', context, () => http.fetchUrl(method, url, body, context)),
    graphqlQuery: (endpoint, query, context) =>
      guard('graphql_query', context, () => graphql.graphqlQuery(endpoint, query, context)),
    dbExec: (type, name, vars, context) =>
      guard('db_exec', context, async () =>
        sqlSetupError !== undefined && sql === undefined && config.db.enabled
          ? errorResult(sqlSetupError.message)
          : db.dbExec(type, name, vars, context),
      ),
    getStaticFile: (name, context) => guard('get_static_file', context, () => file.getStaticFile(name, context)),

    async start() {
      // Every connection is tried, so that a wrong Redis and a wrong database are reported together.
      const failures = [redisSetupError, sqlSetupError].filter((error): error is E2rxError => error !== undefined);
      if (redis !== undefined && config.cache.enabled && config.cache.redis !== undefined) {
        await connectRedis(redis, options.cache?.connectTimeoutMs).catch((error: unknown) => failures.push(asConnectionError(error)));
      }
      let queries: readonly QueryCheck[] = [];
      if (sql !== undefined && config.db.enabled) {
        const client = sql;
        await client
          .connect()
          .then(async () => {
            queries = await db.prepare();
          })
          .catch((error: unknown) => failures.push(asConnectionError(error)));
      }
      const [first] = failures;
      if (first !== undefined && failures.length === 1) throw first;
      if (first !== undefined) {
        throw new E2rxError('E2RX_CONNECTION', failures.map((failure) => failure.message).join('; '), {
          cause: first,
          retriable: failures.every((failure) => failure.retriable),
          details: { errors: failures.map((failure) => failure.message) },
        });
      }
      return { queries };
    },

    async health() {
      const health: { redis?: boolean; sql?: boolean } = {};
      if (redis !== undefined && config.cache.redis !== undefined) {
        health.redis = await redis.ping().then(
          () => true,
          () => false,
        );
      }
      if (sql !== undefined && config.db.enabled) health.sql = await sql.health();
      return health;
    },

    async close() {
      if (closed) return;
      closed = true;
      httpClient.close();
      graphqlClient.close();
      const closing: Promise<unknown>[] = [cache.close()];
      if (owned.sql !== undefined) closing.push(owned.sql.close());
      const results = await Promise.allSettled(closing);
      for (const result of results) {
        if (result.status === 'rejected') logger.warn({ err: errorMessage(result.reason) }, 'closing a connection failed');
      }
    },
  };
}

function asConnectionError(error: unknown): E2rxError {
  return E2rxError.is(error) ? error : new E2rxError('E2RX_CONNECTION', errorMessage(error), { cause: error, retriable: true });
}
