/**
 * The pipeline of one JetStream handler (at-least-once): the pull source (`fromJetStream`), each message run, its
 * result published and confirmed, then acknowledged; a failure is nak'ed for a redelivery with a delay, and on the
 * last delivery given up (flow/give-up.ts): dead-lettered or dropped, then terminated.
 *
 * @module
 */
import { Observable } from 'rxjs';
import { retryDelay } from '../flow/retry.js';
import type { Gate } from '../flow/gate.js';
import { DEAD_LETTER_ATTEMPTS, publishDeadLetter } from '../flow/give-up.js';
import { waitFor } from '../flow/later.js';
import { describeFailure } from '../messages/headers.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';
import { deadLetterNats, respondNats } from '../sinks/respond-to.js';
import { fromJetStream } from '../sources/jetstream.js';
import type { NatsJob } from '../messages/nats-job.js';
import type { RunResult } from '../steps/steps.js';
import type { HandlerRun } from './handler-run.js';
import type { NatsHandlerConfig, NatsPipelineDeps } from './nats-config.js';
import { retryPolicy } from './retries.js';
export function jetStreamPipeline(config: NatsHandlerConfig, run: HandlerRun, gate: Gate, deps: NatsPipelineDeps): Observable<StreamOutcome> {
  const { nats, logger } = deps;
  const js = config.jetstream as NonNullable<NatsHandlerConfig['jetstream']>;
  const { maxDeliver } = js;
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
      ackWaitMs: js.ackWaitMs,
      maxDeliver: js.maxDeliver,
      logger,
      ...(deps.onPull ? { onPull: deps.onPull } : {}),
      ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
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
  const delay = retryDelay(retryPolicy(config.retries, js), job.deliveryCount);
  if (delay !== undefined) {
    job.nak(delay);
    logger.info(
      { handler: config.id, request_id: job.request.id, delivery: job.deliveryCount, delayMs: delay, code: failure.code },
      `${config.id}: delivery ${job.deliveryCount} of ${maxDeliver} failed (${failure.message}); redelivery in ${delay} ms`,
    );
    return { ...base, outcome: 'retry-later' };
  }
  if (config.deadLetter !== undefined) {
    const deadLetter = config.deadLetter;
    const publishError = await publishDeadLetter(() => deadLetterNats(nats, deadLetter, job, failure, job.deliveryCount, config.id, `${config.id}:dead-letter`), (ms: number) => waitFor(deps.scheduler, ms), deps.deadLetterBackoffMs);
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
