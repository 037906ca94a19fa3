/**
 * The {@link KafkaDriver} on @platformatic/kafka 1.x (the line that runs on Node.js 20, from 20.19.4): one producer
 * (acks from all in-sync replicas, the Java-compatible murmur2 partitioner for keyed records, round-robin for the
 * others) and consumers reading a consumer stream with `autocommit` off. It is e2rx's default Kafka client
 * (`connections.kafka.driver: platformatic`); see `kafkajs-driver.ts` for the other one.
 *
 * What differs from kafkajs, and how the driver bridges it:
 *
 * - **Flow control.** The consumer stream fetches every assigned partition together and can only be paused as a
 *   whole: the driver pauses it once every assigned partition is paused (a Node.js stream pause: the records of a
 *   fetch already made wait in the stream and are handed over on resume). A partition paused alone keeps being
 *   fetched; the source's bound on the bytes of all partitions (`limits.maxQueuedBytes`) pauses them all.
 * - **Rebalances.** The client notices a rebalance through its heartbeat and re-joins by itself; the driver reports
 *   the new assignment (`onAssigned`) when it is joined, and reads it with a new stream, from the committed offsets:
 *   the old stream may still hold records fetched for the earlier generation (they are dropped), and a fetch of it
 *   that completes late would move the client's position past the committed offset.
 * - **Crashes.** A stream that fails (a broker gone for longer than the client's retries) is created again after a
 *   second, and the partitions it had are reported revoked meanwhile; a consumer that cannot join its group at all
 *   (a session timeout the broker refuses) stops for good (`onFatal`).
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  Consumer,
  ProduceAcks,
  Producer,
  type ConsumerGroupJoinPayload,
  type Message,
  type MessageToProduce,
  type MessagesStream,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import { E2rxError } from '../errors.js';
import {
  produceRequests,
  type KafkaCommit,
  type KafkaConsumer,
  type KafkaConsumerListener,
  type KafkaConsumerOptions,
  type KafkaDriver,
  type KafkaOutgoing,
  type KafkaRecord,
  type TopicPartition,
} from './kafka-driver.js';
import { seedBrokers } from './kafka-brokers.js';
import { murmur2 } from './murmur2.js';
import { connectWithRetry } from './retry.js';

/** Options of {@link createPlatformaticDriver}. */
export interface PlatformaticDriverOptions {
  readonly logger: Logger;
  /** The client id brokers see (default `e2rx`). */
  readonly clientId?: string;
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

/**
 * The message of a client error, with the broker's own messages when the client wraps them (`Producing messages
 * failed.` alone says little).
 *
 * @example
 * ```ts
 * platformaticErrorMessage(error); // 'Joining group failed.: The session timeout is not within the range allowed by the broker (...)'
 * ```
 */
export function platformaticErrorMessage(error: unknown): string {
  const leaves: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (!(value instanceof Error)) {
      leaves.push(String(value));
      return;
    }
    const inner = (value as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.length > 0 && depth < 4) {
      for (const one of inner) visit(one, depth + 1);
      return;
    }
    if (value.cause !== undefined && depth < 4) {
      visit(value.cause, depth + 1);
      return;
    }
    leaves.push(value.message);
  };
  visit(error, 0);
  const outer = error instanceof Error ? error.message : String(error);
  const unique = [...new Set(leaves)].filter((message) => message !== outer);
  return unique.length === 0 ? outer : `${outer}: ${unique.join('; ')}`;
}

/**
 * A producer partitioner as Java's (and kafkajs's default): the positive murmur2 of the key (the client takes it
 * modulo the partitions); round-robin without a key.
 */
function javaCompatiblePartitioner(): (message: MessageToProduce, key: Buffer | undefined) => number {
  let next = 0;
  return (_message, key) => (key !== undefined ? murmur2(key) & 0x7fffffff : next++ & 0x7fffffff);
}

const encoder = new TextEncoder();
/** Header names as bytes, for the few names a handler sends (the client wants `Buffer` keys). */
const headerNames = new Map<string, Buffer>();

function headerName(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name);
    if (headerNames.size < 1024) headerNames.set(name, bytes);
  }
  return bytes;
}

