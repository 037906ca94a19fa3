/**
 * The contract between the Wasm runtime and the capabilities that need I/O (cache, http, graphql, db, static files).
 *
 * These run on the main thread (they are asynchronous); the runtime's worker threads reach them through the
 * synchronous bridge. Calls that need no I/O (request fields, response headers, logging, secrets) are answered inside
 * the worker and are not part of this contract.
 *
 * @module
 */

/**
 * The outcome of one host call, in the terms of the FFI-result protocol (docs/reference/host-abi.md §4):
 * - `data`: success, the bytes are stored as the pending FFI result (size ≥ 0);
 * - `error`: the operation failed, the message is stored as the pending FFI error (size = -length);
 * - `status`: a bare status code returned to the guest with nothing stored (for example -1, or -2 for a bad argument).
 */
export type HostCallResult =
  | { readonly kind: 'data'; readonly data: Uint8Array }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'status'; readonly status: number };

/** Who is calling: used for log scopes and auditing. */
export interface HostCallContext {
  /** The function's name (FQFN or short name). */
  readonly fn: string;
  /** The request id of the invocation. */
  readonly requestId: string;
  /**
   * The W3C trace context (`traceparent`, `tracestate`) an outbound request of this call carries, when tracing is on
   * (set by `src/telemetry/host-spans.ts`).
   */
  readonly traceHeaders?: Readonly<Record<string, string>>;
}

/**
 * The asynchronous host services, gated by the app's capability configuration. Every method resolves (never rejects)
 * with a {@link HostCallResult}, using the original's error texts (for example `capability is not enabled`).
 */
export interface HostServices {
  /** `cache_get`: missing key gives the error `key not found`. */
  cacheGet(key: string, context: HostCallContext): Promise<HostCallResult>;
  /** `cache_set`: `ttlSeconds` 0 means no expiry. A refusal gives status -2. */
  cacheSet(key: string, value: Uint8Array, ttlSeconds: number, context: HostCallContext): Promise<HostCallResult>;
  /** `fetch_url`: `method` is the ABI number (0 GET … 6 DELETE); `url` may carry `::Name:Value` header segments. */
  fetchUrl(method: number, url: string, body: Uint8Array, context: HostCallContext): Promise<HostCallResult>;
  /** `graphql_query`. */
  graphqlQuery(endpoint: string, query: string, context: HostCallContext): Promise<HostCallResult>;
  /** `db_exec`: `queryType` is the host numbering (0 insert, 1 select, 2 update, 3 delete); `variables` positional. */
  dbExec(queryType: number, name: string, variables: readonly string[], context: HostCallContext): Promise<HostCallResult>;
  /** `get_static_file`: a file of the app's `static/` folder, confined to it. */
  getStaticFile(name: string, context: HostCallContext): Promise<HostCallResult>;
  /** Release connections (Redis, SQL pools). */
  close(): Promise<void>;
}
