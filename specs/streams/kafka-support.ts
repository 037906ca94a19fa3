import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type IHeaders, type Producer } from 'kafkajs';
import { KAFKA_BROKERS } from '../support/services.js';

/** A record read back from a topic. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** A kafkajs client for specs: topics, producing, and reading outputs back. */
export interface KafkaSpecClient {
  createTopic(topic: string, partitions?: number): Promise<void>;
  produce(topic: string, records: readonly { key?: string; value: string; partition?: number; headers?: Record<string, string> }[]): Promise<void>;
  /** Starts reading `topic` from the beginning; the array fills as records arrive. */
  read(topic: string): Promise<ReadRecord[]>;
  /** The committed offsets of a group for a topic, by partition. */
  committed(groupId: string, topic: string): Promise<Record<number, string>>;
  /** A consumer group's state (`Stable`, `PreparingRebalance`, …) and its members' client ids. */
  describeGroup(groupId: string): Promise<{ state: string; members: string[] }>;
  close(): Promise<void>;
}

export async function kafkaSpecClient(): Promise<KafkaSpecClient> {
  const kafka = new Kafka({ clientId: 'e2rx-spec', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await admin.connect();
  await producer.connect();
  const readers: Consumer[] = [];
  const topics: string[] = [];
  return {
    async createTopic(topic, partitions = 1) {
      topics.push(topic);
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    },
    async produce(topic, records) {
      await producer.send({
        topic,
        acks: -1,
        messages: records.map((record) => ({
          key: record.key ?? null,
          value: record.value,
          ...(record.partition !== undefined ? { partition: record.partition } : {}),
          ...(record.headers ? { headers: record.headers } : {}),
        })),
      });
    },
    async read(topic) {
      const records: ReadRecord[] = [];
      const reader = kafka.consumer({ groupId: `e2rx-spec-reader-${topic}-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 200 });
      readers.push(reader);
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: true });
      await reader.run({
        eachMessage: ({ partition, message }) => {
          records.push({
            topic,
            partition,
            offset: message.offset,
            key: message.key ? message.key.toString() : null,
            value: message.value ? message.value.toString() : '',
            headers: textHeaders(message.headers),
          });
          return Promise.resolve();
        },
      });
      return records;
    },
    async committed(groupId, topic) {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const result: Record<number, string> = {};
      for (const { partition, offset } of entry?.partitions ?? []) result[partition] = offset;
      return result;
    },
    async describeGroup(groupId) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      return { state: group?.state ?? 'Unknown', members: (group?.members ?? []).map((member) => member.clientId) };
    },
    async close() {
      await Promise.allSettled(readers.map((reader) => reader.disconnect()));
      await admin.deleteTopics({ topics, timeout: 5_000 }).catch(() => undefined);
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}

function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = first === undefined ? '' : first.toString();
  }
  return out;
}
