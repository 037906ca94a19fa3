/**
 * The db capability end to end: a Wasm function (specs/fixtures/functions/db-probe) runs the Directive's named
 * queries through `add_ffi_var` + `db_exec`, served by the engine, on the real PostgreSQL and MariaDB of
 * `scripts/services.sh`. Each database gets a uniquely named table, created before the app starts (queries are
 * prepared at start-up) and dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL_URL, POSTGRES_URL, requireService, type ServiceName } from '../support/services.js';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'db-probe';

interface Database {
  readonly label: string;
  readonly service: ServiceName;
  readonly type: 'postgresql' | 'mysql';
  readonly url: string;
  /** The n-th placeholder. */
  readonly p: (n: number) => string;
  readonly createTable: (table: string) => string;
  readonly insertSuffix: string;
  /**
   * Whether the queries need an explicit `varCount`: Atmo counts MySQL placeholders with a regex over ` ? `, `?,`,
   * `(?`, `?)` and `,?`, so a `?` that ends the query (`WHERE name = ?`) is not counted.
   */
  readonly explicitVarCount: boolean;
  /** A connection for creating and dropping the table. */
  readonly admin: () => Promise<{ exec(sql: string): Promise<void>; close(): Promise<void> }>;
}

const DATABASES: readonly Database[] = [
  {
    label: 'PostgreSQL',
    service: 'postgres',
    type: 'postgresql',
    url: POSTGRES_URL,
    p: (n) => `$${n}`,
    createTable: (table) => `CREATE TABLE ${table} (id serial PRIMARY KEY, name varchar(64) NOT NULL, score integer NOT NULL)`,
    insertSuffix: ' RETURNING id',
    explicitVarCount: false,
    admin: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      return { exec: async (sql) => void (await client.query(sql)), close: () => client.end() };
    },
  },
  {
    label: 'MariaDB',
    service: 'mariadb',
    type: 'mysql',
    url: MYSQL_URL,
    p: () => '?',
    createTable: (table) => `CREATE TABLE ${table} (id int AUTO_INCREMENT PRIMARY KEY, name varchar(64) NOT NULL, score int NOT NULL)`,
    insertSuffix: '',
    explicitVarCount: true,
    admin: async () => {
      const connection = await mysql.createConnection(MYSQL_URL);
      return { exec: async (sql) => void (await connection.query(sql)), close: () => connection.end() };
    },
  },
];

/** The Directive's queries for `table`. */
function queries(db: Database, table: string): string {
  const { p } = db;
  const count = (n: number) => (db.explicitVarCount ? `\n    varCount: ${n}` : '');
  return `queries:
  - name: add-player
    query: INSERT INTO ${table} (name, score) VALUES (${p(1)}, ${p(2)})${db.insertSuffix}
  - name: player-by-name
    query: SELECT id, name, score FROM ${table} WHERE name = ${p(1)}${count(1)}
  - name: all-players
    type: select
    query: SELECT name, score FROM ${table} ORDER BY id
  - name: set-score
    query: UPDATE ${table} SET score = ${p(1)} WHERE name = ${p(2)}${count(2)}
  - name: remove-player
    query: DELETE FROM ${table} WHERE name = ${p(1)}${count(1)}
  - name: counted-by-atmo
    query: SELECT name FROM ${table} WHERE name = ${p(1)}`;
}

const connection = (db: Database) => `connections:
  database:
    type: ${db.type}
    connectionString: env(E2RX_IT_DATABASE_URL)`;

/** A db-probe request body. */
const probe = (op: string, name: string, ...args: string[]): Record<string, string> => ({
  op,
  name,
  argc: String(args.length),
  ...Object.fromEntries(args.map((value, i) => [`arg${i}`, value])),
});

const apps: StartedApp[] = [];

beforeAll(async () => {
  await builtFunctions();
});

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
});

