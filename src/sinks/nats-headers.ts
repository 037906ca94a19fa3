/**
 * NATS headers for a core publish, encoded once by e2rx instead of through nats.js's `MsgHdrs` (a `Map` of arrays,
 * a template string and a `TextEncoder` per message: measurably the largest cost of publishing a small result). A
 * core publish only asks its headers for `encode()`; a JetStream publish needs a real `MsgHdrs` (it adds its own).
 *
 * @module
 */
import type { MsgHdrs } from '@nats-io/transport-node';
import type { HeaderEntry } from '../messages/headers.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Headers for `connection.publish(subject, data, { headers })`, in NATS's wire form:
 * `NATS/1.0\r\n`, one `name: value\r\n` per entry, then `\r\n`. Values must be on one line (see `headerSafe`).
 *
 * @example
 * ```ts
 * nats.connection.publish('orders.done', body, { headers: encodedNatsHeaders([['x-request-id', id]]) });
 * ```
 */
export function encodedNatsHeaders(entries: readonly HeaderEntry<string | Uint8Array>[]): MsgHdrs {
  let text = 'NATS/1.0\r\n';
  for (const [name, value] of entries) text += `${name}: ${typeof value === 'string' ? value : decoder.decode(value)}\r\n`;
  text += '\r\n';
  // nats.js's core publish calls nothing but encode() on its headers (pinned @nats-io/nats-core 3.3.1; a spec
  // publishes these to a real server and reads them back).
  return new EncodedHeaders(ASCII.test(text) ? Buffer.from(text, 'latin1') : encoder.encode(text)) as unknown as MsgHdrs;
}

// eslint-disable-next-line no-control-regex -- every byte below 0x80 is ASCII, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/** Headers already in wire form. */
class EncodedHeaders {
  constructor(readonly bytes: Uint8Array) {}

  encode(): Uint8Array {
    return this.bytes;
  }
}
