/**
 * The Redis connection behind the `cache` capability when `connections.redis` (or `capabilities.cache.redis`) is set
 * (docs/reference/directive.md#connections).
 *
 * `serverAddress` is `host:port` (the original's form, handed to go-redis as `Addr`), or a `redis://` / `rediss://`
 * URL. The client reconnects with a capped exponential backoff forever; a command waits for at most one reconnection
 * attempt and a command timeout, then fails, so a guest's `cache_get` never hangs and a Redis outage never crashes the
 * process.
 *
 * @module
 */

import type { Redis, RedisOptions } from 'ioredis';
import { lazyModule } from '../lazy-module.js';

const ioredis = lazyModule<typeof import('ioredis')>('ioredis');
import type { Logger } from 'pino';
import { E2rxError, errorMessage } from '../errors.js';
import { backoffDelay, CONNECT_JITTER } from '../flow/backoff.js';
import type { RedisConfig } from '../directive/capability-config.js';

/** The default time a Redis command may take, connection wait included. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 5_000;

/** The default time the first connection may take. */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 5_000;

/** The parts of a Redis `serverAddress`. */
export interface RedisAddress {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** The database number of a URL's path (`redis://h:6379/2`), 0 otherwise. */
  readonly db: number;
  /** Credentials given in a URL; the `username`/`password` fields of the config win when non-empty. */
  readonly username?: string;
  readonly password?: string;
}

/**
 * Parses a Redis `serverAddress`: `host:port`, `host` (port 6379), `[::1]:6379`, or a `redis://` / `rediss://` URL.
 * Throws {@link E2rxError} `E2RX_CONNECTION` for anything else.
 *
 * @example
 * ```ts
 * parseRedisAddress('127.0.0.1:6379'); // { host: '127.0.0.1', port: 6379, tls: false, db: 0 }
 * parseRedisAddress('rediss://user:pw@cache.example.com:6380/1').tls; // true
 * ```
 */
export function parseRedisAddress(serverAddress: string): RedisAddress {
  const text = serverAddress.trim();
  const invalid = () =>
    new E2rxError('E2RX_CONNECTION', `invalid Redis server address "${serverAddress}"`, {
      hint: 'use host:port (for example 127.0.0.1:6379) or a redis:// or rediss:// URL',
    });
  if (/^rediss?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw invalid();
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === '') throw invalid();
    const dbText = url.pathname.replace(/^\//, '');
    const db = dbText === '' ? 0 : Number(dbText);
    if (!Number.isInteger(db) || db < 0) throw invalid();
    return {
      host,
      port: url.port === '' ? 6379 : Number(url.port),
      tls: url.protocol.toLowerCase() === 'rediss:',
      db,
      ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
      ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    };
  }
  if (text.includes('://')) throw invalid();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) {
    return { host: bracketed[1] ?? '', port: bracketed[2] === undefined ? 6379 : Number(bracketed[2]), tls: false, db: 0 };
  }
  const match = /^([^:/\s]+)(?::(\d+))?$/.exec(text);
  if (match === null) throw invalid();
  const port = match[2] === undefined ? 6379 : Number(match[2]);
  if (port < 1 || port > 65535) throw invalid();
  return { host: match[1] ?? '', port, tls: false, db: 0 };
}

/** How a Redis address is named in messages: `host:port`, never credentials. */
export function redisAddressLabel(address: RedisAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Options of {@link createRedisClient}. */
export interface RedisClientOptions {
  /** Per-command timeout (connection wait included); {@link DEFAULT_REDIS_COMMAND_TIMEOUT_MS} by default. */
  readonly commandTimeoutMs?: number;
  /** Timeout of one connection attempt; {@link DEFAULT_REDIS_CONNECT_TIMEOUT_MS} by default. */
  readonly connectTimeoutMs?: number;
  /** Where connection errors are logged (at most one line per outage). */
  readonly logger?: Logger;
}

/**
 * The delay before reconnection attempt `attempt` (1-based): 100 ms doubling up to 5 s, with the jitter of every
 * attempt to reach a server ({@link CONNECT_JITTER}).
 *
 * @example
 * ```ts
 * redisRetryDelay(1); // between 80 and 100
 * redisRetryDelay(10); // between 4000 and 5000
 * ```
 */
export function redisRetryDelay(attempt: number, random: () => number = Math.random): number {
  return backoffDelay(attempt, { baseMs: 100, maxMs: 5_000, jitter: CONNECT_JITTER, random });
}

/**
 * The ioredis options for a Redis config: lazy connection, endless reconnection with {@link redisRetryDelay},
 * commands that fail after one reconnection attempt or the command timeout.
 */
export function redisClientOptions(config: RedisConfig, options: RedisClientOptions = {}): RedisOptions {
  const address = parseRedisAddress(config.serverAddress);
  const username = config.username !== '' ? config.username : address.username;
  const password = config.password !== '' ? config.password : address.password;
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(address.tls ? { tls: { servername: address.host } } : {}),
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: redisRetryDelay,
  };
}

/**
 * Creates a Redis client for a config, not yet connected (it connects on first use, or through
 * {@link connectRedis}). Connection errors are logged once per outage and never thrown from an event.
 *
 * @example
 * ```ts
 * const redis = createRedisClient({ serverAddress: '127.0.0.1:6379', username: '', password: '' });
 * await connectRedis(redis);
 * ```
 */
export function createRedisClient(config: RedisConfig, options: RedisClientOptions = {}): Redis {
  const client = new (ioredis().Redis)(redisClientOptions(config, options));
  const label = redisAddressLabel(parseRedisAddress(config.serverAddress));
  let reported = false;
  client.on('error', (error: unknown) => {
    if (reported) return;
    reported = true;
    options.logger?.warn({ redis: label, err: errorMessage(error) }, 'Redis connection failed; retrying');
  });
  client.on('ready', () => {
    if (reported) options.logger?.info({ redis: label }, 'Redis connection restored');
    reported = false;
  });
  return client;
}

/** The `host:port` a client was created for. */
export function redisClientLabel(client: Redis): string {
  const host = client.options.host ?? '127.0.0.1';
  return host.includes(':') ? `[${host}]:${client.options.port ?? 6379}` : `${host}:${client.options.port ?? 6379}`;
}

/**
 * Connects a client (if it is not yet) and checks it with `PING`. Throws {@link E2rxError} `E2RX_CONNECTION`
 * (retriable) naming the address when Redis cannot be reached within `timeoutMs`; the client keeps retrying in the
 * background.
 *
 * @example
 * ```ts
 * await connectRedis(createRedisClient({ serverAddress: '127.0.0.1:6379', username: '', password: '' }));
 * ```
 */
export async function connectRedis(client: Redis, timeoutMs = DEFAULT_REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  const label = redisClientLabel(client);
  let timer: NodeJS.Timeout | undefined;
  let lastError: unknown;
  const onError = (error: unknown) => (lastError = error);
  client.on('error', onError);
  try {
    const attempt = (async () => {
      if (client.status === 'wait') await client.connect();
      await client.ping();
    })();
    attempt.catch(() => undefined);
    await Promise.race([
      attempt,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    const reason = lastError ?? error;
    throw new E2rxError('E2RX_CONNECTION', `cannot connect to Redis at ${label}: ${errorMessage(reason)}`, {
      cause: error,
      retriable: true,
      details: { redis: label },
    });
  } finally {
    client.off('error', onError);
    if (timer !== undefined) clearTimeout(timer);
  }
}
