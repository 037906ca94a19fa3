/**
 * PostgreSQL for the `db` capability, through a `pg` pool.
 *
 * The connection string is a `postgres://` / `postgresql://` URL or a libpq `key=value` DSN (as pgx, the original's
 * driver, accepted). Named queries run as named prepared statements (`{ name, text, values }`): each pooled connection
 * parses a query once and re-uses the plan. Values come back as text (every type parser is the identity) and are
 * converted by type in one place, {@link postgresValue}: integers as numbers when safe (else strings), numerics as
 * numbers when exact, text as strings, `bytea` as base64, dates and timestamps as RFC 3339, JSON as its text.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import type pg from 'pg';
import { lazyModule } from '../../lazy-module.js';

const postgres = lazyModule<typeof import('pg')>('pg');
import type { FieldDef, PoolConfig, QueryArrayConfig } from 'pg';
import { E2rxError } from '../../errors.js';
import type { NamedQuery } from '../../directive/capability-config.js';
import {
  checkQueries,
  connectionFailure,
  decimalValue,
  floatValue,
  insertIdFrom,
  integerValue,
  isConnectionFailure,
  rfc3339,
  type JsonValue,
  type SqlClient,
  type SqlExecResult,
  type SqlRow,
} from './shared.js';

/** A parsed PostgreSQL connection string: the `pg` pool config and how to name the server in messages. */
export interface PostgresDsn {
  /** Connection settings for `pg` (no pool tuning). */
  readonly config: PoolConfig;
  /** `host:port/database`, without credentials. */
  readonly address: string;
}

/** Splits a libpq `key=value` DSN (values may be single-quoted, with `\'` and `\\` escapes). */
function parseKeyValues(dsn: string): Map<string, string> {
  const result = new Map<string, string>();
  let index = 0;
  const skipSpace = () => {
    while (index < dsn.length && /\s/.test(dsn[index] ?? '')) index += 1;
  };
  const invalid = (why: string) =>
    new E2rxError('E2RX_CONNECTION', `invalid PostgreSQL connection string: ${why}`, {
      hint: 'use postgresql://user:password@host:5432/database or host=... port=... user=... password=... dbname=...',
    });
  while (true) {
    skipSpace();
    if (index >= dsn.length) break;
    const keyStart = index;
    while (index < dsn.length && /[A-Za-z0-9_]/.test(dsn[index] ?? '')) index += 1;
    const key = dsn.slice(keyStart, index);
    if (key === '') throw invalid(`unexpected "${dsn[index]}" at position ${index + 1}`);
    skipSpace();
    if (dsn[index] !== '=') throw invalid(`missing "=" after "${key}"`);
    index += 1;
    skipSpace();
    let value = '';
    if (dsn[index] === "'") {
      index += 1;
      let closed = false;
      while (index < dsn.length) {
        const char = dsn[index] ?? '';
        if (char === '\\' && index + 1 < dsn.length) {
          value += dsn[index + 1];
          index += 2;
        } else if (char === "'") {
          index += 1;
          closed = true;
          break;
        } else {
          value += char;
          index += 1;
        }
      }
      if (!closed) throw invalid(`unterminated quoted value of "${key}"`);
    } else {
      while (index < dsn.length && !/\s/.test(dsn[index] ?? '')) {
        const char = dsn[index] ?? '';
        if (char === '\\' && index + 1 < dsn.length) {
          value += dsn[index + 1];
          index += 2;
        } else {
          value += char;
          index += 1;
        }
      }
    }
    result.set(key, value);
  }
  return result;
}

/** The `pg` SSL setting for a libpq `sslmode`. */
function sslFor(mode: string | undefined): PoolConfig['ssl'] {
  switch (mode) {
    case undefined:
    case '':
    case 'disable':
    case 'allow':
    case 'prefer':
      return false; // pg cannot fall back from TLS to plain: prefer/allow connect without TLS
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw new E2rxError('E2RX_CONNECTION', `invalid PostgreSQL sslmode "${mode}"`, {
        hint: 'use disable, allow, prefer, require, verify-ca or verify-full',
      });
  }
}

/**
 * Parses a PostgreSQL connection string: a `postgres://` / `postgresql://` URL (handed to `pg` as is) or a libpq
 * `key=value` DSN (`host`, `port`, `user`, `password`, `dbname`, `sslmode`, `connect_timeout`, `application_name`,
 * `options`; other keys are ignored). Throws {@link E2rxError} `E2RX_CONNECTION` when it cannot be read.
 *
 * @example
 * ```ts
 * parsePostgresDsn("host=db port=5433 user=app password='s3 cr\\'t' dbname=app sslmode=disable").config;
 * // { host: 'db', port: 5433, user: 'app', password: "s3 cr't", database: 'app', ssl: false }
 * ```
 */
export function parsePostgresDsn(dsn: string): PostgresDsn {
  const text = dsn.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new E2rxError('E2RX_CONNECTION', 'invalid PostgreSQL connection URL', {
        hint: 'use postgresql://user:password@host:5432/database',
      });
    }
    const host = url.hostname === '' ? (url.searchParams.get('host') ?? 'localhost') : url.hostname;
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username);
    return { config: { connectionString: text }, address: `${host}:${url.port || '5432'}/${database}` };
  }
  const values = parseKeyValues(text);
  const get = (key: string) => values.get(key);
  const port = get('port');
  const timeout = get('connect_timeout');
  const config: PoolConfig = {
    ...(get('host') !== undefined || get('hostaddr') !== undefined ? { host: get('hostaddr') ?? get('host') } : {}),
    ...(port === undefined ? {} : { port: Number(port) }),
    ...(get('user') === undefined ? {} : { user: get('user') }),
    ...(get('password') === undefined ? {} : { password: get('password') }),
    ...(get('dbname') === undefined ? {} : { database: get('dbname') }),
    ...(get('application_name') === undefined ? {} : { application_name: get('application_name') }),
    ...(get('options') === undefined ? {} : { options: get('options') }),
    ...(timeout === undefined || Number(timeout) <= 0 ? {} : { connectionTimeoutMillis: Number(timeout) * 1000 }),
    ssl: sslFor(get('sslmode')),
  };
  if (port !== undefined && !(Number.isInteger(Number(port)) && Number(port) > 0 && Number(port) < 65536)) {
    throw new E2rxError('E2RX_CONNECTION', `invalid PostgreSQL port "${port}"`);
  }
  const host = config.host ?? 'localhost';
  return { config, address: `${host}:${config.port ?? 5432}/${config.database ?? config.user ?? ''}` };
}

