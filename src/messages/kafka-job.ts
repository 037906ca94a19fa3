/**
 * A Kafka record as the pipelines see it: emitted by `fromKafkaTopic` (sources/kafka.ts) with an in-flight slot, and
 * how its partition goes on (`proceed`, `detach`) and its offset is committed (`complete`) or not (`abandon`).
 *
 * @module
 */
import type { KafkaRecord, KafkaTransactions } from '../connections/kafka-driver.js';
import type { FunctionRequest } from '../runtime/request.js';

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
