import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { NamedQuery } from '../../src/directive/capability-config.js';
import { createDbCapability } from '../../src/capabilities/db.js';
import type { SqlClient, SqlExecResult } from '../../src/connections/sql.js';
import { connectionFailure } from '../../src/connections/sql/shared.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };
const text = (data: Uint8Array) => new TextDecoder().decode(data);

const QUERIES: NamedQuery[] = [
  { name: 'add', query: 'INSERT INTO t (a, b) VALUES (?, ?)', type: 'insert', varCount: 2 },
  { name: 'list', query: 'SELECT * FROM t', type: 'select', varCount: 0 },
  { name: 'rename', query: 'UPDATE t SET a = ? WHERE b = ?', type: 'update', varCount: 2 },
  { name: 'drop', query: 'DELETE FROM t WHERE a = ?', type: 'delete', varCount: 1 },
];

/** A SQL client that records executions and answers from a function. */
function fakeSql(answer: (query: NamedQuery, vars: readonly string[]) => Promise<SqlExecResult>): SqlClient & {
  executed: [string, readonly string[]][];
} {
  const executed: [string, readonly string[]][] = [];
  return {
    executed,
    kind: 'mysql',
    server: 'MySQL at fake:3306/db',
    connect: () => Promise.resolve(),
    prepare: (queries) => Promise.resolve(queries.map((q) => (q.name === 'list' ? { name: q.name, error: 'no table t' } : { name: q.name }))),
    exec(query, vars) {
      executed.push([query.name, vars]);
      return answer(query, vars);
    },
    health: () => Promise.resolve(true),
    close: () => Promise.resolve(),
  };
}

const rows = (): Promise<SqlExecResult> => Promise.resolve({ kind: 'rows', rows: [{ a: 'x', b: 1 }] });
const written = (id: number, n: number) => (): Promise<SqlExecResult> => Promise.resolve({ kind: 'write', lastInsertId: id, rowsAffected: n });

describe('db', () => {
  it('createDbCapability - a disabled capability or no database gives "capability is not enabled"', async () => {
    const off = createDbCapability({ enabled: false, queries: QUERIES }, fakeSql(rows), logger);
    expect(await off.dbExec(1, 'list', [], context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
    const noClient = createDbCapability({ enabled: true, queries: QUERIES }, undefined, logger);
    expect(await noClient.dbExec(1, 'list', [], context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
  });

  it('createDbCapability - checks the query type number, name, type and variable count with the original texts', async () => {
    const sql = fakeSql(rows);
    const db = createDbCapability({ enabled: true, queries: QUERIES }, sql, logger);
    expect(await db.dbExec(4, 'list', [], context)).toEqual({ kind: 'error', message: 'query type invalid' });
    expect(await db.dbExec(1, 'missing', [], context)).toEqual({ kind: 'error', message: 'query not found' });
    // The TypeScript SDK sends 0 for select: that is insert for the host.
    expect(await db.dbExec(0, 'list', [], context)).toEqual({ kind: 'error', message: 'query type incorrect' });
    expect(await db.dbExec(0, 'add', ['only one'], context)).toEqual({
      kind: 'error',
      message: 'number of variables incorrect: expected 2 variables, got 1',
    });
    expect(sql.executed).toEqual([]);
  });

  it('createDbCapability - select gives the JSON rows', async () => {
    const db = createDbCapability({ enabled: true, queries: QUERIES }, fakeSql(rows), logger);
    const result = await db.dbExec(1, 'list', [], context);
    expect(result.kind === 'data' && JSON.parse(text(result.data))).toEqual([{ a: 'x', b: 1 }]);
  });

  it('createDbCapability - insert, update and delete give lastInsertID and rowsAffected', async () => {
    const insert = createDbCapability({ enabled: true, queries: QUERIES }, fakeSql(written(7, 1)), logger);
    const added = await insert.dbExec(0, 'add', ['a', 'b'], context);
    expect(added.kind === 'data' && text(added.data)).toBe('{"lastInsertID":7,"rowsAffected":1}');
    const update = createDbCapability({ enabled: true, queries: QUERIES }, fakeSql(written(0, 3)), logger);
    const renamed = await update.dbExec(2, 'rename', ['a', 'b'], context);
    expect(renamed.kind === 'data' && text(renamed.data)).toBe('{"lastInsertID":0,"rowsAffected":3}');
    const dropped = await update.dbExec(3, 'drop', ['a'], context);
    expect(dropped.kind === 'data' && text(dropped.data)).toBe('{"lastInsertID":0,"rowsAffected":3}');
  });

  it('createDbCapability - passes the variables positionally', async () => {
    const sql = fakeSql(written(1, 1));
    const db = createDbCapability({ enabled: true, queries: QUERIES }, sql, logger);
    await db.dbExec(0, 'add', ['first', 'second'], context);
    expect(sql.executed).toEqual([['add', ['first', 'second']]]);
  });

  it('createDbCapability - driver and connection errors become error results', async () => {
    const failing = createDbCapability(
      { enabled: true, queries: QUERIES },
      fakeSql(() => Promise.reject(new Error("Table 'e2rx.t' doesn't exist"))),
      logger,
    );
    expect(await failing.dbExec(1, 'list', [], context)).toEqual({ kind: 'error', message: "Table 'e2rx.t' doesn't exist" });
    const down = createDbCapability(
      { enabled: true, queries: QUERIES },
      fakeSql(() => Promise.reject(connectionFailure('MySQL at 127.0.0.1:1/db', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })))),
      logger,
    );
    expect(await down.dbExec(1, 'list', [], context)).toEqual({
      kind: 'error',
      message: 'cannot connect to MySQL at 127.0.0.1:1/db: connect ECONNREFUSED 127.0.0.1:1',
    });
  });

  it('createDbCapability - prepare reports the queries the database refused', async () => {
    const db = createDbCapability({ enabled: true, queries: QUERIES }, fakeSql(rows), logger);
    const checks = await db.prepare();
    expect(checks.filter((c) => c.error !== undefined)).toEqual([{ name: 'list', error: 'no table t' }]);
  });
});
