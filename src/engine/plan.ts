/**
 * The plan: what the engine runs, compiled from a Directive with no I/O (`compile.ts`).
 *
 * @module
 */
import type { AuthConfig } from '../directive/auth.js';
import type { Handler, Schedule, Step } from '../directive/model.js';

/** The bounds of one handler, defaults applied. */
export interface HandlerBounds {
  readonly maxInFlight: number;
  /** A count bound on waiting work, when set (see docs/reference/admission.md). */
  readonly queueSize: number | undefined;
  readonly maxQueuedBytes: number;
  readonly requestTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** Websocket connections at most. */
  readonly maxConnections: number;
}

/** One handler, ready to run. */
export interface HandlerPlan {
  /** A stable name for logs and metrics: `POST /hello`, `ws /stream`, `nats user.login`, `kafka orders`. */
  readonly id: string;
  readonly handler: Handler;
  readonly steps: readonly Step[];
  readonly response: string | undefined;
  readonly bounds: HandlerBounds;
  readonly groupTimeoutMs: number;
  /** (e2rx) Its inbound authentication, app-wide `auth` merged in; absent for a handler anyone may call. */
  readonly auth?: AuthConfig;
}

/** One schedule, ready to run. */
export interface SchedulePlan {
  readonly id: string;
  readonly schedule: Schedule;
  readonly groupTimeoutMs: number;
}

/** One function served in headless mode at `POST /<identifier>/<namespace>/<fn>/<version>`. */
export interface HeadlessRoute {
  readonly path: string;
  readonly fqfn: string;
  readonly fn: string;
  readonly bounds: HandlerBounds;
  /** (e2rx) The app-wide inbound authentication, when there is one. */
  readonly auth?: AuthConfig;
}

/** The compiled app. */
export interface Plan {
  readonly identifier: string;
  readonly appVersion: string;
  readonly headless: boolean;
  /** HTTP request handlers. */
  readonly requests: readonly HandlerPlan[];
  /** Websocket stream handlers. */
  readonly websockets: readonly HandlerPlan[];
  /** NATS and Kafka stream handlers. */
  readonly streams: readonly HandlerPlan[];
  readonly schedules: readonly SchedulePlan[];
  readonly headlessRoutes: readonly HeadlessRoute[];
}
