/**
 * Where the result of a NATS or Kafka run goes (the handler's `respondTo`), and where a message that failed for
 * good goes (its `deadLetter`).
 *
 * - Only a **successful** run is published to `respondTo`, as raw bytes (Atmo sent a Grav envelope), with the input's
 *   headers plus the headers the functions set, and `x-request-id`. An empty successful body is published
 *   (a function may legitimately return nothing). An error is never published as if it were a result.
 * - Without `respondTo`, a core NATS request (a message with a reply subject) gets the result as its reply; anything
 *   else publishes nothing (Atmo published back onto the input subject: a loop).
 * - Kafka outputs keep the input's key, so they land on the same partition downstream.
 * - Every publish resolves once it is **confirmed**: a JetStream publish ack, a NATS flush, or the Kafka acks of all
 *   in-sync replicas. Callers acknowledge or commit the input only after that.
 *
 * @module
 */
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { concatMap, from, map, of, type Observable, type OperatorFunction } from 'rxjs';
import type { KafkaDriver, KafkaOutgoing } from '../connections/kafka-driver.js';
import type { NatsConnectionHandle } from '../connections/nats.js';
import type { KafkaJob } from '../messages/kafka-job.js';
import type { NatsJob } from '../messages/nats-job.js';
import type { RunResult } from '../steps/steps.js';
import { encodedNatsHeaders } from './nats-headers.js';
import { activeTracing, type MessageTarget } from '../telemetry/tracing.js';
import {
  CORRELATION_HEADER,
  DEAD_LETTER_HEADERS,
  deadLetterHeaders,
  isReservedNatsHeader,
  outputHeaders,
  type FailureDescription,
  type HeaderEntry,
} from '../messages/headers.js';

/** A NATS job and how its run ended. */
export interface NatsRun {
  readonly job: NatsJob;
  readonly result: RunResult;
}

/** A NATS run after its sink: where its result was published, if anywhere. */
export interface NatsDelivery extends NatsRun {
  /** The subject the result went to (`respondTo` or the reply subject), or `undefined`. */
  readonly publishedTo: string | undefined;
}

/** How a NATS publish is confirmed. */
export type NatsConfirm = 'auto' | 'jetstream' | 'flush' | 'none';

/** Options of {@link respondToNats}. */
export interface RespondToNatsOptions {
  /** The `respondTo` subject; without it only requests (messages with a reply subject) are answered. */
  readonly subject?: string | undefined;
  /**
   * `auto` (default): a JetStream publish, acknowledged by the stream, when a stream stores the subject; else a core
   * publish, flushed when the input is a JetStream message (its ack waits for it), not flushed otherwise.
   */
  readonly confirm?: NatsConfirm;
  /**
   * Prefix of the `Nats-Msg-Id` given to the outputs of JetStream inputs that carry none
   * (`<scope>:<stream>:<sequence>`): a redelivered input's output is then dropped as a duplicate by a JetStream
   * output stream. Default: no id is derived.
   */
  readonly dedupeScope?: string;
}

/**
 * Publishes the results of successful runs to `respondTo` (or as the reply of a request), and passes every run on
 * with `publishedTo`. A failed run passes through unpublished. Errors of the publish are errors of the Observable,
 * for the caller to retry.
 *
 * @example
 * ```ts
 * of({ job, result }).pipe(
 *   respondToNats(nats, { subject: 'orders.done' }),
 *   concatMap((delivery) => from(delivery.job.ack())),
 * );
 * ```
 */
export function respondToNats(nats: NatsConnectionHandle, options: RespondToNatsOptions = {}): OperatorFunction<NatsRun, NatsDelivery> {
  return concatMap((run) => {
    if (run.result.kind !== 'ok') return of<NatsDelivery>({ ...run, publishedTo: undefined });
    const target = options.subject ?? run.job.reply;
    if (target === undefined) return of<NatsDelivery>({ ...run, publishedTo: undefined });
    const headers = traced(
      outputHeaders(run.job.headers, run.result.request.respHeaders, run.job.request.id, { skip: isReservedNatsHeader }),
      run.job.request.id,
      'nats',
      target,
      options.subject !== undefined ? 'respondTo' : 'reply',
    );
    const msgID = options.subject !== undefined ? derivedMsgId(run.job, options.dedupeScope) : undefined;
    const confirm = options.subject !== undefined ? (options.confirm ?? 'auto') : run.job.kind === 'jetstream' ? 'flush' : 'none';
    return from(publishNats(nats, target, run.result.body, headers, { confirm, jetstreamInput: run.job.kind === 'jetstream', ...(msgID ? { msgID } : {}) })).pipe(
      map((): NatsDelivery => ({ ...run, publishedTo: target })),
    );
  });
}

