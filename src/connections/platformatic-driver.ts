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
import { Admin, ProduceAcks, Producer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { E2rxError } from '../errors.js';
import { produceRequests, type KafkaDriver } from './kafka-driver.js';
import { seedBrokers } from './kafka-brokers.js';
import { PlatformaticConsumer, type PlatformaticConsumerTimings } from './platformatic-consumer.js';
import { javaCompatiblePartitioner, platformaticErrorMessage, toMessage } from './platformatic-messages.js';
import { connectWithRetry } from './retry.js';

/** Options of {@link createPlatformaticDriver}. */
export interface PlatformaticDriverOptions extends PlatformaticConsumerTimings {
  readonly logger: Logger;
  /** The client id brokers see (default `e2rx`). */
  readonly clientId?: string;
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