function toBuffer(value: Uint8Array | string): Buffer {
  if (typeof value === 'string') return Buffer.from(value);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function toMessage(record: KafkaOutgoing): MessageToProduce {
  const message: MessageToProduce = { topic: record.topic, value: record.value === null ? (undefined as unknown as Buffer) : toBuffer(record.value) };
  if (record.key !== undefined && record.key !== null) message.key = toBuffer(record.key);
  if (record.partition !== undefined) message.partition = record.partition;
  const entries = record.headers;
  if (entries !== undefined && entries.length > 0) {
    const headers = new Map<Buffer, Buffer>();
    for (const [name, value] of entries) {
      // A repeated name needs a distinct key object to stay a separate header.
      const key = headerName(name);
      headers.set(headers.has(key) ? Buffer.from(name) : key, toBuffer(value));
    }
    message.headers = headers;
  }
  return message;
}

/**
 * Creates the @platformatic/kafka driver.
 *
 * @example
 * ```ts
 * const driver = createPlatformaticDriver('127.0.0.1:9092', { logger });
 * await driver.connect({ timeoutMs: 10_000 });
 * await driver.produce([{ topic: 'orders', key: 'o-1', value: '{"id":1}' }]);
 * await driver.close();
 * ```
 */
export function createPlatformaticDriver(address: string | readonly string[], options: PlatformaticDriverOptions): KafkaDriver {
  const brokers = seedBrokers(address);
  const display = brokers.join(',');
  const logger = options.logger.child({ connection: 'kafka' });
  const clientId = options.clientId ?? 'e2rx';
  let producer: Producer | undefined;
  const consumers = new Set<PlatformaticConsumer>();

  const driver: KafkaDriver = {
    address: display,
    get healthy() {
      return producer !== undefined && !producer.closed && producer.isConnected() && [...consumers].every((consumer) => consumer.healthy);
    },
    async connect(connectOptions = {}) {
      await connectWithRetry(
        async (timeLeft) => {
          // A probe that does not retry by itself, so that each attempt is bounded by the time left.
          const probe = new Admin({ clientId, bootstrapBrokers: brokers, retries: 0, timeout: Math.max(100, Math.min(timeLeft, 3_000)) });
          try {
            await probe.metadata({ topics: [] });
          } finally {
            await probe.close().catch(() => undefined);
          }
        },
        {
          service: 'Kafka',
          address: display,
          ...(connectOptions.timeoutMs !== undefined ? { timeoutMs: connectOptions.timeoutMs } : {}),
          onRetry: (error, attempt, delayMs) =>
            logger.warn({ address: display, attempt, delayMs, err: platformaticErrorMessage(error) }, `Kafka at ${display} is not reachable yet`),
        },
      );
      const created = new Producer({
        clientId,
        bootstrapBrokers: brokers,
        acks: ProduceAcks.ALL,
        autocreateTopics: true,
        partitioner: javaCompatiblePartitioner(),
        timeout: 30_000,
        retries: 8,
        retryDelay: 300,
      });
      try {
        await created.metadata({ topics: [] });
      } catch (error) {
        await created.close().catch(() => undefined);
        throw new E2rxError('E2RX_CONNECTION', `cannot connect the Kafka producer to ${display}: ${platformaticErrorMessage(error)}`, {
          cause: error,
          retriable: true,
          details: { service: 'Kafka', address: display },
        });
      }
      producer = created;
    },
    async produce(records) {
      const connected = producer;
      if (connected === undefined || connected.closed) {
        throw new E2rxError('E2RX_CONNECTION', `the Kafka producer for ${display} is not connected`, { retriable: true });
      }
      // One request at a time, so that a partition's records are written in order even when one is retried.
      for (const request of produceRequests(records)) {
        try {
          await connected.send({ messages: request.map(toMessage) });
        } catch (error) {
          throw new E2rxError('E2RX_CONNECTION', `cannot produce to Kafka at ${display}: ${platformaticErrorMessage(error)}`, { cause: error, retriable: true });
        }
      }
    },
    consumer(consumerOptions) {
      const consumer = new PlatformaticConsumer(brokers, clientId, consumerOptions, options, logger, (self) => consumers.delete(self));
      consumers.add(consumer);
      return consumer;
    },
    async close() {
      await Promise.allSettled([...consumers].map((consumer) => consumer.stop()));
      if (producer) await producer.close().catch(() => undefined);
    },
  };
  return driver;
}

const NO_HEADERS: ReadonlyArray<readonly [string, Uint8Array]> = Object.freeze([]);

function headerEntries(headers: Map<Buffer, Buffer> | undefined): ReadonlyArray<readonly [string, Uint8Array]> {
  if (headers === undefined || headers.size === 0) return NO_HEADERS;
  const entries: Array<readonly [string, Uint8Array]> = [];
  for (const [name, value] of headers) entries.push([name.toString('utf8'), value ?? encoder.encode('')]);
  return entries;
}

function orNull(bytes: Buffer | undefined): Buffer | null {
  return bytes ?? null;
}

/** A consumed message as a {@link KafkaRecord}; the timestamp, rarely read, is converted when it is. */
class PlatformaticRecord implements KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: ReadonlyArray<readonly [string, Uint8Array]>;
  readonly #timestamp: bigint;

  constructor(message: Message<Buffer, Buffer, Buffer, Buffer>) {
    this.topic = message.topic;
    this.partition = message.partition;
    this.offset = message.offset.toString();
    // Absent for a null key and a tombstone, whatever the types say.
    this.key = orNull(message.key);
    this.value = orNull(message.value);
    this.headers = headerEntries(message.headers);
    this.#timestamp = message.timestamp;
  }

  get timestamp(): string {
    return this.#timestamp.toString();
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

class PlatformaticConsumer implements KafkaConsumer {
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

  constructor(
    brokers: readonly string[],
    clientId: string,
    private readonly options: KafkaConsumerOptions,
    driverOptions: PlatformaticDriverOptions,
    private readonly logger: Logger,
    private readonly onStopped: (self: PlatformaticConsumer) => void,
  ) {
    const sessionTimeout = driverOptions.sessionTimeoutMs ?? 30_000;
    this.#consumer = new Consumer({
      clientId,
      groupId: options.groupId,
      bootstrapBrokers: [...brokers],
      autocommit: false,
      autocreateTopics: true,
      sessionTimeout,
      rebalanceTimeout: Math.max(60_000, sessionTimeout),
      heartbeatInterval: driverOptions.heartbeatIntervalMs ?? 3_000,
      maxWaitTime: driverOptions.maxWaitTimeMs ?? 250,
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
      timeout: 30_000,
      retries: 8,
      retryDelay: 300,
    });
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
