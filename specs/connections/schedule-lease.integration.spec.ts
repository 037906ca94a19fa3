/**
 * The schedule-lease contract, run against both stores of `npm run services up`: Redis and NATS JetStream KV. Two
 * owners compete for the lease of one schedule; only one holds it at a time, the holder alone records ticks, a lease
 * left to expire goes to the other owner, and one given up goes at once.
 */
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, type NatsConnectionHandle } from '../../src/connections/nats.js';
import { natsScheduleLeases } from '../../src/connections/nats-lease.js';
import { redisScheduleLeases } from '../../src/connections/redis-lease.js';
import { leaseTtlMs, type ScheduleLeases } from '../../src/connections/schedule-lease.js';
import { NATS_URL, REDIS_URL, requireServices } from '../support/services.js';
import { unique } from '../streams/support.js';

const TTL_MS = 600;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const stores: ReadonlyArray<readonly ['redis' | 'nats', () => Promise<{ leases: ScheduleLeases; close: () => Promise<void> }>]> = [
  [
    'redis',
    () => {
      const client = new Redis(REDIS_URL);
      return Promise.resolve({ leases: redisScheduleLeases(client, unique('com.e2rx.lease')), close: () => Promise.resolve(client.disconnect()) });
    },
  ],
  [
    'nats',
    async () => {
      const nats: NatsConnectionHandle = await connectNats(NATS_URL, { logger: pino({ level: 'silent' }) });
      return { leases: await natsScheduleLeases(nats, unique('com.e2rx.lease')), close: () => nats.close() };
    },
  ],
];

describe.each(stores)('schedule lease in %s', (kind, open) => {
  let store: { leases: ScheduleLeases; close: () => Promise<void> };
  beforeAll(async () => {
    await requireServices(kind);
    store = await open();
  });
  afterAll(async () => store?.close());

  it(`${kind} lease - one owner holds it; the other cannot take it while it is renewed`, async () => {
    const name = unique('one-holder');
    const a = store.leases.lease(name, 'a', TTL_MS);
    const b = store.leases.lease(name, 'b', TTL_MS);
    expect(await a.hold()).toBe(true);
    expect(await b.hold()).toBe(false);
    for (let i = 0; i < 4; i += 1) {
      await sleep(TTL_MS / 3);
      expect(await a.hold()).toBe(true);
      expect(await b.hold()).toBe(false);
    }
  });

  it(`${kind} lease - only the holder records ticks, and the record never goes back`, async () => {
    const name = unique('records');
    const a = store.leases.lease(name, 'a', TTL_MS);
    const b = store.leases.lease(name, 'b', TTL_MS);
    expect(await a.lastTick()).toBeUndefined();
    expect(await a.hold()).toBe(true);
    expect(await a.complete(2_000)).toBe(true);
    expect(await b.complete(3_000)).toBe(false);
    expect(await a.complete(1_000)).toBe(true);
    expect(await b.lastTick()).toBe(2_000);
  });

  it(`${kind} lease - a lease left to expire goes to the other owner, who sees the last tick and fences the old holder`, async () => {
    const name = unique('expiry');
    const a = store.leases.lease(name, 'a', TTL_MS);
    const b = store.leases.lease(name, 'b', TTL_MS);
    expect(await a.hold()).toBe(true);
    expect(await a.complete(5_000)).toBe(true);
    await sleep(TTL_MS + 150);
    expect(await b.hold()).toBe(true);
    expect(await b.lastTick()).toBe(5_000);
    // The old holder wakes up: it may neither record nor take the lease back.
    expect(await a.complete(6_000)).toBe(false);
    expect(await a.hold()).toBe(false);
    expect(await b.complete(6_000)).toBe(true);
  });

  it(`${kind} lease - a lease given up goes to the other owner at once; giving up a lease one does not hold changes nothing`, async () => {
    const name = unique('release');
    const a = store.leases.lease(name, 'a', 60_000);
    const b = store.leases.lease(name, 'b', 60_000);
    expect(await a.hold()).toBe(true);
    await b.release();
    expect(await b.hold()).toBe(false);
    await a.release();
    expect(await b.hold()).toBe(true);
  });

  it(`${kind} lease - when several owners race for a free lease, exactly one wins`, async () => {
    const name = unique('race');
    const owners = Array.from({ length: 8 }, (_, index) => store.leases.lease(name, `owner-${index}`, 5_000));
    const won = await Promise.all(owners.map((lease) => lease.hold()));
    expect(won.filter(Boolean)).toHaveLength(1);
  });
});

describe('leaseTtlMs', () => {
  it('leaseTtlMs - one interval, between 1 s and 15 s', () => {
    expect(leaseTtlMs(200)).toBe(1_000);
    expect(leaseTtlMs(5_000)).toBe(5_000);
    expect(leaseTtlMs(86_400_000)).toBe(15_000);
  });
});
