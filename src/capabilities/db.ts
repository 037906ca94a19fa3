/**
 * The `db` capability: the host side of `db_exec` (docs/reference/host-abi.md §5), running the app's named queries (docs/reference/directive.md#queries).
 *
 * Checks, in order: the capability is enabled and has a database (`capability is not enabled`); the query type is a
 * host query type (`query type invalid`); the query exists (`query not found`); its type matches
 * (`query type incorrect`); the variable count matches
 * (`number of variables incorrect: expected N variables, got M`). Then the query runs; a select gives a JSON array of
 * row objects, the others `{"lastInsertID":n,"rowsAffected":m}`. Driver errors are returned as their text.
 *
 * @module
 */

import type { Logger } from 'pino';
import { E2rxError, errorMessage } from '../errors.js';
import type { CapabilityConfig, NamedQuery } from '../directive/capability-config.js';
import type { HostCallContext, HostCallResult } from './host-services.js';
import { CAPABILITY_NOT_ENABLED, errorResult, textResult } from './results.js';
import type { QueryCheck, SqlClient } from '../connections/sql.js';
import { encodeSqlResult } from '../connections/sql/shared.js';

/** The host's query types by ABI number: 0 insert, 1 select, 2 update, 3 delete (docs/reference/host-abi.md §7). */
export const QUERY_TYPES = ['insert', 'select', 'update', 'delete'] as const;

/** The error texts of the `db` capability (the original's). */
export const DB_ERRORS = {
  queryNotFound: 'query not found',
  queryTypeIncorrect: 'query type incorrect',
  queryTypeInvalid: 'query type invalid',
  varsIncorrect: 'number of variables incorrect',
} as const;

/** The `db_exec` host service. */
export interface DbCapability {
  dbExec(queryType: number, name: string, variables: readonly string[], context: HostCallContext): Promise<HostCallResult>;
  /** Prepares every query once and reports the ones the database refused (logged as warnings). */
  prepare(): Promise<readonly QueryCheck[]>;
}

/**
 * Creates the `db` capability over a SQL client (absent when no database is configured).
 *
 * @example
 * ```ts
 * const db = createDbCapability(config.db, createSqlClient(config.db.database!), logger);
 * await db.dbExec(1, 'list-users', [], context);
 * ```
 */
export function createDbCapability(
  config: CapabilityConfig['db'],
  client: SqlClient | undefined,
  logger: Logger,
): DbCapability {
  const log = logger.child({ capability: 'db' });
  const queries = new Map<string, NamedQuery>(config.queries.map((query) => [query.name, query]));
  const enabled = config.enabled && client !== undefined;
  return {
    async dbExec(queryType, name, variables, context) {
      if (!enabled || client === undefined) return errorResult(CAPABILITY_NOT_ENABLED);
      const type = Number.isInteger(queryType) ? QUERY_TYPES[queryType] : undefined;
      if (type === undefined) return errorResult(DB_ERRORS.queryTypeInvalid);
      const query = queries.get(name);
      if (query === undefined) return errorResult(DB_ERRORS.queryNotFound);
      if (query.type !== type) return errorResult(DB_ERRORS.queryTypeIncorrect);
      if (query.varCount !== variables.length) {
        return errorResult(
          `${DB_ERRORS.varsIncorrect}: expected ${query.varCount} variables, got ${variables.length}`,
        );
      }
      try {
        return textResult(encodeSqlResult(await client.exec(query, variables)));
      } catch (error) {
        const level = E2rxError.is(error, 'E2RX_CONNECTION') ? 'warn' : 'debug';
        log[level]({ fn: context.fn, request_id: context.requestId, query: name, err: errorMessage(error) }, 'db_exec failed');
        return errorResult(errorMessage(error));
      }
    },
    async prepare() {
      if (!enabled || client === undefined || config.queries.length === 0) return [];
      const checks = await client.prepare(config.queries);
      for (const check of checks) {
        if (check.error !== undefined) {
          log.warn({ query: check.name, err: check.error, server: client.server }, 'query could not be prepared');
        }
      }
      return checks;
    },
  };
}
