/**
 * Reaching a broker at start-up: try, wait a doubling delay, try again, until a total deadline; then one clear
 * error, `E2RX_CONNECTION` (retriable), that names the service and the address.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { E2rxError, errorMessage } from '../errors.js';
import { backoffDelay, CONNECT_JITTER } from '../flow/backoff.js';

/** How long e2rx tries to reach a broker at start-up, by default: 10 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Options of {@link connectWithRetry}. */
export interface ConnectRetryOptions {
  /** `NATS`, `Kafka`: named in the error. */
  readonly service: string;
  /** The address tried: named in the error. */
  readonly address: string;
  /** The total time allowed (default {@link DEFAULT_CONNECT_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** The first delay between attempts (default 100 ms); it doubles, up to `maxDelayMs` (default 1 s). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Called after each failed attempt (to log it). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Releases a connection that an attempt opened after its time was up (default: nothing). */
  readonly dispose?: (late: unknown) => void;
}

/**
 * Calls `attempt` with the time left (ms) until it resolves or the deadline passes; then rejects with an
 * {@link E2rxError} `E2RX_CONNECTION`, `retriable`, whose message names the service, the address and the last cause,
 * and whose `details` hold `{ service, address, attempts, elapsedMs }`.
 *
 * @example
 * ```ts
 * const nc = await connectWithRetry((timeLeftMs) => connect({ servers: url, timeout: Math.min(timeLeftMs, 2_000) }), {
 *   service: 'NATS',
 *   address: url,
 *   timeoutMs: 10_000,
 * });
 * ```
 */
export async function connectWithRetry<T>(attempt: (timeLeftMs: number) => Promise<T>, options: ConnectRetryOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  for (;;) {
    attempts += 1;
    const timeLeft = Math.max(1, deadline - Date.now());
    try {
      return await withDeadline(attempt(timeLeft), timeLeft, options.dispose);
    } catch (error) {
      lastError = error;
    }
    const delay = backoffDelay(attempts, { baseMs: options.initialDelayMs ?? 100, maxMs: options.maxDelayMs ?? 1_000, jitter: CONNECT_JITTER });
    if (Date.now() + delay >= deadline) break;
    options.onRetry?.(lastError, attempts, delay);
    await sleep(delay);
  }
  const elapsedMs = Date.now() - started;
  return Promise.reject(
    new E2rxError(
      'E2RX_CONNECTION',
      `cannot connect to ${options.service} at ${options.address}: ${errorMessage(lastError)} (${attempts} attempt${attempts === 1 ? '' : 's'} in ${elapsedMs} ms)`,
      {
        cause: lastError,
        retriable: true,
        details: { service: options.service, address: options.address, attempts, elapsedMs },
        hint: `check that ${options.service} runs at ${options.address} (the Directive's connections); \`npm run services up\` starts local ones`,
      },
    ),
  );
}

function withDeadline<T>(promise: Promise<T>, ms: number, dispose: ((late: unknown) => void) | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  promise.then(
    (value) => {
      if (timedOut) dispose?.(value);
    },
    () => undefined,
  );
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
