/**
 * The exactly-once side of a Kafka source (`delivery: exactly-once`; docs/decisions/0014-exactly-once.md): one
 * transactional producer per partition the source is assigned, and the rewind of a partition to its committed
 * offset, before its first record and after a failed transaction.
 *
 * Why a rewind before the first record: a previous owner may have been killed while its last transaction was
 * committing. The consumer's first fetch of the committed offset does not wait for that transaction, but fencing
 * its transactional id does (the broker completes or aborts it first): so the partition is fenced, then its
 * committed offset is read again and fetched from, and only then are its records emitted.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { KafkaConsumer, KafkaPosition, KafkaTransactions, TopicPartition } from '../connections/kafka-driver.js';
import { backoffDelay } from '../flow/backoff.js';
import { later } from '../flow/later.js';

/** The exactly-once option of a Kafka source. */
export interface ExactlyOnceOptions {
  /** The transactional id of a partition: stable per group, topic and partition, so that its next owner fences this one. */
  readonly transactionalId: (partition: TopicPartition) => string;
}

/**
 * The transactional id of a partition read by a consumer group, as e2rx names it: `e2rx.<group>.<topic>.<partition>`.
 *
 * @example
 * ```ts
 * partitionTransactionalId('shop', { topic: 'orders', partition: 3 }); // 'e2rx.shop.orders.3'
 * ```
 */
export function partitionTransactionalId(groupId: string, partition: TopicPartition): string {
  return `e2rx.${groupId}.${partition.topic}.${partition.partition}`;
}

/** What {@link TransactionalPartitions.rewind} tells the source. */
export interface RewindListener {
  /** Whether the rewind begun for `partition` in `epoch` still matters (same epoch, assigned, not stopped). */
  current(partition: number, epoch: number): boolean;
  /** The partition was fenced and fetches again from `position` (`undefined`: from where the group starts). */
  rewound(partition: number, epoch: number, position: KafkaPosition): void;
}

/** The transactional producers of one source's partitions, and their rewinds. */
export class TransactionalPartitions {
  readonly #producers = new Map<number, KafkaTransactions>();
  #closed = false;

  constructor(
    readonly topic: string,
    private readonly consumer: KafkaConsumer,
    private readonly options: ExactlyOnceOptions,
    private readonly listener: RewindListener,
    private readonly scheduler: SchedulerLike | undefined,
    private readonly logger: Logger | undefined,
  ) {}

  /** The transactions of a partition (created on first use). */
  of(partition: number): KafkaTransactions {
    let producer = this.#producers.get(partition);
    if (producer === undefined) {
      producer = this.consumer.transactional(this.options.transactionalId({ topic: this.topic, partition }));
      this.#producers.set(partition, producer);
    }
    return producer;
  }

  /**
   * Fences each partition's transactional id, then reads their committed offsets and fetches from them; tells the
   * listener, for each partition whose `epoch` is still current. Tried again with backoff while it fails.
   */
  rewind(partitions: readonly { readonly partition: number; readonly epoch: number }[], attempt = 1): void {
    if (this.#closed || partitions.length === 0) return;
    void (async () => {
      const live = partitions.filter((one) => this.listener.current(one.partition, one.epoch));
      if (live.length === 0) return;
      await Promise.all(live.map((one) => this.of(one.partition).fence()));
      const positions = await this.consumer.rewind(live.map((one) => ({ topic: this.topic, partition: one.partition })));
      for (const one of live) {
        const position = positions.find((candidate) => candidate.partition === one.partition) ?? { topic: this.topic, partition: one.partition, offset: undefined };
        if (this.listener.current(one.partition, one.epoch)) this.listener.rewound(one.partition, one.epoch, position);
      }
    })().catch((error: unknown) => {
      if (this.#closed) return;
      const delay = backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 });
      this.logger?.warn({ topic: this.topic, partitions: partitions.map((one) => one.partition), err: errorMessage(error), retryInMs: delay }, 'Kafka exactly-once: fencing or rewinding partitions failed; retrying');
      later(this.scheduler, delay, () => this.rewind(partitions, attempt + 1));
    });
  }

  /** Disconnects every producer. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#producers.values()].map((producer) => producer.close()));
    this.#producers.clear();
  }
}