for (const db of DATABASES) {
  describe(`db capability on ${db.label}`, () => {
    const table = `e2rx_it_${randomBytes(5).toString('hex')}`;
    let admin: Awaited<ReturnType<Database['admin']>> | undefined;
    let app: StartedApp;

    beforeAll(async () => {
      await requireService(db.service);
      admin = await db.admin();
      await admin.exec(db.createTable(table));
      app = await startApp({ functions: [FN], extra: `${connection(db)}\n${queries(db, table)}`, env: { E2RX_IT_DATABASE_URL: db.url } });
      apps.push(app);
    });

    afterAll(async () => {
      await admin?.exec(`DROP TABLE IF EXISTS ${table}`);
      await admin?.close();
    });

    it('db_exec insert - adds rows and answers the new id and the rows affected', async () => {
      const first = await app.call(FN, probe('insert', 'add-player', 'ada', '36'));
      expect(first.status, first.text).toBe(200);
      expect(JSON.parse(first.text)).toEqual({ lastInsertID: 1, rowsAffected: 1 });
      const second = await app.call(FN, probe('insert', 'add-player', 'grace', '85'));
      expect(JSON.parse(second.text)).toEqual({ lastInsertID: 2, rowsAffected: 1 });
    });

    it('db_exec select - answers a JSON array of rows, columns in order, typed values', async () => {
      const reply = await app.call(FN, probe('select', 'player-by-name', 'ada'));
      expect(reply.status, reply.text).toBe(200);
      expect(reply.text).toBe('[{"id":1,"name":"ada","score":36}]');
      expect(JSON.parse((await app.call(FN, probe('select', 'all-players'))).text)).toEqual([
        { name: 'ada', score: 36 },
        { name: 'grace', score: 85 },
      ]);
      expect((await app.call(FN, probe('select', 'player-by-name', 'nobody'))).text).toBe('[]');
    });

    it('db_exec update - answers the rows affected and the change is visible', async () => {
      const reply = await app.call(FN, probe('update', 'set-score', '37', 'ada'));
      expect(JSON.parse(reply.text)).toEqual({ lastInsertID: 0, rowsAffected: 1 });
      expect(JSON.parse((await app.call(FN, probe('select', 'player-by-name', 'ada'))).text)).toEqual([{ id: 1, name: 'ada', score: 37 }]);
    });

    it('db_exec delete - answers the rows affected and the row is gone', async () => {
      const reply = await app.call(FN, probe('delete', 'remove-player', 'grace'));
      expect(JSON.parse(reply.text)).toEqual({ lastInsertID: 0, rowsAffected: 1 });
      expect(JSON.parse((await app.call(FN, probe('select', 'all-players'))).text)).toEqual([{ name: 'ada', score: 37 }]);
    });

    it('db_exec - a query run with another type is "query type incorrect"', async () => {
      expect(await app.call(FN, probe('update', 'player-by-name', 'ada'))).toMatchObject({ status: 500, message: 'query type incorrect' });
      expect(await app.call(FN, probe('select', 'add-player', 'x', '1'))).toMatchObject({ status: 500, message: 'query type incorrect' });
    });

    it('db_exec - a wrong number of variables is refused before the database sees it', async () => {
      expect(await app.call(FN, probe('insert', 'add-player', 'only-one'))).toMatchObject({
        status: 500,
        message: 'number of variables incorrect: expected 2 variables, got 1',
      });
      expect(await app.call(FN, probe('select', 'all-players', 'extra'))).toMatchObject({
        status: 500,
        message: 'number of variables incorrect: expected 0 variables, got 1',
      });
    });

    it('db_exec - an unknown name is "query not found", an unknown type "query type invalid"', async () => {
      expect(await app.call(FN, probe('select', 'no-such-query'))).toMatchObject({ status: 500, message: 'query not found' });
      expect(await app.call(FN, probe('type:7', 'all-players'))).toMatchObject({ status: 500, message: 'query type invalid' });
    });

    it('db_exec - without varCount, placeholders are counted as Atmo counted them', async () => {
      const reply = await app.call(FN, probe('select', 'counted-by-atmo', 'ada'));
      if (db.type === 'postgresql') expect(reply).toMatchObject({ status: 200, text: '[{"name":"ada"}]' });
      else expect(reply).toMatchObject({ status: 500, message: 'number of variables incorrect: expected 0 variables, got 1' });
    });

    it("db_exec - the database's own error reaches the function", async () => {
      const reply = await app.call(FN, probe('insert', 'add-player', 'bad', 'not-a-number'));
      expect(reply.status).toBe(500);
      expect(reply.message).toMatch(/integer/i);
      expect(reply.message).toContain('not-a-number');
    });
  });
}

describe('db capability, disabled', () => {
  it('db disabled - with a database configured but db.enabled false, db_exec is "capability is not enabled"', async () => {
    await requireService('postgres');
    const db = DATABASES[0] as Database;
    const app = await startApp({
      functions: [FN],
      capabilities: 'db:\n  enabled: false',
      extra: `${connection(db)}\n${queries(db, 'e2rx_it_never_created')}`,
      env: { E2RX_IT_DATABASE_URL: db.url },
    });
    apps.push(app);
    expect(await app.call(FN, probe('select', 'all-players'))).toMatchObject({ status: 500, message: 'capability is not enabled' });
  });

  it('db disabled - without a database, db_exec is "capability is not enabled"', async () => {
    const app = await startApp({ functions: [FN] });
    apps.push(app);
    expect(await app.call(FN, probe('select', 'all-players'))).toMatchObject({ status: 500, message: 'capability is not enabled' });
  });
});
