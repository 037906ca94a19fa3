/**
 * NATS stream handlers (source `nats`): a core NATS subscription in a queue group, or a JetStream durable pull
 * consumer, as an Observable of jobs.
 *
 * - **Core NATS** ({@link fromNatsSubject}): at-most-once, as NATS itself. The subscription uses a callback (no async
 *   iterator in the hot path). Each message asks the handler's {@link Gate} for a slot and is emitted holding it,
 *   after waiting in the gate's queue if need be; a message the gate refuses goes to `onRefused`.
 * - **JetStream**: see `fromJetStream` (sources/jetstream.ts); its jobs are {@link NatsJob}s too.
 *
 * @module
 */
import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import { Observable } from 'rxjs';
import type { NatsConnectionHandle } from '../connections/nats.js';
import { E2rxError, errorMessage } from '../errors.js';
import type { Gate, Refusal, Slot, Waiter } from '../flow/gate.js';
import type { FunctionRequest } from '../runtime/request.js';
import type { HeaderEntry } from '../messages/headers.js';
import { streamRequest } from '../messages/stream-request.js';
import type { NatsJob } from '../messages/nats-job.js';




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
 * unsubscribing unsubscribes. In a queue group, unsubscribing drains the subscription instead: until the server has
 * the unsubscribe, a message it still routes here is published again to its subject (with its reply subject and
 * headers), after the unsubscribe on the same connection, so the group's other members take it: a new version of
 * the app in a hot reload, another replica. So is a message that was waiting in the gate. With no other member it
 * is lost, as core NATS (at most once) allows.
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
  const queued = options.queue !== undefined && options.queue !== '';
  const handBack = (msg: Msg): void => {
    if (!nats.connection.isClosed()) nats.connection.publish(msg.subject, msg.data, { ...(msg.reply ? { reply: msg.reply } : {}), ...(msg.headers ? { headers: msg.headers } : {}) });
  };
  return new Observable<NatsJob>((subscriber) => {
    let handingBack = false;
    const subscription = nats.connection.subscribe(subject, {
      ...(queued ? { queue: options.queue } : {}),
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
        if (subscriber.closed) {
          if (handingBack) handBack(msg);
          return;
        }
        const job = new CoreJob(msg, resource, subscriber, options.onRefused, queued ? handBack : undefined);
        if (gate === undefined) {
          subscriber.next(job);
          return;
        }
        const verdict = gate.enter(msg.data.length + NATS_MESSAGE_OVERHEAD_BYTES, job);
        if (typeof verdict === 'string') job.shed(verdict);
      },
    });
    return () => {
      if (subscription.isClosed()) return;
      if (!queued || nats.connection.isClosed()) {
        subscription.unsubscribe();
        return;
      }
      handingBack = true;
      subscription.drain().catch(() => undefined);
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
  readonly #msg: Msg;

  constructor(
    msg: Msg,
    resource: string,
    private readonly subscriber: { readonly closed: boolean; next(job: NatsJob): void },
    private readonly refused: ((job: NatsJob, reason: Refusal) => void) | undefined,
    /** Where a message that waited in the gate goes when the source stopped meanwhile (its queue group's others). */
    private readonly handBack: ((msg: Msg) => void) | undefined,
  ) {
    this.#msg = msg;
    this.subject = msg.subject;
    this.payload = msg.data;
    this.headers = headerEntries(msg.headers);
    this.reply = msg.reply === undefined || msg.reply === '' ? undefined : msg.reply;
    this.request = streamRequest(resource, msg.data, this.headers);
  }

  start(slot: Slot): void {
    this.#slot = slot;
    if (this.subscriber.closed) {
      slot.release();
      this.handBack?.(this.#msg);
    } else this.subscriber.next(this);
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
