/**
 * A consumer of the @platformatic/kafka driver (see `platformatic-driver.ts` for what differs from kafkajs): a
 * consumer stream with `autocommit` off, paused as a whole once every assigned partition is paused, read again with
 * a new stream after a rebalance, created again after a crash.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, FetchIsolationLevels, type ConsumerGroupJoinPayload, type Message, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { KafkaCommit, KafkaConsumer, KafkaConsumerListener, KafkaConsumerOptions, KafkaPosition, KafkaTransactions, TopicPartition } from './kafka-driver.js';
import { PlatformaticRecord, platformaticErrorMessage } from './platformatic-messages.js';
import { PlatformaticTransactions } from './platformatic-transactions.js';
import { stableCommittedOffsets } from './stable-offsets.js';
import { guardReadCommitted } from './platformatic-read-committed.js';

/** The group timings of a {@link PlatformaticConsumer} (the driver's options). */
export interface PlatformaticConsumerTimings {
  /** How long a fetch waits for records when there are none (default 250 ms); it also bounds how long a stop waits. */
  readonly maxWaitTimeMs?: number;
  /** The group session timeout (default 30 s): a member silent that long is removed and its partitions reassigned. */
  readonly sessionTimeoutMs?: number;
  /** The heartbeat interval (default 3 s); a rebalance is noticed at the next heartbeat. */
  readonly heartbeatIntervalMs?: number;
}

/** Bytes fetched per partition at most per fetch (as kafkajs's default). */
const MAX_BYTES_PER_PARTITION = 1024 * 1024;
/** How long a crashed consumer stream waits before it is created again. */
const RESTART_DELAY_MS = 1_000;

