/**
 * The plan: what the engine runs, compiled from a Directive with no I/O (`engine/compile.ts`, through each handler
 * kind's `plan`; see handlers/registry.ts).
 *
 * @module
 */
import type { AuthConfig } from '../directive/auth.js';
import type { Handler, Schedule, Step } from '../directive/model.js';
import type { KafkaHandlerConfig } from './kafka-pipeline.js';
import type { NatsHandlerConfig } from './nats-config.js';

/** The kinds of handler, one module each in handlers/ (see handlers/registry.ts). */
export type HandlerKindName = 'http' | 'headless' | 'websocket' | 'schedule' | 'nats' | 'jetstream' | 'kafka';

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

/** One handler of the Directive's `handlers`, ready to run. */
export interface HandlerPlan {
  readonly kind: 'http' | 'websocket' | 'nats' | 'jetstream' | 'kafka';
  /** A stable name for logs and metrics: `POST /hello`, `ws /stream`, `nats user.login`, `kafka orders`. */
  readonly id: string;
  readonly handler: Handler;
  readonly steps: readonly Step[];
  readonly response: string | undefined;
  readonly bounds: HandlerBounds;
  readonly groupTimeoutMs: number;
  /** NATS and JetStream handlers: what the pipeline does, defaults applied (queue group, durable, maxDeliver). */
  readonly nats?: NatsHandlerConfig;
  /** Kafka handlers: what the pipeline does, defaults applied (consumer group, retries). */
  readonly kafka?: KafkaHandlerConfig;
  /** (e2rx) Its inbound authentication, app-wide `auth` merged in; absent for a handler anyone may call. */
  readonly auth?: AuthConfig;
}

/** One schedule, ready to run. */
export interface SchedulePlan {
  readonly kind: 'schedule';
  readonly id: string;
  readonly schedule: Schedule;
  readonly groupTimeoutMs: number;
}

/** One function served in headless mode at `POST /<identifier>/<namespace>/<fn>/<version>`. */
export interface HeadlessRoute {
  readonly kind: 'headless';
  /** `headless <path>`. */
  readonly id: string;
  readonly path: string;
  readonly fqfn: string;
  readonly fn: string;
  readonly bounds: HandlerBounds;
  /** (e2rx) The app-wide inbound authentication, when there is one. */
  readonly auth?: AuthConfig;
}

/** Anything the plan runs: a handler, a schedule or a headless route. */
export type PlannedHandler = HandlerPlan | SchedulePlan | HeadlessRoute;

/** The lists of a {@link Plan}, each filled by the handler kinds that name it. */
export interface PlanLists {
  /** HTTP request handlers. */
  readonly requests: readonly HandlerPlan[];
  /** Websocket stream handlers. */
  readonly websockets: readonly HandlerPlan[];
  /** NATS, JetStream and Kafka stream handlers. */
  readonly streams: readonly HandlerPlan[];
  readonly schedules: readonly SchedulePlan[];
  readonly headlessRoutes: readonly HeadlessRoute[];
}

/** The compiled app. */
export interface Plan extends PlanLists {
  readonly identifier: string;
  readonly appVersion: string;
  readonly headless: boolean;
}

/** Every planned handler of a plan, in the order the pipelines are built. */
export function plannedHandlers(plan: PlanLists): PlannedHandler[] {
  return [...plan.requests, ...plan.headlessRoutes, ...plan.websockets, ...plan.schedules, ...plan.streams];
}
