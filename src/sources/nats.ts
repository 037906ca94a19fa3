/**
 * NATS stream handlers (source `nats`): a core NATS subscription in a queue group, or a JetStream durable pull
 * consumer, as an Observable of jobs.
 *
 * - **Core NATS** ({@link fromNatsSubject}): at-most-once, as NATS itself. The subscription uses a callback (no async
 *   iterator in the hot path). Each message asks the handler's {@link Gate} for a slot and is emitted holding it,
 *   after waiting in the gate's queue if need be; a message the gate refuses goes to `onRefused`.
 * - **JetStream** ({@link fromJetStream}): at-least-once. Messages are pulled in batches sized by the gate's free
 *   slots (that is the backpressure: nothing is pulled that could not run now), each job holds a slot, tells the
 *   server it is still working every `ackWaitMs / 2`, and is acknowledged (`ack`, confirmed), refused for later
 *   (`nak`, with a delay) or given up (`term`) by the pipeline. A job released without any of these is nak'ed, so
 *   that it is redelivered at once.
 *
 * @module
 */
import { AckPolicy, DeliverPolicy, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { nanos, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import { Observable } from 'rxjs';
import type { Logger } from 'pino';
import type { NatsConnectionHandle } from '../connections/nats.js';
import { E2rxError, errorMessage } from '../errors.js';
import type { Gate, Refusal, Slot, Waiter } from '../flow/gate.js';
import type { FunctionRequest } from '../runtime/request.js';
import { backoffDelay } from '../flow/backoff.js';
import type { HeaderEntry } from '../messages/headers.js';
import { streamRequest } from '../messages/stream-request.js';

/** JetStream's own default: how long a delivered message may go unacknowledged before it is redelivered. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** e2rx's default for `jetstream.maxDeliver`, when neither it nor `retries` is set. */
export const DEFAULT_MAX_DELIVER = 5;
/** How long one pull request waits for messages (JetStream's minimum is 1 s). */
export const DEFAULT_PULL_EXPIRES_MS = 5_000;

/** One NATS message waiting to be run. */
export interface NatsJob {
  readonly kind: 'core' | 'jetstream';
  readonly subject: string;
  /** The payload as received (a Grav envelope still wrapped). */
  readonly payload: Uint8Array;
  /** The headers as received, in order. */
  readonly headers: readonly HeaderEntry<string>[];
  /** Core NATS: the reply subject of a request. */
  readonly reply: string | undefined;
  /** The request of the run. */
  readonly request: FunctionRequest;
  /** 1 for core NATS; for JetStream, this delivery's number (1 the first time). */
  readonly deliveryCount: number;
  /** JetStream: the stream and the message's sequence in it. */
  readonly stream: string | undefined;
  readonly sequence: number | undefined;
  /** JetStream: acknowledges, and resolves once the ack reached the server (a shared flush). Core NATS: nothing to do. */
  ack(): Promise<void>;
  /** JetStream: asks for a redelivery after `delayMs`. */
  nak(delayMs?: number): void;
  /**
   * JetStream: gives the message up (no redelivery). A reason is sent only when given; servers before 2.10 ignore a
   * term that carries one, so e2rx itself never passes it.
   */
  term(reason?: string): void;
  /** Frees the slot (idempotent); a JetStream job not yet acked, nak'ed or termed is nak'ed. */
  release(): void;
}

/** Options of {@link fromNatsSubject}. */
export interface NatsSubjectOptions {
  /** The queue group: instances in the same group share the messages (each goes to one of them). */
  readonly queue?: string;
  /** The handler's gate: a message is emitted once it holds a slot; without it every message is emitted at once. */
  readonly gate?: Gate;
  /**
   * A message the gate refused (a slow-consumer drop: it could not finish in time, or the bytes waiting reached their
   * bound). Without it, refused messages are dropped silently.
   */
  readonly onRefused?: (job: NatsJob, reason: Refusal) => void;
  /** The request url (default: the subject). */
  readonly resource?: string;
}

/** What a core NATS message costs in the gate's byte bound besides its payload (the job and its request). */
export const NATS_MESSAGE_OVERHEAD_BYTES = 512;

/**
 * The messages of a core NATS subject, as jobs. Cold: subscribing subscribes (in the queue group, with a callback);
 * unsubscribing unsubscribes.
 *
 * @example
 * ```ts
 * fromNatsSubject(nats, 'user.login', { queue: 'auth-app', gate, onRefused: (job) => console.warn('dropped', job.request.id) })
 *   .pipe(mergeMap((job) => run(job.request).pipe(finalize(() => job.release()))))
 *   .subscribe();
 * ```
 */
export function fromNatsSubject(nats: NatsConnectionHandle, subject: string, options: NatsSubjectOptions = {}): Observable<NatsJob> {
  const resource = options.resource ?? subject;
  const { gate } = options;
  return new Observable<NatsJob>((subscriber) => {
    const subscription = nats.connection.subscribe(subject, {
      ...(options.queue !== undefined && options.queue !== '' ? { queue: options.queue } : {}),
      callback: (error, msg) => {
        if (error) {
          subscriber.error(
            new E2rxError('E2RX_CONNECTION', `the NATS subscription to ${subject} failed: ${errorMessage(error)}`, {
              cause: error,
              retriable: true,
              details: { subject, address: nats.address },
            }),
          );
          return;
        }
        if (subscriber.closed) return;
        const job = new CoreJob(msg, resource, subscriber, options.onRefused);
        if (gate === undefined) {
          subscriber.next(job);
          return;
        }
        const verdict = gate.enter(msg.data.length + NATS_MESSAGE_OVERHEAD_BYTES, job);
        if (typeof verdict === 'string') job.shed(verdict);
      },
    });
    return () => {
      if (!subscription.isClosed()) subscription.unsubscribe();
    };
  });
}

const RESOLVED = Promise.resolve();

/** A core NATS message as a job; also the gate's waiter for it (one object per message). */
class CoreJob implements NatsJob, Waiter {
  readonly kind = 'core';
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly headers: readonly HeaderEntry<string>[];
  readonly reply: string | undefined;
  readonly request: FunctionRequest;
  readonly deliveryCount = 1;
  readonly stream = undefined;
  readonly sequence = undefined;
  #slot: Slot | undefined;
  #released = false;

  constructor(
    msg: Msg,
    resource: string,
    private readonly subscriber: { readonly closed: boolean; next(job: NatsJob): void },
    private readonly refused: ((job: NatsJob, reason: Refusal) => void) | undefined,
  ) {
    this.subject = msg.subject;
    this.payload = msg.data;
    this.headers = headerEntries(msg.headers);
    this.reply = msg.reply === undefined || msg.reply === '' ? undefined : msg.reply;
    this.request = streamRequest(resource, msg.data, this.headers);
  }

  start(slot: Slot): void {
    this.#slot = slot;
    if (this.subscriber.closed) slot.release();
    else this.subscriber.next(this);
  }

  shed(reason: Refusal): void {
    this.refused?.(this, reason);
  }

  ack(): Promise<void> {
    return RESOLVED;
  }

  nak(): void {
    // Core NATS has nothing to refuse.
  }

  term(): void {
    // Core NATS has nothing to give up.
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#slot?.release();
  }
}

/**
 * The headers of a NATS message as entries (a repeated name once per value).
 *
 * @example
 * ```ts
 * const h = headers();
 * h.append('baggage', 'a=1');
 * h.append('baggage', 'b=2');
 * headerEntries(h); // [['baggage', 'a=1'], ['baggage', 'b=2']]
 * ```
 */
export function headerEntries(headers: MsgHdrs | undefined): HeaderEntry<string>[] {
  if (!headers) return [];
  const entries: HeaderEntry<string>[] = [];
  for (const [name, values] of headers) for (const value of values) entries.push([name, value]);
  return entries;
}

/** Where a JetStream handler reads: its stream and durable consumer, and their settings. */
export interface JetStreamTarget {
  /** The subject (the handler's resource). */
  readonly subject: string;
  /** The stream; by default the one that stores the subject, else a new one named after it ({@link defaultStreamName}). */
  readonly stream?: string;
  /** The durable consumer's name. */
  readonly durable: string;
  /** Redelivery after this long without an ack (default {@link DEFAULT_ACK_WAIT_MS}). */
  readonly ackWaitMs?: number;
  /** Deliveries at most (default {@link DEFAULT_MAX_DELIVER}). */
  readonly maxDeliver?: number;
}

/**
 * A NATS name (stream, consumer) from any text: characters other than letters, digits, `_` and `-` become `_`.
 *
 * @example
 * ```ts
 * natsName('com.example.app_orders.*'); // 'com_example_app_orders__'
 * ```
 */
export function natsName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return name === '' ? '_' : name;
}

/**
 * The stream e2rx creates for a subject no stream stores.
 *
 * @example
 * ```ts
 * defaultStreamName('orders.created'); // 'E2RX_orders_created'
 * ```
 */
export function defaultStreamName(subject: string): string {
  return `E2RX_${natsName(subject)}`;
}

/**
 * The default durable name of a handler: `<identifier>_<resource>`, made a valid NATS name.
 *
 * @example
 * ```ts
 * defaultDurableName('com.example.shop', 'orders.created'); // 'com_example_shop_orders_created'
 * ```
 */
export function defaultDurableName(identifier: string, resource: string): string {
  return natsName(`${identifier}_${resource}`);
}

/**
 * Makes sure the stream and the durable pull consumer of a JetStream handler exist: finds the stream that stores
 * the subject, or creates the named one (subjects `[subject]`, file storage, limits retention); creates the consumer
 * (explicit acks, deliver all, filtered on the subject), or updates its `ack_wait` and `max_deliver`. Resolves with
 * the stream's name.
 *
 * @example
 * ```ts
 * const stream = await ensureJetStream(nats, { subject: 'orders', durable: 'shop_orders', maxDeliver: 5 });
 * ```
 */
export async function ensureJetStream(nats: NatsConnectionHandle, target: JetStreamTarget): Promise<string> {
  let jsm;
  try {
    jsm = await nats.manager();
  } catch (error) {
    throw new E2rxError('E2RX_CONNECTION', `JetStream is not available at ${nats.address}: ${errorMessage(error)}`, {
      cause: error,
      retriable: true,
      details: { address: nats.address },
      hint: 'start nats-server with JetStream enabled (-js), or remove the `jetstream` key of the handler',
    });
  }
  let stream = target.stream;
  if (stream === undefined) stream = await nats.streamOf(target.subject);
  stream ??= defaultStreamName(target.subject);
  try {
    await jsm.streams.info(stream);
  } catch (error) {
    if (!/stream not found/i.test(errorMessage(error))) throw error;
    await jsm.streams.add({ name: stream, subjects: [target.subject] });
  }
  const ackWait = nanos(target.ackWaitMs ?? DEFAULT_ACK_WAIT_MS);
  const maxDeliver = target.maxDeliver ?? DEFAULT_MAX_DELIVER;
  try {
    const info = await jsm.consumers.info(stream, target.durable);
    if (info.config.ack_wait !== ackWait || info.config.max_deliver !== maxDeliver) {
      await jsm.consumers.update(stream, target.durable, { ack_wait: ackWait, max_deliver: maxDeliver });
    }
  } catch (error) {
    if (!/consumer not found/i.test(errorMessage(error))) throw error;
    await jsm.consumers.add(stream, {
      durable_name: target.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: target.subject,
      ack_wait: ackWait,
      max_deliver: maxDeliver,
    });
  }
  return stream;
}

/**
 * The delivery count in a JetStream ack subject, `$JS.ACK.<stream>.<consumer>.<count>.…` (9 tokens) or
 * `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<count>.…` (11 or 12 tokens); undefined for any other shape.
 */
export function deliveryCountOf(reply: string | undefined): number | undefined {
  if (reply === undefined || !reply.startsWith('$JS.ACK.')) return undefined;
  let tokens = 1;
  for (let i = 0; i < reply.length; i += 1) if (reply.charCodeAt(i) === 46) tokens += 1;
  const index = tokens === 9 ? 4 : tokens === 11 || tokens === 12 ? 6 : -1;
  if (index < 0) return undefined;
  let at = 0;
  for (let seen = 0; seen < index; at += 1) if (reply.charCodeAt(at) === 46) seen += 1;
  let count = 0;
  let digits = 0;
  for (; at < reply.length; at += 1, digits += 1) {
    const code = reply.charCodeAt(at);
    if (code === 46) break;
    if (code < 48 || code > 57) return undefined;
    count = count * 10 + (code - 48);
  }
  return digits === 0 ? undefined : count;
}

/** What the jobs of one JetStream source share. */
interface JetStreamSource {
  readonly resource: string;
  readonly closed: boolean;
  /** A job holds its slot: it is emitted. */
  started(job: JetStreamJob): void;
  /** A job was acked, nak'ed or termed. */
  settled(job: JetStreamJob): void;
  /** A job let its slot go. */
  released(): void;
  /** A job was acked: confirmed with the others of the moment. */
  acked(): void;
}

/** A JetStream message as a job; also the gate's waiter for it (one object per message, no closures). */
class JetStreamJob implements NatsJob, Waiter {
  readonly kind = 'jetstream';
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly headers: readonly HeaderEntry<string>[];
  readonly reply = undefined;
  readonly request: FunctionRequest;
  /** When it started (for the working heartbeats). */
  since = 0;
  #slot: Slot | undefined;
  #settled = false;
  #released = false;

  constructor(
    readonly msg: JsMsg,
    private readonly source: JetStreamSource,
  ) {
    this.subject = msg.subject;
    this.payload = msg.data;
    this.headers = headerEntries(msg.headers);
    this.request = streamRequest(source.resource, msg.data, this.headers);
  }

  // The delivery info is parsed from the reply subject only when asked for; the count, read for every message, by a
  // scan of the subject rather than nats.js's full parse (the message's `reply`, present though not in JsMsg's type;
  // without it, the full parse).
  get deliveryCount(): number {
    return deliveryCountOf((this.msg as JsMsg & { readonly reply?: string }).reply) ?? this.msg.info.deliveryCount;
  }

  get stream(): string {
    return this.msg.info.stream;
  }

  get sequence(): number {
    return this.msg.info.streamSequence;
  }

  start(slot: Slot): void {
    this.#slot = slot;
    if (this.source.closed) {
      this.release();
      return;
    }
    this.source.started(this);
  }

  shed(): void {
    this.#settle();
    this.msg.nak();
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.source.settled(this);
    return true;
  }

  /**
   * Acknowledges. The ack leaves on the connection that published the message's result, after it: if the ack
   * reaches the server, so did the result. Whether the acks reached the server is checked once per batch (a shared
   * flush); a failure is logged (the messages may be redelivered: at-least-once).
   */
  ack(): Promise<void> {
    if (this.#settle()) {
      this.msg.ack();
      this.source.acked();
    }
    return RESOLVED;
  }

  nak(delayMs?: number): void {
    if (this.#settle()) this.msg.nak(delayMs);
  }

  term(reason?: string): void {
    if (!this.#settle()) return;
    if (reason === undefined) this.msg.term();
    else this.msg.term(reason);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#settle()) this.msg.nak();
    this.#slot?.release();
    this.source.released();
  }
}

/** Options of {@link fromJetStream}. */
export interface JetStreamSourceOptions extends JetStreamTarget {
  /** The handler's in-flight bound: each pull asks for as many messages as it has free slots. */
  readonly gate: Gate;
  /** The request url (default: the subject). */
  readonly resource?: string;
  /** How long one pull waits for messages (default {@link DEFAULT_PULL_EXPIRES_MS}, at least 1 s). */
  readonly expiresMs?: number;
  /** Create the stream and consumer when missing (default true). */
  readonly create?: boolean;
  readonly logger?: Logger;
  /** Called with the size of every pull request (for metrics and specs). */
  readonly onPull?: (batch: number) => void;
}

/**
 * The messages of a JetStream durable pull consumer, as jobs holding in-flight slots. Cold: subscribing ensures the
 * stream and consumer (see {@link ensureJetStream}) and starts pulling; unsubscribing stops pulling (a message that
 * arrives after that is nak'ed for immediate redelivery). Jobs already emitted are unaffected.
 *
 * @example
 * ```ts
 * fromJetStream(nats, { subject: 'orders', durable: 'shop_orders', gate })
 *   .pipe(mergeMap((job) => run(job.request).pipe(
 *     concatMap((result) => result.kind === 'ok' ? from(job.ack()) : of(job.nak(1_000))),
 *     finalize(() => job.release()),
 *   )))
 *   .subscribe();
 * ```
 */
export function fromJetStream(nats: NatsConnectionHandle, options: JetStreamSourceOptions): Observable<NatsJob> {
  return new Observable<NatsJob>((subscriber) => {
    const { gate, logger } = options;
    const resource = options.resource ?? options.subject;
    const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    const expires = Math.max(1_000, options.expiresMs ?? DEFAULT_PULL_EXPIRES_MS);
    let stopped = false;
    let consumer: Consumer | undefined;
    let stream = options.stream;
    let pending = 0;
    let failures = 0;
    let retryTimer: NodeJS.Timeout | undefined;
    const active = new Set<ConsumerMessages>();

    const bound = (): number => gate.free + gate.inFlight;
    const pump = (): void => {
      if (stopped || !consumer || retryTimer) return;
      // Messages received but not yet handed to the gate (they are, on the next turn) hold no slot yet: count them.
      const want = gate.free - pending - arrivals.length;
      if (want <= 0) return;
      // While a pull is open, top it up only by a good share of the bound: no pull request per message.
      if (pending > 0 && want < Math.max(1, Math.ceil(bound() / 2))) return;
      pending += want;
      void pull(consumer, want);
    };

    const pull = async (from: Consumer, batch: number): Promise<void> => {
      let received = 0;
      let messages: ConsumerMessages | undefined;
      let failed = false;
      try {
        options.onPull?.(batch);
        messages = await from.fetch({ max_messages: batch, expires });
        active.add(messages);
        for await (const msg of messages) {
          received += 1;
          pending -= 1;
          if (stopped || subscriber.closed) {
            msg.nak();
            continue;
          }
          failures = 0;
          arrived(msg);
        }
      } catch (error) {
        failed = !stopped;
        if (failed) logger?.warn({ subject: options.subject, durable: options.durable, err: errorMessage(error) }, 'JetStream pull failed; retrying');
      } finally {
        if (messages) active.delete(messages);
        pending -= batch - received;
      }
      // A pull that came back full says there may be more waiting than there were free slots.
      if (received >= batch) gate.pressed();
      if (failed) {
        failures += 1;
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          pump();
        }, backoffDelay(failures, { baseMs: 250, maxMs: 5_000 }));
        return;
      }
      pump();
    };

    // The messages of one pull arrive one per microtask; they are run together on the next turn of the event loop,
    // so that their publishes and acks leave in one socket write instead of one each.
    let arrivals: JsMsg[] = [];
    const arrived = (msg: JsMsg): void => {
      arrivals.push(msg);
      if (arrivals.length === 1) setImmediate(dispatchArrivals);
    };
    const dispatchArrivals = (): void => {
      const batch = arrivals;
      arrivals = [];
      for (const msg of batch) {
        if (stopped || subscriber.closed) msg.nak();
        else dispatch(msg);
      }
    };

    // One timer for every message in progress: past half the ack wait, each tells the server it is still working.
    const working = new Set<JetStreamJob>();
    let heartbeat: NodeJS.Timeout | undefined;
    const beat = (): void => {
      const due = performance.now() - ackWaitMs / 2;
      for (const job of working) if (job.since <= due) job.msg.working();
      if (working.size === 0) {
        clearInterval(heartbeat);
        heartbeat = undefined;
      }
    };

    // The acks of a batch are confirmed with one flush; if it fails, the messages may come back (at-least-once).
    let unconfirmed = 0;
    const source: JetStreamSource = {
      resource,
      get closed() {
        return subscriber.closed;
      },
      started(job) {
        job.since = performance.now();
        working.add(job);
        if (heartbeat === undefined) {
          heartbeat = setInterval(beat, Math.max(250, Math.floor(ackWaitMs / 4)));
          heartbeat.unref();
        }
        subscriber.next(job);
      },
      settled(job) {
        working.delete(job);
      },
      released() {
        pump();
      },
      acked() {
        unconfirmed += 1;
        if (unconfirmed > 1) return;
        nats.confirm().then(
          () => (unconfirmed = 0),
          (error: unknown) => {
            logger?.warn(
              { subject: options.subject, durable: options.durable, acks: unconfirmed, err: errorMessage(error) },
              `JetStream: ${unconfirmed} ack(s) not confirmed by the server: those messages may be redelivered (at-least-once)`,
            );
            unconfirmed = 0;
          },
        );
      },
    };

    const dispatch = (msg: JsMsg): void => {
      const job = new JetStreamJob(msg, source);
      const verdict = gate.enter(msg.data.length, job);
      if (typeof verdict === 'string') job.shed();
    };

    void (async () => {
      try {
        if (options.create !== false) stream = await ensureJetStream(nats, options);
        stream ??= (await nats.streamOf(options.subject)) ?? defaultStreamName(options.subject);
        consumer = await nats.jetstream.consumers.get(stream, options.durable);
        pump();
      } catch (error) {
        if (stopped) return;
        subscriber.error(
          E2rxError.is(error)
            ? error
            : new E2rxError('E2RX_CONNECTION', `cannot consume JetStream subject ${options.subject} (durable ${options.durable}): ${errorMessage(error)}`, {
                cause: error,
                retriable: true,
                details: { subject: options.subject, durable: options.durable, address: nats.address },
              }),
        );
      }
    })();

    return () => {
      stopped = true;
      clearInterval(heartbeat);
      if (retryTimer) clearTimeout(retryTimer);
      for (const messages of active) {
        void Promise.resolve(messages.close()).catch(() => undefined);
      }
      active.clear();
    };
  });
}
