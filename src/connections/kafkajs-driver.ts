/**
 * The {@link KafkaDriver} on kafkajs 2.x: one client, one producer (acks from all in-sync replicas, the
 * Java-compatible partitioner, so a key lands where a Java producer would put it), consumers with `autoCommit` off.
 *
 * @module
 */
import { Kafka, logLevel, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { E2rxError, errorMessage } from '../errors.js';
import { backoffDelay, CONNECT_JITTER } from '../flow/backoff.js';
import { produceRequests, type KafkaCommit, type KafkaConsumer, type KafkaConsumerListener, type KafkaConsumerOptions, type KafkaDriver, type KafkaPosition, type KafkaTransactions, type TopicPartition } from './kafka-driver.js';
import { seedBrokers } from './kafka-brokers.js';
import { fromKafkajsHeaders, groupByTopic, javaCompatiblePartitioner, KAFKAJS_REQUEST_BYTES, topicMessages } from './kafkajs-messages.js';
import { KafkajsTransactions } from './kafkajs-transactions.js';
import { stableCommittedOffsets } from './stable-offsets.js';
import { connectWithRetry } from './retry.js';

export { seedBrokers };

/** Options of {@link createKafkajsDriver}. */
export interface KafkajsDriverOptions {
  readonly logger: Logger;
  /** The client id brokers see (default `e2rx`). */
  readonly clientId?: string;
  /**
   * How long a fetch waits for records when there are none (default 250 ms). kafkajs also sleeps this long when every
   * partition is paused, so it bounds how late a resumed partition is fetched again.
   */
  readonly maxWaitTimeMs?: number;
  /** The group session timeout (default 30 s): a member silent that long is removed and its partitions reassigned. */
  readonly sessionTimeoutMs?: number;
  /** The heartbeat interval (default 3 s). */
  readonly heartbeatIntervalMs?: number;
}

/**
 * Creates the kafkajs driver.
 *
 * @example
 * ```ts
 * const driver = createKafkajsDriver('127.0.0.1:9092', { logger });
 * await driver.connect({ timeoutMs: 10_000 });
 * await driver.produce([{ topic: 'orders', key: 'o-1', value: '{"id":1}' }]);
 * await driver.close();
 * ```
 */
export function createKafkajsDriver(address: string | readonly string[], options: KafkajsDriverOptions): KafkaDriver {
  const brokers = seedBrokers(address);
  const display = brokers.join(',');
  const logger = options.logger.child({ connection: 'kafka' });
  const clientId = options.clientId ?? 'e2rx';
  const kafka = new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator(logger),
  });
  let producer: Producer | undefined;
  let producerConnected = false;
  const consumers = new Set<KafkajsConsumer>();

  const driver: KafkaDriver = {
    address: display,
    get healthy() {
      return producerConnected && [...consumers].every((consumer) => consumer.healthy);
    },
    async connect(connectOptions = {}) {
      await connectWithRetry(
        async (timeLeft) => {
          // A probe client that does not retry by itself, so that each attempt is bounded by the time left.
          const probe = new Kafka({
            clientId,
            brokers,
            connectionTimeout: Math.max(100, Math.min(timeLeft, 3_000)),
            requestTimeout: Math.max(100, Math.min(timeLeft, 5_000)),
            retry: { retries: 0 },
            logLevel: logLevel.NOTHING,
          }).admin();
          try {
            await probe.connect();
            await probe.describeCluster();
          } finally {
            await probe.disconnect().catch(() => undefined);
          }
        },
        {
          service: 'Kafka',
          address: display,
          ...(connectOptions.timeoutMs !== undefined ? { timeoutMs: connectOptions.timeoutMs } : {}),
          onRetry: (error, attempt, delayMs) =>
            logger.warn({ address: display, attempt, delayMs, err: errorMessage(error) }, `Kafka at ${display} is not reachable yet`),
        },
      );
      producer = kafka.producer({ createPartitioner: javaCompatiblePartitioner, allowAutoTopicCreation: true });
      producer.on(producer.events.CONNECT, () => (producerConnected = true));
      producer.on(producer.events.DISCONNECT, () => (producerConnected = false));
      try {
        await producer.connect();
      } catch (error) {
        throw new E2rxError('E2RX_CONNECTION', `cannot connect the Kafka producer to ${display}: ${errorMessage(error)}`, {
          cause: error,
          retriable: true,
          details: { service: 'Kafka', address: display },
        });
      }
      producerConnected = true;
    },
    async produce(records) {
      if (!producer) throw new E2rxError('E2RX_CONNECTION', `the Kafka producer for ${display} is not connected`, { retriable: true });
      const connected = producer;
      // One request at a time, so that a partition's records are written in order even when one is retried. Small
      // requests: kafkajs groups a request's records per partition in time quadratic in their number.
      for (const request of produceRequests(records, KAFKAJS_REQUEST_BYTES)) {
        await connected.sendBatch({ acks: -1, topicMessages: topicMessages(request) });
      }
    },
    consumer(consumerOptions) {
      const consumer = new KafkajsConsumer(kafka, consumerOptions, logger, options, (self) => consumers.delete(self), display, brokers, clientId);
      consumers.add(consumer);
      return consumer;
    },
    async close() {
      await Promise.allSettled([...consumers].map((consumer) => consumer.stop()));
      if (producer) await producer.disconnect().catch(() => undefined);
      producerConnected = false;
    },
  };
  return driver;
}

