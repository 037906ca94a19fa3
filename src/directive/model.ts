/**
 * The normalised Directive that the engine compiles: defaults applied, steps classified, queries resolved.
 * `env(VAR)` values are kept as written; they are resolved when connections and capabilities are built.
 *
 * @module
 */
import type { AuthInput, CapabilitiesInput } from './schema.js';
import type { QueryType } from './queries.js';

/** What to do with an error: stop the run, or store the error and go on. */
export type ErrorDirective = 'return' | 'continue';

/** A normalised `onErr` (docs/reference/directive.md#onerr). */
export interface OnErr {
  readonly code: ReadonlyMap<number, ErrorDirective>;
  readonly any?: ErrorDirective;
  readonly other?: ErrorDirective;
}

/** One function call. */
export interface Call {
  /** The `fn` string as written (`users::get`). */
  readonly fn: string;
  /** The FQFN of the runnable it resolves to. */
  readonly fqfn: string;
  /** The runnable's name (the .wasm stem). */
  readonly name: string;
  /** The state key of its output: `as`, else `fn` as written. */
  readonly key: string;
  /** Desired state: alias → existing state key. */
  readonly with: Readonly<Record<string, string>>;
  /** The error policy; `undefined` means return on any error. */
  readonly onErr: OnErr | undefined;
}

/** A step: a call, a group of concurrent calls, or a forEach. */
export type Step =
  | { readonly kind: 'fn'; readonly call: Call }
  | {
      readonly kind: 'group';
      readonly calls: readonly Call[];
      /** Group-level `with`, honoured for compatibility as a default for members without their own. */
      readonly with: Readonly<Record<string, string>>;
      /** Group-level `onErr`, honoured for compatibility as a default for members without their own. */
      readonly onErr: OnErr | undefined;
    }
  | { readonly kind: 'forEach'; readonly in: string; readonly call: Call; readonly concurrency: number };

/** Per-handler bounds (e2rx). */
export interface HandlerLimits {
  readonly maxInFlight?: number;
  readonly queueSize?: number;
  readonly maxQueuedBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly maxConnections?: number;
}

/** A normalised handler. */
export interface Handler {
  readonly type: 'request' | 'stream';
  /** `http` for request handlers; `server` (websocket), `nats` or `kafka` for streams. */
  readonly source: 'http' | 'server' | 'nats' | 'kafka';
  readonly resource: string;
  /** Upper-case HTTP method (GET for websockets; empty for NATS and Kafka). */
  readonly method: string;
  readonly steps: readonly Step[];
  /** The state key of the response, when set. */
  readonly response: string | undefined;
  readonly respondTo: string | undefined;
  readonly limits: HandlerLimits;
  readonly queueGroup: string | undefined;
  readonly consumerGroup: string | undefined;
  /** (e2rx) Kafka: what is kept in order, a partition's records (`partition`) or each key's (`key`). */
  readonly ordering: 'partition' | 'key';
  /** (e2rx) Kafka: outputs and offsets committed apart (`at-least-once`) or in one transaction (`exactly-once`). */
  readonly delivery: Delivery;
  readonly jetstream:
    | { readonly stream?: string; readonly durable?: string; readonly ackWaitMs?: number; readonly maxDeliver?: number; readonly nakDelayMs?: number }
    | undefined;
  readonly deadLetter: string | undefined;
  readonly retries: { readonly max: number; readonly backoffMs: number } | undefined;
  /** (e2rx) Its inbound `auth` block as written; see `effectiveAuth` for the configuration it runs with. */
  readonly auth: AuthInput | undefined;
}

/** (e2rx) The delivery guarantee of a Kafka handler (docs/guides/streams.md#exactly-once). */
export type Delivery = 'at-least-once' | 'exactly-once';

/** A normalised schedule. */
export interface Schedule {
  readonly name: string;
  /** The period in milliseconds (0 when the schedule has a `cron` expression instead). */
  readonly everyMs: number;
  /** (e2rx) The cron expression, when the schedule has one instead of `every`. */
  readonly cron?: string;
  /** (e2rx) The IANA time zone of `cron` (UTC when absent). */
  readonly timeZone?: string;
  /** (e2rx) Where the instances of the app hold the lease that gives each tick to one of them; absent: every instance runs every tick. */
  readonly lease?: ScheduleLease;
  readonly state: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}

/** Where a schedule's lease is held: Redis (`connections.redis`) or NATS JetStream KV (`connections.nats`). */
export type ScheduleLease = 'redis' | 'nats';

/** A normalised query. */
export interface Query {
  readonly name: string;
  readonly query: string;
  readonly type: QueryType;
  readonly varCount: number;
}

/** A normalised runnable. */
export interface Runnable {
  readonly name: string;
  readonly namespace: string;
  readonly lang: string | undefined;
  readonly version: string;
  readonly apiVersion: string | undefined;
  readonly fqfn: string;
}

/** App-wide bounds (e2rx); absent values take the engine's defaults. */
export interface Limits {
  readonly timeoutMs?: number;
  readonly maxMemoryMb?: number;
  readonly maxInputBytes?: number;
  readonly maxOutputBytes?: number;
  readonly groupTimeoutMs?: number;
  readonly maxInFlight?: number;
  readonly queueSize?: number;
  readonly maxQueuedBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly maxConnections?: number;
  /** The largest request head in bytes (app-wide only). */
  readonly maxHeaderBytes?: number;
}

/** The Kafka clients e2rx can use (`connections.kafka.driver`). */
export type KafkaDriverName = 'platformatic' | 'kafkajs';

/** Connections as written (`env(VAR)` unresolved). */
export interface Connections {
  readonly nats?: { readonly serverAddress: string };
  readonly kafka?: {
    readonly brokerAddress: string;
    /** (e2rx) The consumer group session timeout, in ms (default: the client's, 30 s). */
    readonly sessionTimeoutMs?: number;
    /** (e2rx) The consumer heartbeat interval, in ms (default: the client's, 3 s). */
    readonly heartbeatIntervalMs?: number;
    /** (e2rx) The Kafka client (default `platformatic`; see `docs/decisions/0002-kafka-behind-a-driver.md`). */
    readonly driver?: KafkaDriverName;
  };
  readonly redis?: { readonly serverAddress: string; readonly username: string; readonly password: string };
  readonly database?: { readonly type: 'mysql' | 'postgresql'; readonly connectionString: string };
}

/** A valid, normalised Directive. */
export interface Directive {
  readonly identifier: string;
  readonly appVersion: string;
  readonly atmoVersion: string;
  readonly headless: boolean;
  readonly connections: Connections;
  readonly authentication: { readonly domains: Readonly<Record<string, { readonly headerType: string; readonly value: string }>> };
  /** Capabilities as written; see `resolveCapabilities` for the merged configuration. */
  readonly capabilities: CapabilitiesInput;
  readonly handlers: readonly Handler[];
  readonly schedules: readonly Schedule[];
  readonly queries: readonly Query[];
  readonly runnables: readonly Runnable[];
  readonly limits: Limits;
  /** (e2rx) The app-wide inbound `auth` block as written. */
  readonly auth: AuthInput | undefined;
  readonly runtime: {
    readonly workers?: number;
    readonly instancesPerWorker?: number;
    readonly freshInstancePerCall?: boolean;
    readonly placement?: 'auto' | 'workers';
    readonly inlineBudgetMs?: number;
  };
}

/** The default concurrency of a forEach step. */
export const DEFAULT_FOR_EACH_CONCURRENCY = 8;
