/**
 * The pipeline of one NATS handler: source → run → respondTo → ack / nak / dead letter, each message on its own
 * detached subscription (see {@link InFlight}) so that a stop lets it finish.
 *
 * @module
 */
import { catchError, concatMap, defer, finalize, from, map, mergeMap, of, switchMap, type Observable, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { NatsConnectionHandle } from '../connections/nats.js';
import { errorMessage } from '../errors.js';
import type { Gate } from '../engine/gate.js';
import type { FunctionRequest } from '../runtime/request.js';
import { deadLetterNats, replyNatsFailure, respondToNats } from '../sinks/respond-to.js';
import { DEFAULT_MAX_DELIVER, fromJetStream, fromNatsSubject, type NatsJob } from '../sources/nats.js';
import { cloneRequest } from '../steps/run-state.js';
import type { RunResult } from '../steps/steps.js';
import { okOrThrow, RunFailed, withRetries } from './attempts.js';
import { backoffDelay } from './backoff.js';
import { describeFailure, type FailureDescription } from './headers.js';
import type { InFlight } from './in-flight.js';
import type { StreamOutcome } from './outcome.js';

/** The first delay before a failed JetStream message is redelivered, when neither `nakDelayMs` nor `retries` says. */
export const DEFAULT_NAK_DELAY_MS = 1_000;

/** What a NATS handler does, resolved from the Directive (see `createStreamConnections`). */
export interface NatsHandlerConfig {
  /** The handler id, in logs and dead-letter headers (`nats orders`). */
  readonly id: string;
  /** The subject (the handler's resource). */
  readonly subject: string;
  /** Core NATS: the queue group. */
  readonly queue: string | undefined;
  readonly respondTo: string | undefined;
  readonly deadLetter: string | undefined;
  /** Core NATS: in-process retries of a failed run. JetStream: the base of the nak delays. */
  readonly retries: { readonly max: number; readonly backoffMs: number };
  /** Set for a JetStream handler. */
  readonly jetstream:
    | {
        readonly stream: string | undefined;
        readonly durable: string;
        readonly ackWaitMs: number | undefined;
        readonly maxDeliver: number;
        /** A fixed redelivery delay; else `retries.backoffMs` (or 1 s) doubling with each delivery. */
        readonly nakDelayMs: number | undefined;
      }
    | undefined;
}

/** What a NATS handler pipeline needs. */
export interface NatsPipelineDeps {
  readonly nats: NatsConnectionHandle;
  readonly inFlight: InFlight;
  readonly logger: Logger;
  readonly scheduler?: SchedulerLike;
  /** JetStream: each pull's size (for metrics and specs). */
  readonly onPull?: (batch: number) => void;
}

/**
 * Builds the pipeline of a NATS handler. Subscribing subscribes to NATS; unsubscribing stops taking messages while
 * the jobs already taken finish on `deps.inFlight`.
 *
 * @example
 * ```ts
 * const pipeline = natsPipeline(config, run, gate, { nats, inFlight, logger });
 * const subscription = pipeline.subscribe((outcome) => console.log(outcome.outcome));
 * ```
 */
export function natsPipeline(
  config: NatsHandlerConfig,
  run: (request: FunctionRequest) => Observable<RunResult>,
  gate: Gate,
  deps: NatsPipelineDeps,
): Observable<StreamOutcome> {
  const { nats, inFlight, logger } = deps;
  const js = config.jetstream;
  const source = js
    ? fromJetStream(nats, {
        subject: config.subject,
        durable: js.durable,
        gate,
        ...(js.stream !== undefined ? { stream: js.stream } : {}),
        ...(js.ackWaitMs !== undefined ? { ackWaitMs: js.ackWaitMs } : {}),
        maxDeliver: js.maxDeliver,
        logger,
        ...(deps.onPull ? { onPull: deps.onPull } : {}),
      })
    : fromNatsSubject(nats, config.subject, { ...(config.queue !== undefined ? { queue: config.queue } : {}), gate });
  const process = js ? (job: NatsJob) => jetStreamJob(job, config, run, deps) : (job: NatsJob) => coreJob(job, config, run, deps);
  return source.pipe(
    mergeMap((job) =>
      inFlight.keep(
        process(job).pipe(
          catchError((error: unknown) => {
            logger.error({ handler: config.id, request_id: job.request.id, err: error }, `${config.id}: a message could not be handled`);
            return of<StreamOutcome>({ handler: config.id, requestId: job.request.id, outcome: 'dropped', attempts: 0, error: describeFailure(error) });
          }),
          finalize(() => job.release()),
        ),
      ),
    ),
  );
}

function coreJob(job: NatsJob, config: NatsHandlerConfig, run: (request: FunctionRequest) => Observable<RunResult>, deps: NatsPipelineDeps): Observable<StreamOutcome> {
  const { nats } = deps;
  if (!job.slot) {
    return defer(() =>
      giveUpCore(job, config, deps, { message: `${config.id} has reached its in-flight bound`, code: 'E2RX_OVERLOADED' }, 0, 'refused'),
    );
  }
  return from(job.slot).pipe(
    switchMap(() =>
      withRetries(
        () =>
          defer(() => run(cloneRequest(job.request))).pipe(
            map((result) => ({ job, result: okOrThrow(result) })),
            respondToNats(nats, { subject: config.respondTo }),
          ),
        { retries: config.retries.max, backoffMs: config.retries.backoffMs, ...(deps.scheduler ? { scheduler: deps.scheduler } : {}) },
      ),
    ),
    concatMap((end) =>
      end.kind === 'done'
        ? of<StreamOutcome>({
            handler: config.id,
            requestId: job.request.id,
            outcome: end.value.publishedTo !== undefined ? 'published' : 'done',
            attempts: end.attempts,
            ...(end.value.publishedTo !== undefined ? { publishedTo: end.value.publishedTo } : {}),
          })
        : defer(() => giveUpCore(job, config, deps, describeFailure(end.failure), end.attempts, undefined)),
    ),
    catchError((error: unknown) =>
      // The slot was never given: the job was released (shutdown) while it waited.
      of<StreamOutcome>({ handler: config.id, requestId: job.request.id, outcome: 'abandoned', attempts: 0, error: describeFailure(error) }),
    ),
  );
}

async function giveUpCore(
  job: NatsJob,
  config: NatsHandlerConfig,
  deps: NatsPipelineDeps,
  failure: FailureDescription,
  attempts: number,
  outcome: 'refused' | undefined,
): Promise<StreamOutcome> {
  const { nats, logger } = deps;
  let deadLettered = false;
  if (config.deadLetter !== undefined) {
    try {
      await deadLetterNats(nats, config.deadLetter, job, failure, attempts, config.id);
      deadLettered = true;
    } catch (error) {
      logger.error({ handler: config.id, request_id: job.request.id, err: error }, `${config.id}: the dead letter to ${config.deadLetter} failed`);
    }
  }
  await replyNatsFailure(nats, job, failure, attempts, config.id).catch(() => false);
  const kind = outcome ?? (deadLettered ? 'dead-lettered' : 'dropped');
  logger[deadLettered || kind === 'refused' ? 'warn' : 'error'](
    { handler: config.id, request_id: job.request.id, subject: job.subject, attempts, code: failure.code, err: failure.message },
    deadLettered
      ? `${config.id}: message failed ${attempts} time(s) and went to ${config.deadLetter}: ${failure.message}`
      : `${config.id}: message ${kind}: ${failure.message}`,
  );
  return {
    handler: config.id,
    requestId: job.request.id,
    outcome: kind,
    attempts,
    error: failure,
    ...(deadLettered && config.deadLetter !== undefined ? { publishedTo: config.deadLetter } : {}),
  };
}

function jetStreamJob(job: NatsJob, config: NatsHandlerConfig, run: (request: FunctionRequest) => Observable<RunResult>, deps: NatsPipelineDeps): Observable<StreamOutcome> {
  const { nats, logger } = deps;
  const js = config.jetstream as NonNullable<NatsHandlerConfig['jetstream']>;
  const maxDeliver = js.maxDeliver ?? DEFAULT_MAX_DELIVER;
  return defer(() => run(cloneRequest(job.request))).pipe(
    map((result) => ({ job, result: okOrThrow(result) })),
    respondToNats(nats, { subject: config.respondTo, dedupeScope: config.id }),
    // The ack has its own error handling: the run succeeded and its result is published, so an ack the server does
    // not confirm (a timeout during a reconnect) must not nak, term or dead-letter the message. It is settled
    // already; at worst JetStream redelivers it (at-least-once).
    concatMap((delivery) =>
      defer(() => job.ack()).pipe(
        map(() => true),
        catchError((error: unknown) => {
          logger.warn(
            { handler: config.id, request_id: job.request.id, stream: job.stream, sequence: job.sequence, delivery: job.deliveryCount, err: errorMessage(error) },
            `${config.id}: ack not confirmed: the message may be redelivered (at-least-once)`,
          );
          return of(false);
        }),
        map(
          (confirmed): StreamOutcome => ({
            handler: config.id,
            requestId: job.request.id,
            outcome: delivery.publishedTo !== undefined ? 'published' : 'done',
            attempts: job.deliveryCount,
            ...(delivery.publishedTo !== undefined ? { publishedTo: delivery.publishedTo } : {}),
            ...(confirmed ? {} : { unconfirmed: true }),
          }),
        ),
      ),
    ),
    // Only a failed run or a failed respondTo publish gets here.
    catchError((error: unknown) =>
      defer(async (): Promise<StreamOutcome> => {
        const failure = describeFailure(error instanceof RunFailed ? error.result : error);
        const base = { handler: config.id, requestId: job.request.id, attempts: job.deliveryCount, error: failure };
        if (job.deliveryCount < maxDeliver) {
          const delay = js.nakDelayMs ?? backoffDelay(job.deliveryCount, { baseMs: config.retries.backoffMs });
          job.nak(delay);
          logger.info(
            { handler: config.id, request_id: job.request.id, delivery: job.deliveryCount, delayMs: delay, code: failure.code },
            `${config.id}: delivery ${job.deliveryCount} of ${maxDeliver} failed (${failure.message}); redelivery in ${delay} ms`,
          );
          return { ...base, outcome: 'retry-later' };
        }
        if (config.deadLetter !== undefined) {
          try {
            await deadLetterNats(nats, config.deadLetter, job, failure, job.deliveryCount, config.id);
            job.term();
            await nats.confirm().catch(() => undefined);
            logger.warn(
              { handler: config.id, request_id: job.request.id, delivery: job.deliveryCount, code: failure.code },
              `${config.id}: message failed ${job.deliveryCount} deliveries and went to ${config.deadLetter}: ${failure.message}`,
            );
            return { ...base, outcome: 'dead-lettered', publishedTo: config.deadLetter };
          } catch (publishError) {
            logger.error({ handler: config.id, request_id: job.request.id, err: publishError }, `${config.id}: the dead letter to ${config.deadLetter} failed`);
          }
        }
        job.term();
        await nats.confirm().catch(() => undefined);
        logger.error(
          { handler: config.id, request_id: job.request.id, stream: job.stream, sequence: job.sequence, delivery: job.deliveryCount, code: failure.code },
          `${config.id}: message failed ${job.deliveryCount} deliveries and is dropped (no dead letter): ${failure.message}`,
        );
        return { ...base, outcome: 'dropped' };
      }),
    ),
  );
}

/**
 * The `retries` of a handler with defaults: without the key, no in-process retries (core NATS, Kafka), and a 1 s
 * base for the JetStream nak delays.
 *
 * @example
 * ```ts
 * retriesOf(undefined); // { max: 0, backoffMs: 1000 }
 * retriesOf({ max: 3, backoffMs: 200 }); // { max: 3, backoffMs: 200 }
 * ```
 */
export function retriesOf(retries: { readonly max: number; readonly backoffMs: number } | undefined): { max: number; backoffMs: number } {
  return retries ? { max: retries.max, backoffMs: retries.backoffMs } : { max: 0, backoffMs: DEFAULT_NAK_DELAY_MS };
}
