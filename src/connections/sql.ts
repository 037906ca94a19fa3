/**
 * The SQL connection behind the `db` capability (docs/reference/directive.md#connections `connections.database`, docs/reference/directive.md#queries): one interface,
 * two implementations (PostgreSQL through `pg`, MySQL/MariaDB through `mysql2`).
 *
 * @module
 */

import type { DatabaseConfig } from '../directive/capability-config.js';
import type { SqlClient } from './sql/shared.js';
import { createMysqlClient } from './sql/mysql.js';
import { createPostgresClient } from './sql/postgres.js';

export type { JsonValue, QueryCheck, SqlClient, SqlExecResult, SqlRow } from './sql/shared.js';
export { encodeSqlResult } from './sql/shared.js';
export { createMysqlClient } from './sql/mysql.js';
export { mysqlPoolOptions, parseMysqlDsn, type MysqlDsn } from './sql/mysql-dsn.js';
export { createPostgresClient, parsePostgresDsn, type PostgresDsn } from './sql/postgres.js';

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
