/**
 * Kafka stream handlers (source `kafka`): the records of one topic, consumed in a consumer group, as an Observable
 * of jobs.
 *
 * - **Order.** A partition's records are emitted one at a time, in offset order: the next one once the previous job
 *   {@link KafkaJob.proceed | proceeded} (its run is over; its result may still be waiting to be published) or
 *   completed. Partitions run in parallel. Every {@link RECORDS_PER_SLICE} records the source lets the event loop
 *   turn before it goes on.
 * - **Backpressure by bytes, at fetch boundaries.** Every record the consumer hands over is kept until its job
 *   completes: nothing fetched is dropped to be fetched again. A partition is paused at the broker while the records
 *   it holds (waiting, running, or waiting for their result to be acknowledged) reach `partitionBytes`, and the whole
 *   consumer while all partitions together reach `maxHeldBytes` (the handler's `limits.maxQueuedBytes`); each is
 *   resumed once it is down to half. A pause stops the next fetch; the records of a fetch already made are still
 *   taken. A job is emitted only with an in-flight slot of the handler's {@link Gate}; waiting for a slot holds no
 *   more than the bytes.
 * - **Commits.** `autoCommit` is off. A job's `complete()` marks its offset done; the source commits, per partition,
 *   the highest contiguous completed offset + 1 (see {@link createOffsetTracker}), at most every `commitIntervalMs`:
 *   at-least-once.
 * - **Rebalances.** When partitions are revoked, the records not yet emitted are dropped and the jobs out may finish,
 *   but nothing of the old assignment is committed any more: whoever gets the partition next starts from the last
 *   commit, so nothing is lost (some records may run twice).
 * - **Stop.** Unsubscribing pauses every partition and drops what was not emitted; in the background the source
 *   waits for the jobs out, commits what completed and leaves the group. That task is handed to `options.inFlight`,
 *   so that draining waits for it.
 *
 * @module
 */
import { Observable, type Subscriber } from 'rxjs';
import { E2rxError, errorMessage } from '../errors.js';
import type { Gate, Slot } from '../flow/gate.js';
import type { KafkaConsumer, KafkaDriver, KafkaRecord, KafkaTransactions, TopicPartition } from '../connections/kafka-driver.js';
import { createOffsetTracker } from '../flow/offset-tracker.js';
import { CommitCadence, type PendingCommit } from './kafka-commits.js';
import { Job } from './kafka-job.js';
import type { KafkaJob } from '../messages/kafka-job.js';
import { heldBytes, Partition, type PartitionOwner, type SettledJob } from './kafka-partition.js';
import { TransactionalPartitions } from './kafka-exactly-once.js';
import { DEFAULT_COMMIT_INTERVAL_MS, DEFAULT_MAX_HELD_BYTES, DEFAULT_PARTITION_BYTES, RECORDS_PER_SLICE, type KafkaTopicOptions } from './kafka-options.js';

export { heldBytes, RECORD_OVERHEAD_BYTES } from './kafka-partition.js';
export * from './kafka-options.js';


/**
 * The records of `topic` in the consumer group `options.groupId`, as jobs. Cold: subscribing starts a consumer
 * (connect, join, fetch); unsubscribing stops taking records and, in the background, finishes and commits.
 *
 * @example
 * ```ts
 * const inFlight = createInFlight();
 * fromKafkaTopic(driver, 'orders', { groupId: 'shop', gate: createGate({ maxInFlight: 8 }), inFlight })
 *   .pipe(mergeMap((job) => inFlight.keep(run(job.request).pipe(finalize(() => job.complete())))))
 *   .subscribe();
 * ```
 */
export function fromKafkaTopic(driver: KafkaDriver, topic: string, options: KafkaTopicOptions): Observable<KafkaJob> {
  return new Observable<KafkaJob>((subscriber) => {
    const source = new TopicSource(driver, topic, options, subscriber);
    source.start();
    return () => source.stop();
  });
}

