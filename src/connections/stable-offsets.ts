/**
 * A consumer group's committed offsets read with `require_stable` (OffsetFetch v7+, KIP-447): the broker answers
 * only once no transaction that commits offsets for these partitions is pending. A committed transaction's offsets
 * reach the group a moment after its commit returns (its markers are written afterwards), so a plain read may still
 * return the offsets from before it: exactly-once reads them this way before it fetches from them. Through
 * @platformatic/kafka's admin client for both drivers (kafkajs cannot ask for stable offsets).
 *
 * @module
 */
import { Admin } from '@platformatic/kafka';
import type { TopicPartition } from './kafka-driver.js';
import { platformaticErrorMessage } from './platformatic-messages.js';

/** Where to read them. */
export interface StableOffsetsOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
}

/**
 * The committed offset of each partition (`undefined` where the group has none), once stable.
 *
 * @example
 * ```ts
 * await stableCommittedOffsets({ clientId: 'e2rx', brokers: ['127.0.0.1:9092'] }, 'shop', [{ topic: 'orders', partition: 0 }]); // [5n]
 * ```
 */
export async function stableCommittedOffsets(options: StableOffsetsOptions, groupId: string, partitions: readonly TopicPartition[]): Promise<Array<bigint | undefined>> {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  const admin = new Admin({ clientId: options.clientId, bootstrapBrokers: [...options.brokers], retries: 50, retryDelay: 100, timeout: 30_000 });
  try {
    const groups = await admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
      requireStable: true,
    });
    return partitions.map((tp) => {
      const found = groups[0]?.topics.find((topic) => topic.name === tp.topic)?.partitions.find((one) => one.partitionIndex === tp.partition);
      return found === undefined || found.committedOffset < 0n ? undefined : found.committedOffset;
    });
  } catch (error) {
    throw new Error(`cannot read the stable committed offsets of group ${groupId}: ${platformaticErrorMessage(error)}`, { cause: error });
  } finally {
    await admin.close().catch(() => undefined);
  }
}
