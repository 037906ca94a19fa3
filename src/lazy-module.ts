/**
 * Dependencies loaded the first time they are needed: an app that uses no Redis, SQL database, NATS, Kafka or
 * websocket pays neither the start-up time nor the memory of their clients (each costs 5 to 20 MB of resident
 * memory once loaded).
 *
 * @module
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS package, required on the first call of the returned function.
 *
 * @example
 * ```ts
 * const ioredis = lazyModule<typeof import('ioredis')>('ioredis');
 * const client = new (ioredis().Redis)(options);
 * ```
 */
export function lazyModule<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
