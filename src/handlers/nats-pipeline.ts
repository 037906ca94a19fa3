/**
 * The pipeline of one NATS handler: source → run → respondTo → ack / nak / dead letter. Each message is handled by
 * plain callbacks on the happy path (run, publish, ack, next) and tracked on the stream connections' {@link InFlight},
 * so that a stop lets it finish; failures take the slower paths (retries, dead letters, naks).
 *
 * - **Core NATS** (at-most-once, as NATS itself): messages wait for a slot in the handler's gate, bounded by bytes
 *   and time like every other source (docs/reference/admission.md); a message the gate refuses is a *slow consumer*
 *   drop: it is dead-lettered when the handler has a `deadLetter`, a request gets an error reply, and a warning is
 *   logged (at most once a second, with the count).
 * - **JetStream** (at-least-once): see {@link fromJetStream}; a message is acknowledged only after its result is
 *   published and confirmed.
 *
 * @module
 */
import { Observable, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { NatsConnectionHandle } from '../connections/nats.js';
import type { Gate, Refusal } from '../flow/gate.js';
import type { HandlerRun } from './handler-run.js';
import type { RunResult } from '../steps/steps.js';
import { deadLetterNats, replyNatsFailure, respondNats } from '../sinks/respond-to.js';
import { DEFAULT_MAX_DELIVER } from '../connections/jetstream-names.js';
import { fromJetStream } from '../sources/jetstream.js';
import { fromNatsSubject, type NatsJob } from '../sources/nats.js';
import { backoffDelay } from '../flow/backoff.js';
import { DEAD_LETTER_ATTEMPTS, publishDeadLetter } from '../flow/give-up.js';
import { describeFailure, type FailureDescription } from '../messages/headers.js';
import type { InFlight } from '../flow/in-flight.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';

/** What a NATS handler does, planned from the Directive by the `nats` and `jetstream` handler kinds (handlers/nats.ts). */
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
  /** Core NATS: a message refused by the gate (a slow-consumer drop). */
  readonly onRefused?: (reason: Refusal) => void;
  /** The first delay between attempts to publish a dead letter (default `DEFAULT_DEAD_LETTER_BACKOFF_MS`, doubling). */
  readonly deadLetterBackoffMs?: number;
}

/**
 * Builds the pipeline of a NATS handler. Subscribing subscribes to NATS; unsubscribing stops taking messages while
 * the messages already taken finish on `deps.inFlight`. Emits one {@link StreamOutcome} per message.
 *
 * @example
 * ```ts
 * const pipeline = natsPipeline(config, run, gate, { nats, inFlight, logger });
 * const subscription = pipeline.subscribe((outcome) => console.log(outcome.outcome));
 * ```
 */
export function natsPipeline(config: NatsHandlerConfig, run: HandlerRun, gate: Gate, deps: NatsPipelineDeps): Observable<StreamOutcome> {
  return config.jetstream ? jetStreamPipeline(config, run, gate, deps) : corePipeline(config, run, gate, deps);
}

/** Waits `ms` on the scheduler (or a Node.js timer). */
function waitOn(deps: NatsPipelineDeps): (ms: number) => Promise<void> {
  return (ms) => new Promise<void>((resolve) => void later(deps, ms, resolve));
}

/** Runs `work` after `ms` on the scheduler (or a Node.js timer); returns its cancel. */
function later(deps: NatsPipelineDeps, ms: number, work: () => void): () => void {
  if (deps.scheduler) {
    const action = deps.scheduler.schedule(work, ms);
    return () => action.unsubscribe();
  }
  const timer = setTimeout(work, ms);
  return () => clearTimeout(timer);
}

