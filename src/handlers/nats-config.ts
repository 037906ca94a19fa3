/**
 * What a NATS or JetStream handler pipeline is given: its config, planned from the Directive, and its dependencies.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { NatsConnectionHandle } from '../connections/nats.js';
import type { Refusal } from '../flow/gate.js';
import type { InFlight } from '../flow/in-flight.js';

/** What a NATS handler does, planned from the Directive by the `nats` and `jetstream` handler kinds (handlers/nats.ts). */
export interface NatsHandlerConfig {
  /** The handler id, in logs and dead-letter headers (`nats orders`). */
  readonly id: string;
  /** The subject (the handler's resource). */
  readonly subject: string;
  /** Core NATS: the queue group. */
  readonly queue: string | undefined;
  readonly respondTo: string | undefined;
  readonly deadLetter: string | undefined;
  /** Core NATS: in-process retries of a failed run. JetStream: the base of the nak delays. */
  readonly retries: { readonly max: number; readonly backoffMs: number };
  /** Set for a JetStream handler. */
  readonly jetstream:
    | {
        readonly stream: string | undefined;
        readonly durable: string;
        /** Redelivery after this long without an ack (default applied: `DEFAULT_ACK_WAIT_MS`). */
        readonly ackWaitMs: number;
        readonly maxDeliver: number;
        /** A fixed redelivery delay; else `retries.backoffMs` (or 1 s) doubling with each delivery. */
        readonly nakDelayMs: number | undefined;
      }
    | undefined;
}

/** What a NATS handler pipeline needs. */
export interface NatsPipelineDeps {
  readonly nats: NatsConnectionHandle;
  readonly inFlight: InFlight;
  readonly logger: Logger;
  readonly scheduler?: SchedulerLike;
  /** JetStream: each pull's size (for metrics and specs). */
  readonly onPull?: (batch: number) => void;
  /** Core NATS: a message refused by the gate (a slow-consumer drop). */
  readonly onRefused?: (reason: Refusal) => void;
  /** The first delay between attempts to publish a dead letter (default `DEFAULT_DEAD_LETTER_BACKOFF_MS`, doubling). */
  readonly deadLetterBackoffMs?: number;
}
