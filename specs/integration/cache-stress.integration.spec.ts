/**
 * The cache host calls under load, through the worker bridge (`src/runtime/bridge.ts`): a Wasm function
 * (specs/fixtures/functions/cache-echo, what Suborbital's tinygo-cache test module does) stores each request body with
 * `cache_set` and answers what `cache_get` reads back, for thousands of concurrent calls of every body shape (empty,
 * `;`, `;y`, binary, the bridge buffer's size and one byte more, past the ring's record bound), with `placement: auto`
 * and `placement: workers`, against the in-memory cache and Redis. A call that reads any other call's answer, or
 * fails, fails the spec (issue 15, item 15: a late notify once made `cache_get` read `cache_set`'s answer, and the
 * guest saw "unknown error returned from host"). Each case is bounded in time (about a second of traffic).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_INITIAL_BYTES } from '../../src/runtime/bridge.js';
import { REDIS_URL, requireService } from '../support/services.js';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'cache-echo';
const run = randomBytes(4).toString('hex');
/** How long each case sends traffic, and how many requests are in flight at once. */
const TRAFFIC_MS = 1_500;
const CONCURRENCY = 48;

const encoder = new TextEncoder();
/** Every body shape, by name. */
const BODIES: Readonly<Record<string, Uint8Array>> = {
  empty: new Uint8Array(0),
  semicolon: encoder.encode(';'),
  'semicolon y': encoder.encode(';y'),
  'binary (NUL, 0xff, invalid UTF-8)': new Uint8Array([0, 1, 0xff, 0xfe, 0xc3, 0x28, 0x80, 0]),
  'UTF-8': encoder.encode('café 日本 🙂'),
  JSON: encoder.encode('{"username":"ada","baz":1}'),
  'the bridge buffer exactly': new Uint8Array(BRIDGE_INITIAL_BYTES).fill(0x62),
  'one byte past the bridge buffer': new Uint8Array(BRIDGE_INITIAL_BYTES + 1).fill(0x63),
  'past a ring record (300 KiB)': randomBytes(300 * 1024),
};
/** The order requests take the shapes in: the small ones often, the large ones once a round (they cost the most). */
const SHAPES: readonly (readonly [string, Uint8Array])[] = [
  ...Object.entries(BODIES).filter(([, body]) => body.length < 1024),
  ...Object.entries(BODIES).filter(([, body]) => body.length < 1024),
  ...Object.entries(BODIES).filter(([, body]) => body.length < 1024),
  ...Object.entries(BODIES).filter(([, body]) => body.length >= 1024),
];

interface Tally {
  readonly sent: number;
  /** `<shape>: <status> <body start>` of every request that did not read back its own body, and how often. */
  readonly wrong: ReadonlyMap<string, number>;
}

/**
 * Sends requests from {@link CONCURRENCY} loops for {@link TRAFFIC_MS}: each takes the next body shape, with a key of
 * its own (the answer must be its own body, byte for byte) or, one request in four, a key they all share, as the
 * test module's `name` (the answer must be 200 and one of the bodies).
 */
async function traffic(app: StartedApp, keyPrefix: string): Promise<Tally> {
  const wrong = new Map<string, number>();
  const note = (what: string) => wrong.set(what, (wrong.get(what) ?? 0) + 1);
  const until = Date.now() + TRAFFIC_MS;
  let sent = 0;
  const loop = async (lane: number): Promise<void> => {
    for (let n = lane; Date.now() < until; n += CONCURRENCY) {
      const [shape, body] = SHAPES[n % SHAPES.length] as readonly [string, Uint8Array];
      const shared = n % 4 === 3;
      sent += 1;
      const response = await fetch(`${app.base}/${FN}`, {
        method: 'POST',
        body,
        headers: { 'x-key': shared ? `${keyPrefix}:name` : `${keyPrefix}:${lane}:${n}` },
      });
      const answer = new Uint8Array(await response.arrayBuffer());
      const ok = shared ? SHAPES.some(([, candidate]) => Buffer.compare(candidate, answer) === 0) : Buffer.compare(body, answer) === 0;
      if (response.status !== 200 || !ok) note(`${shape}${shared ? ' (shared key)' : ''}: ${response.status} ${Buffer.from(answer.subarray(0, 80)).toString('latin1')}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, lane) => loop(lane)));
  return { sent, wrong };
}

const apps: StartedApp[] = [];

beforeAll(async () => {
  await builtFunctions();
});

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
  // The shared Redis keeps nothing of this run.
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `e2rx-stress:${run}:*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
    }
  } catch {
    // Redis was not there (the Redis cases then failed on their own).
  } finally {
    redis.disconnect();
  }
});

describe.each([
  ['auto', 'in memory'],
  ['workers', 'in memory'],
  ['auto', 'Redis'],
  ['workers', 'Redis'],
] as const)('cache host calls under load, placement: %s, %s', (placement, store) => {
  let app: StartedApp;
  beforeAll(async () => {
    if (store === 'Redis') await requireService('redis');
    app = await startApp({
      functions: [FN],
      runtime: `workers: 2\nplacement: ${placement}`,
      ...(store === 'Redis' ? { extra: `connections:\n  redis:\n    serverAddress: ${REDIS_URL}` } : {}),
    });
    apps.push(app);
    // Both workers started and their instances made, so that the traffic measures the calls.
    await Promise.all([app.call(FN, 'warm'), app.call(FN, 'warm')]);
  });

  it(`cache_set then cache_get - every call reads back its own body, whatever its shape (${placement}, ${store})`, async () => {
    const { sent, wrong } = await traffic(app, `e2rx-stress:${run}:${placement}:${store}`);
    expect(Object.fromEntries(wrong)).toEqual({});
    // Enough calls that the whole mix went through several times, each one a cache_set and a cache_get on the bridge.
    expect(sent).toBeGreaterThan(SHAPES.length * 3);
  });
});
