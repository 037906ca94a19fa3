/**
 * The one schema of the Directive: it gives the TypeScript types, the structural validation and the JSON Schema
 * (`e2rx schema`). The Atmo v0.4.x keys come first in each object; e2rx's own extensions are optional keys in the
 * same camelCase style and are marked `(e2rx)` in their descriptions.
 *
 * Only shapes and types live here. The rules with the original's messages (`identifier is missing`, …) are in
 * `rules/`, so that a Directive that is well-formed but incomplete gets Atmo's exact wording.
 *
 * @see docs/reference/directive.md
 * @module
 */
import { z } from 'zod';
import { AuthSchema } from './auth-schema.js';
import { count, flag, stringMap, text } from './schema-fields.js';


/** The error policy of one call (docs/reference/directive.md#onerr). */
export const OnErrSchema = z
  .object({
    code: z
      .record(z.string(), z.string())
      .describe("Per error code: 'return' or 'continue'. Keys are the integer codes a function returns.")
      .optional(),
    any: text("'return' or 'continue' for every error; only when `code` is empty.").optional(),
    other: text("'return' or 'continue' for codes not listed in `code`; only with `code`.").optional(),
  })
  .describe('What to do when the function returns an error (docs/reference/directive.md#onerr). Without it the error is returned.');

const callFields = {
  fn: text('The function: a bare name (default namespace), `namespace::name`, or a full FQFN.').optional(),
  as: text('The state key under which the output is stored (default: the `fn` string as written).').optional(),
  with: stringMap('Desired state: `alias: existingStateKey` pairs passed to the function as its state.').optional(),
  onErr: OnErrSchema.optional(),
};

/** One concurrent call of a `group` step. */
export const CallSchema = z.object(callFields).describe('A function call.');

/** The historical `forEach` step (Atmo v0.3.x), restored by e2rx. */
export const ForEachSchema = z
  .object({
    in: text('The state key that holds a JSON array; the function runs once per element.').optional(),
    fn: callFields.fn,
    as: text('The state key that receives the JSON array of outputs, in input order.').optional(),
    onErr: OnErrSchema.optional(),
    concurrency: z.number().int().min(1).describe('(e2rx) At most this many elements run at once (default 8).').optional(),
  })
  .describe('Runs `fn` once per element of the JSON array in state key `in` (each element is its input).');

/** A step: exactly one of a function call, a `group`, or a `forEach`. */
export const StepSchema = z
  .object({
    ...callFields,
    group: z.array(CallSchema).describe('Calls run concurrently on the same state snapshot.').optional(),
    forEach: ForEachSchema.optional(),
  })
  .describe('A step: a function call (`fn`), a `group` of concurrent calls, or a `forEach`.');

const handlerLimits = z
  .object({
    maxInFlight: z.number().int().min(1).describe('(e2rx) Runs in flight at most (default 1024); more work waits in the queue.').optional(),
    queueSize: count('(e2rx) Work waiting for a slot at most, by count (default: no count bound); past it, 503.').optional(),
    maxQueuedBytes: z.number().int().min(0).describe('(e2rx) Bytes of waiting work at most (default 64 MiB); past it, 503.').optional(),
    requestTimeoutMs: z.number().int().min(1).describe('(e2rx) A request running longer gets 504; waiting work that could no longer finish within it gets 503.').optional(),
    maxBodyBytes: z.number().int().min(0).describe('(e2rx) A larger request body gets 413.').optional(),
    maxConnections: z.number().int().min(1).describe('(e2rx) Websocket connections at most (default 4096); past it, 503.').optional(),
  })
  .describe('(e2rx) Bounds of this handler, overriding the app-wide `limits`.');

