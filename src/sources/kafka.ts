/**
 * Kafka stream handlers (source `kafka`): the records of one topic, consumed in a consumer group, as an Observable
 * of jobs.
 *
 * - **Order.** A partition's records are emitted one at a time: the next one only after the previous job completed.
 *   Partitions run in parallel.
 * - **Backpressure.** A job is emitted only with an in-flight slot of the handler's {@link Gate}. A partition is
 *   paused at the broker when it holds `partitionBuffer` records not yet running, or an eighth of that while the gate
 *   is full (the in-flight bound is reached); it is resumed when slots free and its records drain.
 * - **Commits.** `autoCommit` is off. A job's `complete()` marks its offset done; the source commits, per partition,
 *   the highest contiguous completed offset + 1 (see {@link createOffsetTracker}): at-least-once.
 * - **Rebalances.** When partitions are revoked, the records not yet emitted are dropped and the jobs in flight may
 *   finish, but nothing of the old assignment is committed any more: whoever gets the partition next starts from the
 *   last commit, so nothing is lost (some records may run twice).
 * - **Stop.** Unsubscribing pauses every partition and drops what was not emitted; in the background the source
 *   waits for the jobs in flight, commits what completed and leaves the group. That task is handed to
 *   `options.inFlight`, so that draining waits for it.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Observable } from 'rxjs';
import type { Logger } from 'pino';
import { E2rxError, errorMessage } from '../errors.js';
import type { Gate, Slot } from '../engine/gate.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { KafkaConsumer, KafkaDriver, KafkaRecord, TopicPartition } from '../connections/kafka-driver.js';
import type { InFlight } from '../streams/in-flight.js';
import { createOffsetTracker, type OffsetTracker } from '../streams/offset-tracker.js';
import { streamRequest } from '../streams/request.js';

/**
 * How many records a partition may hold, not yet running, before it is paused. While the handler's in-flight bound is
 * reached, a partition is paused as soon as it holds an eighth of that (16 by default): a small prefetch, so that a
 * freed slot finds work at once instead of waiting for the partition to be fetched again.
 */
export const DEFAULT_PARTITION_BUFFER = 128;

/**
 * Commits are made at most this often: the completions in between go into one commit. A crash redelivers at most
 * what completed in the last interval (the guarantee is at-least-once either way).
 */
export const DEFAULT_COMMIT_INTERVAL_MS = 100;

/** One Kafka record waiting to be run, holding an in-flight slot. */
export interface KafkaJob {
  readonly record: KafkaRecord;
  /** The request of the run (url = `resource`, body = the value, a Grav envelope unwrapped). */
  readonly request: FunctionRequest;
  /** Whether the partition is still assigned as when the record was fetched (else its completion is not committed). */
  readonly current: boolean;
  /** Done (published, dead-lettered or skipped on purpose): the offset may be committed; frees the slot. Idempotent. */
  complete(): void;
  /**
   * Not done: frees the slot without completing. The offset is never committed and the partition emits nothing
   * more until it is reassigned: the record is redelivered after a restart or rebalance. Idempotent.
   */
  abandon(): void;
}

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
  /** Records a partition may hold before it is paused (default {@link DEFAULT_PARTITION_BUFFER}). */
  readonly partitionBuffer?: number;
  /** Commits at most this often (default {@link DEFAULT_COMMIT_INTERVAL_MS}); a stop commits at once. */
  readonly commitIntervalMs?: number;
  readonly logger?: Logger;
  /** Receives the background stop task (wait for the jobs in flight, commit, leave the group). */
  readonly inFlight?: InFlight;
  /** Flow-control events. */
  readonly onFlow?: (event: KafkaFlowEvent) => void;
}

