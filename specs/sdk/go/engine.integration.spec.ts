/**
 * The Go SDK's cache and db packages on the real services, through the engine: the `capabilities` fixture with the
 * cache on Redis (a TTL included) and named queries on PostgreSQL and MariaDB (insert, select, update, delete, a
 * database error). The services must run (`npm run services up`); without Go 1.24+ the suite is skipped, with the
 * reason.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type StartedApp } from '../../integration/support/app.js';
import { describeWithGo, goFixture } from '../../support/go.js';
import { MYSQL_URL, POSTGRES_URL, REDIS_URL, requireService } from '../../support/services.js';

const FN = 'capabilities';
const suffix = randomUUID().slice(0, 8);

const field = (text: string, name: string): string => text.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';

describeWithGo('the Go SDK on Redis', () => {
  let app: StartedApp;
  let redis: Redis;
  const key = `go-sdk-${suffix}`;

  beforeAll(async () => {
    await requireService('redis');
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    app = await startApp({
      functions: [FN],
      modules: { [FN]: { bytes: await goFixture(FN), lang: 'go' } },
      extra: `connections:\n  redis:\n    serverAddress: ${REDIS_URL}`,
    });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    if (redis !== undefined) {
      await redis.del(key);
      redis.disconnect();
    }
  });

  it('go sdk - cache.Set stores in Redis with the TTL (30 s), cache.Get reads it back, a missing key is ErrNotFound', async () => {
    const reply = await app.call(FN, '', { 'x-op': `cache ${key} in-redis` });
    expect(reply.text).toBe('set: ok\nget: in-redis\nmissing: true\n');
    expect(await redis.get(key)).toBe('in-redis');
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
  });

  it('go sdk - a value set in Redis by someone else is what cache.Get reads', async () => {
    await redis.set(key, 'set by redis-cli');
    const reply = await app.call(FN, '', { 'x-op': `cache-set other-${key} x` });
    expect(reply.text).toBe('set: ok\n');
    expect(await redis.ttl(`other-${key}`)).toBe(-1);
    await redis.del(`other-${key}`);
  });
});

interface Database {
  readonly name: string;
  readonly service: 'postgres' | 'mariadb';
  readonly connection: string;
  readonly placeholders: readonly string[];
  readonly create: (table: string) => string;
  readonly insertReturning: string;
  run(sql: string): Promise<void>;
}

const DATABASES: readonly Database[] = [
  {
    name: 'PostgreSQL',
    service: 'postgres',
    connection: `type: postgresql\n    connectionString: ${POSTGRES_URL}`,
    placeholders: ['$1', '$2', '$3'],
    create: (table) => `CREATE TABLE ${table} (id serial PRIMARY KEY, name text NOT NULL UNIQUE, age integer)`,
    insertReturning: ' RETURNING id',
    run: async (sql) => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
  },
  {
    name: 'MariaDB',
    service: 'mariadb',
    connection: `type: mysql\n    connectionString: ${MYSQL_URL}`,
    placeholders: ['?', '?', '?'],
    create: (table) => `CREATE TABLE ${table} (id int AUTO_INCREMENT PRIMARY KEY, name varchar(64) NOT NULL UNIQUE, age int)`,
    insertReturning: '',
    run: async (sql) => {
      const connection = await mysql.createConnection(MYSQL_URL);
      try {
        await connection.query(sql);
      } finally {
        await connection.end();
      }
    },
  },
];

for (const database of DATABASES) {
  describeWithGo(`the Go SDK on ${database.name}`, () => {
    const table = `go_sdk_${database.service}_${suffix.replace(/-/g, '')}`;
    let app: StartedApp;
    const [a, b] = database.placeholders;

    beforeAll(async () => {
      await requireService(database.service);
      await database.run(database.create(table));
      app = await startApp({
        functions: [FN],
        modules: { [FN]: { bytes: await goFixture(FN), lang: 'go' } },
        extra: [
          'connections:',
          '  database:',
          `    ${database.connection}`,
          'queries:',
          // varCount: Atmo's count of MySQL variables misses a "?" at the end of a query.
          `  - { name: AddPerson, varCount: 2, query: "INSERT INTO ${table} (name, age) VALUES (${a}, ${b})${database.insertReturning}" }`,
          `  - { name: PeopleOlderThan, varCount: 1, query: "SELECT id, name, age FROM ${table} WHERE age > ${a} ORDER BY id" }`,
          `  - { name: SetAge, varCount: 2, query: "UPDATE ${table} SET age = ${a} WHERE name = ${b}" }`,
          `  - { name: RemovePerson, varCount: 1, query: "DELETE FROM ${table} WHERE name = ${a}" }`,
        ].join('\n'),
      });
    }, 180_000);

    afterAll(async () => {
      await app?.stop();
      await database.run(`DROP TABLE IF EXISTS ${table}`);
    });

    const op = async (operation: string): Promise<string> => (await app.call(FN, '', { 'x-op': operation })).text;

    it(`go sdk - db.Insert, db.Query, db.Update and db.Delete run the named queries on ${database.name}`, async () => {
      expect(field(await op('db insert AddPerson Ada 36'), 'result')).toBe('lastInsertID=1 rowsAffected=1');
      expect(field(await op('db insert AddPerson Grace 45'), 'result')).toMatch(/^lastInsertID=2 /);
      expect(JSON.parse(field(await op('db select PeopleOlderThan 40'), 'rows'))).toEqual([{ id: 2, name: 'Grace', age: 45 }]);
      expect(field(await op('db update SetAge 37 Ada'), 'result')).toBe('lastInsertID=0 rowsAffected=1');
      expect(JSON.parse(field(await op('db select PeopleOlderThan 0'), 'rows'))).toEqual([
        { id: 1, name: 'Ada', age: 37 },
        { id: 2, name: 'Grace', age: 45 },
      ]);
      expect(field(await op('db delete RemovePerson Grace'), 'result')).toBe('lastInsertID=0 rowsAffected=1');
      expect(JSON.parse(field(await op('db select PeopleOlderThan 0'), 'rows'))).toHaveLength(1);
    });

    it(`go sdk - a query ${database.name} refuses reaches the function as the database's error`, async () => {
      expect(field(await op('db insert AddPerson Ada 1'), 'result')).toMatch(/^error db\.Insert: .*(duplicate|Duplicate)/);
      expect(field(await op('db select NoSuchQuery'), 'rows')).toBe('error db.Query: query not found');
    });
  });
}