const jetstream = z
  .object({
    stream: text('(e2rx) The JetStream stream that holds the subject (created when missing).').optional(),
    durable: text('(e2rx) The durable consumer name (default: identifier and resource).').optional(),
    ackWaitMs: z.number().int().min(1).describe('(e2rx) How long a message may run before redelivery.').optional(),
    maxDeliver: z.number().int().min(1).describe('(e2rx) Deliveries before the message goes to the dead letter.').optional(),
    nakDelayMs: count('(e2rx) Delay before a failed message is redelivered.').optional(),
  })
  .describe('(e2rx) Consume through a JetStream durable pull consumer: at-least-once, acked after the run.');

const retries = z
  .object({
    max: count('(e2rx) Retries of a failed run before the dead letter.').optional(),
    backoffMs: count('(e2rx) The first retry delay; it doubles each time.').optional(),
  })
  .describe('(e2rx) Retries of a failed stream run.');

/** A handler: an input (request, websocket, NATS or Kafka) and its steps (docs/reference/directive.md#handlers). */
export const HandlerSchema = z
  .object({
    type: text("'request' (HTTP) or 'stream' (websocket, NATS, Kafka).").optional(),
    resource: text('The URL path (`/users/:id`) or, for NATS and Kafka, the subject or topic.').optional(),
    method: text('The HTTP method, for `type: request`.').optional(),
    source: text("For `type: stream`: 'server' (websocket, the default), 'nats' or 'kafka'.").optional(),
    steps: z.array(StepSchema).describe('The steps, run in order.').optional(),
    response: text('The state key whose value is the response (required when the last step is a group).').optional(),
    respondTo: text('For NATS and Kafka streams: the subject or topic the result is published to.').optional(),
    limits: handlerLimits.optional(),
    queueGroup: text('(e2rx) NATS queue group (default: the identifier), so instances share the load.').optional(),
    consumerGroup: text('(e2rx) Kafka consumer group (default: the identifier).').optional(),
    ordering: z
      .enum(['partition', 'key'])
      .describe('(e2rx) Kafka: `partition` (default) runs the records of a partition one at a time; `key` runs records with the same key in order and records with different keys in parallel.')
      .optional(),
    delivery: z
      .enum(['at-least-once', 'exactly-once'])
      .describe(
        '(e2rx) Kafka: `at-least-once` (default) commits a record once its outputs are acknowledged; `exactly-once` produces its results and dead letters in one Kafka transaction with its offset, read with read_committed.',
      )
      .optional(),
    jetstream: jetstream.optional(),
    deadLetter: text('(e2rx) Subject or topic that receives messages whose runs failed for good.').optional(),
    retries: retries.optional(),
    auth: AuthSchema.describe('(e2rx) Inbound authentication of this request or websocket handler; its keys override the app-wide `auth`.').optional(),
  })
  .describe('A handler (docs/reference/directive.md#handlers).');

/** A schedule (docs/reference/directive.md#schedules). */
export const ScheduleSchema = z
  .object({
    name: text('The schedule name (the request URL of its runs).').optional(),
    every: z
      .object({
        seconds: count('Seconds.').optional(),
        minutes: count('Minutes.').optional(),
        hours: count('Hours.').optional(),
        days: count('Days.').optional(),
      })
      .describe('The period: the sum of the given units; at least one must be non-zero. Either `every` or `cron`.')
      .optional(),
    cron: text('(e2rx) A cron expression (5 fields, or 6 with seconds first): runs at each time it matches. Either `every` or `cron`.').optional(),
    timeZone: text('(e2rx) The IANA time zone `cron` is read in (default UTC), e.g. `Europe/Paris`.').optional(),
    lease: z
      .enum(['redis', 'nats'])
      .describe('(e2rx) Run each tick on one instance of the app: the instances hold a lease in Redis (`connections.redis`) or NATS JetStream KV (`connections.nats`).')
      .optional(),
    state: stringMap('Initial state of every run.').optional(),
    steps: z.array(StepSchema).describe('The steps, run in order.').optional(),
  })
  .describe('A schedule (docs/reference/directive.md#schedules).');

