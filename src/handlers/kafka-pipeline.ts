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
import type { KafkaDriver } from '../connections/kafka-driver.js';
import type { Gate } from '../flow/gate.js';
import type { HandlerRun } from './handler-run.js';
import { fromKafkaTopic, type KafkaFlowEvent } from '../sources/kafka.js';
import type { InFlight } from '../flow/in-flight.js';
import { KafkaLane, type KafkaLaneContext } from './kafka-lane.js';
import type { StreamOutcome } from '../messages/stream-outcome.js';
import { DEFAULT_DEAD_LETTER_BACKOFF_MS } from '../flow/give-up.js';

/** What a Kafka handler does, planned from the Directive by the `kafka` handler kind (handlers/kafka.ts). */
export interface KafkaHandlerConfig {
  /** The handler id, in logs and dead-letter headers (`kafka orders`). */
  readonly id: string;
  readonly topic: string;
  readonly groupId: string;
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
      emit: (outcome) => {
        if (!subscriber.closed) subscriber.next(outcome);
      },
    };
    const lanes = new Map<number, KafkaLane>();
    const source = fromKafkaTopic(driver, config.topic, {
      groupId: config.groupId,
      gate,
      fromBeginning: config.fromBeginning ?? true,
      ...(config.partitionBytes !== undefined ? { partitionBytes: config.partitionBytes } : {}),
      logger,
      inFlight,
      ...(deps.onFlow ? { onFlow: deps.onFlow } : {}),
      ...(deps.scheduler ? { scheduler: deps.scheduler } : {}),
    }).subscribe({
      next: (job) => {
        const partition = job.record.partition;
        let lane = lanes.get(partition);
        if (lane === undefined) lanes.set(partition, (lane = new KafkaLane(context)));
        lane.take(job);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    return () => source.unsubscribe();
  });
}
