/**
 * What the @platformatic/kafka driver converts: records to produce into the client's messages (Java-compatible
 * partitioner, `Buffer` header names), consumed messages into {@link KafkaRecord}s, and the client's nested errors
 * into one readable message.
 *
 * @module
 */
import type { Message, MessageToProduce } from '@platformatic/kafka';
import type { KafkaOutgoing, KafkaRecord } from './kafka-driver.js';
import { murmur2 } from './murmur2.js';

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
export function javaCompatiblePartitioner(): (message: MessageToProduce, key: Buffer | undefined) => number {
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

/**
 * A record to produce as the client's message (`Buffer` key, value and headers; a repeated header name kept).
 *
 * @example
 * ```ts
 * await producer.send({ messages: records.map(toMessage) });
 * ```
 */
export function toMessage(record: KafkaOutgoing): MessageToProduce {
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
export class PlatformaticRecord implements KafkaRecord {
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
