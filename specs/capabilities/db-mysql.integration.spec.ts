import mysql from 'mysql2/promise';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_STATIC_FILES } from '../../src/app/static-files.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig, type NamedQuery } from '../../src/directive/capability-config.js';
import { createHostServices, type CapabilityHostServices } from '../../src/capabilities/host-services-impl.js';
import { createMysqlClient } from '../../src/connections/sql.js';
import { E2rxError } from '../../src/errors.js';
import { MYSQL_URL } from '../support/services.js';
import { serviceGate, uniqueSuffix } from './support/services.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };
const table = `e2rx_cap_${uniqueSuffix()}`;

/** The Go driver DSN of the MySQL URL, as Atmo users wrote it. */
function goDsn(urlText: string): string {
  const url = new URL(urlText);
  return `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}@tcp(${url.hostname}:${url.port || 3306})${url.pathname}`;
}

const QUERIES: NamedQuery[] = [
  { name: 'add', type: 'insert', varCount: 3, query: `INSERT INTO ${table} (name, big, price) VALUES (?, ?, ?)` },
  {
    name: 'get',
    type: 'select',
    varCount: 1,
    query: `SELECT id, name, body, data, big, price, created, stamp, day, flag, doc, ratio FROM ${table} WHERE name = ?`,
  },
  { name: 'rename', type: 'update', varCount: 2, query: `UPDATE ${table} SET name = ? WHERE name = ?` },
  { name: 'drop', type: 'delete', varCount: 1, query: `DELETE FROM ${table} WHERE name LIKE ?` },
  { name: 'dup', type: 'insert', varCount: 1, query: `INSERT INTO ${table} (id, name) VALUES (?, 'dup')` },
];

const config = (connectionString: string): CapabilityConfig => ({
  ...DEFAULT_CAPABILITIES,
  db: { enabled: true, database: { type: 'mysql', connectionString }, queries: QUERIES },
});

function json(result: Awaited<ReturnType<CapabilityHostServices['dbExec']>>): unknown {
  if (result.kind !== 'data') throw new Error(`expected data, got ${JSON.stringify(result)}`);
  return JSON.parse(new TextDecoder().decode(result.data));
}

