import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_STATIC_FILES } from '../../src/app/static-files.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig, type NamedQuery } from '../../src/directive/capability-config.js';
import { createHostServices, type CapabilityHostServices } from '../../src/capabilities/host-services-impl.js';
import { createPostgresClient } from '../../src/connections/sql.js';
import { E2rxError } from '../../src/errors.js';
import { POSTGRES_URL } from '../support/services.js';
import { serviceGate, uniqueSuffix } from './support/services.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };
const table = `e2rx_cap_${uniqueSuffix()}`;

const QUERIES: NamedQuery[] = [
  { name: 'add', type: 'insert', varCount: 3, query: `INSERT INTO ${table} (name, big, price) VALUES ($1, $2, $3) RETURNING id` },
  { name: 'add-plain', type: 'insert', varCount: 1, query: `INSERT INTO ${table} (name) VALUES ($1)` },
  { name: 'get', type: 'select', varCount: 1, query: `SELECT id, name, big, price, data, created, flag, doc, note FROM ${table} WHERE name = $1` },
  { name: 'rename', type: 'update', varCount: 2, query: `UPDATE ${table} SET name = $1 WHERE name = $2` },
  { name: 'drop', type: 'delete', varCount: 1, query: `DELETE FROM ${table} WHERE name LIKE $1` },
  { name: 'bad-cast', type: 'select', varCount: 1, query: `SELECT id FROM ${table} WHERE id = $1` },
];

const config = (connectionString: string, queries = QUERIES): CapabilityConfig => ({
  ...DEFAULT_CAPABILITIES,
  db: { enabled: true, database: { type: 'postgresql', connectionString }, queries },
});

/** The JSON of a data result, failing with the error text otherwise. */
function json(result: Awaited<ReturnType<CapabilityHostServices['dbExec']>>): unknown {
  if (result.kind !== 'data') throw new Error(`expected data, got ${JSON.stringify(result)}`);
  return JSON.parse(new TextDecoder().decode(result.data));
}

