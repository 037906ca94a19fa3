/**
 * The SQL connection behind the `db` capability (spec §1.7 `connections.database`, §1.10 `queries`): one interface,
 * two implementations (PostgreSQL through `pg`, MySQL/MariaDB through `mysql2`).
 *
 * @module
 */

import type { DatabaseConfig, NamedQuery } from './config.js';
import type { SqlExecResult } from './sql/shared.js';
import { createMysqlClient } from './sql/mysql.js';
import { createPostgresClient } from './sql/postgres.js';

export type { JsonValue, SqlExecResult, SqlRow } from './sql/shared.js';
export { encodeSqlResult } from './sql/shared.js';
export { createMysqlClient, mysqlPoolOptions, parseMysqlDsn, type MysqlDsn } from './sql/mysql.js';
export { createPostgresClient, parsePostgresDsn, type PostgresDsn } from './sql/postgres.js';

/** The outcome of preparing one named query at start-up. */
export interface QueryCheck {
  readonly name: string;
  /** The driver's error when the query could not be prepared (syntax, unknown table, ...). */
  readonly error?: string;
}

/**
 * A pool of connections to one SQL database that runs named queries.
 *
 * Connections are opened lazily; {@link SqlClient.connect} checks the server up front. Errors that mean the server
 * cannot be reached reject with {@link E2rxError} `E2RX_CONNECTION` (retriable) naming the server; query errors
 * reject with the driver's error.
 */
export interface SqlClient {
  /** Which database this is. */
  readonly kind: 'postgresql' | 'mysql';
  /** The server, for messages: `PostgreSQL at host:port/db`, never credentials. */
  readonly server: string;
  /** Opens one connection to check that the server answers; rejects with `E2RX_CONNECTION` naming it. */
  connect(): Promise<void>;
  /** Prepares each query once to surface SQL errors at start-up; never rejects for a bad query. */
  prepare(queries: readonly NamedQuery[]): Promise<readonly QueryCheck[]>;
  /**
   * Runs a named query with positional string variables. A `select` gives rows; the other types give the id of the
   * inserted row (MySQL's `LAST_INSERT_ID`, or the first column of a PostgreSQL `RETURNING` row, else 0) and the
   * number of affected rows.
   */
  exec(query: NamedQuery, vars: readonly string[]): Promise<SqlExecResult>;
  /** Whether a trivial query succeeds now. */
  health(): Promise<boolean>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/**
 * The client for a database config: `postgresql` → {@link createPostgresClient}, `mysql` → {@link createMysqlClient}.
 *
 * @example
 * ```ts
 * const sql = createSqlClient({ type: 'postgresql', connectionString: 'postgresql://e2rx:e2rx@127.0.0.1:5432/e2rx' });
 * await sql.connect();
 * ```
 */
export function createSqlClient(database: DatabaseConfig): SqlClient {
  return database.type === 'postgresql'
    ? createPostgresClient(database.connectionString)
    : createMysqlClient(database.connectionString);
}
