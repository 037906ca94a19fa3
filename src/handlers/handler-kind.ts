/**
 * What a handler kind is: one module per kind (handlers/http.ts, websocket.ts, nats.ts, …) declares the Directive keys
 * it reads (their schema: directive/handler-keys/, from which the handler schema is built), how it is planned (pure,
 * defaults applied, called by `engine/compile.ts`) and how its pipeline is built from injected connections (called by
 * `buildPipelines`). The kinds are listed in handlers/registry.ts: a new source is one new module and one line there,
 * with its keys' file and one line in directive/handler-schema.ts.
 *
 * @module
 */
import type { ScheduleLeases } from '../connections/schedule-lease.js';
import type { ScheduleLease as ScheduleLeaseKind } from '../directive/model.js';
import type { AuthConfig } from '../directive/auth.js';
import type { Authenticator } from '../server/auth.js';
import type { Observable, SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { KafkaDriver } from '../connections/kafka-driver.js';
import type { NatsConnectionHandle } from '../connections/nats.js';
import type { Directive, Handler } from '../directive/model.js';
import type { Gate } from '../flow/gate.js';
import type { InFlight } from '../flow/in-flight.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';
import type { PublishSender } from '../sinks/guest-publishes.js';
import type { HttpServer } from '../server/http-server.js';
import type { EngineMetrics } from '../server/metrics.js';
import type { KafkaFlowEvent } from '../sources/kafka.js';
import type { Step } from '../directive/model.js';
import type { FunctionRunner } from '../steps/function-runner.js';
import type { HandlerRun } from './handler-run.js';
import type { HandlerBounds, HandlerKindName, HandlerPlan, PlanLists, PlannedHandler } from './plan.js';

/** What the planning of a handler reads besides its own Directive entry: the app, and the bounds with defaults. */
export interface PlanningContext {
  readonly directive: Directive;
  /** The handler's bounds: its `limits` over the app's `limits` over the defaults. */
  readonly bounds: (override?: Directive['handlers'][number]['limits']) => HandlerBounds;
  /** The app's `limits.groupTimeoutMs`, or the default. */
  readonly groupTimeoutMs: number;
  /** (e2rx) The inbound auth of a request or websocket handler (or of headless routes, without one): its `auth` over the app's. */
  readonly auth: (handler?: Directive['handlers'][number]) => { auth?: AuthConfig };
}

/**
 * The connections of stream handlers, injected into their pipelines (see `createStreamConnections`): each is
 * `undefined` until connected.
 */
export interface StreamHandles {
  readonly logger: Logger;
  readonly nats: NatsConnectionHandle | undefined;
  readonly kafka: KafkaDriver | undefined;
  /** Messages being handled and background tasks (final commits): a stop waits for them. */
  readonly inFlight: InFlight;
  /** Where a new Kafka consumer group starts: the earliest record (default true) or the end of the topic. */
  readonly kafkaFromBeginning?: boolean;
  /** Bytes a Kafka partition may hold before it is paused. */
  readonly kafkaPartitionBytes?: number;
  /** The scheduler of retry delays (a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
  /** Flow events, for metrics and specs. */
  readonly observe?: {
    readonly kafkaFlow?: (handler: string, event: KafkaFlowEvent) => void;
    readonly jetStreamPull?: (handler: string, batch: number) => void;
  };
  /** A handler's pipeline stopped on an error: its connection reports unhealthy from then on. */
  readonly failed: (connection: 'nats' | 'kafka', handler: string) => void;
}

/** What the pipelines need from outside. */
export interface PipelineDeps {
  readonly runner: FunctionRunner;
  readonly http: HttpServer;
  readonly logger: Logger;
  readonly metrics?: EngineMetrics;
  /** The scheduler for timers (schedules, timeouts); a `TestScheduler` in marble tests. */
  readonly scheduler?: SchedulerLike;
  /** Completes the sources (stop accepting) while runs in flight finish. */
  readonly stopAccepting: Observable<unknown>;
  /** The stores of schedule leases (e2rx `lease:`), and this instance's name in them; without them, leased schedules are refused. */
  readonly leases?: { readonly stores: Partial<Record<ScheduleLeaseKind, ScheduleLeases>>; readonly owner: string };
  /** The environment for the `env(VAR)` values of `auth` blocks (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The NATS and Kafka connections; without them NATS, JetStream and Kafka handlers are refused. */
  readonly streams?: StreamHandles;
  /** (e2rx) Sends the messages functions publish (`capabilities.publish`); without it, runs hand them on in their result. */
  readonly publish?: PublishSender;
  /**
   * Asked for each NATS, JetStream and Kafka handler: its pipeline is subscribed once the promise resolves (a hot
   * reload holds the new version's Kafka consumers until the old version's left the group), at once without one.
   */
  readonly beforeStream?: (handler: HandlerPlan) => Promise<void> | undefined;
}

/** What a handler's run is made of (see `createHandlerRun`). */
export interface RunSpec {
  readonly steps: readonly Step[];
  readonly response: string | undefined;
  readonly groupTimeoutMs: number;
  readonly requestTimeoutMs: number | undefined;
  /** (e2rx) Published Kafka messages stay on the result, for a Kafka transaction (see `createHandlerRun`). */
  readonly holdKafkaPublishes?: boolean;
}

/** What `build` gets: the injected dependencies, and the handler's gate and run made the same way for every kind. */
export interface BuildContext {
  readonly deps: PipelineDeps;
  /** The handler's gate (its in-flight bound and queue), registered for health, metrics and draining. */
  readonly gate: (bounds: HandlerBounds) => Gate;
  /** The handler's run: its steps under its time limits, with its metrics and logs. */
  readonly run: (spec: RunSpec) => HandlerRun;
  /** (e2rx) The authenticator of an `auth` config (shared by the handlers with the same one), for the source's options. */
  readonly authenticator: (config: AuthConfig | undefined) => { authenticator?: Authenticator };
}

/**
 * One kind of handler.
 *
 * @typeParam P - its plan.
 * @typeParam I - what it is planned from: a Directive handler, a schedule, a runnable (headless).
 */
export interface HandlerKind<P extends PlannedHandler = PlannedHandler, I = never> {
  readonly name: HandlerKindName;
  /**
   * The Directive keys it reads (of a handler, a schedule or a runnable): the part of the schema it owns. A handler
   * kind's are the names of its declaration in directive/handler-keys/, from which the handler schema is built.
   */
  readonly keys: readonly string[];
  /** The list of the plan it goes to. */
  readonly list: keyof PlanLists;
  /** Whether a Directive entry is of this kind. */
  readonly accepts: (input: I) => boolean;
  /** Plans one entry: pure, defaults applied. */
  readonly plan: (input: I, context: PlanningContext) => P;
  /** Loads what its pipeline needs (large clients), once, before `build`; kinds without it need nothing. */
  readonly load?: () => Promise<void>;
  /** Its pipeline: subscribing starts the source, unsubscribing stops it. `undefined`: it cannot run (logged). */
  readonly build: (plan: P, context: BuildContext) => Observable<unknown> | undefined;
}

/** A NATS, JetStream or Kafka handler kind: its pipeline can also be built from a given run and gate. */
export interface StreamHandlerKind extends HandlerKind<HandlerPlan, Handler> {
  /** The pipeline of a planned handler, with its run and gate made by the caller. Emits one outcome per message. */
  readonly pipeline: (plan: HandlerPlan, run: HandlerRun, gate: Gate, streams: StreamHandles) => Observable<StreamOutcome>;
}

/**
 * Defines a handler kind (an identity, for the types).
 *
 * @example
 * ```ts
 * export const scheduleKind = defineHandlerKind<SchedulePlan, Schedule>({ name: 'schedule', keys: ['name', 'every', 'steps'], ... });
 * ```
 */
export function defineHandlerKind<P extends PlannedHandler, I>(kind: HandlerKind<P, I>): HandlerKind<P, I> {
  return kind;
}