/** A named SQL query (docs/reference/directive.md#queries). */
export const QuerySchema = z
  .object({
    name: text('The name functions use.').optional(),
    query: text('The SQL, with `$1` (PostgreSQL) or `?` (MySQL) placeholders.').optional(),
    type: text("'select', 'insert', 'update' or 'delete' (inferred from the query when absent).").optional(),
    varCount: z.number().int().describe('The number of variables (counted from the query when absent).').optional(),
  })
  .describe('A named query (docs/reference/directive.md#queries).');

/** A runnable entry (docs/reference/directive.md#runnables). */
export const RunnableSchema = z
  .object({
    name: text('The function name; also the .wasm file stem.').optional(),
    namespace: text("The namespace (default 'default').").optional(),
    lang: text('The source language (informational).').optional(),
    version: text('The version (default: appVersion).').optional(),
    draftVersion: text('Informational.').optional(),
    apiVersion: text('The SDK version it was built against (informational).').optional(),
    fqfn: text('Computed: identifier#namespace::name@version.').optional(),
    fqfnUri: text('Informational.').optional(),
  })
  .describe('A function of the app (docs/reference/directive.md#runnables).');

const redisConnection = z.object({
  serverAddress: text('`host:port` or a `redis://` URL; `env(VAR)` allowed.').optional(),
  username: text('`env(VAR)` allowed.').optional(),
  password: text('`env(VAR)` allowed.').optional(),
});

/** External connections (docs/reference/directive.md#connections). */
export const ConnectionsSchema = z
  .object({
    nats: z.object({ serverAddress: text('The NATS server URL; `env(VAR)` allowed.').optional() }).optional(),
    kafka: z
      .object({
        brokerAddress: text('A seed broker `host:port`; `env(VAR)` allowed.').optional(),
        sessionTimeoutMs: z
          .number()
          .int()
          .min(1)
          .describe('(e2rx) Consumer group session timeout (default 30000): a silent instance loses its partitions after it.')
          .optional(),
        heartbeatIntervalMs: z.number().int().min(1).describe('(e2rx) Consumer heartbeat interval (default 3000); keep it below a third of the session timeout.').optional(),
        driver: z
          .enum(['platformatic', 'kafkajs'])
          .describe('(e2rx) The Kafka client: `platformatic` (default, @platformatic/kafka) or `kafkajs`.')
          .optional(),
      })
      .optional(),
    redis: redisConnection.describe('Makes the cache capability use Redis.').optional(),
    database: z
      .object({
        type: text("'mysql' or 'postgresql'.").optional(),
        connectionString: text('A URL or DSN; `env(VAR)` allowed.').optional(),
      })
      .optional(),
  })
  .describe('External connections (docs/reference/directive.md#connections).');

const authHeader = z.object({
  headerType: text("The scheme, 'bearer' by default.").optional(),
  value: text('The credential; `env(VAR)` allowed.').optional(),
});

/** Outbound request rules (docs/reference/capabilities.md HTTPRules). */
export const HttpRulesSchema = z
  .object({
    allowedDomains: z.array(z.string()).describe('Allow-list of host patterns (`*.example.com`).').optional(),
    blockedDomains: z.array(z.string()).describe('Block-list of host patterns.').optional(),
    allowedPorts: z.array(z.number().int()).describe('Ports allowed besides 80 and 443.').optional(),
    blockedPorts: z.array(z.number().int()).describe('Ports refused.').optional(),
    allowIPs: flag('Whether literal IP hosts are allowed (default true).').optional(),
    allowPrivate: flag('Whether private and loopback addresses are allowed (default true).').optional(),
    allowHTTP: flag('Whether plain http:// is allowed (default true).').optional(),
  })
  .describe('Rules for outbound requests.');

const outbound = z.object({
  enabled: flag('Whether the capability is on.').optional(),
  rules: HttpRulesSchema.optional(),
  timeoutMs: z.number().int().min(1).describe('(e2rx) Client timeout (default 30000).').optional(),
  maxResponseBytes: z.number().int().min(1).describe('(e2rx) Response size cap (default 16 MiB).').optional(),
});

const enabledOnly = z.object({ enabled: flag('Whether the capability is on.').optional() });

