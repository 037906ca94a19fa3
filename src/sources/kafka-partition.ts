/**
 * One partition of a Kafka source ({@link fromKafkaTopic} in `kafka.ts`): the records it received and has not
 * emitted yet, their bytes, whether it is paused, and the epoch of the assignment it belongs to.
 *
 * @module
 */
import type { Slot, Waiter } from '../flow/gate.js';
import type { KafkaRecord, KafkaTransactions, TopicPartition } from '../connections/kafka-driver.js';
import { createOffsetTracker, type OffsetTracker } from '../flow/offset-tracker.js';

/** What a held record costs besides its key, value and headers (its objects, its request), in the byte bounds. */
export const RECORD_OVERHEAD_BYTES = 256;

/**
 * What a record counts for in the byte bounds: its key, value and headers, and {@link RECORD_OVERHEAD_BYTES}.
 *
 * @example
 * ```ts
 * heldBytes({ topic: 't', partition: 0, offset: '0', key: null, value: new Uint8Array(100), headers: [], timestamp: '0' }); // 356
 * ```
 */
export function heldBytes(record: KafkaRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + (record.value?.length ?? 0) + (record.key?.length ?? 0);
  for (const [name, value] of record.headers) bytes += name.length + value.length;
  return bytes;
}

/** A job as its partition's source settles it: where it was emitted and what it held. */
export interface SettledJob {
  readonly partition: Partition;
  readonly epoch: number;
  readonly tracker: OffsetTracker;
  readonly position: number;
  readonly bytes: number;
}

/** What a {@link Partition} and its jobs tell the source they belong to. */
export interface PartitionOwner {
  /** The request url of the jobs. */
  readonly resource: string;
  /** The gate gave `partition` a slot: its next record becomes a job. */
  begin(partition: Partition, slot: Slot): void;
  /** A job's run is over: its partition may emit the next record. */
  proceeded(partition: Partition): void;
  /** Exactly-once: the partition's transactional producer (`undefined` at least once). */
  transactions(partition: Partition): KafkaTransactions | undefined;
  /** Exactly-once: a transaction of the partition in `epoch` failed: drop what it holds and fetch from the committed offset. */
  rewind(partition: Partition, epoch: number): void;
  /** A job completed (or was abandoned). */
  finished(job: SettledJob, completed: boolean): void;
}

/** One partition of the topic, in the current assignment or an earlier one. */
export class Partition implements Waiter {
  readonly tp: TopicPartition;
  epoch: number;
  assigned = true;
  tracker: OffsetTracker = createOffsetTracker();
  /** The position (in {@link tracker}) of the next record to emit. */
  position = 0;
  /** Records received and not yet emitted: `buffer[head..]`, with their held bytes. */
  buffer: Array<KafkaRecord | undefined> = [];
  bytes: number[] = [];
  head = 0;
  /** A job of this partition is out and has not proceeded (of any epoch): the next record waits for it. */
  running = false;
  /** The epoch in which a job was abandoned: nothing more is emitted in it. */
  blockedEpoch: number | undefined;
  /** Paused at the consumer. */
  paused = false;
  /** At its own byte bound (until it is down to half). */
  over = false;
  /** Bytes of the records of the current epoch received and not completed. */
  held = 0;
  /** Exactly-once: being fenced and rewound; records received meanwhile are dropped (they are fetched again). */
  rewinding = false;
  /** Exactly-once: rewound to this offset; records below it (fetched before the rewind) are dropped. */
  from: bigint | undefined;

  constructor(
    readonly source: PartitionOwner,
    topic: string,
    partition: number,
    epoch: number,
  ) {
    this.tp = { topic, partition };
    this.epoch = epoch;
  }

  /** The gate gave a slot: emit the next record. */
  start(slot: Slot): void {
    this.source.begin(this, slot);
  }

  shed(): void {
    // Work is offered to the gate only when a slot is free: it never waits in the gate's queue.
  }

  /** Drops the records not emitted; returns their bytes. */
  clear(): number {
    let dropped = 0;
    for (let index = this.head; index < this.bytes.length; index += 1) dropped += this.bytes[index] as number;
    this.buffer = [];
    this.bytes = [];
    this.head = 0;
    return dropped;
  }
}
