/**
 * A Kafka job: one record out of its partition, with an in-flight slot, from its emission by {@link fromKafkaTopic}
 * (`kafka.ts`) to its completion (its offset may be committed) or abandonment.
 *
 * @module
 */
import type { Slot } from '../flow/gate.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { KafkaRecord, KafkaTransactions } from '../connections/kafka-driver.js';
import type { OffsetTracker } from '../flow/offset-tracker.js';
import { streamRequest } from '../messages/stream-request.js';
import type { Partition, PartitionOwner, SettledJob } from './kafka-partition.js';

/** One Kafka record to run: emitted with an in-flight slot of the handler's gate. */
export interface KafkaJob {
  readonly record: KafkaRecord;
  /** The request of the run (url = `resource`, body = the value, a Grav envelope unwrapped). */
  readonly request: FunctionRequest;
  /** Whether the partition is still assigned as when the record was fetched (else its completion is not committed). */
  readonly current: boolean;
  /**
   * The run is over, and the result waits to be published: frees the slot and lets the partition emit its next
   * record. The offset is committed only after {@link complete}. Idempotent; implied by `complete` and `abandon`.
   */
  proceed(): void;
  /**
   * Lets the partition emit its next record now, while this one keeps its slot until it proceeds (per-key ordering:
   * the record waits for its key, not for its partition). Call it after the job was queued where it runs. Idempotent.
   */
  detach(): void;
  /** Done (published, dead-lettered or skipped on purpose): the offset may be committed; frees the slot. Idempotent. */
  complete(): void;
  /**
   * Not done: frees the slot without completing. The offset is never committed and the partition emits nothing
   * more until it is reassigned: the record is redelivered after a restart or rebalance. Idempotent.
   */
  abandon(): void;
  /**
   * Exactly-once: the transactional producer of the record's partition, whose transactions carry its outputs and
   * commit its offset (the source commits none itself); `undefined` at least once.
   */
  readonly transactions: KafkaTransactions | undefined;
  /**
   * Exactly-once: the transaction carrying this record failed and was aborted. The partition drops what it holds,
   * is fenced again and fetches from its committed offset: every job out of it stops being {@link current}, and
   * the records run again. Call {@link abandon} on each. Once per epoch; later calls do nothing.
   */
  rewind(): void;
}

/** A job: one record out of its partition, from its slot to its completion. */
export class Job implements KafkaJob, SettledJob {
  readonly request: FunctionRequest;
  #slot: Slot | undefined;
  #settled = false;
  #detached = false;

  constructor(
    readonly source: PartitionOwner,
    readonly partition: Partition,
    readonly record: KafkaRecord,
    readonly epoch: number,
    readonly tracker: OffsetTracker,
    readonly position: number,
    readonly bytes: number,
    slot: Slot,
  ) {
    this.#slot = slot;
    this.request = streamRequest(source.resource, record.value ?? EMPTY, record.headers);
  }

  get current(): boolean {
    return this.partition.epoch === this.epoch && this.partition.assigned;
  }

  get transactions(): KafkaTransactions | undefined {
    return this.source.transactions(this.partition);
  }

  rewind(): void {
    this.source.rewind(this.partition, this.epoch);
  }

  proceed(): void {
    const slot = this.#slot;
    if (slot === undefined) return;
    this.#slot = undefined;
    slot.release();
    // A detached job let its partition go on already: a later job of the partition may be the one running now.
    if (!this.#detached) this.partition.running = false;
    this.source.proceeded(this.partition);
  }

  detach(): void {
    if (this.#slot === undefined || this.#detached) return;
    this.#detached = true;
    this.partition.running = false;
    this.source.proceeded(this.partition);
  }

  complete(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.proceed();
    this.source.finished(this, true);
  }

  abandon(): void {
    if (this.#settled) return;
    this.#settled = true;
    // Blocked before the slot is freed, so that nothing more of the partition is emitted.
    if (this.partition.epoch === this.epoch) this.partition.blockedEpoch = this.epoch;
    this.proceed();
    this.source.finished(this, false);
  }
}

const EMPTY = new Uint8Array(0);