interface PartitionState {
  readonly tp: TopicPartition;
  epoch: number;
  assigned: boolean;
  tracker: OffsetTracker;
  buffer: KafkaRecord[];
  /** A job of this partition is out (of any epoch): the next record waits for it. */
  running: boolean;
  /** The epoch in which a job was abandoned: nothing more is emitted in it. */
  blockedEpoch: number | undefined;
  paused: boolean;
}

/**
 * The records of `topic` in the consumer group `options.groupId`, as jobs. Cold: subscribing starts a consumer
 * (connect, join, fetch); unsubscribing stops taking records and, in the background, finishes and commits.
 *
 * @example
 * ```ts
 * const inFlight = createInFlight();
 * fromKafkaTopic(driver, 'orders', { groupId: 'shop', gate: createGate({ maxInFlight: 8, queueSize: 0 }), inFlight })
 *   .pipe(mergeMap((job) => inFlight.keep(run(job.request).pipe(finalize(() => job.complete())))))
 *   .subscribe();
 * ```
 */
export function fromKafkaTopic(driver: KafkaDriver, topic: string, options: KafkaTopicOptions): Observable<KafkaJob> {
  return new Observable<KafkaJob>((subscriber) => {
    const { gate, logger } = options;
    const limit = Math.max(1, options.partitionBuffer ?? DEFAULT_PARTITION_BUFFER);
    const commitIntervalMs = options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    const resource = options.resource ?? topic;
    const partitions = new Map<string, PartitionState>();
    const waiting = new Set<PartitionState>();
    let epoch = 0;
    let stopped = false;
    let outstanding = 0;
    let idle: Array<() => void> = [];
    const consumer: KafkaConsumer = driver.consumer({ groupId: options.groupId, topics: [topic], fromBeginning: options.fromBeginning ?? true });

    const keyOf = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`;
    const stateOf = (tp: TopicPartition): PartitionState => {
      const key = keyOf(tp);
      let state = partitions.get(key);
      if (!state) {
        state = { tp: { topic: tp.topic, partition: tp.partition }, epoch, assigned: true, tracker: createOffsetTracker(), buffer: [], running: false, blockedEpoch: undefined, paused: false };
        partitions.set(key, state);
      }
      return state;
    };

    const setPaused = (state: PartitionState, paused: boolean): void => {
      if (state.paused === paused) return;
      state.paused = paused;
      if (paused) consumer.pause([state.tp]);
      else consumer.resume([state.tp]);
      options.onFlow?.({ type: paused ? 'pause' : 'resume', partition: state.tp });
    };
    const reconcile = (state: PartitionState): void => {
      if (!state.assigned) return;
      const threshold = gate.free === 0 ? Math.max(1, Math.ceil(limit / 8)) : limit;
      setPaused(state, stopped || state.buffer.length >= threshold);
    };
    const reconcileAll = (): void => {
      for (const state of partitions.values()) reconcile(state);
    };

    // Commits: one at a time; completions during a commit are gathered into the next one.
    let committing: Promise<void> | undefined;
    let dirty = false;
    let lastCommit = 0;
    const commitNow = (): Promise<void> => {
      dirty = true;
      committing ??= (async () => {
        while (dirty) {
          // At most one commit per interval: completions in between are gathered (a stop commits at once).
          const wait = lastCommit + commitIntervalMs - Date.now();
          if (wait > 0 && !stopped) await sleep(wait);
          dirty = false;
          lastCommit = Date.now();
          const batch: Array<{ state: PartitionState; tracker: OffsetTracker; offset: string }> = [];
          for (const state of partitions.values()) {
            const offset = state.assigned ? state.tracker.commitOffset : undefined;
            if (offset !== undefined) batch.push({ state, tracker: state.tracker, offset });
          }
          if (batch.length === 0) continue;
          const commits = batch.map(({ state, offset }) => ({ topic: state.tp.topic, partition: state.tp.partition, offset }));
          try {
            await consumer.commit(commits);
            for (const { tracker, offset } of batch) tracker.committed(offset);
            options.onFlow?.({ type: 'commit', commits });
          } catch (error) {
            logger?.warn({ topic, groupId: options.groupId, commits, err: errorMessage(error) }, 'Kafka commit failed; it is retried with the next one');
          }
        }
        committing = undefined;
      })();
      return committing;
    };

    const settleOne = (): void => {
      outstanding -= 1;
      if (outstanding === 0) {
        const resolved = idle;
        idle = [];
        for (const resolve of resolved) resolve();
      }
    };

    const pump = (state: PartitionState): void => {
      if (stopped || state.running || !state.assigned || state.buffer.length === 0 || state.blockedEpoch === state.epoch) return;
      if (gate.free === 0) {
        waiting.delete(state);
        waiting.add(state);
        reconcile(state);
        return;
      }
      waiting.delete(state);
      const record = state.buffer[0] as KafkaRecord;
      const verdict = gate.enter(record.value?.length ?? 0, {
        start: (slot) => begin(state, slot),
        shed: () => undefined,
      });
      if (typeof verdict === 'string') {
        waiting.add(state);
        return;
      }
    };

    const begin = (state: PartitionState, slot: Slot): void => {
      const record = state.buffer.shift() as KafkaRecord;
      const jobEpoch = state.epoch;
      const tracker = state.tracker;
      state.running = true;
      outstanding += 1;
      reconcile(state);
      let settled = false;
      const finish = (completed: boolean): void => {
        if (settled) return;
        settled = true;
        slot.release();
        state.running = false;
        if (completed && state.epoch === jobEpoch && state.tracker === tracker) {
          tracker.completed(record.offset);
          void commitNow();
        } else if (!completed && state.epoch === jobEpoch) {
          state.blockedEpoch = jobEpoch;
        }
        settleOne();
        pump(state);
        for (const other of [...waiting]) pump(other);
        reconcileAll();
      };
      const job: KafkaJob = {
        record,
        request: streamRequest(resource, record.value ?? new Uint8Array(), record.headers),
        get current() {
          return state.epoch === jobEpoch && state.assigned;
        },
        complete: () => finish(true),
        abandon: () => finish(false),
      };
      if (subscriber.closed) {
        job.abandon();
        return;
      }
      subscriber.next(job);
    };

    const revokeAll = (): void => {
      epoch += 1;
      waiting.clear();
      for (const state of partitions.values()) {
        state.epoch = epoch;
        state.assigned = false;
        state.buffer = [];
        state.tracker = createOffsetTracker();
        state.paused = false;
      }
    };

    const started = consumer
      .start({
        onRecord: (record) => {
          if (stopped) return;
          const known = partitions.get(keyOf(record));
          if (known && !known.assigned) return; // fetched before a revocation: it will be fetched again
          const state = known ?? stateOf(record);
          try {
            state.tracker.received(record.offset);
          } catch {
            return; // a record seen already in this assignment
          }
          state.buffer.push(record);
          pump(state);
          reconcile(state);
        },
        onAssigned: (assigned) => {
          revokeAll();
          for (const tp of assigned) {
            const state = stateOf(tp);
            state.assigned = true;
            state.epoch = epoch;
          }
          consumer.resume(assigned);
          options.onFlow?.({ type: 'assigned', partitions: assigned });
          if (stopped) reconcileAll();
        },
        onRevoked: () => {
          revokeAll();
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

    return () => {
      stopped = true;
      waiting.clear();
      for (const state of partitions.values()) {
        state.buffer = [];
        reconcile(state);
      }
      const shutdown = (async () => {
        await started;
        if (outstanding > 0) await new Promise<void>((resolve) => idle.push(resolve));
        if (committing) await committing;
        await commitNow();
        await consumer.stop();
      })().catch((error: unknown) => logger?.warn({ topic, err: errorMessage(error) }, 'Kafka consumer shutdown failed'));
      options.inFlight?.add(shutdown);
    };
  });
}
