/**
 * Kafka transactions on @platformatic/kafka (exactly-once; docs/decisions/0014-exactly-once.md): one producer per
 * transactional id, `idempotent`, whose `beginTransaction()` initialises the producer id once (fencing any other
 * producer of the id); each transaction sends its records, adds the consumer's group and its offsets
 * (`TxnOffsetCommit` with the consumer's generation and member id, so that a member fenced by a rebalance cannot
 * commit), and commits. A failure aborts, and the producer is closed: the next transaction fences again with a new
 * one; so does every {@link KafkaTransactions.fence} (each time the partition is assigned).
 *
 * @module
 */
import { ProduceAcks, Producer, type Consumer, type Message } from '@platformatic/kafka';
import { E2rxError } from '../errors.js';
import { produceRequests, type KafkaCommit, type KafkaOutgoing, type KafkaTransactions } from './kafka-driver.js';
import { javaCompatiblePartitioner, platformaticErrorMessage, toMessage } from './platformatic-messages.js';

/** A transaction of the client (its class is not exported). */
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

/** Where the transactional producers connect. */
export interface PlatformaticTransactionsOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  /** The brokers as configured, in errors. */
  readonly display: string;
}

/**
 * The transactions of one transactional id, committing offsets in `consumer`'s group.
 *
 * @example
 * ```ts
 * const transactions = new PlatformaticTransactions('e2rx.shop.orders.0', consumer, { clientId, brokers, display });
 * await transactions.fence();
 * await transactions.commit([{ topic: 'orders-done', value: 'ok' }], [{ topic: 'orders', partition: 0, offset: '42' }]);
 * ```
 */
export class PlatformaticTransactions implements KafkaTransactions {
  #producer: Producer | undefined;
  #fenced: Promise<Producer> | undefined;
  /** The transaction in flight, settled (never rejects). */
  #inFlight: Promise<void> = Promise.resolve();

  constructor(
    readonly transactionalId: string,
    private readonly consumer: Consumer,
    private readonly options: PlatformaticTransactionsOptions,
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

  /** The producer, its id initialised (an empty transaction begun and cancelled, which the broker never sees). */
  #ready(): Promise<Producer> {
    this.#fenced ??= (async () => {
      const producer = (this.#producer ??= new Producer({
        clientId: this.options.clientId,
        bootstrapBrokers: [...this.options.brokers],
        idempotent: true,
        transactionalId: this.transactionalId,
        acks: ProduceAcks.ALL,
        autocreateTopics: true,
        partitioner: javaCompatiblePartitioner(),
        // Also the transaction timeout: an open transaction of a dead owner is aborted after it at the latest.
        timeout: 30_000,
        retries: 8,
        retryDelay: 300,
      }));
      // A new producer of the id: no producer id and epoch of its own (-1), so that the broker bumps the epoch and
      // fences every earlier producer of the id (the client would send 0 and 0, which the broker refuses once the id
      // has a producer: "there is a newer producer with the same transactionalId").
      const probe = await producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
      await probe.cancel();
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
      transaction = await producer.beginTransaction();
      for (const request of produceRequests(records)) await transaction.send({ messages: request.map(toMessage) });
      if (offsets.length > 0) {
        await transaction.addConsumer(this.consumer);
        for (const offset of offsets) await transaction.addOffset(this.#offsetMessage(offset));
      }
      await transaction.commit();
    } catch (error) {
      if (transaction !== undefined && !transaction.completed) await transaction.abort().catch(() => transaction?.cancel().catch(() => undefined));
      await this.#discard();
      throw this.#failure('aborted', error);
    }
  }

  async close(): Promise<void> {
    await this.#discard();
  }

  /** The client commits `message.offset + 1` with the group's generation and member id as the consumer knows them. */
  #offsetMessage(commit: KafkaCommit): Message {
    const { consumer } = this;
    return {
      topic: commit.topic,
      partition: commit.partition,
      offset: BigInt(commit.offset) - 1n,
      metadata: { consumer: { groupId: consumer.groupId, generationId: consumer.generationId, memberId: consumer.memberId, coordinatorId: consumer.coordinatorId } },
    } as unknown as Message;
  }

  async #discard(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    this.#fenced = undefined;
    if (producer !== undefined) await producer.close().catch(() => undefined);
  }

  #failure(what: string, error: unknown): E2rxError {
    return new E2rxError('E2RX_CONNECTION', `Kafka transaction ${this.transactionalId} at ${this.options.display} ${what}: ${platformaticErrorMessage(error)}`, {
      cause: error,
      retriable: true,
      details: { service: 'Kafka', address: this.options.display, transactionalId: this.transactionalId },
    });
  }
}
