/**
 * Spans of the asynchronous host calls (cache, outbound HTTP, GraphQL, database, static files), each under the
 * function call that made it. `fetch_url` is an HTTP client span with the SSRF verdict (whether the URL rules let the
 * request go), and carries the trace on: its `traceparent` is added to the request's headers; so does
 * `graphql_query`.
 *
 * @module
 */
import type { Attributes, Span } from '@opentelemetry/api';
import { fetchMethod, parseFetchUrl } from '../capabilities/http.js';
import { HTTP_RULE_ERRORS } from '../capabilities/http-rules.js';
import type { HostCallContext, HostCallResult, HostServices } from '../capabilities/host-services.js';
import { activeTracing, SPAN_KIND, type Tracing } from './tracing.js';

const STATUS_ERROR = 2;
const DB_OPERATIONS = ['insert', 'select', 'update', 'delete'];
/** The refusals of the URL rules (the SSRF protections), as the guest reads them. */
const RULE_REFUSALS = new Set<string>([
  HTTP_RULE_ERRORS.insecureHttp,
  HTTP_RULE_ERRORS.ipDisallowed,
  HTTP_RULE_ERRORS.privateDisallowed,
  HTTP_RULE_ERRORS.domainDisallowed,
  HTTP_RULE_ERRORS.portDisallowed,
]);

/**
 * The host services, traced when tracing is on (else `services` itself, untouched).
 *
 * @example
 * ```ts
 * const services = traceHostServices(createHostServices(capabilities, { logger }));
 * ```
 */
export function traceHostServices<S extends HostServices>(services: S): S {
  const tracing = activeTracing;
  if (tracing === undefined) return services;
  const call = (name: string, context: HostCallContext, attributes: Attributes, run: (span: Span) => Promise<HostCallResult>): Promise<HostCallResult> => {
    const span = tracing.startChild(context.requestId, context.fn, name, SPAN_KIND.client, attributes);
    return run(span).then((result) => {
      endHostSpan(span, result);
      return result;
    });
  };
  return {
    ...services,
    cacheGet: (key, context) => call('cache_get', context, { 'e2rx.host.call': 'cache_get', 'e2rx.cache.key': key }, () => services.cacheGet(key, context)),
    cacheSet: (key, value, ttl, context) =>
      call('cache_set', context, { 'e2rx.host.call': 'cache_set', 'e2rx.cache.key': key, 'e2rx.cache.ttl_seconds': ttl }, () => services.cacheSet(key, value, ttl, context)),
    fetchUrl: (method, url, body, context) => tracedFetch(tracing, services, method, url, body, context),
    // The trace goes on with the GraphQL request: the capability adds the span's traceparent to its headers.
    graphqlQuery: (endpoint, query, context) =>
      call('graphql_query', context, { 'e2rx.host.call': 'graphql_query', 'url.full': endpoint }, (span) =>
        services.graphqlQuery(endpoint, query, { ...context, traceHeaders: tracing.inject(span) }),
      ),
    dbExec: (type, name, variables, context) => {
      const operation = DB_OPERATIONS[type] ?? String(type);
      return call(`db_exec ${name}`, context, { 'e2rx.host.call': 'db_exec', 'db.operation.name': operation, 'e2rx.db.query.name': name }, () =>
        services.dbExec(type, name, variables, context),
      );
    },
    getStaticFile: (name, context) => call('get_static_file', context, { 'e2rx.host.call': 'get_static_file', 'e2rx.file.name': name }, () => services.getStaticFile(name, context)),
  };
}

/** `fetch_url` as an HTTP client span: method, URL (without its header segments), status, SSRF verdict. */
function tracedFetch(tracing: Tracing, services: HostServices, method: number, rawUrl: string, body: Uint8Array, context: HostCallContext): Promise<HostCallResult> {
  const verb = fetchMethod(method);
  const parsed = parseFetchUrl(rawUrl);
  const attributes: Attributes = { 'e2rx.host.call': 'fetch_url' };
  if (verb !== undefined) attributes['http.request.method'] = verb;
  if (parsed !== undefined) {
    attributes['url.full'] = parsed.url;
    try {
      const url = new URL(parsed.url);
      attributes['server.address'] = url.hostname;
      if (url.port !== '') attributes['server.port'] = Number(url.port);
    } catch {
      // Not a URL: the capability answers it.
    }
  }
  const span = tracing.startChild(context.requestId, context.fn, verb ?? 'fetch_url', SPAN_KIND.client, attributes);
  // The trace goes on with the request, unless the function set a traceparent of its own.
  let url = rawUrl;
  if (parsed !== undefined && !parsed.headers.some(([name]) => name.toLowerCase() === 'traceparent')) {
    const trace = tracing.inject(span);
    for (const name in trace) url += `::${name}:${trace[name] as string}`;
  }
  return services.fetchUrl(method, url, body, context).then((result) => {
    if (result.kind === 'error' && RULE_REFUSALS.has(result.message)) {
      span.setAttribute('e2rx.http.ssrf.verdict', 'denied');
      span.setAttribute('e2rx.http.ssrf.reason', result.message);
    } else if (result.kind === 'data' || (result.kind === 'error' && result.message !== HTTP_RULE_ERRORS.capabilityDisabled)) {
      span.setAttribute('e2rx.http.ssrf.verdict', 'allowed');
    }
    if (result.kind === 'error') {
      const status = /^(\d{3}): /.exec(result.message);
      if (status !== null) span.setAttribute('http.response.status_code', Number(status[1]));
    }
    endHostSpan(span, result);
    return result;
  });
}

function endHostSpan(span: Span, result: HostCallResult): void {
  span.setAttribute('e2rx.host.outcome', result.kind);
  if (result.kind === 'error') span.setStatus({ code: STATUS_ERROR, message: result.message });
  else if (result.kind === 'status') span.setAttribute('e2rx.host.status', result.status);
  span.end();
}
