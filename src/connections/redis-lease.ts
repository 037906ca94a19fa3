/**
 * Schedule leases in Redis: a key per schedule that the holder sets with a time to live and renews, and a key with the
 * last tick run; every change is one Lua script, so the check "this instance holds the lease" and the change are atomic.
 *
 * @module
 */
import type { Redis } from 'ioredis';
import type { ScheduleLease, ScheduleLeases } from './schedule-lease.js';

/** Takes the lease when free, renews it when held by ARGV[1]; 1 when ARGV[1] holds it afterwards. */
const HOLD = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** Records tick ARGV[2] in KEYS[2] (never going back) while ARGV[1] holds the lease KEYS[1]; 1 when recorded. */
const COMPLETE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > last then redis.call('SET', KEYS[2], ARGV[2]) end
return 1`;

/** Deletes the lease KEYS[1] when ARGV[1] holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** The key prefix of schedule leases in Redis. */
export const REDIS_LEASE_PREFIX = 'e2rx:schedule:';

/**
 * Schedule leases kept in Redis, through `client` (closed by {@link ScheduleLeases.close} when `ownsClient`).
 *
 * @example
 * ```ts
 * const leases = redisScheduleLeases(new Redis(), 'com.example.app', { ownsClient: true });
 * const lease = leases.lease('nightly', randomUUID(), 15_000);
 * if (await lease.hold()) { ... await lease.complete(tick); }
 * ```
 */
export function redisScheduleLeases(client: Redis, identifier: string, options: { readonly ownsClient?: boolean } = {}): ScheduleLeases {
  return {
    kind: 'redis',
    lease(name, owner, ttlMs): ScheduleLease {
      const lease = `${REDIS_LEASE_PREFIX}${identifier}:${name}:lease`;
      const last = `${REDIS_LEASE_PREFIX}${identifier}:${name}:last`;
      return {
        hold: async () => (await client.eval(HOLD, 1, lease, owner, String(ttlMs))) === 1,
        lastTick: async () => {
          const value = await client.get(last);
          return value === null ? undefined : Number(value);
        },
        complete: async (tick) => (await client.eval(COMPLETE, 2, lease, last, owner, String(tick))) === 1,
        release: async () => {
          await client.eval(RELEASE, 1, lease, owner);
        },
      };
    },
    healthy: () => client.status === 'ready',
    close: () => {
      if (options.ownsClient) client.disconnect();
      return Promise.resolve();
    },
  };
}