function keyOf(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** A group member of one topic on @platformatic/kafka (see the module comment). */
export class PlatformaticConsumer implements KafkaConsumer {
  readonly #consumer: Consumer;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #listener: KafkaConsumerListener | undefined;
  /** The generation of the assignment the listener was told about: records of other generations are dropped. */
  #generation = -1;
  #assigned = new Set<string>();
  readonly #paused = new Set<string>();
  #running = false;
  #crashed = false;
  #stopping: Promise<void> | undefined;
  readonly #brokers: readonly string[];
  readonly #clientId: string;

  constructor(
    brokers: readonly string[],
    clientId: string,
    private readonly options: KafkaConsumerOptions,
    driverOptions: PlatformaticConsumerTimings,
    private readonly logger: Logger,
    private readonly onStopped: (self: PlatformaticConsumer) => void,
  ) {
    this.#brokers = brokers;
    this.#clientId = clientId;
    const sessionTimeout = driverOptions.sessionTimeoutMs ?? 30_000;
    // read_committed made safe on this client line (platformatic-read-committed.ts).
    this.#consumer = guardReadCommitted(new Consumer({
      clientId,
      groupId: options.groupId,
      bootstrapBrokers: [...brokers],
      autocommit: false,
      autocreateTopics: true,
      // What an aborted transaction wrote is never handed over (the client's default, said here: exactly-once needs it).
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      sessionTimeout,
      rebalanceTimeout: Math.max(60_000, sessionTimeout),
      heartbeatInterval: driverOptions.heartbeatIntervalMs ?? 3_000,
      maxWaitTime: driverOptions.maxWaitTimeMs ?? 250,
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
      timeout: 30_000,
      retries: 8,
      retryDelay: 300,
    }));
  }

  /** Started, in its group, and not crashed (a consumer restarting after a crash is unhealthy until it re-joins). */
  get healthy(): boolean {
    return this.#running && !this.#crashed;
  }

  async start(listener: KafkaConsumerListener): Promise<void> {
    this.#listener = listener;
    this.#consumer.on('consumer:group:join', (payload) => this.#joined(payload));
    this.#consumer.on('consumer:heartbeat:error', (payload) =>
      this.logger.debug({ groupId: this.options.groupId, err: platformaticErrorMessage(payload.error) }, 'Kafka heartbeat failed'),
    );
    this.#running = true;
    try {
      await this.#consume();
    } catch (error) {
      this.#running = false;
      throw new Error(platformaticErrorMessage(error), { cause: error });
    }
  }

  async #consume(): Promise<void> {
    const stream = await this.#consumer.consume({
      topics: [...this.options.topics],
      mode: 'committed',
      fallbackMode: this.options.fromBeginning ? 'earliest' : 'latest',
      autocommit: false,
    });
    if (!this.#running) {
      await stream.close().catch(() => undefined);
      return;
    }
    this.#stream = stream;
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      if (stream === this.#stream) this.#record(message);
    });
    stream.on('error', (error: Error) => this.#crashedWith(stream, error));
    this.#applyFlow();
  }

  /**
   * After a rebalance, a new stream reads the new assignment from its committed offsets: the stream of the earlier
   * one may still hand over what it fetched for it, and such a late fetch moves the client's position past the
   * committed offset. Created before the old one closes, so that the topics stay subscribed (no second rebalance).
   */
  async #replace(previous: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    try {
      await this.#consume();
    } catch (error) {
      this.#restart(error);
    } finally {
      await previous.close().catch(() => undefined);
    }
  }

  #joined(payload: ConsumerGroupJoinPayload): void {
    const partitions: TopicPartition[] = [];
    for (const { topic, partitions: list } of payload.assignments ?? []) for (const partition of list) partitions.push({ topic, partition });
    this.#generation = payload.generationId ?? this.#generation;
    this.#assigned = new Set(partitions.map((tp) => keyOf(tp.topic, tp.partition)));
    this.#paused.clear();
    this.#crashed = false;
    this.logger.debug({ groupId: this.options.groupId, generation: this.#generation, partitions }, 'Kafka consumer joined its group');
    this.#listener?.onAssigned(partitions);
    const previous = this.#stream;
    if (previous !== undefined && this.#running) {
      this.#stream = undefined;
      void this.#replace(previous);
    }
  }

  #record(message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    const listener = this.#listener;
    if (!this.#running || listener === undefined) return;
    const consumer = message.metadata['consumer'] as { generationId?: number } | undefined;
    // Fetched for an earlier generation: the partition's owner reads it again from the committed offset.
    if (consumer?.generationId !== undefined && consumer.generationId !== this.#generation) return;
    listener.onRecord(new PlatformaticRecord(message));
  }

  #crashedWith(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>, error: Error): void {
    if (this.#stream !== stream || !this.#running) return;
    this.#stream = undefined;
    void stream.close().catch(() => undefined);
    this.#restart(error);
  }

  /** The stream failed (or could not be created): the partitions are revoked meanwhile, and a stream is created again. */
  #restart(error: unknown): void {
    this.#crashed = true;
    this.logger.warn({ groupId: this.options.groupId, err: platformaticErrorMessage(error) }, 'Kafka consumer stream failed; it is restarted');
    this.#listener?.onRevoked();
    void (async () => {
      while (this.#running) {
        await sleep(RESTART_DELAY_MS);
        if (!this.#running) return;
        try {
          await this.#consume();
          this.#crashed = false;
          return;
        } catch (restartError) {
          this.logger.warn({ groupId: this.options.groupId, err: platformaticErrorMessage(restartError) }, 'Kafka consumer restart failed; retrying');
        }
      }
    })();
  }

  /** The stream is paused when every assigned partition is paused (it cannot pause one alone). */
  #applyFlow(): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    let all = this.#assigned.size > 0;
    for (const key of this.#assigned) {
      if (!this.#paused.has(key)) {
        all = false;
        break;
      }
    }
    if (all && !stream.isPaused()) stream.pause();
    else if (!all && stream.isPaused()) stream.resume();
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    for (const tp of partitions) this.#paused.add(keyOf(tp.topic, tp.partition));
    this.#applyFlow();
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    for (const tp of partitions) this.#paused.delete(keyOf(tp.topic, tp.partition));
    this.#applyFlow();
  }

  async commit(commits: readonly KafkaCommit[]): Promise<void> {
    if (commits.length === 0) return;
    if (!this.#running) throw new Error('the Kafka consumer is not running: nothing was committed');
    try {
      await this.#consumer.commit({
        offsets: commits.map((commit) => ({ topic: commit.topic, partition: commit.partition, offset: BigInt(commit.offset), leaderEpoch: -1 })),
      });
    } catch (error) {
      throw new Error(platformaticErrorMessage(error), { cause: error });
    }
  }

  async rewind(partitions: readonly TopicPartition[]): Promise<readonly KafkaPosition[]> {
    const committed = await stableCommittedOffsets({ clientId: this.#clientId, brokers: this.#brokers }, this.options.groupId, partitions);
    // The stream cannot seek one partition: a new one reads every assigned partition from its committed offset.
    const previous = this.#stream;
    if (previous !== undefined && this.#running) {
      this.#stream = undefined;
      await this.#replace(previous);
    }
    return partitions.map((tp, index) => ({ ...tp, offset: committed[index]?.toString() }));
  }

  transactional(transactionalId: string): KafkaTransactions {
    return new PlatformaticTransactions(transactionalId, this.#consumer, { clientId: this.#clientId, brokers: this.#brokers, display: this.#brokers.join(',') });
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#running = false;
      const stream = this.#stream;
      this.#stream = undefined;
      try {
        if (stream) await stream.close();
        // The stream is closed: the consumer leaves its group without forcing anything.
        await this.#consumer.close();
      } catch (error) {
        this.logger.warn({ err: platformaticErrorMessage(error) }, 'Kafka consumer close failed');
      }
      this.onStopped(this);
    })();
    return this.#stopping;
  }
}
