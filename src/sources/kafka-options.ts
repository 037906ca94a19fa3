/**
 * The options of a Kafka source ({@link fromKafkaTopic} in `kafka.ts`), their defaults, and its flow-control events.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { Gate } from '../flow/gate.js';
import type { TopicPartition } from '../connections/kafka-driver.js';
import type { InFlight } from '../flow/in-flight.js';
import type { ExactlyOnceOptions } from './kafka-exactly-once.js';

/** The bytes a partition may hold (fetched, not yet completed) before it is paused, by default. */
export const DEFAULT_PARTITION_BYTES = 8 * 1024 * 1024;

/** The bytes all partitions of a handler may hold before the consumer is paused, when the gate sets no bound. */
export const DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024;

/**
 * Records emitted at most before the source yields to the event loop (the next ones are emitted from `setImmediate`):
 * a function that runs on the calling thread completes inside `job`'s emission, and a fetch of thousands of records
 * would otherwise run in one go while produce acknowledgements, fetches and heartbeats wait.
 */
export const RECORDS_PER_SLICE = 256;

/**
 * Commits are made at most this often: the completions in between go into one commit. A crash redelivers at most
 * what completed in the last interval (the guarantee is at-least-once either way).
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 100;

/** A flow-control event of {@link fromKafkaTopic} (for metrics, logs and specs). */
export type KafkaFlowEvent =
  | { readonly type: 'pause' | 'resume'; readonly partition: TopicPartition }
  | { readonly type: 'assigned'; readonly partitions: readonly TopicPartition[] }
  | { readonly type: 'revoked' }
  | { readonly type: 'commit'; readonly commits: readonly { readonly topic: string; readonly partition: number; readonly offset: string }[] };

/** Options of {@link fromKafkaTopic}. */
export interface KafkaTopicOptions {
  /** The consumer group. */
  readonly groupId: string;
  /** The handler's in-flight bound. */
  readonly gate: Gate;
  /** The request url (default: the topic). */
  readonly resource?: string;
  /** Where a new group starts: the earliest record (default true) or the end of the topic. */
  readonly fromBeginning?: boolean;
  /** Bytes a partition may hold before it is paused (default {@link DEFAULT_PARTITION_BYTES}, at most `maxHeldBytes`). */
  readonly partitionBytes?: number;
  /**
   * Bytes all partitions may hold before the consumer is paused (default: the gate's `maxQueuedBytes`, else
   * {@link DEFAULT_MAX_HELD_BYTES}).
   */
  readonly maxHeldBytes?: number;
  /** Commits at most this often (default {@link DEFAULT_COMMIT_INTERVAL_MS}); a stop commits at once. */
  readonly commitIntervalMs?: number;
  /** The scheduler of the commit cadence (a `TestScheduler` in marble tests; default: Node.js timers). */
  readonly scheduler?: SchedulerLike;
  readonly logger?: Logger;
  /** Receives the background stop task (wait for the jobs out, commit, leave the group). */
  readonly inFlight?: InFlight;
  /** Flow-control events. */
  readonly onFlow?: (event: KafkaFlowEvent) => void;
  /** Exactly-once: transactional producers per partition, fenced and rewound before emitting (see kafka-exactly-once.ts). */
  readonly exactlyOnce?: ExactlyOnceOptions;
}