function corePipeline(config: NatsHandlerConfig, run: HandlerRun, gate: Gate, deps: NatsPipelineDeps): Observable<StreamOutcome> {
  const { nats, inFlight, logger } = deps;
  return new Observable<StreamOutcome>((subscriber) => {
    const emit = (outcome: StreamOutcome): void => {
      if (!subscriber.closed) subscriber.next(outcome);
    };
    const slowConsumer = createSlowConsumerLog(logger, config.id, config.subject);

    const refuse = (job: NatsJob, reason: Refusal): void => {
      deps.onRefused?.(reason);
      slowConsumer(reason);
      const failure: FailureDescription = { message: `${config.id} is overloaded (${reason}): the message was dropped`, code: 'E2RX_OVERLOADED' };
      const work = { cancel: () => undefined };
      inFlight.track(work);
      void giveUpCore(job, config, deps, failure, 0, 'refused').then((outcome) => {
        inFlight.untrack(work);
        emit(outcome);
      });
    };

    const serve = (job: NatsJob): void => {
      new CoreDelivery(job, config, run, deps, emit).attempt(1);
    };

    const source = fromNatsSubject(nats, config.subject, {
      ...(config.queue !== undefined ? { queue: config.queue } : {}),
      gate,
      onRefused: refuse,
    }).subscribe({
      next: serve,
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    return () => source.unsubscribe();
  });
}

/** One core NATS message from its slot to its outcome: run, publish, retries, give-up (one object per message). */
class CoreDelivery {
  #cancelRun: (() => void) | undefined;
  #cancelTimer: (() => void) | undefined;
  #over = false;

  constructor(
    readonly job: NatsJob,
    readonly config: NatsHandlerConfig,
    readonly run: HandlerRun,
    readonly deps: NatsPipelineDeps,
    readonly emit: (outcome: StreamOutcome) => void,
  ) {
    deps.inFlight.track(this);
  }

  /** Cancelled by the stream connections closing: nothing more happens for the message. */
  cancel(): void {
    this.#cancelRun?.();
    this.#cancelTimer?.();
    this.#finish({ handler: this.config.id, requestId: this.job.request.id, outcome: 'abandoned', attempts: 0 });
  }

  attempt(attempts: number): void {
    this.#cancelRun = this.run.start(this.job.request, (result) => this.#settled(attempts, result));
  }

  #settled(attempts: number, result: RunResult): void {
    if (result.kind !== 'ok') {
      this.#failed(attempts, result);
      return;
    }
    let published: string | undefined | Promise<string | undefined>;
    try {
      published = respondNats(this.deps.nats, this.job, result, this.config.respondTo);
    } catch (error) {
      this.#failed(attempts, error);
      return;
    }
    if (published instanceof Promise) {
      published.then(
        (to) => this.#published(attempts, to),
        (error: unknown) => this.#failed(attempts, error),
      );
    } else this.#published(attempts, published);
  }

  #published(attempts: number, to: string | undefined): void {
    this.#finish(
      to === undefined
        ? { handler: this.config.id, requestId: this.job.request.id, outcome: 'done', attempts }
        : { handler: this.config.id, requestId: this.job.request.id, outcome: 'published', attempts, publishedTo: to },
    );
  }

  #failed(attempts: number, failure: unknown): void {
    const { config } = this;
    if (attempts <= config.retries.max) {
      this.#cancelTimer = later(this.deps, backoffDelay(attempts, { baseMs: config.retries.backoffMs }), () => this.attempt(attempts + 1));
      return;
    }
    void giveUpCore(this.job, config, this.deps, describeFailure(failure), attempts, undefined).then((outcome) => this.#finish(outcome));
  }

  #finish(outcome: StreamOutcome): void {
    if (this.#over) return;
    this.#over = true;
    this.job.release();
    this.deps.inFlight.untrack(this);
    this.emit(outcome);
  }
}

/** A slow-consumer warning, at most once a second, with the count of the drops since the last one. */
function createSlowConsumerLog(logger: Logger, id: string, subject: string): (reason: Refusal) => void {
  let dropped = 0;
  let last = 0;
  return (reason) => {
    dropped += 1;
    const now = Date.now();
    if (now - last < 1_000) return;
    last = now;
    logger.warn({ handler: id, subject, dropped, reason }, `${id}: slow consumer: ${dropped} message(s) dropped (${reason}); see docs/reference/admission.md`);
    dropped = 0;
  };
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
    const deadLetter = config.deadLetter;
    const error = await publishDeadLetter(() => deadLetterNats(nats, deadLetter, job, failure, attempts, config.id), waitOn(deps), deps.deadLetterBackoffMs);
    if (error === undefined) deadLettered = true;
    else logger.error({ handler: config.id, request_id: job.request.id, err: error }, `${config.id}: the dead letter to ${deadLetter} failed ${DEAD_LETTER_ATTEMPTS} times: the message is dropped`);
  }
  await replyNatsFailure(nats, job, failure, attempts, config.id).catch(() => false);
  const kind = outcome ?? (deadLettered ? 'dead-lettered' : 'dropped');
  if (kind !== 'refused') {
    logger[deadLettered ? 'warn' : 'error'](
      { handler: config.id, request_id: job.request.id, subject: job.subject, attempts, code: failure.code, err: failure.message },
      deadLettered
        ? `${config.id}: message failed ${attempts} time(s) and went to ${config.deadLetter}: ${failure.message}`
        : `${config.id}: message ${kind}: ${failure.message}`,
    );
  }
  return {
    handler: config.id,
    requestId: job.request.id,
    outcome: kind,
    attempts,
    error: failure,
    ...(deadLettered && config.deadLetter !== undefined ? { publishedTo: config.deadLetter } : {}),
  };
}

