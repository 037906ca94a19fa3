/**
 * Message headers for NATS and Kafka handlers: into the request (keys lower-cased, first value only, docs/reference/host-abi.md §6),
 * from the input onto the output (a correlation id and trace context travel through), and the error headers of a
 * dead letter.
 *
 * Headers are handled here as entries, `[name, value]` pairs in order with repeated names kept, so that NATS
 * (`MsgHdrs`, string values) and Kafka (byte values) share one code path.
 *
 * @module
 */
import { E2rxError, errorMessage } from '../errors.js';
import type { RunResult } from '../steps/steps.js';

/** One header: its name as written, and its value. */
export type HeaderEntry<V extends string | Uint8Array = string | Uint8Array> = readonly [name: string, value: V];

/**
 * The correlation header: when an input message carries it, its value becomes the request id (else a fresh UUID
 * is used), and it is set on every output message.
 */
export const CORRELATION_HEADER = 'x-request-id';

/** The headers e2rx adds to a dead letter. */
export const DEAD_LETTER_HEADERS = {
  /** The error message. */
  error: 'e2rx-error',
  /** The e2rx error code: `E2RX_RUN_ERROR` when a function returned an error, else the failure's code. */
  code: 'e2rx-error-code',
  /** The code the function returned (a `runError`), when it returned one. */
  runErrorCode: 'e2rx-run-error-code',
  /** How many times the message was run. */
  attempts: 'e2rx-attempts',
  /** The handler that gave up (`kafka orders`). */
  handler: 'e2rx-handler',
  /** Kafka: the input topic, partition and offset. */
  sourceTopic: 'e2rx-source-topic',
  sourcePartition: 'e2rx-source-partition',
  sourceOffset: 'e2rx-source-offset',
  /** NATS: the input subject; JetStream: also its stream and stream sequence. */
  sourceSubject: 'e2rx-source-subject',
  sourceStream: 'e2rx-source-stream',
  sourceSequence: 'e2rx-source-sequence',
} as const;

/**
 * NATS headers that must not be copied from an input message onto an output one: JetStream publish expectations
 * (`Nats-Expected-*`) would make the publish fail, and the others describe the input's storage. `Nats-Msg-Id` is
 * copied on purpose: a redelivered input then republishes with the same id, and a JetStream output stream drops the
 * duplicate.
 *
 * @example
 * ```ts
 * isReservedNatsHeader('Nats-Expected-Last-Sequence'); // true
 * isReservedNatsHeader('Nats-Msg-Id'); // false
 * ```
 */
export function isReservedNatsHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    lower.startsWith('nats-expected-') ||
    lower === 'nats-rollup' ||
    lower === 'nats-stream' ||
    lower === 'nats-sequence' ||
    lower === 'nats-time-stamp' ||
    lower === 'nats-subject' ||
    lower === 'nats-last-sequence' ||
    lower === 'nats-ttl'
  );
}

const decoder = new TextDecoder();

/**
 * The request's headers: keys lower-cased, the first value of each name, values as UTF-8 text.
 *
 * @example
 * ```ts
 * requestHeaders([['X-Trace', 'a'], ['x-trace', 'b'], ['Key', new TextEncoder().encode('v')]]); // { 'x-trace': 'a', key: 'v' }
 * ```
 */
export function requestHeaders(entries: Iterable<HeaderEntry>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (Object.hasOwn(headers, key)) continue;
    headers[key] = typeof value === 'string' ? value : decoder.decode(value);
  }
  return headers;
}

/** Options of {@link outputHeaders}. */
export interface OutputHeadersOptions {
  /** Input entries to leave out (see {@link isReservedNatsHeader}). */
  readonly skip?: (name: string) => boolean;
}

/**
 * The headers of an output message (respondTo, reply, dead letter): every input entry, then the headers the
 * functions set (`resp_set_header`, replacing input entries of the same name, case-insensitively), then
 * {@link CORRELATION_HEADER} with the request id when neither carries it.
 *
 * @example
 * ```ts
 * outputHeaders([['traceparent', '00-ab-cd-01']], { 'content-type': 'text/plain' }, 'r-1');
 * // [['traceparent', '00-ab-cd-01'], ['content-type', 'text/plain'], ['x-request-id', 'r-1']]
 * ```
 */
