/**
 * The Kafka client behind a small interface, so that the client library can be replaced (kafkajs today, see
 * `kafkajs-driver.ts`; @platformatic/kafka or another tomorrow) without touching the sources and sinks.
 *
 * The contract is deliberately low-level: the driver hands over every record it fetches, in offset order per
 * partition, and does nothing else with it. It never commits by itself (`autoCommit` off): the source decides what
 * to commit, when, and pauses the partitions it cannot take more from.
 *
 * @module
 */

/** A topic and one of its partitions. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** One record fetched from Kafka. */
export interface KafkaRecord extends TopicPartition {
  /** The offset, as a decimal string (offsets are 64-bit). */
  readonly offset: string;
  readonly key: Uint8Array | null;
  /** The value; `null` for a tombstone. */
  readonly value: Uint8Array | null;
  /** The headers in order, a repeated name once per value. */
  readonly headers: readonly (readonly [string, Uint8Array])[];
  /** The record timestamp (ms since the epoch, as a string). */
  readonly timestamp: string;
}

/** One record to produce. */
export interface KafkaOutgoing {
  readonly topic: string;
  readonly key?: Uint8Array | string | null;
  readonly value: Uint8Array | string | null;
  readonly headers?: readonly (readonly [string, Uint8Array | string])[];
  /** A partition; by default the client's partitioner picks one from the key (Java-compatible murmur2). */
  readonly partition?: number;
}

/** A committed position: the offset of the next record to read. */
export interface KafkaCommit extends TopicPartition {
  readonly offset: string;
}

/** What a consumer tells its user. */
export interface KafkaConsumerListener {
  /**
   * A record, in offset order within its partition. Called synchronously with respect to the fetch loop: the driver
   * goes on only after it returns, and checks right after whether the partition was paused.
   */
  onRecord(record: KafkaRecord): void;
  /**
   * The consumer joined (or re-joined) its group with these partitions: every record handed over before is stale
   * (fetching restarts from the committed offsets), and commits of earlier generations must not be made.
   */
  onAssigned(partitions: readonly TopicPartition[]): void;
  /** The partitions are being taken away (a rebalance began, or the consumer crashed and restarts). */
  onRevoked(): void;
  /** The consumer stopped on an error it does not recover from. */
  onFatal(error: Error): void;
}

/** Options of {@link KafkaDriver.consumer}. */
export interface KafkaConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group without a committed offset starts: the earliest record (true) or the end (false). */
  readonly fromBeginning: boolean;
}

/** A group member of one topic. */
export interface KafkaConsumer {
  /** Connects, joins the group and starts fetching; resolves once started (not necessarily assigned yet). */
  start(listener: KafkaConsumerListener): Promise<void>;
  /** Stops fetching from these partitions (records already fetched may still arrive once each). */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Commits positions; rejects when the group is rebalancing or the generation is stale. */
  commit(commits: readonly KafkaCommit[]): Promise<void>;
  /** Leaves the group and disconnects (without committing anything). */
  stop(): Promise<void>;
  /** Running and not crashed. */
  readonly healthy: boolean;
}

/** A Kafka client: one producer, any number of consumers. */
export interface KafkaDriver {
  /** The seed brokers as configured (in errors and logs). */
  readonly address: string;
  /**
   * Reaches the cluster and connects the producer; rejects with `E2RX_CONNECTION` naming the address when it
   * cannot within `timeoutMs`.
   */
  connect(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Produces records and resolves once the cluster acknowledged them all (acks from every in-sync replica). */
  produce(records: readonly KafkaOutgoing[]): Promise<void>;
  /** A consumer (not started). */
  consumer(options: KafkaConsumerOptions): KafkaConsumer;
  /** Producer connected and no consumer crashed for good. */
  readonly healthy: boolean;
  /** Disconnects the producer (sending what it holds) and stops every consumer. */
  close(): Promise<void>;
}
