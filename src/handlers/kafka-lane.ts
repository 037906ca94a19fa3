/**
 * One partition of a Kafka handler, between the source and the cluster: its records run one at a time in offset
 * order, their results (and dead letters) are gathered and produced together, and each record is completed — its
 * offset may be committed — only once what it produced was acknowledged.
 *
 * The invariants:
 *
 * - **Order.** A record runs after the previous record of its partition finished running (a failed run is retried
 *   after its backoff before the next one starts). Outputs are produced in offset order, one produce at a time per
 *   partition, and records complete in offset order.
 * - **Commit after acknowledgement.** A record completes when the produce that carried its result or dead letter was
 *   acknowledged by every in-sync replica, or, when it produced nothing, when every record before it completed.
 * - **Batching.** Results wait in the lane's outbox while a produce is in flight; the next produce takes all of them
 *   (the driver splits it into requests of at most 512 KiB): with records handed over a fetch at a time, a lane makes
 *   about one produce per fetch.
 * - **Failures.** A failed run counts against `retries.max`, then goes to the dead letter (or is dropped and
 *   logged without one). A failed produce is produced again after the backoff, without running the functions
 *   again: each of its results counts one failure against `retries.max`, past which it is dead-lettered instead;
 *   a dead letter is produced again until it succeeds. The records after it wait (they run, but are not produced).
 * - **Rebalances.** Results of records whose partition was revoked are not produced: they are abandoned (never
 *   committed), and whoever owns the partition runs them again from the last commit.
 *
 * No RxJS on the way: one {@link Delivery} object per record, callbacks, and a lane tracked on the connections'
 * {@link InFlight} while it has work, so that a stop lets it finish and a cancel abandons it.
 *
 * @module
 */
import type { KafkaOutgoing } from '../connections/kafka-driver.js';
import { errorMessage } from '../errors.js';
import { guestKafkaRecord } from '../sinks/guest-publishes.js';
import { kafkaResultRecord } from '../sinks/respond-to.js';
import type { KafkaJob } from '../messages/kafka-job.js';
import type { RunResult } from '../steps/steps.js';
import { backoffDelay } from '../flow/backoff.js';
import { later } from '../flow/later.js';
import { retryDelay } from '../flow/retry.js';
import { retryPolicy } from './retries.js';
import { deadLetterRetryDelay } from '../flow/give-up.js';
import { describeFailure } from '../messages/headers.js';
import { streamRequest } from '../messages/stream-request.js';
import { completeDelivery, Delivery, dropDeadLetter, giveUp, type KafkaLaneContext } from './kafka-delivery.js';
import { annotateRun } from '../telemetry/run-annotations.js';
import { activeTracing } from '../telemetry/tracing.js';

/**
 * The lane of one partition (see the module comment). The source hands it a job at a time ({@link take}); it calls
 * `job.proceed()` when the run is over, `job.complete()` once its output is acknowledged.
 *
 * @example
 * ```ts
 * const lanes = new Map<number, KafkaLane>();
 * source.subscribe((job) => {
 *   let lane = lanes.get(job.record.partition);
 *   if (!lane) lanes.set(job.record.partition, (lane = new KafkaLane(context)));
 *   lane.take(job);
 * });
 * ```
 */
export class KafkaLane {
  #running: Delivery | undefined;
  #cancelRun: (() => void) | undefined;
  /** Taken while a run's result was being handled (the source emits the next job from inside `proceed()`). */
  #queue: Delivery[] = [];
  #draining = false;
  /** Ran, waiting to be produced, in offset order. */
  #outbox: Delivery[] = [];
  /** In the produce in flight (or waiting to be produced again). */
  #sending: Delivery[] | undefined;
  #flushScheduled = false;
  /** Consecutive failed produces. */
  #produceFailures = 0;
  /** The timer of a failed run's retry (the partition waits for it). */
  #cancelRetry: (() => void) | undefined;
  /** The timer of a failed produce's next attempt (the batch stays `#sending` meanwhile). */
  #cancelResend: (() => void) | undefined;
  #tracked = false;
  #cancelled = false;

  /** `onIdle`: called each time the lane has nothing left running, waiting or being produced. */
  constructor(
    readonly context: KafkaLaneContext,
    readonly onIdle?: () => void,
  ) {}

  /** A job of this lane's partition (the previous one proceeded). */
  take(job: KafkaJob): void {
    if (this.#cancelled) {
      job.abandon();
      return;
    }
    if (!this.#tracked) {
      this.#tracked = true;
      this.context.inFlight.track(this);
    }
    this.#queue.push(new Delivery(job));
    this.#drain();
  }

