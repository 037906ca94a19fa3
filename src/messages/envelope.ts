/**
 * The Grav envelope (docs/guides/streams.md): Atmo published and expected bus messages as the JSON
 * `{"meta":{"uuid","parent_id","response_to","msg_type","timestamp"},"payload":{"data":<base64>}}`. e2rx accepts it on
 * input (and otherwise takes the raw bytes, as Atmo v0.4.6+ did), and publishes raw bytes.
 *
 * @module
 */

/** The `meta` of a Grav envelope, as far as e2rx reads it. */
export interface GravMeta {
  readonly uuid?: string;
  readonly parent_id?: string;
  readonly response_to?: string;
  readonly msg_type?: string;
  readonly timestamp?: string;
}

/** A payload, unwrapped: its data, and the envelope's meta when it was one. */
export interface InboundPayload {
  readonly data: Uint8Array;
  readonly meta: GravMeta | undefined;
}

const OPEN_BRACE = 0x7b;
const PAYLOAD_KEY = Buffer.from('"payload"');
const META_KEY = Buffer.from('"meta"');

/** Whether `needle` occurs in `bytes`: a plain loop for small payloads, a native search for large ones. */
function contains(bytes: Uint8Array, needle: Buffer): boolean {
  if (bytes.length > 512) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle) >= 0;
  const first = needle[0] as number;
  const last = bytes.length - needle.length;
  outer: for (let i = 0; i <= last; i += 1) {
    if (bytes[i] !== first) continue;
    for (let j = 1; j < needle.length; j += 1) if (bytes[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Unwraps a message payload: when it is a Grav envelope (a JSON object whose `meta` and `payload` are objects and
 * whose `payload.data` is standard base64, or absent for empty data), its decoded data; otherwise the bytes as they
 * are. Anything that is not exactly an envelope (other JSON, invalid UTF-8, bad base64) is taken raw.
 *
 * @example
 * ```ts
 * const wire = new TextEncoder().encode('{"meta":{"uuid":"1"},"payload":{"data":"aGk="}}');
 * new TextDecoder().decode(unwrapPayload(wire).data); // 'hi'
 * unwrapPayload(new TextEncoder().encode('{"hello":1}')).meta; // undefined: raw
 * ```
 */
export function unwrapPayload(bytes: Uint8Array): InboundPayload {
  const raw = { data: bytes, meta: undefined };
  // An envelope is a JSON object with "meta" and "payload": most payloads are told apart without parsing them.
  if (!startsWithBrace(bytes) || !contains(bytes, PAYLOAD_KEY) || !contains(bytes, META_KEY)) return raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    return raw;
  }
  if (!isObject(parsed) || !isObject(parsed['meta']) || !isObject(parsed['payload'])) return raw;
  const data = parsed['payload']['data'];
  if (data === undefined || data === null) return { data: new Uint8Array(), meta: parsed['meta'] };
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) return raw;
  const decoded = Buffer.from(data, 'base64');
  return { data: new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength), meta: parsed['meta'] };
}

/**
 * Wraps bytes in a Grav envelope, as Atmo published them. e2rx publishes raw bytes; this is for interoperating with
 * tools that expect the envelope, and for tests.
 *
 * @example
 * ```ts
 * const wire = wrapPayload(new TextEncoder().encode('hi'), { uuid: 'abc', msg_type: 'greeting' });
 * unwrapPayload(wire).data; // the bytes of 'hi'
 * ```
 */
export function wrapPayload(data: Uint8Array, meta: GravMeta = {}): Uint8Array {
  const json = JSON.stringify({ meta, payload: { data: Buffer.from(data).toString('base64') } });
  return new TextEncoder().encode(json);
}

function startsWithBrace(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === OPEN_BRACE;
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
