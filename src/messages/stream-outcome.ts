/**
 * What became of one NATS or Kafka message: the values a stream pipeline emits (for logs, metrics and specs; the
 * engine ignores them).
 *
 * @module
 */
import type { FailureDescription } from './headers.js';

/**
 * - `published`: the run succeeded and its result was published (respondTo, or the reply of a request);
 * - `done`: the run succeeded and there was nothing to publish;
 * - `retry-later`: JetStream: the run failed and the message was nak'ed for a redelivery;
 * - `dead-lettered`: the run failed for good and the message went to the dead letter;
 * - `dropped`: the run failed for good and there is no dead letter (or publishing to it failed): logged;
 * - `refused`: core NATS: the in-flight bound and its queue were full;
 * - `abandoned`: the work was cancelled (shutdown deadline): not acknowledged, not committed.
 */
export type StreamOutcomeKind = 'published' | 'done' | 'retry-later' | 'dead-lettered' | 'dropped' | 'refused' | 'abandoned';

/** One message's outcome. */
export interface StreamOutcome {
  /** The handler (`nats orders`, `kafka orders`). */
  readonly handler: string;
  readonly requestId: string;
  readonly outcome: StreamOutcomeKind;
  /** Runs made for this message (in this process; JetStream: the delivery count). */
  readonly attempts: number;
  /** Where the result or the dead letter went. */
  readonly publishedTo?: string;
  /** Why it failed, when it did. */
  readonly error?: FailureDescription;
}
