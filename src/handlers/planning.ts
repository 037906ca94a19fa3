/**
 * What planning a handler reads besides its own entry: the app, its bounds with defaults applied (pure).
 *
 * @module
 */
import { effectiveAuth } from '../directive/auth.js';
import type { Directive, Handler } from '../directive/model.js';
import { DEFAULT_GROUP_TIMEOUT_MS } from '../steps/group.js';
import type { PlanningContext } from './handler-kind.js';
import type { HandlerBounds } from './plan.js';

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

/**
 * The planning context of a Directive: a handler's bounds are its `limits` over the app's `limits` over the defaults.
 *
 * @example
 * ```ts
 * planningContext(directive).bounds({ maxInFlight: 3 }).maxInFlight; // 3
 * ```
 */
export function planningContext(directive: Directive, options: { readonly defaultMaxInFlight?: number } = {}): PlanningContext {
  const limits = directive.limits;
  return {
    directive,
    groupTimeoutMs: limits.groupTimeoutMs ?? DEFAULT_GROUP_TIMEOUT_MS,
    auth: (handler) => {
      const auth = effectiveAuth(directive.auth, handler?.auth, directive.identifier);
      return auth === undefined ? {} : { auth };
    },
    bounds: (override: Handler['limits'] = {}): HandlerBounds => ({
      maxInFlight: override.maxInFlight ?? limits.maxInFlight ?? options.defaultMaxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      queueSize: override.queueSize ?? limits.queueSize,
      maxQueuedBytes: override.maxQueuedBytes ?? limits.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      requestTimeoutMs: override.requestTimeoutMs ?? limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      maxBodyBytes: override.maxBodyBytes ?? limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      maxConnections: override.maxConnections ?? limits.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    }),
  };
}
