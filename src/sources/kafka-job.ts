/**
 * A Kafka job: one record out of its partition, with an in-flight slot, from its emission by {@link fromKafkaTopic}
 * (`kafka.ts`) to its completion (its offset may be committed) or abandonment.
 *
 * @module
 */
import type { Slot } from '../flow/gate.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { KafkaRecord, KafkaTransactions } from '../connections/kafka-driver.js';
import type { KafkaJob } from '../messages/kafka-job.js';
import type { OffsetTracker } from '../flow/offset-tracker.js';
import { streamRequest } from '../messages/stream-request.js';
import type { Partition, PartitionOwner, SettledJob } from './kafka-partition.js';


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
