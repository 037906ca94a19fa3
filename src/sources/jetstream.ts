/**
 * JetStream stream handlers (source `nats` with `jetstream`): a durable pull consumer as an Observable of jobs.
 * At-least-once: messages are pulled in batches sized by the gate's free slots (that is the backpressure: nothing is
 * pulled that could not run now), each job holds a slot, tells the server it is still working every `ackWaitMs / 2`,
 * and is acknowledged (`ack`, confirmed), refused for later (`nak`, with a delay) or given up (`term`) by the
 * pipeline. A job released without any of these is nak'ed, so that it is redelivered at once.
 *
 * @module
 */
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { Observable, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import { DEFAULT_ACK_WAIT_MS, defaultStreamName } from '../connections/jetstream-names.js';
import { ensureJetStream, type JetStreamTarget } from '../connections/jetstream.js';
import type { NatsConnectionHandle } from '../connections/nats.js';
import { E2rxError, errorMessage } from '../errors.js';
import type { Gate, Slot, Waiter } from '../flow/gate.js';
import type { FunctionRequest } from '../runtime/request.js';
import { backoffDelay, CONNECT_JITTER } from '../flow/backoff.js';
import { createHeartbeat } from '../flow/heartbeat.js';
import { later } from '../flow/later.js';
import type { HeaderEntry } from '../messages/headers.js';
import { streamRequest } from '../messages/stream-request.js';
import type { NatsJob } from '../messages/nats-job.js';
import { headerEntries } from './nats.js';

const RESOLVED = Promise.resolve();

/** How long one pull request waits for messages (JetStream's minimum is 1 s). */
export const DEFAULT_PULL_EXPIRES_MS = 5_000;

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
  /**
   * The scheduler of the working heartbeats and of the retry delay of a failed pull (a `TestScheduler` in marble
   * tests; default: Node.js timers).
   */
  readonly scheduler?: SchedulerLike;
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
    let retryTimer: (() => void) | undefined;
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
        retryTimer = later(options.scheduler, backoffDelay(failures, { baseMs: 250, maxMs: 5_000, jitter: CONNECT_JITTER }), () => {
          retryTimer = undefined;
          pump();
        });
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
    const working = createHeartbeat<JetStreamJob>({
      afterMs: ackWaitMs / 2,
      everyMs: Math.max(250, Math.floor(ackWaitMs / 4)),
      beat: (job) => {
        try {
          job.msg.working();
        } catch {
          working.delete(job); // the connection is closed: the server redelivers it after its ack wait
        }
      },
      scheduler: options.scheduler,
    });

    // The acks of a batch are confirmed with one flush; if it fails, the messages may come back (at-least-once).
    let unconfirmed = 0;
    const source: JetStreamSource = {
      resource,
      get closed() {
        return subscriber.closed;
      },
      started(job) {
        working.add(job);
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
      working.drain();
      retryTimer?.();
      for (const messages of active) {
        void Promise.resolve(messages.close()).catch(() => undefined);
      }
      active.clear();
    };
  });
}
