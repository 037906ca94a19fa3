/**
 * A NATS message as the pipelines see it: from core NATS (`fromNatsSubject`, sources/nats.ts) or from a JetStream
 * pull consumer (`fromJetStream`, sources/jetstream.ts), holding an in-flight slot of its handler's gate.
 *
 * @module
 */
import type { FunctionRequest } from '../runtime/request.js';
import type { HeaderEntry } from './headers.js';

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