/** How each respondTo subject is published: found once per connection and subject (a stream stores it or not). */
const subjectModes = new WeakMap<NatsConnectionHandle, Map<string, 'core' | 'jetstream'>>();

/**
 * Publishes the result of a successful run the way {@link respondToNats} does, for the callback pipelines: to
 * `respondTo`, or as the reply of a core request, or nowhere. Returns where it went — at once (a core publish, no
 * confirmation needed for a core input), or as a promise that resolves once the publish is confirmed (a JetStream
 * publish ack; a flush, shared with the other publishes of the moment, for a JetStream input). Throws (or rejects)
 * when the publish fails.
 *
 * @example
 * ```ts
 * const to = respondNats(nats, job, result, 'orders.done');
 * ```
 */
export function respondNats(
  nats: NatsConnectionHandle,
  job: NatsJob,
  result: Extract<RunResult, { kind: 'ok' }>,
  respondTo: string | undefined,
  dedupeScope?: string,
): string | undefined | Promise<string | undefined> {
  const target = respondTo ?? job.reply;
  if (target === undefined) return undefined;
  const entries = natsOutputEntries(job, result.request.respHeaders);
  // A core publish needs no confirmation before the input's ack: the ack leaves after it on the same connection,
  // so an ack that reaches the server means the result did.
  if (respondTo === undefined) {
    // The reply of a core request (a JetStream message has no reply subject for us).
    nats.connection.publish(target, result.body, { headers: encodedNatsHeaders(traced(entries, job.request.id, 'nats', target, 'reply')) });
    return target;
  }
  let modes = subjectModes.get(nats);
  if (modes === undefined) subjectModes.set(nats, (modes = new Map<string, 'core' | 'jetstream'>()));
  const mode = modes.get(target);
  if (mode === 'core') {
    nats.connection.publish(target, result.body, { headers: encodedNatsHeaders(traced(entries, job.request.id, 'nats', target, 'respondTo')) });
    return target;
  }
  if (mode === 'jetstream') {
    const headers = toNatsHeaders(traced(entries, job.request.id, 'nats', target, 'respondTo'));
    const msgID = derivedMsgId(job, dedupeScope);
    const id = headers.has('Nats-Msg-Id') ? undefined : msgID;
    return nats.jetstream.publish(target, result.body, { headers, ...(id !== undefined ? { msgID: id } : {}) }).then(() => target);
  }
  const known = modes;
  return nats.streamOf(target).then(async (stream) => {
    known.set(target, stream === undefined ? 'core' : 'jetstream');
    return respondNats(nats, job, result, respondTo, dedupeScope);
  });
}

/** Options of {@link publishNats}. */
export interface PublishNatsOptions {
  readonly confirm: NatsConfirm;
  /** Whether the input is a JetStream message (`auto` then flushes a core publish). */
  readonly jetstreamInput?: boolean;
  /** A `Nats-Msg-Id` for a JetStream publish (unless the headers carry one). */
  readonly msgID?: string;
}

/**
 * Publishes one NATS message and resolves once it is confirmed as `options.confirm` says.
 *
 * @example
 * ```ts
 * await publishNats(nats, 'audit', bytes, [['x-request-id', 'r-1']], { confirm: 'auto' });
 * ```
 */
export async function publishNats(
  nats: NatsConnectionHandle,
  subject: string,
  body: Uint8Array,
  entries: readonly HeaderEntry<string | Uint8Array>[],
  options: PublishNatsOptions,
): Promise<void> {
  const headers = toNatsHeaders(entries);
  let mode = options.confirm;
  if (mode === 'auto') {
    mode = (await nats.streamOf(subject)) !== undefined ? 'jetstream' : options.jetstreamInput ? 'flush' : 'none';
  }
  if (mode === 'jetstream') {
    const msgID = headers.has('Nats-Msg-Id') ? undefined : options.msgID;
    await nats.jetstream.publish(subject, body, { headers, ...(msgID !== undefined ? { msgID } : {}) });
    return;
  }
  nats.connection.publish(subject, body, { headers });
  if (mode === 'flush') await nats.confirm();
}

