/**
 * Opens the stores of an app's schedule leases (e2rx `lease:`): a Redis client on `connections.redis`, a NATS
 * connection on `connections.nats`, each its own, only for the kinds the app's schedules use.
 *
 * @module
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { resolveCapabilities } from '../directive/capabilities.js';
import { resolveEnv } from '../directive/env.js';
import type { Directive, ScheduleLease as LeaseKind } from '../directive/model.js';
import { E2rxError } from '../errors.js';
import { connectRedis, createRedisClient } from './redis.js';
import { connectNats, DEFAULT_NATS_ADDRESS } from './nats.js';
import { natsScheduleLeases } from './nats-lease.js';
import { redisScheduleLeases } from './redis-lease.js';
import type { ScheduleLeases } from './schedule-lease.js';

/** The open stores, by kind, and the name of this instance in them. */
export interface OpenScheduleLeases {
  readonly stores: Partial<Record<LeaseKind, ScheduleLeases>>;
  /** This instance's name as a lease holder: host, process id and a random suffix. */
  readonly owner: string;
  /** `{ 'leases.redis': true, … }` for `/health`. */
  health(): Record<string, boolean>;
  close(): Promise<void>;
}

/**
 * Opens a store for each kind in `kinds`; fails with `E2RX_CONNECTION` naming the address when one cannot be reached.
 *
 * @example
 * ```ts
 * const leases = await openScheduleLeases(directive, new Set(['redis']), { logger, env: process.env });
 * ```
 */
export async function openScheduleLeases(
  directive: Directive,
  kinds: ReadonlySet<LeaseKind>,
  options: { readonly logger: Logger; readonly env: Readonly<Record<string, string | undefined>> },
): Promise<OpenScheduleLeases> {
  const stores: Partial<Record<LeaseKind, ScheduleLeases>> = {};
  const close = async (): Promise<void> => {
    await Promise.all(Object.values(stores).map((store) => store.close()));
  };
  try {
    if (kinds.has('redis')) {
      const config = resolveCapabilities(directive, options.env).cache.redis;
      if (config === undefined) throw missing('redis');
      const client = createRedisClient(config, { logger: options.logger });
      stores.redis = redisScheduleLeases(client, directive.identifier, { ownsClient: true });
      await connectRedis(client);
    }
    if (kinds.has('nats')) {
      if (directive.connections.nats === undefined) throw missing('nats');
      const address = resolveEnv(directive.connections.nats.serverAddress, options.env)?.trim() || DEFAULT_NATS_ADDRESS;
      const nats = await connectNats(address, { logger: options.logger, name: `e2rx ${directive.identifier} schedules` });
      try {
        stores.nats = await natsScheduleLeases(nats, directive.identifier, { ownsConnection: true });
      } catch (error) {
        await nats.close();
        throw new E2rxError('E2RX_CONNECTION', `the schedule leases need JetStream KV on NATS at ${address}: ${(error as Error).message}`, {
          hint: 'run nats-server with JetStream enabled (-js), or use lease: redis',
          cause: error,
        });
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    stores,
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    health: () => Object.fromEntries(Object.entries(stores).map(([kind, store]) => [`leases.${kind}`, store.healthy()])),
    close,
  };
}

function missing(kind: LeaseKind): E2rxError {
  const key = kind === 'redis' ? 'connections.redis' : 'connections.nats';
  return new E2rxError('E2RX_CONNECTION', `a schedule holds its lease in ${kind}, but the Directive has no ${key}`, { hint: `add ${key}, or remove the schedule's lease` });
}
