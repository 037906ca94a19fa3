/**
 * `graphql`: GraphQL queries through the app's `graphql` capability.
 *
 * @module
 */

import { graphql_query } from "./env";
import { ffiResult, getIdent, len, ptr } from "./ffi";
import { Result } from "./result";

/**
 * GraphQL queries.
 *
 * ```ts
 * const res = graphql.query("https://api.example.com/graphql", "{ viewer { login } }");
 * ```
 */
export abstract class graphql {
  /**
   * POSTs `{"query": query, "variables": {}}` to `endpoint`; the result is the JSON response (`{"data": ...}`).
   * A non-2xx status or GraphQL errors give an error.
   */
  static query(endpoint: string, query: string): Result {
    const e = String.UTF8.encode(endpoint);
    const q = String.UTF8.encode(query);
    return ffiResult(graphql_query(ptr(e), len(e), ptr(q), len(q), getIdent()));
  }
}
