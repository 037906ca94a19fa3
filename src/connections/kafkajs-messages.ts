/**
 * What the kafkajs driver converts: records to produce into `sendBatch`'s shape (with the Java-compatible
 * partitioner), consumed headers into entries and back, partitions grouped by topic.
 *
 * @module
 */
import { Partitioners, type ICustomPartitioner, type IHeaders, type Message } from 'kafkajs';
import type { KafkaOutgoing, TopicPartition } from './kafka-driver.js';
import { keyPartition } from './murmur2.js';

/** The bytes of one produce request at most with kafkajs: it groups a request's records per partition in time quadratic in their number. */
export const KAFKAJS_REQUEST_BYTES = 64 * 1024;

/**
 * kafkajs's default partitioner, with the murmur2 of keys computed in 32-bit arithmetic (kafkajs's own uses 64-bit
 * `Long` objects: a few allocations per record): the same partitions, as Java's.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args) => {
    const { key, partition } = args.message;
    if (partition !== undefined || key === null || key === undefined) return fallback(args);
    return keyPartition(typeof key === 'string' ? Buffer.from(key) : key, args.partitionMetadata.length);
  };
};

/** kafkajs's `sendBatch` shape: the records grouped by topic, in order. */
export function topicMessages(records: readonly KafkaOutgoing[]): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    let list = byTopic.get(record.topic);
    if (list === undefined) byTopic.set(record.topic, (list = []));
    const message: Message = { key: toBuffer(record.key ?? null), value: toBuffer(record.value) };
    if (record.partition !== undefined) message.partition = record.partition;
    if (record.headers !== undefined && record.headers.length > 0) message.headers = toKafkajsHeaders(record.headers);
    list.push(message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Partitions grouped by topic, as kafkajs takes them. */
export function groupByTopic(partitions: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  return [...byTopic].map(([topic, list]) => ({ topic, partitions: list }));
}

function toBuffer(value: Uint8Array | string | null): Buffer | string | null {
  if (value === null || typeof value === 'string' || Buffer.isBuffer(value)) return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

const NO_HEADERS: ReadonlyArray<readonly [string, Uint8Array]> = Object.freeze([]);
const encoder = new TextEncoder();

/** Consumed headers as entries, a repeated name once per value. */
export function fromKafkajsHeaders(headers: IHeaders | undefined): ReadonlyArray<readonly [string, Uint8Array]> {
  if (headers === undefined) return NO_HEADERS;
  let entries: Array<readonly [string, Uint8Array]> | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    entries ??= [];
    for (const one of Array.isArray(value) ? value : [value]) entries.push([name, typeof one === 'string' ? encoder.encode(one) : one]);
  }
  return entries ?? NO_HEADERS;
}

function toKafkajsHeaders(entries: readonly (readonly [string, Uint8Array | string])[]): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of entries) {
    const converted = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const previous = out[name];
    // A repeated name becomes a list of values, in order.
    out[name] = previous === undefined ? converted : Array.isArray(previous) ? [...previous, converted] : [previous, converted];
  }
  return out;
}