export function outputHeaders<V extends string | Uint8Array>(
  input: Iterable<HeaderEntry<V>>,
  extra: Readonly<Record<string, string>>,
  requestId: string,
  options: OutputHeadersOptions = {},
): HeaderEntry<V | string>[] {
  // Most outputs: an input without headers, no header set by the functions.
  if (Array.isArray(input) && input.length === 0 && isEmpty(extra)) return [[CORRELATION_HEADER, requestId]];
  const extraNames = Object.keys(extra);
  const out: HeaderEntry<V | string>[] = [];
  // Most outputs: no header set by the functions (no set to build, one lower-casing per input header).
  const overridden = extraNames.length === 0 ? undefined : new Set(extraNames.map((name) => name.toLowerCase()));
  let correlated = overridden?.has(CORRELATION_HEADER) ?? false;
  for (const [name, value] of input) {
    if (options.skip?.(name)) continue;
    const lower = name.toLowerCase();
    if (overridden?.has(lower)) continue;
    if (lower === CORRELATION_HEADER) correlated = true;
    out.push([name, value]);
  }
  for (const name of extraNames) out.push([name, extra[name] as string]);
  if (!correlated) out.push([CORRELATION_HEADER, requestId]);
  return out;
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}

/** Why a message failed for good, as a dead letter says it. */
export interface FailureDescription {
  readonly message: string;
  /** An e2rx error code (`E2RX_RUN_ERROR`, `E2RX_STEP_FAILED`, `E2RX_CONNECTION`, …). */
  readonly code: string;
  /** The function's own code, for a `runError`. */
  readonly runErrorCode?: number;
}

/**
 * The failure of a run that did not succeed (its {@link RunResult}), or of an error thrown while publishing its
 * result (the error).
 * @example
 * ```ts
 * describeFailure({ kind: 'runError', error: { code: 400, message: 'bad input' }, request });
 * // { message: 'bad input', code: 'E2RX_RUN_ERROR', runErrorCode: 400 }
 * ```
 */
export function describeFailure(failure: unknown): FailureDescription {
  if (isRunResult(failure)) {
    if (failure.kind === 'runError') return { message: failure.error.message, code: 'E2RX_RUN_ERROR', runErrorCode: failure.error.code };
    return { message: failure.error.message, code: E2rxError.is(failure.error) ? failure.error.code : 'E2RX_STEP_FAILED' };
  }
  return { message: errorMessage(failure), code: E2rxError.is(failure) ? failure.code : 'E2RX_CONNECTION' };
}

/**
 * The error headers of a dead letter, as a record (see {@link DEAD_LETTER_HEADERS}); `source` adds the transport's
 * own (topic, partition, offset; or subject, stream, sequence).
 *
 * @example
 * ```ts
 * deadLetterHeaders({ message: 'boom', code: 'E2RX_RUN_ERROR', runErrorCode: 500 }, 3, 'kafka orders', {
 *   [DEAD_LETTER_HEADERS.sourceTopic]: 'orders',
 * });
 * ```
 */
export function deadLetterHeaders(
  failure: FailureDescription,
  attempts: number,
  handler: string,
  source: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    [DEAD_LETTER_HEADERS.error]: headerSafe(failure.message),
    [DEAD_LETTER_HEADERS.code]: failure.code,
    ...(failure.runErrorCode !== undefined ? { [DEAD_LETTER_HEADERS.runErrorCode]: String(failure.runErrorCode) } : {}),
    [DEAD_LETTER_HEADERS.attempts]: String(attempts),
    [DEAD_LETTER_HEADERS.handler]: handler,
    ...source,
  };
}

/**
 * A header value on one line (NATS headers are lines: a newline would break the message), at most 1 KiB.
 *
 * @example
 * ```ts
 * headerSafe('line one\nline two'); // 'line one line two'
 * ```
 */
export function headerSafe(value: string): string {
  const oneLine = value.replace(/[\r\n]+/g, ' ');
  return oneLine.length > 1024 ? `${oneLine.slice(0, 1021)}...` : oneLine;
}

function isRunResult(value: unknown): value is Exclude<RunResult, { kind: 'ok' }> {
  return (
    typeof value === 'object' &&
    value !== null &&
    'kind' in value &&
    (value.kind === 'runError' || value.kind === 'failure') &&
    'request' in value
  );
}
