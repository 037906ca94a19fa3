/**
 * Query rules (docs/reference/directive.md#queries).
 *
 * @module
 */
import { inferQueryType, QUERY_TYPES, type QueryType } from '../queries.js';
import type { Rule } from './context.js';

/** Names, query text, types and var counts; e2rx adds duplicate names and uninferable types. */
export const queriesRule: Rule = ({ directive, report }) => {
  const names = new Set<string>();
  (directive.queries ?? []).forEach((query, index) => {
    const path = ['queries', index];
    if (!query.name) report([...path, 'name'], `query at position ${index} has no name`);
    if (!query.query) report([...path, 'query'], `query at position ${index} has no query value`);
    if (query.type !== undefined && query.type !== '' && !QUERY_TYPES.includes(query.type as QueryType)) {
      report([...path, 'type'], `query at position ${index} has invalid type ${query.type}`);
    }
    if (query.varCount !== undefined && query.varCount < 0) {
      report([...path, 'varCount'], `query at position ${index} cannot have negative var count`);
    }
    if (!query.type && query.query && inferQueryType(query.query) === undefined) {
      report(
        path,
        `query at position ${index} has no type and it cannot be inferred: start the query with select, insert, update or delete, or set 'type'`,
      );
    }
    if (query.name) {
      if (names.has(query.name)) report([...path, 'name'], `query at position ${index} has a duplicate name ${query.name}`);
      names.add(query.name);
    }
  });
  if ((directive.queries ?? []).length > 0 && !directive.connections?.database && !directive.capabilities?.db?.connectionString) {
    report(['queries'], "queries are listed but no database is configured: add 'connections.database'", 'warning');
  }
};
