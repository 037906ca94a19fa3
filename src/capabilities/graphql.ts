/**
 * The `graphql` capability: the host side of `graphql_query` (docs/reference/host-abi.md §5).
 *
 * POSTs `{"query": <query>, "variables": {}}` with `Content-Type: application/json` to the endpoint, under
 * `config.graphql.rules` and with the configured `Authorization` header of the endpoint's host. A non-2xx status gives
 * the error `non-200 HTTP response code; <body>`; a response with GraphQL errors gives
 * `graphQL error; path: <path>, message: <message>` (the first error); otherwise the result is the JSON re-encoding of
 * `{"data": …}` (`errors` is omitted when empty, as the original's `omitempty` did). With tracing on, the request
 * carries the trace context of its host-call span (`traceparent`, `tracestate`).
 *
 * @module
 */

import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { HostCallContext, HostCallResult } from './host-services.js';
import { authHeaderFor } from './outbound-auth.js';
import { outboundHttpFailure, type OutboundHttpClient } from './outbound-http.js';
import { CAPABILITY_NOT_ENABLED, errorResult, textResult } from './results.js';

/** One GraphQL error as the original re-encoded it. */
export interface GraphqlError {
  readonly message: string;
  readonly path: string;
}

/** The parsed GraphQL response: `data` and the errors, in the original's shape. */
export interface GraphqlResponse {
  readonly data: unknown;
  readonly errors: readonly GraphqlError[];
}

/**
 * A GraphQL error `path` as text: a string is kept, an array (the GraphQL spec's form) is joined with `.`.
 *
 * @example
 * ```ts
 * formatGraphqlPath(['user', 'friends', 0, 'name']); // 'user.friends.0.name'
 * ```
 */
export function formatGraphqlPath(path: unknown): string {
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map((segment) => String(segment)).join('.');
  return '';
}

/**
 * Reads a GraphQL response body. Throws with a message for a body that is not a JSON object.
 *
 * @example
 * ```ts
 * parseGraphqlResponse('{"data":{"a":1}}'); // { data: { a: 1 }, errors: [] }
 * ```
 */
export function parseGraphqlResponse(text: string): GraphqlResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`failed to Unmarshal response: ${errorMessage(error)}`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('failed to Unmarshal response: not a JSON object');
  }
  const record = parsed as { data?: unknown; errors?: unknown };
  const errors = Array.isArray(record.errors)
    ? record.errors.map((entry: unknown) => {
        const e = (entry ?? {}) as { message?: unknown; path?: unknown };
        return { message: typeof e.message === 'string' ? e.message : e.message === undefined || e.message === null ? '' : JSON.stringify(e.message), path: formatGraphqlPath(e.path) };
      })
    : [];
  return { data: record.data ?? null, errors };
}

/** The `graphql_query` host service. */
export interface GraphqlCapability {
  graphqlQuery(endpoint: string, query: string, context: HostCallContext): Promise<HostCallResult>;
}

/** What the `graphql` capability needs. */
export interface GraphqlCapabilityOptions {
  readonly client: OutboundHttpClient;
  readonly logger: Logger;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Creates the `graphql` capability for one app.
 *
 * @example
 * ```ts
 * const gql = createGraphqlCapability(DEFAULT_CAPABILITIES, { client, logger });
 * await gql.graphqlQuery('https://api.example.com/graphql', '{ viewer { login } }', context);
 * ```
 */
export function createGraphqlCapability(
  config: Pick<CapabilityConfig, 'graphql' | 'auth'>,
  options: GraphqlCapabilityOptions,
): GraphqlCapability {
  const log = options.logger.child({ capability: 'graphql' });
  return {
    async graphqlQuery(endpoint, query, context) {
      if (!config.graphql.enabled) return errorResult(CAPABILITY_NOT_ENABLED);
      try {
        const response = await options.client.send(
          {
            method: 'POST',
            url: endpoint,
            headers: [['Content-Type', 'application/json'], ...Object.entries(context.traceHeaders ?? {})],
            body: encoder.encode(JSON.stringify({ query, variables: {} })),
          },
          {
            rules: config.graphql.rules,
            timeoutMs: config.graphql.timeoutMs,
            maxResponseBytes: config.graphql.maxResponseBytes,
            authorizationFor: (url, raw) => authHeaderFor(config.auth, url, raw),
            parseFailure: 'failed to Parse endpoint',
          },
        );
        const text = decoder.decode(response.body);
        if (response.status < 200 || response.status > 299) {
          return errorResult(`non-200 HTTP response code; ${text}`);
        }
        const parsed = parseGraphqlResponse(text);
        const first = parsed.errors[0];
        if (first !== undefined) return errorResult(`graphQL error; path: ${first.path}, message: ${first.message}`);
        return textResult(JSON.stringify({ data: parsed.data }));
      } catch (error) {
        const failure = outboundHttpFailure(error);
        if (failure !== undefined) {
          log.debug({ fn: context.fn, request_id: context.requestId, kind: failure, err: errorMessage(error) }, 'graphql_query failed');
          return errorResult(errorMessage(error));
        }
        if (error instanceof Error && error.message.startsWith('failed to Unmarshal')) return errorResult(error.message);
        log.error({ fn: context.fn, request_id: context.requestId, err: error }, 'graphql_query failed unexpectedly');
        return errorResult(errorMessage(error));
      }
    },
  };
}