/** The state of one subscription of {@link fromKafkaTopic}. */
class TopicSource implements PartitionOwner {
  readonly resource: string;
  readonly gate: Gate;
  readonly consumer: KafkaConsumer;
  readonly partitionBytes: number;
  readonly maxHeldBytes: number;
  readonly commitIntervalMs: number;
  readonly partitions = new Map<number, Partition>();
  /** Partitions with a record to emit, waiting for a free slot. */
  readonly waiting = new Set<Partition>();
  epoch = 0;
  stopped = false;
  /** Jobs emitted and not completed or abandoned. */
  outstanding = 0;
  idle: Array<() => void> = [];
  /** Bytes held by every partition, of any epoch. */
  held = 0;
  /** At the bound of all partitions (until down to half). */
  overAll = false;
  started: Promise<void> = Promise.resolve();
  readonly commits: CommitCadence;
  /** Records emitted since the source last yielded to the event loop. */
  sinceYield = 0;
  /** Yielding: partitions to pump once the event loop has turned. */
  yielding: Set<Partition> | undefined;
  /** Exactly-once: the partitions' transactional producers. */
  readonly exactlyOnce: TransactionalPartitions | undefined;

  constructor(
    readonly driver: KafkaDriver,
    readonly topic: string,
    readonly options: KafkaTopicOptions,
    readonly subscriber: Subscriber<KafkaJob>,
  ) {
    this.resource = options.resource ?? topic;
    this.gate = options.gate;
    this.maxHeldBytes = Math.max(1, options.maxHeldBytes ?? options.gate.options.maxQueuedBytes ?? DEFAULT_MAX_HELD_BYTES);
    this.partitionBytes = Math.max(1, Math.min(options.partitionBytes ?? DEFAULT_PARTITION_BYTES, this.maxHeldBytes));
    this.commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    this.commits = new CommitCadence({
      intervalMs: this.commitIntervalMs,
      scheduler: options.scheduler,
      pending: () => {
        const pending: PendingCommit[] = [];
        for (const partition of this.partitions.values()) {
          const offset = partition.assigned ? partition.tracker.commitOffset : undefined;
          if (offset !== undefined) pending.push({ commit: { topic, partition: partition.tp.partition, offset }, committed: () => partition.tracker.committed(offset) });
        }
        return pending;
      },
      commit: (commits) => this.consumer.commit(commits),
      onCommitted: (commits) => options.onFlow?.({ type: 'commit', commits }),
      onFailed: (commits, error) => options.logger?.warn({ topic, groupId: options.groupId, commits, err: error }, 'Kafka commit failed; it is retried with the next one'),
    });
    this.consumer = driver.consumer({ groupId: options.groupId, topics: [topic], fromBeginning: options.fromBeginning ?? true });
    if (options.exactlyOnce !== undefined) {
      this.exactlyOnce = new TransactionalPartitions(
        topic,
        this.consumer,
        options.exactlyOnce,
        {
          current: (number, epoch) => {
            const partition = this.partitions.get(number);
            return !this.stopped && partition !== undefined && partition.epoch === epoch && partition.assigned && partition.rewinding;
          },
          rewound: (number, _epoch, position) => {
            const partition = this.partitions.get(number) as Partition;
            partition.rewinding = false;
            partition.from = position.offset === undefined ? undefined : BigInt(position.offset);
            this.pump(partition);
          },
        },
        options.scheduler,
        options.logger,
      );
    }
  }

  start(): void {
    const { topic, options, driver, subscriber } = this;
    this.started = this.consumer
      .start({
        onRecord: (record) => this.onRecord(record),
        onAssigned: (assigned) => this.onAssigned(assigned),
        onRevoked: () => {
          this.revokeAll();
          options.onFlow?.({ type: 'revoked' });
        },
        onFatal: (error) => {
          subscriber.error(
            new E2rxError('E2RX_CONNECTION', `the Kafka consumer of topic ${topic} (group ${options.groupId}) stopped: ${errorMessage(error)}`, {
              cause: error,
              retriable: true,
              details: { topic, groupId: options.groupId, address: driver.address },
            }),
          );
        },
      })
      .catch((error: unknown) => {
        subscriber.error(
          new E2rxError('E2RX_CONNECTION', `cannot consume Kafka topic ${topic} at ${driver.address}: ${errorMessage(error)}`, {
            cause: error,
            retriable: true,
            details: { topic, groupId: options.groupId, address: driver.address },
          }),
        );
      });
  }

