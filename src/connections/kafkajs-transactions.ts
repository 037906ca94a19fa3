/**
 * Kafka transactions on kafkajs (exactly-once; docs/decisions/0014-exactly-once.md): one producer per transactional
 * id (`idempotent`, one request in flight), whose first `transaction()` initialises the producer id (fencing any
 * other producer of the id); each transaction sends its records, adds the offsets to the group (`sendOffsets`:
 * kafkajs sends the group id alone, so zombies are fenced by the transactional id, one per partition), and commits.
 * A failure aborts, and the producer is disconnected: the next transaction fences again with a new one; so does
 * every {@link KafkaTransactions.fence} (each time the partition is assigned).
 *
 * @module
 */
import type { Kafka, Producer, Transaction } from 'kafkajs';
import { E2rxError, errorMessage } from '../errors.js';
import { produceRequests, type KafkaCommit, type KafkaOutgoing, type KafkaTransactions } from './kafka-driver.js';
import { groupByTopic, javaCompatiblePartitioner, KAFKAJS_REQUEST_BYTES, topicMessages } from './kafkajs-messages.js';

/** How long a transaction may stay open before the broker aborts it (an owner SIGKILLed mid-transaction). */
const TRANSACTION_TIMEOUT_MS = 30_000;

/**
 * The transactions of one transactional id, committing offsets in the group `groupId`.
 *
 * @example
 * ```ts
 * const transactions = new KafkajsTransactions('e2rx.shop.orders.0', kafka, 'shop', '127.0.0.1:9092');
 * await transactions.commit([{ topic: 'orders-done', value: 'ok' }], [{ topic: 'orders', partition: 0, offset: '42' }]);
 * ```
 */
export class KafkajsTransactions implements KafkaTransactions {
  #producer: Producer | undefined;
  #fenced: Promise<Producer> | undefined;
  /** The transaction in flight, settled (never rejects). */
  #inFlight: Promise<void> = Promise.resolve();

  constructor(
    readonly transactionalId: string,
    private readonly kafka: Kafka,
    private readonly groupId: string,
    private readonly display: string,
  ) {}

  /**
   * Waits for the transaction in flight (which commits or aborts), then initialises the id with a new producer: the
   * broker settles the transaction of any other producer of the id first (a previous owner of the partition, which
   * may have been committing), so that the offsets read next are settled.
   */
  async fence(): Promise<void> {
    await this.#inFlight;
    await this.#discard();
    await this.#ready();
  }

  /** The producer, its id initialised (an empty transaction begun and aborted, which sends no `EndTxn`). */
  #ready(): Promise<Producer> {
    this.#fenced ??= (async () => {
      const producer = (this.#producer ??= this.kafka.producer({
        transactionalId: this.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        transactionTimeout: TRANSACTION_TIMEOUT_MS,
        allowAutoTopicCreation: true,
        createPartitioner: javaCompatiblePartitioner,
      }));
      await producer.connect();
      const probe = await producer.transaction();
      await probe.abort();
      return producer;
    })().catch(async (error: unknown) => {
      await this.#discard();
      throw this.#failure('cannot initialise', error);
    });
    return this.#fenced;
  }

  commit(records: readonly KafkaOutgoing[], offsets: readonly KafkaCommit[]): Promise<void> {
    const transaction = this.#transact(records, offsets);
    this.#inFlight = transaction.catch(() => undefined);
    return transaction;
  }

  async #transact(records: readonly KafkaOutgoing[], offsets: readonly KafkaCommit[]): Promise<void> {
    const producer = await this.#ready();
    let transaction: Transaction | undefined;
    try {
      transaction = await producer.transaction();
      for (const request of produceRequests(records, KAFKAJS_REQUEST_BYTES)) await transaction.sendBatch({ acks: -1, topicMessages: topicMessages(request) });
      if (offsets.length > 0) {
        const topics = groupByTopic(offsets).map(({ topic }) => ({
          topic,
          partitions: offsets.filter((offset) => offset.topic === topic).map(({ partition, offset }) => ({ partition, offset })),
        }));
        await transaction.sendOffsets({ consumerGroupId: this.groupId, topics });
      }
      await transaction.commit();
    } catch (error) {
      if (transaction?.isActive() === true) await transaction.abort().catch(() => undefined);
      await this.#discard();
      throw this.#failure('aborted', error);
    }
  }

  async close(): Promise<void> {
    await this.#discard();
  }

  async #discard(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    this.#fenced = undefined;
    if (producer !== undefined) await producer.disconnect().catch(() => undefined);
  }

  #failure(what: string, error: unknown): E2rxError {
    return new E2rxError('E2RX_CONNECTION', `Kafka transaction ${this.transactionalId} at ${this.display} ${what}: ${errorMessage(error)}`, {
      cause: error,
      retriable: true,
      details: { service: 'Kafka', address: this.display, transactionalId: this.transactionalId },
    });
  }
}
