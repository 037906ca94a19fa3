/**
 * The original's inference of a query's type and variable count (docs/reference/directive.md#queries).
 *
 * @module
 */

/** A query type. */
export type QueryType = 'select' | 'insert' | 'update' | 'delete';

/** The query types. */
export const QUERY_TYPES: readonly QueryType[] = ['select', 'insert', 'update', 'delete'];

/**
 * The type from the query's first word, as the original: all-lower or all-upper `select`, `insert`, `update`,
 * `delete` at position 0 (no leading whitespace); otherwise `undefined`.
 */
export function inferQueryType(query: string): QueryType | undefined {
  for (const type of QUERY_TYPES) {
    if (query.startsWith(type) || query.startsWith(type.toUpperCase())) return type;
  }
  return undefined;
}

/**
 * The variable count, as the original: PostgreSQL counts `$<digit>` matches (a placeholder used twice counts twice);
 * MySQL counts `?` in the forms ` ? `, `?,`, `(?`, `?)`, `,?`.
 */
export function inferVarCount(query: string, database: 'mysql' | 'postgresql'): number {
  if (database === 'postgresql') return query.match(/\$\d/g)?.length ?? 0;
  return query.match(/ \? |\?,|\(\?|\?\)|,\?/g)?.length ?? 0;
}
