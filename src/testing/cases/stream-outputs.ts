/**
 * What a NATS or Kafka handler sends for one message, as values: the result published to `respondTo` and the dead
 * letter of a message that failed for good (how many times it runs before that: `retryPolicyOf`, handlers/retries.ts).
 * Built with the same header rules as the engine's sinks (src/sinks/respond-to.ts, src/messages/headers.ts).
 *
 * @module
 */
import type { HandlerPlan } from '../../handlers/plan.js';
import type { RunResult } from '../../steps/steps.js';
import { DEAD_LETTER_HEADERS, deadLetterHeaders, describeFailure, isReservedNatsHeader, outputHeaders, type HeaderEntry } from '../../messages/headers.js';

/** A message a handler sent. */
export interface OutputMessage {
  /** The subject or topic. */
  readonly to: string;
  /** Kafka: the record key (the input's). */
  readonly key: string | undefined;
  readonly headers: readonly HeaderEntry[];
  readonly body: Uint8Array;
}

/** The input message of a case. */
export interface InputMessage {
  readonly key: string | undefined;
  readonly headers: readonly HeaderEntry<string>[];
  readonly payload: Uint8Array;
}

/**
 * The result of a successful run as published to the handler's `respondTo` (nothing without one): the result's bytes,
 * the input's headers, those the functions set and `x-request-id`; Kafka keeps the input's key.
 *
 * @example
 * ```ts
 * publishedOf(plan, { key: 'k1', headers: [], payload }, result)?.to; // 'quotes'
 * ```
 */
export function publishedOf(plan: HandlerPlan, input: InputMessage, result: Extract<RunResult, { kind: 'ok' }>): OutputMessage | undefined {
  const to = plan.handler.respondTo;
  if (to === undefined) return undefined;
  const nats = plan.handler.source === 'nats';
  const headers = outputHeaders(input.headers, result.request.respHeaders, result.request.id, nats ? { skip: isReservedNatsHeader } : {});
  return { to, key: nats ? undefined : input.key, headers, body: result.body };
}

/**
 * The dead letter of a message that failed for good (nothing without a `deadLetter`): the payload and headers as
 * received, plus the error headers (`e2rx-error`, `e2rx-error-code`, `e2rx-attempts`, `e2rx-handler`, the source).
 *
 * @example
 * ```ts
 * deadLetterOf(plan, input, failed, 1)?.headers; // [..., ['e2rx-error-code', 'E2RX_RUN_ERROR'], ...]
 * ```
 */
export function deadLetterOf(plan: HandlerPlan, input: InputMessage, failure: unknown, attempts: number, requestId: string): OutputMessage | undefined {
  const to = plan.handler.deadLetter;
  if (to === undefined) return undefined;
  const nats = plan.handler.source === 'nats';
  const source: Record<string, string> = nats
    ? { [DEAD_LETTER_HEADERS.sourceSubject]: plan.handler.resource }
    : { [DEAD_LETTER_HEADERS.sourceTopic]: plan.handler.resource, [DEAD_LETTER_HEADERS.sourcePartition]: '0', [DEAD_LETTER_HEADERS.sourceOffset]: '0' };
  const extra = deadLetterHeaders(describeFailure(failure), attempts, plan.id, source);
  const headers = outputHeaders(input.headers, extra, requestId, nats ? { skip: isReservedNatsHeader } : {});
  return { to, key: nats ? undefined : input.key, headers, body: input.payload };
}