/** Capabilities (docs/reference/capabilities.md). Each given object replaces that capability's default wholesale. */
export const CapabilitiesSchema = z
  .object({
    logger: enabledOnly.optional(),
    http: outbound.optional(),
    graphql: outbound.optional(),
    auth: z
      .object({ enabled: flag('Whether auth headers are injected.').optional(), headers: z.record(z.string(), authHeader).optional() })
      .optional(),
    cache: z
      .object({
        enabled: flag('Whether the capability is on.').optional(),
        rules: z
          .object({
            allowSet: flag('Whether functions may store values (default true).').optional(),
            allowGet: flag('Whether functions may read values (default true).').optional(),
            allowDelete: flag('Whether values may be deleted (default true).').optional(),
          })
          .optional(),
        redis: redisConnection.optional(),
        maxEntries: z.number().int().min(1).describe('(e2rx) Entries kept by the in-memory cache.').optional(),
      })
      .optional(),
    file: enabledOnly.optional(),
    db: z
      .object({
        enabled: flag('Whether the capability is on.').optional(),
        dbType: text("'mysql' or 'pgx'.").optional(),
        connectionString: text('`env(VAR)` allowed.').optional(),
        queries: z.array(QuerySchema).optional(),
      })
      .optional(),
    requestHandler: z
      .object({
        enabled: flag('Whether functions may read the request.').optional(),
        allowGetField: flag('Whether request fields may be read (default true).').optional(),
        allowSetField: flag('Whether request fields may be changed (default true).').optional(),
      })
      .optional(),
    secrets: z
      .object({
        enabled: flag('Whether functions may read secrets.').optional(),
        env: z
          .object({ allowedKeys: z.array(z.string()).describe('Environment variables functions may read.').optional() })
          .optional(),
      })
      .optional(),
  })
  .describe('Capabilities (docs/reference/capabilities.md).');

/** App-wide bounds (e2rx). */
export const LimitsSchema = z
  .object({
    timeoutMs: z.number().int().min(1).describe('(e2rx) Time limit of one function call (default 30000).').optional(),
    maxMemoryMb: z.number().int().min(1).describe('(e2rx) Memory limit of one instance (default 256).').optional(),
    maxInputBytes: z.number().int().min(0).describe('(e2rx) Largest function input (default 16 MiB).').optional(),
    maxOutputBytes: z.number().int().min(0).describe('(e2rx) Largest function output (default 16 MiB).').optional(),
    groupTimeoutMs: z.number().int().min(1).describe('(e2rx) Time limit of a group step (default 30000).').optional(),
    maxInFlight: z.number().int().min(1).describe('(e2rx) Runs in flight per handler (default 1024); more work waits in the queue.').optional(),
    queueSize: count('(e2rx) Work waiting per handler at most, by count (default: no count bound); past it, 503.').optional(),
    maxQueuedBytes: z.number().int().min(0).describe('(e2rx) Bytes of waiting work per handler at most (default 64 MiB); past it, 503.').optional(),
    requestTimeoutMs: z.number().int().min(1).describe('(e2rx) A request running longer gets 504 (default 60000); waiting work that could no longer finish within it gets 503.').optional(),
    maxBodyBytes: z.number().int().min(0).describe('(e2rx) A larger request body gets 413 (default 16 MiB).').optional(),
    maxConnections: z.number().int().min(1).describe('(e2rx) Websocket connections per handler at most (default 4096); past it, 503.').optional(),
    maxHeaderBytes: z
      .number()
      .int()
      .min(1024)
      .describe("(e2rx) The largest request head (request line and headers) in bytes (default 1 MiB, Go's default, as Atmo); past it, 431. App-wide only.")
      .optional(),
  })
  .describe('(e2rx) App-wide bounds.');

