/**
 * How an outbound HTTP or GraphQL request of a function fails: `E2RX_OUTBOUND_HTTP`, with why in `details.kind`.
 *
 * @module
 */
import { E2rxError } from '../errors.js';

/** Why an outbound request failed: `rule`: refused by a rule; `transport`: network or protocol failure; `timeout`; `too-large`; `redirects`; `invalid`. */
export type OutboundHttpFailure = 'rule' | 'transport' | 'timeout' | 'too-large' | 'redirects' | 'invalid';

/**
 * A failed outbound request: `E2RX_OUTBOUND_HTTP`, `details.kind` saying why; `message` is what the guest sees.
 *
 * @example
 * ```ts
 * outboundHttpError('timeout', 'Get "http://x/": client timeout exceeded (30000 ms)').details; // { kind: 'timeout' }
 * ```
 */
export function outboundHttpError(kind: OutboundHttpFailure, message: string, options: { cause?: unknown } = {}): E2rxError {
  return new E2rxError('E2RX_OUTBOUND_HTTP', message, { ...options, details: { kind }, retriable: kind === 'transport' || kind === 'timeout' });
}

/** Why an outbound request failed, when `error` is {@link outboundHttpError}'s; else `undefined`. */
export function outboundHttpFailure(error: unknown): OutboundHttpFailure | undefined {
  return E2rxError.is(error, 'E2RX_OUTBOUND_HTTP') ? (error.details?.['kind'] as OutboundHttpFailure) : undefined;
}