  onRecord(record: KafkaRecord): void {
    if (this.stopped || record.topic !== this.topic) return;
    let partition = this.partitions.get(record.partition);
    if (partition === undefined) {
      partition = new Partition(this, this.topic, record.partition, this.epoch);
      this.partitions.set(record.partition, partition);
      if (this.exactlyOnce !== undefined) this.rewind(partition, partition.epoch);
    } else if (!partition.assigned) return; // fetched before a revocation: it will be fetched again
    if (partition.rewinding) return; // fetched again once rewound
    if (partition.from !== undefined) {
      if (BigInt(record.offset) < partition.from) return; // fetched before the rewind
      partition.from = undefined;
    }
    try {
      partition.tracker.received(record.offset);
    } catch {
      return; // a record seen already in this assignment
    }
    const bytes = heldBytes(record);
    partition.buffer.push(record);
    partition.bytes.push(bytes);
    partition.held += bytes;
    this.held += bytes;
    this.pump(partition);
    this.reconcile(partition);
  }

  onAssigned(assigned: readonly TopicPartition[]): void {
    this.revokeAll();
    const mine = assigned.filter((tp) => tp.topic === this.topic);
    for (const tp of mine) {
      let partition = this.partitions.get(tp.partition);
      if (partition === undefined) {
        partition = new Partition(this, this.topic, tp.partition, this.epoch);
        this.partitions.set(tp.partition, partition);
      }
      partition.assigned = true;
      partition.epoch = this.epoch;
    }
    // A new assignment starts unpaused (the consumer's own pause state is reset by a rebalance)...
    this.consumer.resume(mine);
    this.options.onFlow?.({ type: 'assigned', partitions: mine });
    // ...unless the source is stopped or still over its bound with the jobs of the old assignment.
    for (const partition of this.partitions.values()) this.reconcile(partition);
    if (this.exactlyOnce !== undefined) this.rewindAll(mine.map((tp) => this.partitions.get(tp.partition) as Partition));
  }

  transactions(partition: Partition): KafkaTransactions | undefined {
    return this.exactlyOnce?.of(partition.tp.partition);
  }

  rewind(partition: Partition, epoch: number): void {
    if (partition.epoch === epoch && partition.assigned && !this.stopped) this.rewindAll([partition]);
  }

  /** Exactly-once: a new epoch for each partition, emitting nothing until it is fenced and fetches from its committed offset. */
  rewindAll(partitions: readonly Partition[]): void {
    const exactlyOnce = this.exactlyOnce;
    if (exactlyOnce === undefined || partitions.length === 0) return;
    for (const partition of partitions) {
      this.epoch += 1;
      this.reset(partition);
      partition.epoch = this.epoch;
      partition.rewinding = true;
      this.waiting.delete(partition);
      this.reconcile(partition);
    }
    exactlyOnce.rewind(partitions.map((partition) => ({ partition: partition.tp.partition, epoch: partition.epoch })));
  }

  /** Drops what a partition holds and starts its offsets afresh (a revocation or a rewind). */
  reset(partition: Partition): void {
    this.held -= partition.clear();
    partition.tracker = createOffsetTracker();
    partition.position = 0;
    partition.held = 0;
    partition.over = false;
    partition.rewinding = false;
    partition.from = undefined;
  }

  revokeAll(): void {
    this.epoch += 1;
    this.waiting.clear();
    for (const partition of this.partitions.values()) {
      this.reset(partition);
      partition.epoch = this.epoch;
      partition.assigned = false;
      partition.paused = false;
    }
  }

  /** Emits the partition's next record if it may run now. */
  pump(partition: Partition): void {
    if (this.stopped || partition.running || !partition.assigned || partition.rewinding || partition.head >= partition.buffer.length || partition.blockedEpoch === partition.epoch) return;
    if (this.yielding !== undefined) {
      this.yielding.add(partition);
      return;
    }
    if (this.sinceYield >= RECORDS_PER_SLICE) {
      this.yieldThenPump(partition);
      return;
    }
    if (this.gate.free === 0) {
      this.waiting.add(partition);
      return;
    }
    if (this.waiting.size > 0) this.waiting.delete(partition);
    const record = partition.buffer[partition.head] as KafkaRecord;
    const verdict = this.gate.enter(record.value?.length ?? 0, partition);
    if (typeof verdict === 'string') this.waiting.add(partition);
  }