/** Runtime settings (e2rx). */
export const RuntimeSchema = z
  .object({
    workers: z.number().int().min(1).describe('(e2rx) Worker threads running functions.').optional(),
    instancesPerWorker: z.number().int().min(1).describe('(e2rx) Instances of each function kept warm per worker (default 1); a worker runs one call at a time, so more are spares, not parallelism: raise workers for that.').optional(),
    freshInstancePerCall: flag('(e2rx) Discard the instance after every call (no state kept).').optional(),
    placement: z
      .enum(['auto', 'workers'])
      .describe('(e2rx) Where functions run: `auto` (default) runs short functions without asynchronous imports on the calling thread and the rest on the workers; `workers` runs every function on the workers.')
      .optional(),
    inlineBudgetMs: z.number().int().min(1).describe('(e2rx) With `placement: auto`, how long one call may run on the calling thread before it moves to a worker (default 10).').optional(),
  })
  .describe('(e2rx) How functions are run.');

/** The Directive (Atmo v0.4.x, docs/reference/directive.md#top-level-keys), with e2rx's optional extensions. */
export const DirectiveSchema = z
  .object({
    identifier: text('The app identifier, reverse-DNS by convention (`com.example.app`).').optional(),
    appVersion: text('The app version, a semantic version with a leading v (`v0.1.0`).').optional(),
    atmoVersion: text('The Atmo version the app targets (`v0.4.7`).').optional(),
    headless: flag('Read by build tools only; headless serving is chosen with --headless.').optional(),
    connections: ConnectionsSchema.optional(),
    authentication: z
      .object({ domains: z.record(z.string(), authHeader).describe('Per host: the Authorization header to add.').optional() })
      .describe('Credentials the host adds to outbound requests (docs/reference/directive.md#authentication).')
      .optional(),
    capabilities: CapabilitiesSchema.optional(),
    handlers: z.array(HandlerSchema).describe('Handlers (docs/reference/directive.md#handlers).').optional(),
    schedules: z.array(ScheduleSchema).describe('Schedules (docs/reference/directive.md#schedules).').optional(),
    queries: z.array(QuerySchema).describe('Named SQL queries (docs/reference/directive.md#queries).').optional(),
    runnables: z.array(RunnableSchema).describe('The functions (inferred from the .wasm files when absent).').optional(),
    limits: LimitsSchema.optional(),
    runtime: RuntimeSchema.optional(),
    auth: AuthSchema.describe('(e2rx) App-wide inbound authentication of request and websocket handlers (each may override it).').optional(),
  })
  .meta({ title: 'e2rx Directive', description: 'An Atmo v0.4.x Directive, as run by e2rx.' });

/** A Directive as written (every key optional; the rules check what is required). */
export type DirectiveInput = z.infer<typeof DirectiveSchema>;
/** A handler as written. */
export type HandlerInput = z.infer<typeof HandlerSchema>;
/** A step as written. */
export type StepInput = z.infer<typeof StepSchema>;
/** A call (fn, as, with, onErr) as written. */
export type CallInput = z.infer<typeof CallSchema>;
/** An onErr object as written. */
export type OnErrInput = z.infer<typeof OnErrSchema>;
/** A schedule as written. */
export type ScheduleInput = z.infer<typeof ScheduleSchema>;
/** A query as written. */
export type QueryInput = z.infer<typeof QuerySchema>;
/** A runnable as written. */
export type RunnableInput = z.infer<typeof RunnableSchema>;
/** HTTP rules as written. */
export type HttpRulesInput = z.infer<typeof HttpRulesSchema>;
/** An inbound `auth` block as written. */
export type AuthInput = z.infer<typeof AuthSchema>;
export { AuthSchema, JwtAuthSchema } from './auth-schema.js';
/** Capabilities as written. */
export type CapabilitiesInput = z.infer<typeof CapabilitiesSchema>;

/**
 * The Directive's JSON Schema (draft 2020-12), for editors and other tools.
 *
 * @example
 * ```ts
 * import { directiveJsonSchema } from 'e2rx';
 * console.log(JSON.stringify(directiveJsonSchema(), null, 2));
 * ```
 */
export function directiveJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DirectiveSchema);
}
