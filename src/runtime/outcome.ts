/**
 * The outcome of one call as a thread reports it ({@link RunOutcome}, plain data that crosses `postMessage`), and
 * its conversion into what {@link Runtime.invoke} resolves or rejects with.
 *
 * @module
 */
import { E2rxError, type ErrorCode } from '../errors.js';
import type { GuestPublish } from './guest-publish.js';
import type { FunctionRequest } from './request.js';

/** The codes a call can fail with besides a Runnable error. */
export type FailureCode = Extract<
  ErrorCode,
  | 'E2RX_WASM_TRAP'
  | 'E2RX_WASM_TIMEOUT'
  | 'E2RX_WASM_MEMORY'
  | 'E2RX_HOST_MEMORY'
  | 'E2RX_WASM_EXIT'
  | 'E2RX_INPUT_TOO_LARGE'
  | 'E2RX_OUTPUT_TOO_LARGE'
  | 'E2RX_POOL_CLOSED'
  | 'E2RX_FUNCTION_NOT_FOUND'
  | 'E2RX_MODULE_NOT_RUNNABLE'
  | 'E2RX_INTERNAL'
>;

/** A failure that is not a Runnable error, as plain data. */
export interface Failure {
  readonly code: FailureCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * How one function call ended, when it ran to its end: the one result type from the runtime to the steps.
 * - `output`: it returned a result;
 * - `runError`: it returned an error with a code (a Runnable error: `return_error` / `return_abort`, handled by `onErr`);
 * - `none`: it returned neither.
 * `request` is the request after the function's mutations (`request_set_field`, `resp_set_header`, state…).
 * `publishes` (e2rx) are the messages it published with `e2rx.publish`, in order; absent when none. A call that
 * returned an error, or failed, published nothing: its messages are dropped.
 */
export type FunctionOutcome =
  | { readonly kind: 'output'; readonly output: Uint8Array; readonly request: FunctionRequest; readonly publishes?: readonly GuestPublish[] }
  | { readonly kind: 'runError'; readonly code: number; readonly message: string; readonly request: FunctionRequest }
  | { readonly kind: 'none'; readonly request: FunctionRequest; readonly publishes?: readonly GuestPublish[] };

/** What a call produced inside the runtime: a {@link FunctionOutcome}, or a failure (a trap, a timeout…). */
export type RunOutcome = FunctionOutcome | { readonly kind: 'failure'; readonly failure: Failure };

const RETRIABLE: ReadonlySet<FailureCode> = new Set(['E2RX_WASM_TIMEOUT', 'E2RX_POOL_CLOSED']);

/** The {@link E2rxError} of a failure, with the function's name in `details.fn`. */
export function failureError(fn: string, failure: Failure, cause?: unknown): E2rxError {
  return new E2rxError(failure.code, `${fn}: ${failure.message}`, {
    details: { fn, ...failure.details },
    retriable: RETRIABLE.has(failure.code),
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Turns an outcome into what {@link Runtime.invoke} resolves with (the outcome itself), or throws the {@link E2rxError} of a failure.
 *
 * @example
 * ```ts
 * const result = settle('hello', outcome);
 * if (result.kind === 'output') console.log(new TextDecoder().decode(result.output));
 * ```
 */
export function settle(fn: string, outcome: RunOutcome): FunctionOutcome {
  if (outcome.kind === 'failure') throw failureError(fn, outcome.failure);
  return outcome;
}
