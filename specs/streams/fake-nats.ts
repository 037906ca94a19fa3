import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { NatsConnectionHandle } from '../../src/connections/nats.js';

/** One JetStream message of the fake: specs choose its delivery count, and read its calls. */
export class FakeJsMsg {
  readonly calls: string[] = [];
  readonly headers: MsgHdrs | undefined = undefined;
  readonly data: Uint8Array;
  readonly info: { readonly stream: string; readonly streamSequence: number; readonly deliveryCount: number };

  constructor(
    readonly subject: string,
    text: string,
    info: { stream?: string; streamSequence: number; deliveryCount?: number },
  ) {
    this.data = new TextEncoder().encode(text);
    this.info = { stream: info.stream ?? 'ORDERS', streamSequence: info.streamSequence, deliveryCount: info.deliveryCount ?? 1 };
  }

  working(): void {
    this.calls.push('working');
  }
  ack(): void {
    this.calls.push('ack');
  }
  nak(delayMs?: number): void {
    this.calls.push(delayMs === undefined ? 'nak' : `nak ${delayMs}`);
  }
  term(): void {
    this.calls.push('term');
  }
}

/** A message the fake connection published (core publish; the fake has no JetStream output streams). */
export interface FakePublished {
  readonly subject: string;
  readonly data: Uint8Array;
}

/**
 * A NATS connection with JetStream, in memory: enough of {@link NatsConnectionHandle} for `fromJetStream`,
 * `respondToNats` and `deadLetterNats`. Specs hand messages over with {@link FakeNats.deliver}; pulls return them.
 */
export class FakeNats {
  readonly published: FakePublished[] = [];
  /** When set and true for a subject, publishing to it throws (a connection that refuses it). */
  failPublish: ((subject: string) => boolean) | undefined;
  /** How the connection's flush (`confirm`) ends; reject to simulate a server that does not answer. */
  confirm: () => Promise<void> = () => Promise.resolve();
  private readonly queue: FakeJsMsg[] = [];
  private wake: (() => void) | undefined;

  /** Queues messages for the next pull. */
  deliver(...messages: FakeJsMsg[]): void {
    this.queue.push(...messages);
    this.wake?.();
  }

  /** The handle the pipeline uses. */
  handle(): NatsConnectionHandle {
    const consumer = { fetch: (options: { max_messages: number }) => Promise.resolve(this.fetch(options.max_messages)) } as unknown as Consumer;
    const manager = {
      streams: { info: () => Promise.resolve({}) },
      consumers: { info: () => Promise.reject(new Error('consumer not found')), add: () => Promise.resolve({}) },
    };
    const handle = {
      kind: 'nats',
      address: 'nats://fake:4222',
      connection: {
        publish: (subject: string, data: Uint8Array) => {
          if (this.failPublish?.(subject)) throw new Error(`cannot publish to ${subject}`);
          this.published.push({ subject, data });
        },
      },
      healthy: true,
      closed: false,
      jetstream: { consumers: { get: () => Promise.resolve(consumer) } },
      manager: () => Promise.resolve(manager),
      confirm: () => this.confirm(),
      streamOf: () => Promise.resolve(undefined),
      drain: () => Promise.resolve(),
      close: () => Promise.resolve(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    };
    return handle as unknown as NatsConnectionHandle;
  }

  /** One pull: what is queued (up to `max`), else waits a little for messages, as a pull with a short expiry. */
  private fetch(max: number): ConsumerMessages {
    let closed = false;
    const messages = {
      close: () => {
        closed = true;
        this.wake?.();
        return Promise.resolve(undefined);
      },
      [Symbol.asyncIterator]: async function* (this: FakeNats): AsyncGenerator<JsMsg> {
        if (this.queue.length === 0 && !closed) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 20);
            this.wake = () => {
              clearTimeout(timer);
              this.wake = undefined;
              resolve();
            };
          });
        }
        for (let given = 0; given < max && !closed; given += 1) {
          const next = this.queue.shift();
          if (next === undefined) return;
          yield next as unknown as JsMsg;
        }
      }.bind(this),
    };
    return messages as unknown as ConsumerMessages;
  }
}