/**
 * Answers a core NATS request whose run failed for good: an empty body with the error headers
 * ({@link DEAD_LETTER_HEADERS}), so that the requester does not wait for its timeout. Resolves `false` when the job
 * is not a request.
 *
 * @example
 * ```ts
 * await replyNatsFailure(nats, job, { message: 'bad input', code: 'E2RX_RUN_ERROR', runErrorCode: 400 }, 1, 'nats greet');
 * ```
 */
export async function replyNatsFailure(nats: NatsConnectionHandle, job: NatsJob, failure: FailureDescription, attempts: number, handler: string): Promise<boolean> {
  if (job.reply === undefined) return false;
  const extra = deadLetterHeaders(failure, attempts, handler, { [DEAD_LETTER_HEADERS.sourceSubject]: job.subject });
  const headers = traced(outputHeaders(job.headers, extra, job.request.id, { skip: isReservedNatsHeader }), job.request.id, 'nats', job.reply, 'reply');
  await publishNats(nats, job.reply, new Uint8Array(), headers, { confirm: 'none' });
  return true;
}

/**
 * Publishes a NATS message that failed for good to the dead-letter subject: the payload as received, its headers,
 * and the error headers (subject; for JetStream also stream, sequence). Confirmed: a JetStream publish when a stream
 * stores the subject, else a core publish and a flush. With `dedupeScope`, a JetStream input's dead letter without
 * a `Nats-Msg-Id` of its own is given `<dedupeScope>:<stream>:<sequence>`, as {@link respondNats} does.
 *
 * @example
 * ```ts
 * await deadLetterNats(nats, 'orders.dlq', job, describeFailure(result), job.deliveryCount, 'nats orders');
 * ```
 */
export async function deadLetterNats(
  nats: NatsConnectionHandle,
  subject: string,
  job: NatsJob,
  failure: FailureDescription,
  attempts: number,
  handler: string,
  dedupeScope?: string,
): Promise<void> {
  const source: Record<string, string> = { [DEAD_LETTER_HEADERS.sourceSubject]: job.subject };
  if (job.stream !== undefined) source[DEAD_LETTER_HEADERS.sourceStream] = job.stream;
  if (job.sequence !== undefined) source[DEAD_LETTER_HEADERS.sourceSequence] = String(job.sequence);
  const headers = traced(
    outputHeaders(job.headers, deadLetterHeaders(failure, attempts, handler, source), job.request.id, { skip: isReservedNatsHeader }),
    job.request.id,
    'nats',
    subject,
    'deadLetter',
  );
  const msgID = derivedMsgId(job, dedupeScope);
  await publishNats(nats, subject, job.payload, headers, { confirm: 'auto', jetstreamInput: true, ...(msgID ? { msgID } : {}) });
}

/** A Kafka job and how its run ended. */
export interface KafkaRun {
  readonly job: KafkaJob;
  readonly result: RunResult;
}

/** A Kafka run after its sink. */
export interface KafkaDelivery extends KafkaRun {
  /** The topic the result went to, or `undefined`. */
  readonly publishedTo: string | undefined;
}

/** Options of {@link respondToKafka}. */
export interface RespondToKafkaOptions {
  /** The `respondTo` topic; without it nothing is produced. */
  readonly topic?: string | undefined;
}

/**
 * Produces the results of successful runs to `respondTo`, with the input's key and headers, and passes every run on
 * with `publishedTo` once the cluster acknowledged it. A failed run passes through unpublished. Errors of the produce
 * are errors of the Observable, for the caller to retry.
 *
 * @example
 * ```ts
 * of({ job, result }).pipe(respondToKafka(driver, { topic: 'orders.done' }), tap(() => job.complete()));
 * ```
 */
export function respondToKafka(driver: KafkaDriver, options: RespondToKafkaOptions = {}): OperatorFunction<KafkaRun, KafkaDelivery> {
  return concatMap((run): Observable<KafkaDelivery> => {
    const topic = options.topic;
    if (run.result.kind !== 'ok' || topic === undefined) return of({ ...run, publishedTo: undefined });
    return from(driver.produce([kafkaResultRecord(run.job, run.result, topic)])).pipe(map(() => ({ ...run, publishedTo: topic })));
  });
}