describe('db on MySQL/MariaDB', () => {
  const gate = serviceGate('mysql');
  beforeEach(() => gate.enforce());
  let admin: mysql.Connection;
  let services: CapabilityHostServices;

  beforeAll(async () => {
    if (!(await gate.check())) return;
    admin = await mysql.createConnection(MYSQL_URL);
    await admin.query(`CREATE TABLE ${table} (
      id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL, body TEXT, data BLOB, big BIGINT,
      price DECIMAL(10,2), created DATETIME(6) DEFAULT '2024-01-02 03:04:05.123456',
      stamp TIMESTAMP NULL DEFAULT NULL, day DATE DEFAULT '2024-02-29', flag TINYINT(1) DEFAULT 1,
      doc JSON, ratio DOUBLE DEFAULT 0.25) CHARACTER SET utf8mb4`);
    services = createHostServices(config(goDsn(MYSQL_URL)), { staticFiles: NO_STATIC_FILES, logger });
    const report = await services.start();
    expect(report.queries.filter((q) => q.error !== undefined)).toEqual([]);
  });

  afterAll(async () => {
    await services?.close();
    await admin?.query(`DROP TABLE IF EXISTS ${table}`);
    await admin?.end();
  });

  it('createHostServices - insert gives LAST_INSERT_ID and the rows affected', async () => {
    const first = json(await services.dbExec(0, 'add', ['alice', '9007199254740993', '12.50'], context)) as { lastInsertID: number };
    expect(first).toEqual({ lastInsertID: expect.any(Number) as number, rowsAffected: 1 });
    expect(first.lastInsertID).toBeGreaterThan(0);
    const second = json(await services.dbExec(0, 'add', ['bob', '1', '0.10'], context)) as { lastInsertID: number };
    expect(second.lastInsertID).toBe(first.lastInsertID + 1);
  });

  it('createHostServices - select gives text as strings, blobs as base64, dates as RFC 3339', async () => {
    await admin.query(
      `UPDATE ${table} SET body = 'héllo wörld', data = X'00FF10', stamp = '2024-05-06 07:08:09', doc = '{"a": 1}' WHERE name = 'alice'`,
    );
    const rows = json(await services.dbExec(1, 'get', ['alice'], context));
    expect(rows).toEqual([
      {
        id: expect.any(Number) as number,
        name: 'alice',
        body: 'héllo wörld',
        data: Buffer.from([0x00, 0xff, 0x10]).toString('base64'),
        big: '9007199254740993',
        price: 12.5,
        created: '2024-01-02T03:04:05.123456Z',
        stamp: '2024-05-06T07:08:09Z',
        day: '2024-02-29T00:00:00Z',
        flag: 1,
        doc: expect.stringMatching(/^\{"a":\s?1\}$/) as string,
        ratio: 0.25,
      },
    ]);
  });

  it('createHostServices - update and delete give the rows changed', async () => {
    await services.dbExec(0, 'add', ['carol', '1', '1'], context);
    await services.dbExec(0, 'add', ['carol', '1', '1'], context);
    expect(json(await services.dbExec(2, 'rename', ['dave', 'carol'], context))).toEqual({ lastInsertID: 0, rowsAffected: 2 });
    // Like the Go driver: a row matched but not changed does not count.
    expect(json(await services.dbExec(2, 'rename', ['dave', 'dave'], context))).toEqual({ lastInsertID: 0, rowsAffected: 0 });
    expect(json(await services.dbExec(3, 'drop', ['dav%'], context))).toEqual({ lastInsertID: 0, rowsAffected: 2 });
  });

  it('createHostServices - returns each error text of the capability', async () => {
    expect(await services.dbExec(1, 'missing', [], context)).toEqual({ kind: 'error', message: 'query not found' });
    expect(await services.dbExec(0, 'get', ['alice'], context)).toEqual({ kind: 'error', message: 'query type incorrect' });
    expect(await services.dbExec(0, 'add', ['a'], context)).toEqual({
      kind: 'error',
      message: 'number of variables incorrect: expected 3 variables, got 1',
    });
    await services.dbExec(0, 'dup', ['999'], context);
    const duplicate = await services.dbExec(0, 'dup', ['999'], context);
    expect(duplicate.kind === 'error' && duplicate.message).toMatch(/^Duplicate entry '999' for key/);
  });

  it('createMysqlClient - accepts a mysql:// URL', async () => {
    const client = createMysqlClient(MYSQL_URL);
    try {
      await client.connect();
      const result = await client.exec({ name: 'one', query: 'SELECT 1 AS one, ? AS echo', type: 'select', varCount: 1 }, ['hi']);
      expect(result).toEqual({ kind: 'rows', rows: [{ one: 1, echo: 'hi' }] });
      expect(await client.health()).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('createMysqlClient - prepare reports a query on a missing table without failing', async () => {
    const client = createMysqlClient(goDsn(MYSQL_URL));
    try {
      const checks = await client.prepare([
        { name: 'ok', query: `SELECT id FROM ${table} WHERE name = ?`, type: 'select', varCount: 1 },
        { name: 'broken', query: 'SELECT * FROM no_such_table_e2rx', type: 'select', varCount: 0 },
      ]);
      expect(checks[0]).toEqual({ name: 'ok' });
      expect(checks[1]?.error).toMatch(/no_such_table_e2rx' doesn't exist/);
    } finally {
      await client.close();
    }
  });

  it('createHostServices - an unreachable MySQL fails start naming the server; db_exec gives an error', async () => {
    const down = createHostServices(config('e2rx:secret@tcp(127.0.0.1:1)/e2rx'), { staticFiles: NO_STATIC_FILES, logger });
    try {
      const failure = await down.start().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(E2rxError.is(failure, 'E2RX_CONNECTION')).toBe(true);
      expect((failure as E2rxError).retriable).toBe(true);
      expect((failure as E2rxError).message).toMatch(/^cannot connect to MySQL at 127\.0\.0\.1:1\/e2rx: /);
      expect((failure as E2rxError).message).not.toContain('secret');
      const result = await down.dbExec(1, 'get', ['x'], context);
      expect(result.kind === 'error' && result.message).toMatch(/^cannot connect to MySQL at 127\.0\.0\.1:1\/e2rx: /);
    } finally {
      await down.close();
    }
  });
});
