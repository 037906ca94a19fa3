/**
 * examples/go-books as its README says, on PostgreSQL: schema.sql creates the table (a table of this run's own: the
 * copy's Directive and schema.sql are renamed), the app is built with e2rx build, the README's ratings API runs
 * (the README's command, on a free port), the app starts with DATABASE_URL and RATINGS_URL, and every curl of "Run
 * it" prints what the README says: the query, the outbound HTTP call and the in-memory cache. Then the same with
 * the cache in Redis (the README's Directive lines), where the answer is the key book:<isbn> with a TTL of 60 s.
 * Skipped, with the reason, without Go 1.24+; the services must run (`npm run services up`).
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/build/build-app.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { describeWithGo } from '../support/go.js';
import { POSTGRES_URL, REDIS_URL, requireService } from '../support/services.js';
import { copyGoExample, startCommand, type StartedCommand } from './go-support.js';
import { codeBlocks, curls, expectCurl, readExample, shellCommands, uniqueName } from './support.js';

const README = await readExample('go-books', 'README.md');
const ISBNS = ['9780262510875', '9780201633610', '9780131103627'];

/** `books` → `books_<unique>` in the SQL of the Directive and of schema.sql. */
const renameTable = (table: string) => (text: string) => text.replace(/\b(FROM|INTO|EXISTS) books\b/g, `$1 ${table}`);

async function sql(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

afterAll(cleanupApps);

describeWithGo('examples/go-books on PostgreSQL', () => {
  let ratings: StartedCommand | undefined;
  const tables: string[] = [];

  beforeAll(async () => {
    await requireService('postgres');
    ratings = await startCommand(shellCommands(README, 'Run it')[2]?.words ?? [], { PORT: '0' }, /ratings API on (http:\/\/127\.0\.0\.1:\d+)/);
  });

  afterAll(async () => {
    await ratings?.stop();
    for (const table of tables) await sql(`DROP TABLE IF EXISTS ${table}`);
  });

  /** A built copy of the app on a new table holding schema.sql's books; `directive` edits its Directive further. */
  async function prepare(directive: (text: string) => string = (text) => text): Promise<string> {
    const table = uniqueName('books');
    tables.push(table);
    const app = await copyGoExample('go-books', { 'Directive.yaml': (text) => directive(renameTable(table)(text)), 'schema.sql': renameTable(table) });
    await sql(renameTable(table)(await readExample('go-books', 'schema.sql')));
    const report = await buildApp(app);
    expect(report.ok, JSON.stringify(report.functions, null, 2)).toBe(true);
    return app;
  }

  async function serve(app: string, env: Readonly<Record<string, string>> = {}): Promise<{ engine: Engine; port: number }> {
    const engine = createEngine({
      app,
      port: 0,
      host: '127.0.0.1',
      env: { DATABASE_URL: POSTGRES_URL, RATINGS_URL: ratings?.found ?? '', ...env },
      logger: pino({ level: 'silent' }),
    });
    return { engine, port: await engine.start() };
  }

  it('go-books README - every curl of "Run it" prints what the README says (the query, the ratings API, the in-memory cache)', async () => {
    const { engine, port } = await serve(await prepare());
    try {
      const calls = curls(shellCommands(README, 'Run it'));
      expect(calls).toHaveLength(8);
      for (const curl of calls) await expectCurl(port, curl);
    } finally {
      await engine.stop();
    }
  }, 180_000);

  it('go-books - without the ratings API, books are answered without a rating', async () => {
    const { engine, port } = await serve(await prepare(), { RATINGS_URL: 'http://127.0.0.1:1' });
    try {
      const reply = await fetch(`http://127.0.0.1:${port}/books/9780262510875`);
      expect(reply.status).toBe(200);
      expect(await reply.text()).toMatch(/"year":1996,"rating":null}$/);
    } finally {
      await engine.stop();
    }
  }, 180_000);

  it('go-books README - with the Redis lines, the answer is cached in Redis as book:<isbn> for 60 s', async () => {
    await requireService('redis');
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const yaml = codeBlocks(README, 'yaml', 'Keep the cache in Redis')[0] ?? '';
    expect(yaml).toContain('redis: { serverAddress: env(REDIS_ADDRESS) }');
    const start = shellCommands(README, 'Keep the cache in Redis')[0];
    expect(start?.env).toMatchObject({ REDIS_ADDRESS: '127.0.0.1:6379', RATINGS_URL: 'http://127.0.0.1:8081' });
    const app = await prepare((text) => text.replace(/connections:\n(?: {2}.*\n)+/, yaml));
    await redis.del(ISBNS.map((isbn) => `book:${isbn}`));
    const { engine, port } = await serve(app, { REDIS_ADDRESS: REDIS_URL });
    try {
      for (const curl of curls(shellCommands(README, 'Run it')).slice(0, 2)) await expectCurl(port, curl);
      expect(JSON.parse((await redis.get('book:9780262510875')) ?? '{}')).toMatchObject({ title: 'Structure and Interpretation of Computer Programs' });
      const ttl = await redis.ttl('book:9780262510875');
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);
    } finally {
      await engine.stop();
      await redis.del(ISBNS.map((isbn) => `book:${isbn}`));
      redis.disconnect();
    }
  }, 180_000);
});