function jetStreamPipeline(config: NatsHandlerConfig, run: HandlerRun, gate: Gate, deps: NatsPipelineDeps): Observable<StreamOutcome> {
  const { nats, logger } = deps;
  const js = config.jetstream as NonNullable<NatsHandlerConfig['jetstream']>;
  const maxDeliver = js.maxDeliver ?? DEFAULT_MAX_DELIVER;
  return new Observable<StreamOutcome>((subscriber) => {
    const emit = (outcome: StreamOutcome): void => {
      if (!subscriber.closed) subscriber.next(outcome);
    };
    const serve = (job: NatsJob): void => {
      new JetStreamDelivery(job, config, js, maxDeliver, run, deps, emit).start();
    };
    const source = fromJetStream(nats, {
      subject: config.subject,
      durable: js.durable,
      gate,
      ...(js.stream !== undefined ? { stream: js.stream } : {}),
      ...(js.ackWaitMs !== undefined ? { ackWaitMs: js.ackWaitMs } : {}),
      maxDeliver: js.maxDeliver,
      logger,
      ...(deps.onPull ? { onPull: deps.onPull } : {}),
    }).subscribe({
      next: serve,
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    return () => source.unsubscribe();
  });
}

/** One JetStream message from its slot to its outcome: run, publish, ack — or nak, dead letter, term. */
class JetStreamDelivery {
  #cancelRun: (() => void) | undefined;
  #over = false;

  constructor(
    readonly job: NatsJob,
    readonly config: NatsHandlerConfig,
    readonly js: NonNullable<NatsHandlerConfig['jetstream']>,
    readonly maxDeliver: number,
    readonly run: HandlerRun,
    readonly deps: NatsPipelineDeps,
    readonly emit: (outcome: StreamOutcome) => void,
  ) {
    deps.inFlight.track(this);
  }

  /** Cancelled by the stream connections closing; released without ack, the message is nak'ed for a redelivery. */
  cancel(): void {
    this.#cancelRun?.();
    this.#finish({ handler: this.config.id, requestId: this.job.request.id, outcome: 'abandoned', attempts: this.job.deliveryCount });
  }

  start(): void {
    this.#cancelRun = this.run.start(this.job.request, (result) => this.#settled(result));
  }

  #settled(result: RunResult): void {
    if (result.kind !== 'ok') {
      this.#failed(result);
      return;
    }
    let published: string | undefined | Promise<string | undefined>;
    try {
      published = respondNats(this.deps.nats, this.job, result, this.config.respondTo, this.config.id);
    } catch (error) {
      this.#failed(error);
      return;
    }
    if (published instanceof Promise) {
      published.then(
        (to) => this.#acknowledge(to),
        (error: unknown) => this.#failed(error),
      );
    } else this.#acknowledge(published);
  }

  /** The run succeeded and its result is published: the message is acknowledged (see `NatsJob.ack`). */
  #acknowledge(to: string | undefined): void {
    const { job, config } = this;
    void job.ack();
    this.#finish(
      to === undefined
        ? { handler: config.id, requestId: job.request.id, outcome: 'done', attempts: job.deliveryCount }
        : { handler: config.id, requestId: job.request.id, outcome: 'published', attempts: job.deliveryCount, publishedTo: to },
    );
  }

  #failed(failure: unknown): void {
    void jetStreamFailure(this.job, this.config, this.js, this.maxDeliver, this.deps, failure).then((outcome) => this.#finish(outcome));
  }

  #finish(outcome: StreamOutcome): void {
    if (this.#over) return;
    this.#over = true;
    this.job.release();
    this.deps.inFlight.untrack(this);
    this.emit(outcome);
  }
}

/** A failed run or publish of a JetStream message: nak for a redelivery, or dead-letter / term it for good. */
async function jetStreamFailure(
  job: NatsJob,
  config: NatsHandlerConfig,
  js: NonNullable<NatsHandlerConfig['jetstream']>,
  maxDeliver: number,
  deps: NatsPipelineDeps,
  error: unknown,
): Promise<StreamOutcome> {
  const { nats, logger } = deps;
  const failure = describeFailure(error);
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
    const deadLetter = config.deadLetter;
    const publishError = await publishDeadLetter(() => deadLetterNats(nats, deadLetter, job, failure, job.deliveryCount, config.id), waitOn(deps), deps.deadLetterBackoffMs);
    if (publishError === undefined) {
      job.term();
      await nats.confirm().catch(() => undefined);
      logger.warn(
        { handler: config.id, request_id: job.request.id, delivery: job.deliveryCount, code: failure.code },
        `${config.id}: message failed ${job.deliveryCount} deliveries and went to ${deadLetter}: ${failure.message}`,
      );
      return { ...base, outcome: 'dead-lettered', publishedTo: deadLetter };
    }
    logger.error({ handler: config.id, request_id: job.request.id, err: publishError }, `${config.id}: the dead letter to ${deadLetter} failed ${DEAD_LETTER_ATTEMPTS} times`);
  }
  job.term();
  await nats.confirm().catch(() => undefined);
  logger.error(
    { handler: config.id, request_id: job.request.id, stream: job.stream, sequence: job.sequence, delivery: job.deliveryCount, code: failure.code },
    `${config.id}: message failed ${job.deliveryCount} deliveries and is dropped (no dead letter): ${failure.message}`,
  );
  return { ...base, outcome: 'dropped' };
}
