/**
 * The NATS and Kafka side of an app: connects what its stream handlers need (and has their JetStream streams and
 * consumers prepared, connections/jetstream.ts), is injected into their pipelines (`PipelineDeps.streams`), reports health, drains and closes.
 *
 * Lifecycle, as the engine drives it:
 *
 * 1. `await streams.connect()` at start, before building the pipelines: fails with `E2RX_CONNECTION` (retriable)
 *    naming the address when a broker cannot be reached within `connectTimeoutMs`.
 * 2. `buildPipelines(plan, { ..., streams })`: subscribing a handler's Observable starts consuming;
 *    the engine's `takeUntil(stopAccepting)` stops consuming, while the messages already taken go on.
 * 3. On stop, after `stopAccepting`: `await streams.drain(timeLeftMs)` (runs finish, are acknowledged or committed;
 *    Kafka consumers commit and leave their groups), then `await streams.close()` (cancels what is left, flushes
 *    producers, closes connections).
 *
 * @module
 */
import type { Observable, SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { publishConnections } from '../directive/capabilities.js';
import { resolveEnv } from '../directive/env.js';
import type { Directive } from '../directive/model.js';
import type { Gate } from '../flow/gate.js';
import type { HandlerRun } from './handler-run.js';
import type { HandlerPlan } from './plan.js';
import { E2rxError } from '../errors.js';
import type { KafkaFlowEvent } from '../sources/kafka.js';
import { provisionJetStream } from '../connections/jetstream.js';
import { createInFlight } from '../flow/in-flight.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';
import { DEFAULT_KAFKA_DRIVER, type KafkaDriver } from '../connections/kafka-driver.js';
import { shareConsumerGroups } from '../connections/kafka-groups.js';
import { createKafkajsDriver } from '../connections/kafkajs-driver.js';
import { createPlatformaticDriver } from '../connections/platformatic-driver.js';
import { connectNats, type NatsConnectionHandle } from '../connections/nats.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../connections/retry.js';
import type { StreamHandles } from './handler-kind.js';
import { planningContext } from './planning.js';
import { jetStreamTarget } from './jetstream.js';
import { handlerKindOf, streamKind, STREAM_KINDS } from './registry.js';

/** Options of {@link createStreamConnections}. */
export interface StreamConnectionsOptions {
  readonly logger: Logger;
  /** The environment for `env(VAR)` addresses. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How long each broker may take to answer at start (default 10 s). */
  readonly connectTimeoutMs?: number;
  /**
   * Replaces the Kafka client. Default: the Directive's `connections.kafka.driver`, else {@link DEFAULT_KAFKA_DRIVER}
   * ({@link createPlatformaticDriver}; `kafkajs`: {@link createKafkajsDriver}).
   */
  readonly kafkaDriver?: (address: string, logger: Logger) => KafkaDriver;
  /** Where a new Kafka consumer group starts: the earliest record (default true) or the end of the topic. */
  readonly kafkaFromBeginning?: boolean;
  /**
   * Bytes a Kafka partition may hold (fetched and not yet committed) before it is paused (default 8 MiB; see
   * `fromKafkaTopic`). All partitions of a handler together are bounded by its `limits.maxQueuedBytes`.
   */
  readonly kafkaPartitionBytes?: number;
  /** The scheduler of retry delays (a `TestScheduler` in marble tests). */
  readonly scheduler?: SchedulerLike;
  /** Flow events, for metrics and specs: Kafka pauses, resumes, assignments, commits; JetStream pull sizes. */
  readonly observe?: {
    readonly kafkaFlow?: (handler: string, event: KafkaFlowEvent) => void;
    readonly jetStreamPull?: (handler: string, batch: number) => void;
  };
}

/** The stream connections of an app. */
export interface StreamConnections extends StreamHandles {
  /** Connects NATS and Kafka if the app's stream handlers use them (and prepares JetStream streams and consumers). */
  connect(): Promise<void>;
  /**
   * Builds the pipeline of one planned NATS, JetStream or Kafka handler with a given run and gate, by its kind
   * (after {@link StreamConnections.connect}). Emits one {@link StreamOutcome} per message while subscribed.
   */
  readonly stream: (plan: HandlerPlan, run: HandlerRun, gate: Gate) => Observable<StreamOutcome>;
  /** Each connection in use: `true` when connected and none of its handlers' pipelines stopped on an error. */
  health(): Partial<Record<'nats' | 'kafka', boolean>>;
  /**
   * Waits for the messages taken to finish and be acknowledged or committed, and for the Kafka consumers to commit
   * and leave; `true` when all did within `timeoutMs`. Call it after the pipelines were unsubscribed.
   */
  drain(timeoutMs?: number): Promise<boolean>;
  /**
   * Resolves once the NATS server has every subscription made so far (a round trip on the connection): call it after
   * the pipelines were subscribed, so that a hot reload unsubscribes the old version only once the new one receives.
   */
  subscribed(): Promise<void>;
  /** Cancels what is still running (not acknowledged, not committed: redelivered later), then closes the connections. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Creates the stream connections of an app (nothing is opened until {@link StreamConnections.connect}).
 *
 * @example
 * ```ts
 * const streams = createStreamConnections(app.directive, { logger, env: process.env });
 * await streams.connect();
 * const { pipelines } = buildPipelines(plan, { ...deps, streams });
 * // ... on stop, after the pipelines were unsubscribed:
 * await streams.drain(10_000);
 * await streams.close();
 * ```
 */
export function createStreamConnections(directive: Directive, options: StreamConnectionsOptions): StreamConnections {
  const { logger } = options;
  const inFlight = createInFlight();
  const streamHandlers = directive.handlers.filter((handler) => handler.source === 'nats' || handler.source === 'kafka');
  const planning = planningContext(directive);
  /** The stream handlers as planned (pure: defaults applied), for what is prepared at connect. */
  const planned = streamHandlers.map((handler) => handlerKindOf(handler).plan(handler, planning));
  // (e2rx) Functions that publish need the connections too.
  const publishing = publishConnections(directive);
  const needsNats = publishing.nats || streamHandlers.some((handler) => handler.source === 'nats');
  const needsKafka = publishing.kafka || streamHandlers.some((handler) => handler.source === 'kafka');
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let nats: NatsConnectionHandle | undefined;
  let kafka: KafkaDriver | undefined;
  let kafkaConnected = false;
  let closing: Promise<void> | undefined;
  /**
   * Handlers whose pipeline stopped on an error (a Kafka consumer that crashed for good, a JetStream consumer that
   * could not be prepared, …): they take no more messages, so their connection reports unhealthy from then on.
   */
  const failed = { nats: new Set<string>(), kafka: new Set<string>() };

  const address = (kind: 'nats' | 'kafka'): string => {
    const raw = kind === 'nats' ? directive.connections.nats?.serverAddress : directive.connections.kafka?.brokerAddress;
    const resolved = resolveEnv(raw, options.env)?.trim();
    if (resolved === undefined || resolved === '') {
      const key = kind === 'nats' ? 'connections.nats.serverAddress' : 'connections.kafka.brokerAddress';
      throw new E2rxError('E2RX_CONNECTION', `the app has ${kind === 'nats' ? 'NATS' : 'Kafka'} handlers but ${key} is ${raw === undefined ? 'not set' : `empty (${raw})`}`, {
        hint: `set ${key} in the Directive (env(VAR) is allowed)`,
      });
    }
    return resolved;
  };

  const connectNatsSide = async (): Promise<void> => {
    nats = await connectNats(address('nats'), { logger, connectTimeoutMs, name: `e2rx ${directive.identifier}` });
    await provisionJetStream(nats, planned.flatMap((plan) => jetStreamTarget(plan) ?? []));
  };

  const connectKafkaSide = async (): Promise<void> => {
    const where = address('kafka');
    const { sessionTimeoutMs, heartbeatIntervalMs } = directive.connections.kafka ?? {};
    const clientOptions = {
      logger,
      clientId: `e2rx-${directive.identifier}`,
      ...(sessionTimeoutMs !== undefined ? { sessionTimeoutMs } : {}),
      ...(heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs } : {}),
    };
    const driverName = directive.connections.kafka?.driver ?? DEFAULT_KAFKA_DRIVER;
    const base = options.kafkaDriver
      ? options.kafkaDriver(where, logger)
      : driverName === 'kafkajs'
        ? createKafkajsDriver(where, clientOptions)
        : createPlatformaticDriver(where, clientOptions);
    const groups = new Map<string, string[]>();
    for (const plan of planned) {
      const groupId = plan.kafka?.groupId;
      if (groupId === undefined) continue;
      groups.set(groupId, [...(groups.get(groupId) ?? []), plan.handler.resource]);
    }
    kafka = shareConsumerGroups(base, groups, logger);
    await kafka.connect({ timeoutMs: connectTimeoutMs });
    kafkaConnected = true;
  };

  const streams: StreamConnections = {
    async connect() {
      await Promise.all(STREAM_KINDS.filter((kind) => streamHandlers.some((handler) => kind.accepts(handler))).map((kind) => kind.load?.() ?? Promise.resolve()));
      const results = await Promise.allSettled([needsNats ? connectNatsSide() : Promise.resolve(), needsKafka ? connectKafkaSide() : Promise.resolve()]);
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) {
        await Promise.allSettled([nats?.close(), kafka?.close()]);
        throw failed.reason;
      }
      if (needsNats || needsKafka) {
        logger.info({ nats: nats?.address, kafka: kafka?.address }, 'stream connections ready');
      }
    },
    logger,
    get nats() {
      return nats;
    },
    get kafka() {
      return kafkaConnected ? kafka : undefined;
    },
    inFlight,
    ...(options.kafkaFromBeginning !== undefined ? { kafkaFromBeginning: options.kafkaFromBeginning } : {}),
    ...(options.kafkaPartitionBytes !== undefined ? { kafkaPartitionBytes: options.kafkaPartitionBytes } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.observe ? { observe: options.observe } : {}),
    failed(connection, handler) {
      failed[connection].add(handler);
    },
    stream(plan, run, gate) {
      return streamKind(plan).pipeline(plan, run, gate, streams);
    },
    health() {
      const report: Partial<Record<'nats' | 'kafka', boolean>> = {};
      if (needsNats) report.nats = (nats?.healthy ?? false) && failed.nats.size === 0;
      if (needsKafka) report.kafka = kafkaConnected && (kafka?.healthy ?? false) && failed.kafka.size === 0;
      return report;
    },
    async subscribed() {
      if (nats !== undefined && !nats.connection.isClosed()) await nats.connection.flush().catch(() => undefined);
    },
    drain(timeoutMs) {
      return inFlight.drain(timeoutMs);
    },
    close() {
      closing ??= (async () => {
        if (inFlight.size > 0) logger.warn({ inFlight: inFlight.size }, 'closing stream connections with messages in flight: they will be redelivered');
        inFlight.cancel();
        // Cancelled Kafka jobs let their consumers commit what completed and leave: give that a moment.
        await inFlight.drain(5_000);
        await Promise.allSettled([nats?.drain(), kafka?.close()]);
        kafkaConnected = false;
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return streams.close();
    },
  };
  return streams;
}