/**
 * The record that publishes a successful run to `topic`: the result as raw bytes, the input's key (so that it lands
 * on the same partition number downstream), and the headers of {@link outputHeaders} (the input's, those the
 * functions set, `x-request-id`). The Kafka pipeline gathers these into one produce per partition and fetch.
 *
 * @example
 * ```ts
 * await driver.produce([kafkaResultRecord(job, result, 'orders.done')]);
 * ```
 */
export function kafkaResultRecord(job: KafkaJob, result: Extract<RunResult, { kind: 'ok' }>, topic: string): KafkaOutgoing {
  const headers = traced(outputHeaders(job.record.headers, result.request.respHeaders, job.request.id), job.request.id, 'kafka', topic, 'respondTo');
  return { topic, key: job.record.key, value: result.body, headers };
}

/**
 * The record that dead-letters a Kafka record that failed for good to `topic`: its key, value and headers as
 * received, plus the error headers (`e2rx-error`, `e2rx-error-code`, `e2rx-source-topic`, `e2rx-source-partition`,
 * `e2rx-source-offset`, …; see {@link DEAD_LETTER_HEADERS}).
 *
 * @example
 * ```ts
 * await driver.produce([kafkaDeadLetterRecord(job, describeFailure(result), 4, 'kafka orders', 'orders.dlq')]);
 * ```
 */
export function kafkaDeadLetterRecord(job: KafkaJob, failure: FailureDescription, attempts: number, handler: string, topic: string): KafkaOutgoing {
  const { record } = job;
  const extra = deadLetterHeaders(failure, attempts, handler, {
    [DEAD_LETTER_HEADERS.sourceTopic]: record.topic,
    [DEAD_LETTER_HEADERS.sourcePartition]: String(record.partition),
    [DEAD_LETTER_HEADERS.sourceOffset]: record.offset,
  });
  return { topic, key: record.key, value: record.value, headers: traced(outputHeaders(record.headers, extra, job.request.id), job.request.id, 'kafka', topic, 'deadLetter') };
}

/**
 * Produces a Kafka record that failed for good to the dead-letter topic: its key, value and headers as received,
 * plus the error headers (`e2rx-error`, `e2rx-error-code`, `e2rx-source-topic`, `e2rx-source-partition`,
 * `e2rx-source-offset`, …; see {@link DEAD_LETTER_HEADERS}).
 *
 * @example
 * ```ts
 * await deadLetterKafka(driver, 'orders.dlq', job, describeFailure(result), 4, 'kafka orders');
 * ```
 */
export async function deadLetterKafka(
  driver: KafkaDriver,
  topic: string,
  job: KafkaJob,
  failure: FailureDescription,
  attempts: number,
  handler: string,
): Promise<void> {
  await driver.produce([kafkaDeadLetterRecord(job, failure, attempts, handler, topic)]);
}

/**
 * The headers of a message published for a run, with the run's trace context when tracing is on (a producer span
 * under the run; its `traceparent` replaces the input's). While tracing is off: the headers as they are.
 */
function traced<V extends string | Uint8Array>(
  headers: HeaderEntry<V>[],
  requestId: string,
  system: MessageTarget['system'],
  destination: string,
  role: MessageTarget['role'],
): HeaderEntry<V | string>[] {
  const tracing = activeTracing;
  return tracing === undefined ? headers : tracing.messageHeaders(requestId, headers, { system, destination, role });
}

/** The headers of a result: the input's, those the functions set, and `x-request-id` (see {@link outputHeaders}). */
function natsOutputEntries(job: NatsJob, extra: Readonly<Record<string, string>>): HeaderEntry<string | Uint8Array>[] {
  if (job.headers.length === 0 && isEmpty(extra)) return [[CORRELATION_HEADER, job.request.id]];
  return outputHeaders(job.headers, extra, job.request.id, { skip: isReservedNatsHeader });
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}

function toNatsHeaders(entries: readonly HeaderEntry<string | Uint8Array>[]): MsgHdrs {
  const headers = natsHeaders();
  const decoder = new TextDecoder();
  for (const [name, value] of entries) headers.append(name, typeof value === 'string' ? value : decoder.decode(value));
  return headers;
}

function derivedMsgId(job: NatsJob, scope: string | undefined): string | undefined {
  if (scope === undefined || job.kind !== 'jetstream' || job.stream === undefined || job.sequence === undefined) return undefined;
  return `${scope}:${job.stream}:${job.sequence}`;
}