/** How many times {@link subscribeRetrying} tries. */
const SUBSCRIBE_ATTEMPTS = 8;

/**
 * Subscribes to the consumer's topics, retrying a retriable error: a topic that does not exist yet is created by the
 * broker on the first metadata request (auto-creation), which is nevertheless answered "This server does not host
 * this topic-partition" (or "There is no leader for this topic-partition"), and kafkajs does not retry that in
 * `subscribe`.
 */
async function subscribeRetrying(consumer: Consumer, options: KafkaConsumerOptions, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning });
      return;
    } catch (error) {
      if ((error as { retriable?: unknown }).retriable !== true || attempt >= SUBSCRIBE_ATTEMPTS) throw error;
      logger.debug({ groupId: options.groupId, topics: options.topics, err: errorMessage(error), attempt }, 'Kafka subscribe retried');
      await sleep(backoffDelay(attempt + 1, { baseMs: 100, maxMs: 2_000, jitter: CONNECT_JITTER }));
    }
  }
}

class KafkajsConsumer implements KafkaConsumer {
  private readonly consumer: Consumer;
  private running = false;
  /** Crashed, and not (yet) back in its group. */
  private crashed = false;
  fatal = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaConsumerOptions,
    private readonly logger: Logger,
    driverOptions: KafkajsDriverOptions,
    private readonly onStopped: (self: KafkajsConsumer) => void,
    private readonly display: string,
    private readonly brokers: readonly string[],
    private readonly clientId: string,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: true,
      maxWaitTimeInMs: driverOptions.maxWaitTimeMs ?? 250,
      sessionTimeout: driverOptions.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: driverOptions.heartbeatIntervalMs ?? 3_000,
      // What an aborted transaction wrote is never handed over (kafkajs's default, said here: exactly-once needs it).
      readUncommitted: false,
    });
  }

  /** Started, in its group, and not crashed (a consumer restarting after a crash is unhealthy until it re-joins). */
  get healthy(): boolean {
    return this.running && !this.fatal && !this.crashed;
  }

  async start(listener: KafkaConsumerListener): Promise<void> {
    const { consumer } = this;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const partitions: TopicPartition[] = [];
      for (const [topic, list] of Object.entries(event.payload.memberAssignment)) {
        for (const partition of list) partitions.push({ topic, partition });
      }
      this.crashed = false;
      this.logger.debug({ groupId: this.options.groupId, partitions }, 'Kafka consumer joined its group');
      listener.onAssigned(partitions);
    });
    consumer.on(consumer.events.REBALANCING, () => listener.onRevoked());
    consumer.on(consumer.events.CRASH, (event) => {
      this.crashed = true;
      this.logger.warn({ groupId: this.options.groupId, err: errorMessage(event.payload.error), restart: event.payload.restart }, 'Kafka consumer crashed');
      listener.onRevoked();
      if (!event.payload.restart) {
        this.fatal = true;
        this.running = false;
        listener.onFatal(event.payload.error);
      }
    });
    await consumer.connect();
    await subscribeRetrying(consumer, this.options, this.logger);
    this.running = true;
    await consumer.run({
      autoCommit: false,
      // The whole batch is handed over and resolved: a pause asked meanwhile applies to the next fetch, and nothing
      // fetched is fetched again. Not async: kafkajs awaits this call inside a try, so a synchronous throw is handled
      // as a rejection would be.
      eachBatch: ({ batch }) => {
        const { topic, partition } = batch;
        for (const message of batch.messages) {
          listener.onRecord({
            topic,
            partition,
            offset: message.offset,
            key: message.key ?? null,
            value: message.value ?? null,
            headers: fromKafkajsHeaders(message.headers),
            timestamp: message.timestamp,
          });
        }
        return Promise.resolve();
      },
    });
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (!this.running || partitions.length === 0) return;
    try {
      this.consumer.pause(groupByTopic(partitions));
    } catch (error) {
      this.logger.debug({ err: errorMessage(error) }, 'Kafka pause ignored');
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (!this.running || partitions.length === 0) return;
    try {
      this.consumer.resume(groupByTopic(partitions));
    } catch (error) {
      this.logger.debug({ err: errorMessage(error) }, 'Kafka resume ignored');
    }
  }

  async commit(commits: readonly KafkaCommit[]): Promise<void> {
    if (commits.length === 0) return;
    // kafkajs silently skips a commit once the consumer stopped: say so instead.
    if (!this.running) throw new Error('the Kafka consumer is not running: nothing was committed');
    await this.consumer.commitOffsets(commits.map((commit) => ({ topic: commit.topic, partition: commit.partition, offset: commit.offset })));
  }

  async rewind(partitions: readonly TopicPartition[]): Promise<readonly KafkaPosition[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const positions: KafkaPosition[] = [];
      const committed = await stableCommittedOffsets({ clientId: this.clientId, brokers: this.brokers }, this.options.groupId, partitions);
      for (const { topic, partitions: list } of groupByTopic(partitions)) {
        const ends = await admin.fetchTopicOffsets(topic);
        for (const partition of list) {
          const found = committed[partitions.findIndex((tp) => tp.topic === topic && tp.partition === partition)];
          const end = ends.find((one) => one.partition === partition);
          // No committed offset: where the group starts (kafkajs's seek needs an offset).
          const offset = found !== undefined ? found.toString() : this.options.fromBeginning ? end?.low : end?.high;
          if (offset !== undefined) this.consumer.seek({ topic, partition, offset });
          positions.push({ topic, partition, offset });
        }
      }
      return positions;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  transactional(transactionalId: string): KafkaTransactions {
    return new KafkajsTransactions(transactionalId, this.kafka, this.options.groupId, this.display);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      await this.consumer.disconnect().catch((error: unknown) => this.logger.warn({ err: errorMessage(error) }, 'Kafka consumer disconnect failed'));
      this.onStopped(this);
    })();
    return this.stopping;
  }
}


function kafkajsLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry): void => {
      const { message, ...extra } = log;
      logger[kafkajsLogLevel(level, message, extra)](extra, `kafkajs: ${message}`);
    };
}

/**
 * The level of a kafkajs log entry in e2rx's log. kafkajs logs at ERROR what it handles itself, so that conditions
 * expected at start-up (a topic not created yet: `This server does not host this topic-partition`) read as errors:
 *
 * - a broker's error answer (`Response Metadata(key: 3, version: 6)`) is debug: the connection logs it before the
 *   caller (kafkajs's retries, or e2rx) handles the error, and the caller reports what matters;
 * - an entry with `retryCount` or `retryTime` (kafkajs retrying: a send, a broker connection, a consumer restart) is
 *   a warning, but a consumer crash (`Crash: …`) stays an error;
 * - a rebalance (`The group is rebalancing, re-joining`) is info: groups rebalance whenever a member joins or leaves;
 * - `Limiting retries for the idempotent producer may invalidate EoS guarantees` (a transactional producer with
 *   bounded retries) is debug: e2rx aborts a transaction whose send failed and runs its records again from the
 *   committed offset, so bounded retries keep exactly-once (docs/decisions/0014-exactly-once.md);
 * - anything else keeps its level.
 */
export function kafkajsLogLevel(level: logLevel, message: string, extra: Readonly<Record<string, unknown>>): 'error' | 'warn' | 'info' | 'debug' {
  if (level === logLevel.ERROR) {
    if (/^Response \w+\(key: \d+, version: \d+\)$/.test(message)) return 'debug';
    return !message.startsWith('Crash: ') && ('retryCount' in extra || 'retryTime' in extra) ? 'warn' : 'error';
  }
  if (level === logLevel.WARN) return /^The group is rebalancing/.test(message) ? 'info' : /^Limiting retries for the idempotent producer/.test(message) ? 'debug' : 'warn';
  return level === logLevel.INFO ? 'info' : 'debug';
}
