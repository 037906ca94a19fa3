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
import { Observable } from 'rxjs';
import type { Logger } from 'pino';
import type { Gate, Refusal } from '../flow/gate.js';
import type { HandlerRun } from './handler-run.js';
import type { RunResult } from '../steps/steps.js';
import { deadLetterNats, replyNatsFailure, respondNats } from '../sinks/respond-to.js';
import type { NatsJob } from '../messages/nats-job.js';
import { fromNatsSubject } from '../sources/nats.js';
import { retryDelay } from '../flow/retry.js';
import { DEAD_LETTER_ATTEMPTS, publishDeadLetter } from '../flow/give-up.js';
import { describeFailure, type FailureDescription } from '../messages/headers.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';
import { later, waitFor } from '../flow/later.js';
import { jetStreamPipeline } from './jetstream-pipeline.js';
import { retryPolicy } from './retries.js';
import type { NatsHandlerConfig, NatsPipelineDeps } from './nats-config.js';

export type { NatsHandlerConfig, NatsPipelineDeps } from './nats-config.js';

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
    const delay = retryDelay(retryPolicy(config.retries), attempts);
    if (delay !== undefined) {
      this.#cancelTimer = later(this.deps.scheduler, delay, () => this.attempt(attempts + 1));
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
    const error = await publishDeadLetter(() => deadLetterNats(nats, deadLetter, job, failure, attempts, config.id), (ms: number) => waitFor(deps.scheduler, ms), deps.deadLetterBackoffMs);
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
