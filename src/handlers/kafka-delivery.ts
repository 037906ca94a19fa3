/**
 * One record in its {@link KafkaLane} (`kafka-lane.ts`): its runs, what it produces (its result or dead letter, and
 * what its run published), its outcome; and what the lanes of one handler share.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { KafkaDriver, KafkaOutgoing } from '../connections/kafka-driver.js';
import type { HandlerRun } from './handler-run.js';
import { kafkaDeadLetterRecord } from '../sinks/respond-to.js';
import type { KafkaJob } from '../messages/kafka-job.js';
import { DEAD_LETTER_ATTEMPTS } from '../flow/give-up.js';
import type { FailureDescription } from '../messages/headers.js';
import type { InFlight } from '../flow/in-flight.js';
import type { StreamOutcome, StreamOutcomeKind } from '../messages/stream-outcome.js';

/** What the lanes of one Kafka handler share. */
export interface KafkaLaneContext {
  /** The handler id, in logs, outcomes and dead-letter headers (`kafka orders`). */
  readonly id: string;
  readonly resource: string;
  readonly respondTo: string | undefined;
  readonly deadLetter: string | undefined;
  readonly retries: { readonly max: number; readonly backoffMs: number };
  readonly run: HandlerRun;
  readonly driver: KafkaDriver;
  readonly inFlight: InFlight;
  readonly logger: Logger;
  readonly scheduler?: SchedulerLike | undefined;
  /** The first delay before a dead letter is produced again (doubling; at most `DEAD_LETTER_ATTEMPTS` tries). */
  readonly deadLetterBackoffMs: number;
  /**
   * Exactly-once: a lane's outputs and offsets go in one transaction of the job's transactional producer; a failed
   * transaction rewinds the partition (see docs/decisions/0014-exactly-once.md).
   */
  readonly exactlyOnce?: boolean;
  readonly emit: (outcome: StreamOutcome) => void;
}

/** One record in its lane: its runs, its result or dead letter, its outcome. */
export class Delivery {
  runs = 0;
  /** Failed runs and failed produces of its result. */
  failures = 0;
  /** Failed produces of its dead letter (see flow/give-up.ts). */
  deadLetterFailures = 0;
  /** What it produces, once it ran: the result, the dead letter, or nothing. */
  out: KafkaOutgoing | undefined;
  /**
   * Records its run asked to send besides its result (guest publishes), produced with it: in its transaction under
   * exactly-once.
   */
  published: readonly KafkaOutgoing[] = [];
  outcome: StreamOutcomeKind = 'done';
  error: FailureDescription | undefined;

  constructor(readonly job: KafkaJob) {}

  /** Everything it produces, in order: its result or dead letter, then what its run published. */
  outgoing(into: KafkaOutgoing[]): void {
    if (this.out !== undefined) into.push(this.out);
    if (this.outcome !== 'dead-lettered') for (const record of this.published) into.push(record);
  }
}

/** Failed for good: its dead letter replaces its result, or, without a dead letter, it is logged and skipped. */
export function giveUp(context: KafkaLaneContext, delivery: Delivery, failure: FailureDescription): void {
  const { id, deadLetter, logger } = context;
  const { record, request } = delivery.job;
  delivery.error = failure;
  if (deadLetter !== undefined) {
    delivery.out = kafkaDeadLetterRecord(delivery.job, failure, delivery.runs, id, deadLetter);
    delivery.outcome = 'dead-lettered';
    return;
  }
  delivery.out = undefined;
  delivery.outcome = 'dropped';
  logger.error(
    { handler: id, request_id: request.id, topic: record.topic, partition: record.partition, offset: record.offset, attempts: delivery.runs, code: failure.code },
    `${id}: record failed ${delivery.runs} time(s) and is skipped (no dead letter): ${failure.message}`,
  );
}

/** Its dead letter failed {@link DEAD_LETTER_ATTEMPTS} times: the record is dropped (logged, then committed). */
export function dropDeadLetter(context: KafkaLaneContext, delivery: Delivery, produceFailure: FailureDescription): void {
  const { id, deadLetter, logger } = context;
  const { record, request } = delivery.job;
  delivery.out = undefined;
  delivery.outcome = 'dropped';
  logger.error(
    { handler: id, request_id: request.id, topic: record.topic, partition: record.partition, offset: record.offset, attempts: delivery.runs, code: delivery.error?.code, err: produceFailure.message },
    `${id}: the dead letter to ${deadLetter ?? '?'} failed ${DEAD_LETTER_ATTEMPTS} times: the record is skipped: ${delivery.error?.message ?? ''}`,
  );
}

/** Its outputs were acknowledged (or committed): the job completes, and its outcome is emitted. */
export function completeDelivery(context: KafkaLaneContext, delivery: Delivery): void {
  const { id, deadLetter, logger, emit } = context;
  const { job } = delivery;
  job.complete();
  if (delivery.outcome === 'dead-lettered') {
    logger.warn(
      { handler: id, request_id: job.request.id, topic: job.record.topic, partition: job.record.partition, offset: job.record.offset, attempts: delivery.runs, code: delivery.error?.code },
      `${id}: record failed ${delivery.runs} time(s) and went to ${deadLetter ?? '?'}: ${delivery.error?.message ?? ''}`,
    );
  }
  const outcome: { -readonly [K in keyof StreamOutcome]: StreamOutcome[K] } = { handler: id, requestId: job.request.id, outcome: delivery.outcome, attempts: delivery.runs };
  if (delivery.out !== undefined) outcome.publishedTo = delivery.out.topic;
  if (delivery.error !== undefined) outcome.error = delivery.error;
  emit(outcome);
}
