/**
 * examples/counter on Redis, as its README says: the Directive gets the README's one line
 * (`connections: { redis: { serverAddress: env(REDIS_ADDRESS) } }`), the curls of "Run it" answer the same, the
 * counts are Redis keys `counter:<name>`, and they survive a restart. Counter names are made unique to the run.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { REDIS_URL, requireService } from '../support/services.js';
import { codeBlocks, copyExample, curls, expectCurl, readExample, shellCommands, uniqueName } from './support.js';

const README = await readExample('counter', 'README.md');
const REDIS_LINE = 'connections: { redis: { serverAddress: env(REDIS_ADDRESS) } }';
const suffix = uniqueName('run');
const rename = (path: string): string => path.replace(/^\/counters\/(\w+)$/, `/counters/$1-${suffix}`);

let redis: Redis;
let app: string;

beforeAll(async () => {
  await requireService('redis');
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  app = await copyExample('counter', { 'Directive.yaml': (text) => `${text}${REDIS_LINE}\n` });
});

afterAll(async () => {
  await redis?.del(`counter:visits-${suffix}`, `counter:signups-${suffix}`);
  redis?.disconnect();
  await cleanupApps();
});

async function serve(): Promise<{ engine: Engine; port: number }> {
  const engine = createEngine({
    app,
    port: 0,
    host: '127.0.0.1',
    env: { REDIS_ADDRESS: REDIS_URL },
    logger: pino({ level: 'silent' }),
  });
  return { engine, port: await engine.start() };
}

describe('examples/counter on Redis', () => {
  it('counter README - shows the one line that moves the counts to Redis, and the start with REDIS_ADDRESS', () => {
    expect(codeBlocks(README, 'yaml')).toContain(`${REDIS_LINE}\n`);
    const start = shellCommands(README, 'Keep the counts in Redis')[0];
    expect(start?.line).toBe('REDIS_ADDRESS=127.0.0.1:6379 npx e2rx start examples/counter');
  });

  it('counter README - with Redis, every curl of "Run it" prints what the README says, and Redis holds the counts', async () => {
    const { engine, port } = await serve();
    try {
      expect(engine.health()).toEqual({ healthy: true, connections: { redis: true } });
      for (const curl of curls(shellCommands(README, 'Run it'))) await expectCurl(port, curl, { path: rename });
      expect(await redis.get(`counter:visits-${suffix}`)).toBe('2');
      expect(await redis.exists(`counter:signups-${suffix}`)).toBe(0);
    } finally {
      await engine.stop();
    }
  });

  it('counter - with Redis, the counts go on after a restart', async () => {
    const { engine, port } = await serve();
    try {
      const increment = curls(shellCommands(README, 'Run it'))[0];
      if (increment === undefined) throw new Error('no curl in the README');
      await expectCurl(port, { ...increment, expected: ['3'] }, { path: rename });
    } finally {
      await engine.stop();
    }
    expect(await redis.get(`counter:visits-${suffix}`)).toBe('3');
  });
});