describe('db on PostgreSQL', () => {
  const gate = serviceGate('postgres');
  beforeEach(() => gate.enforce());
  let admin: pg.Client;
  let services: CapabilityHostServices;

  beforeAll(async () => {
    if (!(await gate.check())) return;
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE TABLE ${table} (
      id serial PRIMARY KEY, name text NOT NULL, big bigint, price numeric(10,2), data bytea,
      created timestamptz DEFAULT '2024-01-02 03:04:05.123456+00', flag boolean DEFAULT true,
      doc jsonb DEFAULT '{"a": 1}', note varchar(20) DEFAULT 'hé')`);
    services = createHostServices(config(POSTGRES_URL), { staticFiles: NO_STATIC_FILES, logger });
    const report = await services.start();
    expect(report.queries.filter((q) => q.error !== undefined)).toEqual([]);
  });

  afterAll(async () => {
    await services?.close();
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  it('createHostServices - insert gives the RETURNING id as lastInsertID and the rows affected', async () => {
    const first = json(await services.dbExec(0, 'add', ['alice', '9007199254740993', '12.50'], context));
    expect(first).toEqual({ lastInsertID: expect.any(Number) as number, rowsAffected: 1 });
    const plain = json(await services.dbExec(0, 'add-plain', ['bob'], context));
    expect(plain).toEqual({ lastInsertID: 0, rowsAffected: 1 });
  });

  it('createHostServices - select gives typed JSON rows', async () => {
    await admin.query(`UPDATE ${table} SET data = '\\x00ff10'::bytea WHERE name = 'alice'`);
    const rows = json(await services.dbExec(1, 'get', ['alice'], context));
    expect(rows).toEqual([
      {
        id: expect.any(Number) as number,
        name: 'alice',
        big: '9007199254740993',
        price: 12.5,
        data: Buffer.from([0x00, 0xff, 0x10]).toString('base64'),
        created: '2024-01-02T03:04:05.123456Z',
        flag: true,
        doc: '{"a": 1}',
        note: 'hé',
      },
    ]);
    expect(json(await services.dbExec(1, 'get', ['nobody'], context))).toEqual([]);
  });

  it('createHostServices - update and delete give the rows affected', async () => {
    await services.dbExec(0, 'add-plain', ['carol'], context);
    await services.dbExec(0, 'add-plain', ['carol'], context);
    expect(json(await services.dbExec(2, 'rename', ['dave', 'carol'], context))).toEqual({ lastInsertID: 0, rowsAffected: 2 });
    expect(json(await services.dbExec(3, 'drop', ['dav%'], context))).toEqual({ lastInsertID: 0, rowsAffected: 2 });
    expect(json(await services.dbExec(3, 'drop', ['nobody'], context))).toEqual({ lastInsertID: 0, rowsAffected: 0 });
  });

  it('createHostServices - returns each error text of the capability', async () => {
    expect(await services.dbExec(1, 'missing', [], context)).toEqual({ kind: 'error', message: 'query not found' });
    expect(await services.dbExec(0, 'get', ['alice'], context)).toEqual({ kind: 'error', message: 'query type incorrect' });
    expect(await services.dbExec(1, 'get', [], context)).toEqual({
      kind: 'error',
      message: 'number of variables incorrect: expected 1 variables, got 0',
    });
    expect(await services.dbExec(9, 'get', ['x'], context)).toEqual({ kind: 'error', message: 'query type invalid' });
    expect(await services.dbExec(1, 'bad-cast', ['not-a-number'], context)).toEqual({
      kind: 'error',
      message: 'invalid input syntax for type integer: "not-a-number"',
    });
  });

  it('createHostServices - a disabled db capability gives "capability is not enabled"', async () => {
    const off = createHostServices(
      { ...DEFAULT_CAPABILITIES, db: { enabled: false, database: { type: 'postgresql', connectionString: POSTGRES_URL }, queries: QUERIES } },
      { staticFiles: NO_STATIC_FILES, logger },
    );
    expect(await off.dbExec(1, 'get', ['alice'], context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
    await off.close();
  });

  it('createPostgresClient - accepts a key=value DSN', async () => {
    const url = new URL(POSTGRES_URL);
    const dsn = `host=${url.hostname} port=${url.port || 5432} user=${decodeURIComponent(url.username)} password='${decodeURIComponent(url.password)}' dbname=${url.pathname.slice(1)} sslmode=disable`;
    const client = createPostgresClient(dsn);
    try {
      await client.connect();
      const result = await client.exec({ name: 'one', query: 'SELECT 1::int AS one, $1::text AS echo', type: 'select', varCount: 1 }, ['hi']);
      expect(result).toEqual({ kind: 'rows', rows: [{ one: 1, echo: 'hi' }] });
      expect(await client.health()).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('createPostgresClient - prepare reports a query on a missing table without failing', async () => {
    const client = createPostgresClient(POSTGRES_URL);
    try {
      const checks = await client.prepare([
        { name: 'ok', query: `SELECT id FROM ${table} WHERE name = $1`, type: 'select', varCount: 1 },
        { name: 'broken', query: 'SELECT * FROM no_such_table_e2rx', type: 'select', varCount: 0 },
      ]);
      expect(checks).toEqual([{ name: 'ok' }, { name: 'broken', error: 'relation "no_such_table_e2rx" does not exist' }]);
    } finally {
      await client.close();
    }
  });

  it('createHostServices - an unreachable PostgreSQL fails start naming the server; db_exec gives an error', async () => {
    const down = createHostServices(config('postgresql://e2rx:e2rx@127.0.0.1:1/e2rx'), { staticFiles: NO_STATIC_FILES, logger });
    try {
      const failure = await down.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(E2rxError.is(failure, 'E2RX_CONNECTION')).toBe(true);
      expect((failure as E2rxError).retriable).toBe(true);
      expect((failure as E2rxError).message).toMatch(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/e2rx: /);
      expect((failure as E2rxError).message).not.toContain('e2rx:e2rx');
      const result = await down.dbExec(1, 'get', ['x'], context);
      expect(result.kind === 'error' && result.message).toMatch(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/e2rx: /);
    } finally {
      await down.close();
    }
  });

  it('createHostServices - an unreachable Redis and an unreachable PostgreSQL are reported together by start', async () => {
    const both: CapabilityConfig = {
      ...config('postgresql://e2rx:e2rx@127.0.0.1:1/e2rx'),
      cache: { ...DEFAULT_CAPABILITIES.cache, redis: { serverAddress: 'redis://127.0.0.1:1', username: '', password: '' } },
    };
    const down = createHostServices(both, { staticFiles: NO_STATIC_FILES, logger, cache: { connectTimeoutMs: 500 } });
    try {
      const failure = await down.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(E2rxError.is(failure, 'E2RX_CONNECTION')).toBe(true);
      const message = (failure as E2rxError).message;
      expect(message).toMatch(/Redis at 127\.0\.0\.1:1/);
      expect(message).toMatch(/PostgreSQL at 127\.0\.0\.1:1\/e2rx/);
      expect((failure as E2rxError).details['errors']).toHaveLength(2);
    } finally {
      await down.close();
    }
  });
});
