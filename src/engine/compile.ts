/**
 * Directive to plan: pure, no I/O. Defaults for every bound are applied here, so the pipeline only reads the plan.
 *
 * @module
 */
import { effectiveAuth, type AuthConfig } from '../directive/auth.js';
import type { Directive, Handler } from '../directive/model.js';
import { DEFAULT_GROUP_TIMEOUT_MS } from '../steps/group.js';
import type { HandlerBounds, HandlerPlan, Plan } from './plan.js';

/** The default request timeout (HTTP 504 past it). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** The default request body limit (HTTP 413 past it). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** The default bound on runs in flight per handler: more work waits in the queue (docs/reference/admission.md). */
export const DEFAULT_MAX_IN_FLIGHT = 1024;
/** The default bound on the bytes of waiting work per handler. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** The default bound on websocket connections per handler. */
export const DEFAULT_MAX_CONNECTIONS = 4096;

/** Options of {@link compileDirective}. */
export interface CompileOptions {
  /** Serve every function at its FQFN path instead of the handlers (spec §2.8). */
  readonly headless?: boolean;
  /** The in-flight bound when the Directive gives none (default {@link DEFAULT_MAX_IN_FLIGHT}). */
  readonly defaultMaxInFlight?: number;
  /** Whether schedules run in this instance (`ATMO_RUN_SCHEDULES`; default true). */
  readonly runSchedules?: boolean;
}

/**
 * Compiles a Directive into the plan the pipeline runs.
 *
 * @example
 * ```ts
 * const plan = compileDirective(directive);
 * console.log(plan.requests.map((handler) => handler.id)); // ['POST /hello']
 * ```
 */
export function compileDirective(directive: Directive, options: CompileOptions = {}): Plan {
  const limits = directive.limits;
  const groupTimeoutMs = limits.groupTimeoutMs ?? DEFAULT_GROUP_TIMEOUT_MS;
  const appBounds = (override: Handler['limits'] = {}): HandlerBounds => ({
    maxInFlight: override.maxInFlight ?? limits.maxInFlight ?? options.defaultMaxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    queueSize: override.queueSize ?? limits.queueSize,
    maxQueuedBytes: override.maxQueuedBytes ?? limits.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    requestTimeoutMs: override.requestTimeoutMs ?? limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxBodyBytes: override.maxBodyBytes ?? limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxConnections: override.maxConnections ?? limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  });
  const authOf = (handler: Handler | undefined): { auth?: AuthConfig } => {
    // Inbound auth protects request and websocket handlers (and headless routes), never NATS, Kafka or schedules.
    if (handler !== undefined && handler.source !== 'http' && handler.source !== 'server') return {};
    const auth = effectiveAuth(directive.auth, handler?.auth, directive.identifier);
    return auth === undefined ? {} : { auth };
  };
  const plan = (handler: Handler): HandlerPlan => ({
    id: handlerId(handler),
    handler,
    steps: handler.steps,
    response: handler.response,
    bounds: appBounds(handler.limits),
    groupTimeoutMs,
    ...authOf(handler),
  });
  const headless = options.headless ?? false;
  const handlers = headless ? [] : directive.handlers;
  return {
    identifier: directive.identifier,
    appVersion: directive.appVersion,
    headless,
    requests: handlers.filter((handler) => handler.source === 'http').map(plan),
    websockets: handlers.filter((handler) => handler.source === 'server').map(plan),
    streams: handlers.filter((handler) => handler.source === 'nats' || handler.source === 'kafka').map(plan),
    schedules:
      headless || options.runSchedules === false
        ? []
        : directive.schedules.map((schedule) => ({ id: `schedule ${schedule.name}`, schedule, groupTimeoutMs })),
    headlessRoutes: headless
      ? directive.runnables.map((runnable) => ({
          path: `/${directive.identifier}/${runnable.namespace}/${runnable.name}/${directive.appVersion}`,
          fqfn: runnable.fqfn,
          fn: runnable.name,
          bounds: appBounds(),
          ...authOf(undefined),
        }))
      : [],
  };
}

/** `POST /hello`, `ws /stream`, `nats user.login`, `kafka orders`. */
export function handlerId(handler: Handler): string {
  if (handler.source === 'http') return `${handler.method} ${handler.resource}`;
  if (handler.source === 'server') return `ws ${handler.resource}`;
  return `${handler.source} ${handler.resource}`;
}
