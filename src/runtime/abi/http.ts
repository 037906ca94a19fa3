/**
 * `fetch_url` and `graphql_query` (docs/reference/host-abi.md §5), answered by {@link HostServices} through the bridge.
 *
 * @module
 */
import type { HostFunction, InstanceContext } from './context.js';

/** Builds the HTTP and GraphQL host functions for one instance. Both are FFI functions (docs/reference/host-abi.md §4). */
export function createHttpFunctions(context: InstanceContext): Record<string, HostFunction> {
  return {
    fetch_url(method: number, urlPtr: number, urlSize: number, bodyPtr: number, bodySize: number, ident: number): number {
      return context.ffi(ident, 'fetch_url', (invocation) =>
        context.env.async.call(
          {
            op: 'fetchUrl',
            method,
            url: context.memory.string(urlPtr, urlSize),
            body: context.memory.copy(bodyPtr, bodySize),
          },
          { fn: context.fn, requestId: invocation.request.id },
        ),
      );
    },
    graphql_query(endpointPtr: number, endpointSize: number, queryPtr: number, querySize: number, ident: number): number {
      return context.ffi(ident, 'graphql_query', (invocation) =>
        context.env.async.call(
          {
            op: 'graphqlQuery',
            endpoint: context.memory.string(endpointPtr, endpointSize),
            query: context.memory.string(queryPtr, querySize),
          },
          { fn: context.fn, requestId: invocation.request.id },
        ),
      );
    },
  };
}
