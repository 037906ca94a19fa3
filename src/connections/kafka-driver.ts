/**
 * The Kafka client behind a small interface, so that the client library can be replaced without touching the
 * sources and sinks: `platformatic-driver.ts` (@platformatic/kafka, the default) and `kafkajs-driver.ts` (kafkajs).
 *
 * The contract is deliberately low-level: the driver hands over every record it fetches, in offset order per
 * partition, and does nothing else with it. It never commits by itself (`autoCommit` off): the source decides what
 * to commit, when, and pauses the partitions it cannot take more from. A pause takes effect at a fetch boundary:
 * the records of a fetch already made are all handed over, and the paused partitions are left out of the next one;
 * nothing fetched is dropped to be fetched again.
 *
 * @module
 */
import type { KafkaDriverName } from '../directive/model.js';

/** The Kafka client when the Directive names none (`connections.kafka.driver`): the faster one, measured in bench/kafka.ts. */
export const DEFAULT_KAFKA_DRIVER: KafkaDriverName = 'platformatic';

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
   * A record, in offset order within its partition. The listener takes every record it is handed (a pause asked
   * while a fetch is being handed over applies to the next fetch).
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

/** A partition's committed position, read again by {@link KafkaConsumer.rewind}; `undefined`: the group has none. */
export interface KafkaPosition extends TopicPartition {
  readonly offset: string | undefined;
}

/**
 * A transactional producer of one transactional id, whose transactions commit offsets in its consumer's group
 * (exactly-once; docs/decisions/0014-exactly-once.md). Consumers read with isolation level read_committed, so that
 * what an aborted transaction wrote is never seen.
 */
export interface KafkaTransactions {
  readonly transactionalId: string;
  /**
   * Initialises the producer id of the transactional id anew, once this producer's transaction in flight settled: a
   * producer of the same id elsewhere (a zombie) is fenced, and its open transaction aborted, or completed if it was
   * committing. Resolves once that is settled.
   */
  fence(): Promise<void>;
  /**
   * One transaction: produces `records` and commits `offsets` in the consumer's group, then commits. Resolves once
   * committed; otherwise aborts (nothing of it becomes visible to read_committed readers, the offsets stay where
   * they were) and rejects, and the next call fences again.
   */
  commit(records: readonly KafkaOutgoing[], offsets: readonly KafkaCommit[]): Promise<void>;
  /** Disconnects (an open transaction is left to be aborted by the next owner of the id, or its timeout). */
  close(): Promise<void>;
}

/** A group member of one topic. */
export interface KafkaConsumer {
  /** Connects, joins the group and starts fetching; resolves once started (not necessarily assigned yet). */
  start(listener: KafkaConsumerListener): Promise<void>;
  /**
   * Stops fetching from these partitions after the records already fetched, which are still handed over. A client
   * that can only pause a consumer as a whole pauses it once every assigned partition is paused.
   */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Commits positions; rejects when the group is rebalancing or the generation is stale. */
  commit(commits: readonly KafkaCommit[]): Promise<void>;
  /**
   * Fetches these partitions again from the group's committed offsets (read now), which it returns: what was
   * fetched and not handed over is dropped. A client that cannot seek a partition alone fetches every assigned
   * partition again from its committed offset (records handed over before come again).
   */
  rewind(partitions: readonly TopicPartition[]): Promise<readonly KafkaPosition[]>;
  /** A transactional producer whose transactions commit offsets in this consumer's group (see {@link KafkaTransactions}). */
  transactional(transactionalId: string): KafkaTransactions;
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
  /**
   * Produces records and resolves once the cluster acknowledged them all (acks from every in-sync replica). The
   * records of one partition are written in the order given; a large array is sent in requests of at most
   * {@link MAX_PRODUCE_REQUEST_BYTES}, one after the other. Rejects when any of them failed (some may have been
   * written: the caller produces them again, at-least-once).
   */
  produce(records: readonly KafkaOutgoing[]): Promise<void>;
  /** A consumer (not started). */
  consumer(options: KafkaConsumerOptions): KafkaConsumer;
  /** Producer connected and no consumer crashed for good. */
  readonly healthy: boolean;
  /** Disconnects the producer (sending what it holds) and stops every consumer. */
  close(): Promise<void>;
}

/**
 * The bytes of one produce request at most (keys, values and headers, estimated): half the broker's default
 * `message.max.bytes` (1 MiB), which bounds each partition's record batch in a request.
 */
export const MAX_PRODUCE_REQUEST_BYTES = 512 * 1024;

/** What a record to produce weighs in {@link MAX_PRODUCE_REQUEST_BYTES}: its bytes and a record's framing. */
function outgoingBytes(record: KafkaOutgoing): number {
  let bytes = 32 + byteLength(record.value) + byteLength(record.key ?? null);
  if (record.headers) for (const [name, value] of record.headers) bytes += name.length + byteLength(value);
  return bytes;
}

function byteLength(value: Uint8Array | string | null): number {
  if (value === null) return 0;
  return typeof value === 'string' ? value.length * 3 : value.length;
}

/**
 * Splits records to produce into consecutive requests of at most `maxBytes` (a record larger than that goes alone),
 * keeping their order.
 *
 * @example
 * ```ts
 * for (const chunk of produceRequests(records)) await send(chunk); // in order, one request at a time
 * ```
 */
export function produceRequests(records: readonly KafkaOutgoing[], maxBytes = MAX_PRODUCE_REQUEST_BYTES): KafkaOutgoing[][] {
  const requests: KafkaOutgoing[][] = [];
  let current: KafkaOutgoing[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = outgoingBytes(record);
    if (current.length > 0 && bytes + size > maxBytes) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