/** PostgreSQL type oids that need a conversion from their text form. */
const OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  numeric: 1700,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
} as const;

/** Decodes a `bytea` in hex (`\x4142`) or escape (`AB\\101`) output format. */
function byteaBytes(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] ?? '';
    if (char === '\\' && text[index + 1] === '\\') {
      bytes.push(0x5c);
      index += 1;
    } else if (char === '\\' && /^[0-7]{3}$/.test(text.slice(index + 1, index + 4))) {
      bytes.push(Number.parseInt(text.slice(index + 1, index + 4), 8));
      index += 3;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/**
 * A column value, given in PostgreSQL's text format, as JSON.
 *
 * @example
 * ```ts
 * postgresValue('t', 16); // true
 * postgresValue('\\x4869', 17); // 'SGk='
 * postgresValue('2024-01-02 03:04:05+00', 1184); // '2024-01-02T03:04:05Z'
 * ```
 */
export function postgresValue(text: string | null, dataTypeID: number): JsonValue {
  if (text === null) return null;
  switch (dataTypeID) {
    case OID.bool:
      return text === 't' || text === 'true';
    case OID.bytea:
      return byteaBytes(text).toString('base64');
    case OID.int2:
    case OID.int4:
    case OID.int8:
    case OID.oid:
      return integerValue(text);
    case OID.float4:
    case OID.float8:
      return floatValue(text);
    case OID.numeric:
      return decimalValue(text);
    case OID.date:
    case OID.timestamp:
    case OID.timestamptz:
      return rfc3339(text);
    default:
      return text; // text, varchar, uuid, json (its text), arrays and every other type: the text form
  }
}

/** Rows from `rowMode: 'array'` results as objects. */
function toRows(fields: readonly FieldDef[], rows: readonly unknown[][]): SqlRow[] {
  return rows.map((row) => {
    const object: Record<string, JsonValue> = {};
    fields.forEach((field, index) => {
      object[field.name] = postgresValue((row[index] ?? null) as string | null, field.dataTypeID);
    });
    return object;
  });
}

/** A short, stable name for a query's prepared statement (PostgreSQL truncates names beyond 63 bytes). */
function statementName(query: NamedQuery): string {
  return `e2rx_${createHash('sha256').update(`${query.name}\0${query.query}`).digest('hex').slice(0, 24)}`;
}

/** Every value as its text form: conversions happen in {@link postgresValue}. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value } as unknown as NonNullable<PoolConfig['types']>;

/** Options of {@link createPostgresClient}. */
export interface PostgresClientOptions {
  /** At most this many connections (10 by default). */
  readonly maxConnections?: number;
  /** Time allowed to open a connection (10 s by default, unless the DSN sets `connect_timeout`). */
  readonly connectTimeoutMs?: number;
}

/**
 * Creates the {@link SqlClient} for a PostgreSQL connection string.
 *
 * @example
 * ```ts
 * const sql = createPostgresClient('postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx');
 * const result = await sql.exec({ name: 'q', query: 'SELECT 1 AS one', type: 'select', varCount: 0 }, []);
 * await sql.close();
 * ```
 */
export function createPostgresClient(connectionString: string, options: PostgresClientOptions = {}): SqlClient {
  const dsn = parsePostgresDsn(connectionString);
  const server = `PostgreSQL at ${dsn.address}`;
  const pool = new (postgres().Pool)({
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    max: options.maxConnections ?? 10,
    ...dsn.config,
    types: TEXT_TYPES,
  });
  // An idle connection that dies emits 'error' on the pool; without a listener the process would crash.
  pool.on('error', () => undefined);

  const wrap = (error: unknown): unknown => (isConnectionFailure(error) ? connectionFailure(server, error) : error);

  return {
    kind: 'postgresql',
    server,
    async connect() {
      try {
        const client = await pool.connect();
        client.release();
      } catch (error) {
        throw connectionFailure(server, error);
      }
    },
    async prepare(queries) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw connectionFailure(server, error);
      }
      try {
        return await checkQueries(queries, async (query, index) => {
          const name = `e2rx_check_${index}`;
          await client.query(`PREPARE ${name} AS ${query.query}`);
          await client.query(`DEALLOCATE ${name}`);
        });
      } finally {
        client.release();
      }
    },
    async exec(query, vars) {
      const config: QueryArrayConfig = { name: statementName(query), text: query.query, values: [...vars], rowMode: 'array' };
      let result: pg.QueryArrayResult;
      try {
        result = await pool.query(config);
      } catch (error) {
        throw wrap(error);
      }
      if (query.type === 'select') return { kind: 'rows', rows: toRows(result.fields, result.rows) };
      const first: unknown = result.rows[0]?.[0];
      const lastInsertId = query.type === 'insert' && first !== undefined ? insertIdFrom(first) : 0;
      const write: SqlExecResult = { kind: 'write', lastInsertId, rowsAffected: result.rowCount ?? 0 };
      return write;
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
