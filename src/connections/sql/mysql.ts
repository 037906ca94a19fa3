/**
 * MySQL and MariaDB for the `db` capability, through a `mysql2/promise` pool.
 *
 * The connection string is the Go driver's DSN that the original used (`user:pass@tcp(host:3306)/db?params`), or a
 * `mysql://` URL. Named queries run through `pool.execute`, which prepares each statement once per connection and
 * caches it. Values are read with big numbers, decimals and dates as strings and converted by column type in one
 * place, {@link mysqlValue}: text columns as strings (never base64), binary columns as base64, dates as RFC 3339,
 * 64-bit integers as numbers when safe. Sessions use the UTC time zone, so `TIMESTAMP` values are exact instants.
 *
 * @module
 */

import type mysql from 'mysql2/promise';
import { lazyModule } from '../../lazy-module.js';

const mysql2 = lazyModule<typeof import('mysql2/promise')>('mysql2/promise');
import type { FieldPacket, ResultSetHeader } from 'mysql2/promise';
import { E2rxError, errorMessage } from '../../errors.js';
import { mysqlPoolOptions, parseMysqlDsn } from './mysql-dsn.js';
import {
  checkQueries,
  connectionFailure,
  decimalValue,
  insertIdFrom,
  integerValue,
  isConnectionFailure,
  rfc3339,
  type JsonValue,
  type SqlClient,
  type SqlRow,
} from './shared.js';

/** MySQL column types (protocol numbers) that need a conversion. */
const TYPE = {
  decimal: 0,
  timestamp: 7,
  longlong: 8,
  date: 10,
  datetime: 12,
  newdate: 14,
  newdecimal: 246,
} as const;

/** The binary character set: such columns hold bytes, not text. */
const BINARY_CHARSET = 63;

/**
 * A column value as `mysql2` returned it (with big numbers, decimals and dates as strings), as JSON.
 *
 * @example
 * ```ts
 * mysqlValue(Buffer.from('hi'), { columnType: 252, characterSet: 63 }); // 'aGk=' (a BLOB)
 * mysqlValue('2024-01-02 03:04:05', { columnType: 12 }); // '2024-01-02T03:04:05Z'
 * ```
 */
export function mysqlValue(value: unknown, field: { readonly columnType?: number; readonly characterSet?: number }): JsonValue {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return field.characterSet === BINARY_CHARSET || field.characterSet === undefined
      ? buffer.toString('base64')
      : buffer.toString('utf8');
  }
  if (typeof value === 'string') {
    switch (field.columnType) {
      case TYPE.longlong:
        return integerValue(value);
      case TYPE.decimal:
      case TYPE.newdecimal:
        return decimalValue(value);
      case TYPE.date:
      case TYPE.datetime:
      case TYPE.timestamp:
      case TYPE.newdate:
        return rfc3339(value);
      default:
        return value;
    }
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return JSON.parse(JSON.stringify(value)) as JsonValue; // geometry and other structured values
}

/** Options of {@link createMysqlClient}. */
export interface MysqlClientOptions {
  /** At most this many connections (10 by default). */
  readonly maxConnections?: number;
  /** Time allowed to open a connection (10 s by default, unless the DSN sets `timeout`). */
  readonly connectTimeoutMs?: number;
}

/**
 * Creates the {@link SqlClient} for a MySQL or MariaDB connection string.
 *
 * @example
 * ```ts
 * const sql = createMysqlClient('e2rx:e2rx@tcp(127.0.0.1:3306)/e2rx');
 * await sql.exec({ name: 'q', query: 'SELECT 1 AS one', type: 'select', varCount: 0 }, []);
 * await sql.close();
 * ```
 */
export function createMysqlClient(connectionString: string, options: MysqlClientOptions = {}): SqlClient {
  const dsn = parseMysqlDsn(connectionString);
  const { pool: poolOptions, sessionVariables } = mysqlPoolOptions(dsn);
  const location = dsn.socketPath ?? (dsn.host.includes(':') ? `[${dsn.host}]:${dsn.port}` : `${dsn.host}:${dsn.port}`);
  const server = `MySQL at ${location}/${dsn.database}`;
  const pool = mysql2().createPool({
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    connectionLimit: options.maxConnections ?? 10,
    enableKeepAlive: true,
    ...poolOptions,
  });
  const sessionStatement =
    sessionVariables.length === 0
      ? undefined
      : `SET ${sessionVariables.map(([name, value]) => `${name} = ${value}`).join(', ')}`;
  // The core (callback) pool: its 'connection' event hands over the callback connection.
  pool.pool.on('connection', (connection) => {
    // Pool connections report fatal errors through 'error'; the pool drops them. Never let one go unhandled.
    connection.on('error', () => undefined);
    if (sessionStatement === undefined) return;
    // Queued before any query of the connection: it runs first.
    connection.query(sessionStatement, () => undefined); // a failure is reported by connect()
  });

  const wrap = (error: unknown): unknown => (isConnectionFailure(error) ? connectionFailure(server, error) : error);

  return {
    kind: 'mysql',
    server,
    async connect() {
      let connection: mysql.PoolConnection;
      try {
        connection = await pool.getConnection();
      } catch (error) {
        throw connectionFailure(server, error);
      }
      try {
        if (sessionStatement !== undefined) await connection.query(sessionStatement);
      } catch (error) {
        throw new E2rxError('E2RX_CONNECTION', `${server}: the session variables of the DSN were refused: ${errorMessage(error)}`, {
          cause: error,
        });
      } finally {
        connection.release();
      }
    },
    async prepare(queries) {
      let connection: mysql.PoolConnection;
      try {
        connection = await pool.getConnection();
      } catch (error) {
        throw connectionFailure(server, error);
      }
      try {
        // Prepared statements are cached on this connection for later executes.
        return await checkQueries(queries, async (query) => void (await connection.prepare(query.query)));
      } finally {
        connection.release();
      }
    },
    async exec(query, vars) {
      let result: unknown;
      let fields: FieldPacket[] | undefined;
      try {
        [result, fields] = await pool.execute({ sql: query.query, rowsAsArray: true }, [...vars]);
      } catch (error) {
        throw wrap(error);
      }
      if (query.type === 'select') {
        const rows = Array.isArray(result) ? (result as unknown[][]) : [];
        const columns = fields ?? [];
        return {
          kind: 'rows',
          rows: rows.map((row): SqlRow => {
            const object: Record<string, JsonValue> = {};
            columns.forEach((field, index) => {
              object[field.name] = mysqlValue(row[index], field);
            });
            return object;
          }),
        };
      }
      const header = (Array.isArray(result) ? {} : result) as Partial<ResultSetHeader>;
      return {
        kind: 'write',
        lastInsertId: query.type === 'insert' ? insertIdFrom(header.insertId ?? 0) : 0,
        rowsAffected: Number(header.affectedRows ?? 0),
      };
    },
    async health() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end();
    },
  };
}
