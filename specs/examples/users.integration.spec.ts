/**
 * examples/users on PostgreSQL and examples/users-mysql on MariaDB, as their READMEs say: the README's schema
 * command names schema.sql, which creates the table; the app starts with DATABASE_URL; every curl prints what the
 * README says. Each run works on a table of its own (`users_<unique>`: the queries and schema.sql of a copy of the
 * app are renamed), so ids start at 1 as on a new table.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { cleanupApps } from '../support/apps.js';
import { MYSQL_URL, POSTGRES_URL, requireService, type ServiceName } from '../support/services.js';
import { copyExample, curls, expectCurl, readExample, shellCommands, uniqueName } from './support.js';

afterAll(cleanupApps);

interface Database {
  readonly app: string;
  readonly service: ServiceName;
  readonly url: string;
  /** The README's command that loads schema.sql. */
  readonly schemaCommand: string;
  readonly start: string;
  /** Runs SQL statements (one per call). */
  readonly run: (sql: string) => Promise<void>;
}

const DATABASES: readonly Database[] = [
  {
    app: 'users',
    service: 'postgres',
    url: POSTGRES_URL,
    schemaCommand: 'psql postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx -f examples/users/schema.sql',
    start: 'DATABASE_URL=postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx npx e2rx start examples/users',
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
    app: 'users-mysql',
    service: 'mariadb',
    url: MYSQL_URL,
    schemaCommand: 'mysql -h 127.0.0.1 -u e2rx -pe2rx e2rx < examples/users-mysql/schema.sql',
    start: 'DATABASE_URL=mysql://e2rx:e2rx@127.0.0.1:3306/e2rx npx e2rx start examples/users-mysql',
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

/** `users` → `users_<unique>` in the SQL of a Directive or schema.sql (not in the routes). */
const renameTable = (table: string) => (text: string) => text.replace(/\b(FROM|INTO|UPDATE|EXISTS) users\b/g, `$1 ${table}`);

for (const database of DATABASES) {
  describe(`examples/${database.app}`, () => {
    it(`${database.app} README - loads schema.sql, then starts the app with DATABASE_URL`, async () => {
      const lines = shellCommands(await readExample(database.app, 'README.md'), 'Run it').map((command) => command.line);
      expect(lines.slice(0, 2)).toEqual([database.schemaCommand, database.start]);
    });

    it(`${database.app} README - every curl prints what the README says`, async () => {
      await requireService(database.service);
      const table = uniqueName('users');
      const app = await copyExample(database.app, { 'Directive.yaml': renameTable(table), 'schema.sql': renameTable(table) });
      const schema = await readExample(database.app, 'schema.sql');
      await database.run(renameTable(table)(schema));
      const engine = createEngine({ app, port: 0, host: '127.0.0.1', env: { DATABASE_URL: database.url }, logger: pino({ level: 'silent' }) });
      try {
        const port = await engine.start();
        const readme = await readExample(database.app, 'README.md');
        const calls = curls(shellCommands(readme, 'Run it'));
        expect(calls.length).toBeGreaterThanOrEqual(7);
        for (const curl of calls) await expectCurl(port, curl);
      } finally {
        await engine.stop();
        await database.run(`DROP TABLE IF EXISTS ${table}`);
      }
    });

    it(`${database.app} - a query the database refuses fails the call with the database's message (500)`, async () => {
      await requireService(database.service);
      // No table at all: the queries are prepared at start (a warning each), and each call fails.
      const app = await copyExample(database.app, { 'Directive.yaml': renameTable(uniqueName('missing')) });
      const engine = createEngine({ app, port: 0, host: '127.0.0.1', env: { DATABASE_URL: database.url }, logger: pino({ level: 'silent' }) });
      try {
        const port = await engine.start();
        const reply = await fetch(`http://127.0.0.1:${port}/users`);
        expect(reply.status).toBe(500);
        expect(((await reply.json()) as { message: string }).message).toMatch(/missing_\w+/);
      } finally {
        await engine.stop();
      }
    });
  });
}
