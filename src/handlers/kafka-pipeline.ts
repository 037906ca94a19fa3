/**
 * The pipeline of one Kafka handler: the source (ordered per partition, paused by bytes held) hands each record to
 * its partition's {@link KafkaLane}, which runs it, produces its result or dead letter together with its
 * neighbours' and completes it (commits) once the cluster acknowledged them. Callbacks only on the way of a record;
 * the lanes are tracked on `deps.inFlight`, so that a stop lets them finish and commit.
 *
 * @module
 */
import { Observable, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { KafkaDriver, TopicPartition } from '../connections/kafka-driver.js';
import type { Gate } from '../flow/gate.js';
import type { HandlerRun } from './handler-run.js';
import type { KafkaJob } from '../messages/kafka-job.js';
import { fromKafkaTopic, type KafkaFlowEvent } from '../sources/kafka.js';
import { partitionTransactionalId } from '../sources/kafka-exactly-once.js';
import type { InFlight } from '../flow/in-flight.js';
import { KafkaLane } from './kafka-lane.js';
import type { KafkaLaneContext } from './kafka-delivery.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';
import { DEFAULT_DEAD_LETTER_BACKOFF_MS } from '../flow/give-up.js';

/** What a Kafka handler does, planned from the Directive by the `kafka` handler kind (handlers/kafka.ts). */
export interface KafkaHandlerConfig {
  /** The handler id, in logs and dead-letter headers (`kafka orders`). */
  readonly id: string;
  readonly topic: string;
  readonly groupId: string;
  /**
   * What runs in order: the records of a partition, one at a time (`partition`, the default), or the records of each
   * key (`key`: records with different keys run in parallel, up to the gate's bound; a record without a key runs on
   * its own). Commits stay contiguous either way.
   */
  readonly ordering?: 'partition' | 'key';
  /**
   * `exactly-once`: each partition's outputs (results, dead letters) and offsets go in one Kafka transaction, with a
   * transactional id per group, topic and partition (docs/decisions/0014-exactly-once.md). Default `at-least-once`.
   */
  readonly delivery?: 'at-least-once' | 'exactly-once';
  readonly respondTo: string | undefined;
  readonly deadLetter: string | undefined;
  /**
   * Retries of a failed run, or of a failed produce of its result, before the dead letter; the delay doubles.
   */
  readonly retries: { readonly max: number; readonly backoffMs: number };
  /** Where a new group starts (default true: the earliest record). */
  readonly fromBeginning?: boolean;
  /** Bytes a partition may hold before it is paused (default `DEFAULT_PARTITION_BYTES`). */
  readonly partitionBytes?: number;
}

/** What a Kafka handler pipeline needs. */
export interface KafkaPipelineDeps {
  readonly driver: KafkaDriver;
  readonly inFlight: InFlight;
  readonly logger: Logger;
  readonly scheduler?: SchedulerLike;
  /** Flow-control events of the source (pause, resume, assignments, commits). */
  readonly onFlow?: (event: KafkaFlowEvent) => void;
  /** The first delay between attempts to produce a dead letter (default `DEFAULT_DEAD_LETTER_BACKOFF_MS`, doubling; see flow/give-up.ts). */
  readonly deadLetterBackoffMs?: number;
}

/**
 * Builds the pipeline of a Kafka handler. Subscribing starts a consumer in the group; unsubscribing stops taking
 * records while the records already taken finish, are produced and committed, and the consumer leaves the group (on
 * `deps.inFlight`). Emits one {@link StreamOutcome} per record.
 *
 * @example
 * ```ts
 * const pipeline = kafkaPipeline(config, run, gate, { driver, inFlight, logger });
 * const subscription = pipeline.subscribe();
 * // stop:
 * subscription.unsubscribe();
 * await inFlight.drain(10_000);
 * ```
 */
export function kafkaPipeline(config: KafkaHandlerConfig, run: HandlerRun, gate: Gate, deps: KafkaPipelineDeps): Observable<StreamOutcome> {
  const { driver, inFlight, logger } = deps;
  const exactlyOnce = config.delivery === 'exactly-once';
  return new Observable<StreamOutcome>((subscriber) => {
    const context: KafkaLaneContext = {
      id: config.id,
      resource: config.topic,
      respondTo: config.respondTo,
      deadLetter: config.deadLetter,
      retries: config.retries,
      run,
      driver,
      inFlight,
      logger,
      scheduler: deps.scheduler,
      deadLetterBackoffMs: deps.deadLetterBackoffMs ?? DEFAULT_DEAD_LETTER_BACKOFF_MS,
      exactlyOnce,
      emit: (outcome) => {
        if (!subscriber.closed) subscriber.next(outcome);
      },
    };
    const route = config.ordering === 'key' ? keyLanes(context) : partitionLanes(context);
    const source = fromKafkaTopic(driver, config.topic, {
      groupId: config.groupId,
      gate,
      fromBeginning: config.fromBeginning ?? true,
      ...(config.partitionBytes !== undefined ? { partitionBytes: config.partitionBytes } : {}),
      logger,
      inFlight,
      ...(deps.onFlow ? { onFlow: deps.onFlow } : {}),
      ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
      ...(exactlyOnce ? { exactlyOnce: { transactionalId: (tp: TopicPartition) => partitionTransactionalId(config.groupId, tp) } } : {}),
    }).subscribe({
      next: route,
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    return () => source.unsubscribe();
  });
}

/** One lane per partition: its records run one at a time, in offset order. */
function partitionLanes(context: KafkaLaneContext): (job: KafkaJob) => void {
  const lanes = new Map<number, KafkaLane>();
  return (job) => {
    const partition = job.record.partition;
    let lane = lanes.get(partition);
    if (lane === undefined) lanes.set(partition, (lane = new KafkaLane(context)));
    lane.take(job);
  };
}

/**
 * One lane per partition and key, for as long as it has work: the records of a key run one at a time, in offset
 * order; the partition goes on emitting while a record waits for its key (each record keeps its in-flight slot until
 * its run is over, so the gate bounds the records held). A record without a key has a lane of its own.
 */
function keyLanes(context: KafkaLaneContext): (job: KafkaJob) => void {
  const lanes = new Map<string, KafkaLane>();
  return (job) => {
    const { key, partition } = job.record;
    if (key === null) new KafkaLane(context).take(job);
    else {
      const id = `${partition}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;
      let lane = lanes.get(id);
      if (lane === undefined) lanes.set(id, (lane = new KafkaLane(context, () => lanes.delete(id))));
      lane.take(job);
    }
    // After the lane took it: the next record of its key, emitted from here, queues behind it.
    job.detach();
  };
}
