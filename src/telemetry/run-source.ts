/**
 * The span of a run's source: what started the run (an HTTP route, a websocket route, a NATS subject, a Kafka topic,
 * a schedule), named and described with the OpenTelemetry semantic conventions (HTTP server spans; messaging
 * `process` spans), and how the run ended on it.
 *
 * @module
 */
import type { Attributes } from '@opentelemetry/api';
import { E2rxError } from '../errors.js';
import type { FunctionRequest } from '../runtime/request.js';
import { failureStatus, statusOfRunError } from '../messages/http-status.js';
import type { RunResult } from '../steps/steps.js';

/** What started a handler's runs, told from its handler id (`POST /hello`, `ws /chat`, `nats orders`, …). */
export interface RunSource {
  readonly kind: 'http' | 'websocket' | 'nats' | 'kafka' | 'schedule';
  /** The handler id. */
  readonly handler: string;
  /** The route, subject, topic or schedule name. */
  readonly resource: string;
  /** The span name: `POST /hello`, `process orders`, `schedule nightly`. */
  readonly spanName: string;
  /** The attributes every run of the handler has. */
  readonly attributes: Attributes;
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

/**
 * The source of a handler, from its id.
 *
 * @example
 * ```ts
 * runSourceOf('kafka orders').attributes; // { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders', … }
 * runSourceOf('GET /users/:id').spanName; // 'GET /users/:id'
 * ```
 */
export function runSourceOf(handler: string): RunSource {
  const space = handler.indexOf(' ');
  const prefix = space < 0 ? handler : handler.slice(0, space);
  const resource = space < 0 ? '' : handler.slice(space + 1);
  const common = { 'e2rx.handler': handler };
  if (HTTP_METHODS.has(prefix) || prefix === 'headless') {
    const method = prefix === 'headless' ? 'POST' : prefix;
    return { kind: 'http', handler, resource, spanName: `${method} ${resource}`, attributes: { ...common, 'http.request.method': method, 'http.route': resource } };
  }
  if (prefix === 'ws') return { kind: 'websocket', handler, resource, spanName: `ws ${resource}`, attributes: { ...common, 'http.route': resource } };
  if (prefix === 'nats' || prefix === 'kafka') {
    return {
      kind: prefix,
      handler,
      resource,
      spanName: `process ${resource}`,
      attributes: {
        ...common,
        'messaging.system': prefix,
        'messaging.destination.name': resource,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
      },
    };
  }
  return { kind: 'schedule', handler, resource, spanName: `schedule ${resource}`, attributes: { ...common, 'e2rx.schedule.name': resource } };
}

/** The attributes of one run's source span that come from its request (those of its handler are set already). */
export function requestAttributes(request: FunctionRequest, kind: RunSource['kind']): Attributes {
  const attributes: Attributes = { 'e2rx.request.id': request.id };
  if (kind === 'http' || kind === 'websocket') {
    const query = request.url.indexOf('?');
    attributes['url.path'] = query < 0 ? request.url : request.url.slice(0, query);
    if (query >= 0) attributes['url.query'] = request.url.slice(query + 1);
    const agent = request.headers['user-agent'];
    if (agent !== undefined) attributes['user_agent.original'] = agent;
  } else if (kind === 'nats' || kind === 'kafka') {
    attributes['messaging.message.body.size'] = request.body.length;
  }
  return attributes;
}

/** How a run ended, on its source span: its outcome, the HTTP status, and whether the span is an error. */
export interface RunEnd {
  readonly attributes: Attributes;
  /** The status message when the span is an error. */
  readonly error: string | undefined;
}

/**
 * The end of a run on its source span. HTTP: `http.response.status_code` as e2rx answers, an error from 500 on (a
 * 4xx is the client's error, per the HTTP conventions); other sources: an error unless the run succeeded.
 */
export function runEnd(source: RunSource, result: RunResult): RunEnd {
  if (result.kind === 'ok') {
    // The same for every successful run of a source: made once (its attributes are copied onto each span).
    let ok = successes.get(source);
    if (ok === undefined) successes.set(source, (ok = runEndOf(source, result)));
    return ok;
  }
  return runEndOf(source, result);
}

/** The end of a successful run, by source. */
const successes = new WeakMap<RunSource, RunEnd>();

function runEndOf(source: RunSource, result: RunResult): RunEnd {
  const outcome = result.kind === 'ok' ? 'ok' : result.kind === 'runError' ? 'run_error' : E2rxError.is(result.error, 'E2RX_REQUEST_TIMEOUT') ? 'timeout' : 'failure';
  const attributes: Attributes = { 'e2rx.run.outcome': outcome };
  const message = result.kind === 'ok' ? undefined : result.error.message;
  if (result.kind === 'runError') attributes['e2rx.run.error_code'] = result.error.code;
  if (result.kind === 'failure' && E2rxError.is(result.error)) attributes['error.type'] = result.error.code;
  if (source.kind === 'http') {
    const status = result.kind === 'ok' ? 200 : result.kind === 'runError' ? statusOfRunError(result.error.code) : failureStatus(result.error);
    attributes['http.response.status_code'] = status;
    if (status >= 500) attributes['error.type'] ??= String(status);
    return { attributes, error: status >= 500 ? message : undefined };
  }
  if (result.kind === 'runError') attributes['error.type'] = 'run_error';
  return { attributes, error: message };
}