  /** Cancelled by the stream connections closing: every record of the lane is abandoned (not committed). */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#cancelRun?.();
    this.#cancelRetry?.();
    this.#cancelResend?.();
    const all = [...(this.#running ? [this.#running] : []), ...this.#queue, ...(this.#sending ?? []), ...this.#outbox];
    this.#running = undefined;
    this.#queue = [];
    this.#sending = undefined;
    this.#outbox = [];
    for (const delivery of all) this.#abandon(delivery);
    this.#idle();
  }

  /** Starts the queued records one after the other (a loop, not a recursion: runs may end synchronously). */
  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#running === undefined && this.#queue.length > 0 && !this.#cancelled) this.#start(this.#queue.shift() as Delivery);
    } finally {
      this.#draining = false;
    }
  }

  #start(delivery: Delivery): void {
    if (this.context.exactlyOnce && !delivery.job.current) {
      // Rewound or revoked: it runs again from the committed offset.
      this.#abandon(delivery);
      this.#idle();
      return;
    }
    this.#running = delivery;
    delivery.runs += 1;
    const { job } = delivery;
    // The first run takes the source's request; a retry a fresh one with the same id (functions mutate theirs).
    const request = delivery.runs === 1 ? job.request : streamRequest(this.context.resource, job.record.value ?? new Uint8Array(0), job.record.headers, job.request.id);
    if (activeTracing !== undefined) {
      annotateRun(request, { 'messaging.destination.partition.id': String(job.record.partition), 'messaging.kafka.offset': Number(job.record.offset), 'e2rx.attempt': delivery.runs });
    }
    const cancel = this.context.run.start(request, (result) => this.#settled(delivery, result));
    if (this.#running === delivery) this.#cancelRun = cancel;
  }

  #settled(delivery: Delivery, result: RunResult): void {
    if (this.#running !== delivery) return; // cancelled meanwhile
    this.#cancelRun = undefined;
    if (result.kind === 'ok') {
      const { respondTo } = this.context;
      if (respondTo !== undefined) {
        delivery.out = kafkaResultRecord(delivery.job, result, respondTo);
        delivery.outcome = 'published';
      }
      // What its functions published to Kafka and was left on the result (exactly-once) goes in its transaction.
      delivery.published = result.publishes === undefined ? [] : result.publishes.map((message) => guestKafkaRecord(message, result.request.id));
      if (delivery.published.length > 0) delivery.outcome = 'published';
      this.#ran(delivery);
      return;
    }
    delivery.failures += 1;
    if (!delivery.job.current) {
      this.#revoked(delivery);
      return;
    }
    const delay = retryDelay(retryPolicy(this.context.retries), delivery.failures);
    if (delay !== undefined) {
      // The partition waits: the retry runs before any later record.
      this.#cancelRetry = later(this.context.scheduler, delay, () => {
        this.#cancelRetry = undefined;
        if (this.#running !== delivery) return;
        if (delivery.job.current) this.#start(delivery);
        else this.#revoked(delivery);
      });
      return;
    }
    giveUp(this.context, delivery, describeFailure(result));
    this.#ran(delivery);
  }

  /** A failed run of a revoked partition: no retry, no dead letter; its next owner runs it again from the last commit. */
  #revoked(delivery: Delivery): void {
    this.#running = undefined;
    this.#abandon(delivery);
    this.#drain();
    this.#idle();
  }

  /** The run is over: the next record may run, and this one waits in the outbox. */
  #ran(delivery: Delivery): void {
    this.#running = undefined;
    this.#outbox.push(delivery);
    this.#scheduleFlush();
    delivery.job.proceed();
    // With per-key ordering, the next record of the key may be waiting here already (taken while this one ran).
    this.#drain();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#sending !== undefined) return;
    this.#flushScheduled = true;
    // After the current fetch is handed over: its results go in one produce.
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /** Produces the outbox (one produce in flight at a time); completes records that produce nothing, in order. */
  #flush(): void {
    while (!this.#cancelled && this.#sending === undefined && this.#outbox.length > 0) {
      const batch = this.#outbox;
      this.#outbox = [];
      const records: KafkaOutgoing[] = [];
      const kept: Delivery[] = [];
      for (const delivery of batch) {
        if (!delivery.job.current) {
          // Revoked since it was fetched: whoever owns the partition runs it again from the last commit.
          this.#abandon(delivery);
          continue;
        }
        kept.push(delivery);
        delivery.outgoing(records);
      }
      // Exactly-once: the offsets of records that produce nothing are committed in a transaction too.
      if (records.length === 0 && (!this.context.exactlyOnce || kept.length === 0)) {
        for (const delivery of kept) this.#complete(delivery);
        continue;
      }
      this.#send(kept, records);
    }
    this.#idle();
  }

  #send(batch: Delivery[], records: KafkaOutgoing[]): void {
    this.#sending = batch;
    if (this.context.exactlyOnce) {
      this.#transact(batch, records);
      return;
    }
    this.context.driver.produce(records).then(
      () => this.#acknowledged(batch),
      (error: unknown) => this.#produceFailed(batch, error),
    );
  }

  /** Exactly-once: the batch's outputs and the offset after its last record, in one transaction of the partition. */
  #transact(batch: Delivery[], records: KafkaOutgoing[]): void {
    const first = (batch[0] as Delivery).job;
    const last = (batch[batch.length - 1] as Delivery).job.record;
    const offsets = [{ topic: last.topic, partition: last.partition, offset: (BigInt(last.offset) + 1n).toString() }];
    const transactions = first.transactions;
    const committed = transactions === undefined ? Promise.reject(new Error('no transactional producer for the partition')) : transactions.commit(records, offsets);
    committed.then(
      () => this.#acknowledged(batch),
      (error: unknown) => this.#transactionFailed(batch, error),
    );
  }

  /**
   * Exactly-once: the transaction was aborted. The partition is rewound to its committed offset (the source fences
   * it again first); the records of the batch and every later one run again there, so they are abandoned here.
   */
  #transactionFailed(batch: Delivery[], error: unknown): void {
    if (this.#sending !== batch) return;
    const { id, logger } = this.context;
    const { record } = (batch[0] as Delivery).job;
    logger.warn(
      { handler: id, topic: record.topic, partition: record.partition, offset: record.offset, records: batch.length, err: errorMessage(error) },
      `${id}: the transaction of ${batch.length} record(s) was aborted; partition ${record.partition} runs them again from its committed offset`,
    );
    (batch[0] as Delivery).job.rewind();
    this.#sending = undefined;
    for (const delivery of batch) this.#abandon(delivery);
    this.#flush();
  }

  #acknowledged(batch: Delivery[]): void {
    if (this.#sending !== batch) return; // cancelled meanwhile
    this.#sending = undefined;
    this.#produceFailures = 0;
    for (const delivery of batch) this.#complete(delivery);
    this.#flush();
  }

  #produceFailed(batch: Delivery[], error: unknown): void {
    if (this.#sending !== batch) return;
    const { id, retries, logger } = this.context;
    const failure = describeFailure(error);
    let results = 0;
    for (const delivery of batch) {
      if (delivery.outcome === 'dead-lettered') {
        delivery.deadLetterFailures += 1;
        if (deadLetterRetryDelay(delivery.deadLetterFailures) === undefined) dropDeadLetter(this.context, delivery, failure);
        continue;
      }
      if (delivery.outcome !== 'published') continue;
      results += 1;
      delivery.failures += 1;
      if (delivery.failures > retries.max) giveUp(this.context, delivery, failure);
    }
    this.#produceFailures += 1;
    const baseMs = results > 0 ? retries.backoffMs : this.context.deadLetterBackoffMs;
    const delay = backoffDelay(this.#produceFailures, { baseMs });
    logger.warn(
      { handler: id, records: batch.length, err: errorMessage(error), retryInMs: delay },
      `${id}: producing ${batch.length} record(s) failed; producing them again in ${delay} ms`,
    );
    // The batch stays `#sending` while it waits, so that nothing after it is produced first.
    this.#cancelResend = later(this.context.scheduler, delay, () => {
      this.#cancelResend = undefined;
      if (this.#sending !== batch) return;
      this.#sending = undefined;
      this.#outbox = [...batch, ...this.#outbox];
      this.#flush();
    });
  }

  #complete(delivery: Delivery): void {
    completeDelivery(this.context, delivery);
  }

  #abandon(delivery: Delivery): void {
    delivery.job.abandon();
    this.context.emit({ handler: this.context.id, requestId: delivery.job.request.id, outcome: 'abandoned', attempts: delivery.runs });
  }

  /** Untracked once nothing is running, waiting or being produced. */
  #idle(): void {
    if (!this.#tracked) return;
    if (!this.#cancelled && (this.#running !== undefined || this.#queue.length > 0 || this.#outbox.length > 0 || this.#sending !== undefined)) return;
    this.#tracked = false;
    this.context.inFlight.untrack(this);
    this.onIdle?.();
  }
}