  /** Lets the event loop turn (acknowledgements, fetches, timers), then goes on emitting. */
  yieldThenPump(partition: Partition): void {
    const pending = new Set<Partition>([partition]);
    this.yielding = pending;
    setImmediate(() => {
      this.yielding = undefined;
      this.sinceYield = 0;
      for (const one of pending) this.pump(one);
      if (this.waiting.size > 0) for (const other of [...this.waiting]) this.pump(other);
    });
  }

  /** The gate gave `partition` a slot (inside `gate.enter`): its next record becomes a job. */
  begin(partition: Partition, slot: Slot): void {
    this.sinceYield += 1;
    const at = partition.head;
    const record = partition.buffer[at] as KafkaRecord;
    const bytes = partition.bytes[at] as number;
    partition.buffer[at] = undefined;
    partition.head = at + 1;
    if (partition.head > 1024 && partition.head * 2 > partition.buffer.length) {
      partition.buffer = partition.buffer.slice(partition.head);
      partition.bytes = partition.bytes.slice(partition.head);
      partition.head = 0;
    }
    partition.running = true;
    this.outstanding += 1;
    const job = new Job(this, partition, record, partition.epoch, partition.tracker, partition.position, bytes, slot);
    partition.position += 1;
    if (this.subscriber.closed) {
      job.abandon();
      return;
    }
    this.subscriber.next(job);
  }

  /** A job's run is over: its partition may emit the next record, and a freed slot goes to a waiting partition. */
  proceeded(partition: Partition): void {
    this.pump(partition);
    if (this.waiting.size > 0) for (const other of [...this.waiting]) this.pump(other);
  }

  finished(job: SettledJob, completed: boolean): void {
    const partition = job.partition;
    this.held -= job.bytes;
    const current = partition.epoch === job.epoch && partition.tracker === job.tracker;
    if (current) partition.held -= job.bytes;
    if (completed && current) {
      job.tracker.completedAt(job.position);
      this.scheduleCommit();
    }
    this.outstanding -= 1;
    if (this.outstanding === 0 && this.idle.length > 0) {
      const resolved = this.idle;
      this.idle = [];
      for (const resolve of resolved) resolve();
    }
    this.reconcile(partition);
  }

  /** Pauses or resumes a partition after its bytes (or the bytes of all) changed. */
  reconcile(partition: Partition): void {
    if (!partition.over && partition.held >= this.partitionBytes) partition.over = true;
    else if (partition.over && partition.held <= this.partitionBytes / 2) partition.over = false;
    if (!this.overAll && this.held >= this.maxHeldBytes) {
      this.overAll = true;
      for (const other of this.partitions.values()) this.setPaused(other);
      return;
    }
    if (this.overAll && this.held <= this.maxHeldBytes / 2) {
      this.overAll = false;
      for (const other of this.partitions.values()) this.setPaused(other);
      return;
    }
    this.setPaused(partition);
  }

  setPaused(partition: Partition): void {
    if (!partition.assigned) return;
    const paused = this.stopped || this.overAll || partition.over;
    if (partition.paused === paused) return;
    partition.paused = paused;
    if (paused) this.consumer.pause([partition.tp]);
    else this.consumer.resume([partition.tp]);
    this.options.onFlow?.({ type: paused ? 'pause' : 'resume', partition: partition.tp });
  }

  scheduleCommit(): void {
    // Exactly-once: offsets are committed in the transactions that carry the outputs.
    if (this.exactlyOnce === undefined) this.commits.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.commits.stopped = true;
    this.waiting.clear();
    for (const partition of this.partitions.values()) {
      const dropped = partition.clear();
      this.held -= dropped;
      if (partition.assigned) partition.held -= dropped;
      this.setPaused(partition);
    }
    const shutdown = (async () => {
      await this.started;
      if (this.outstanding > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
      if (this.commits.idle) await this.commits.idle;
      this.scheduleCommit();
      await this.commits.idle;
      await this.consumer.stop();
      await this.exactlyOnce?.close();
    })().catch((error: unknown) => this.options.logger?.warn({ topic: this.topic, err: errorMessage(error) }, 'Kafka consumer shutdown failed'));
    this.options.inFlight?.add(shutdown);
  }
}
