/**
 * The value that flows through a run's steps ({@link RunState}: the request, with its state), and how the run ends
 * ({@link RunResult}, the one result type of a run, from the steps to the sinks).
 *
 * @module
 */
import type { GuestPublish } from '../runtime/guest-publish.js';
import type { FunctionRequest } from '../runtime/request.js';

/** A Runnable error that ended the run (`onErr` said return). */
export interface RunError {
  readonly code: number;
  readonly message: string;
}

/**
 * How a run ended, the one result type from the steps to the sinks. `request` is the final request: its state, and
 * the response headers functions set (`respHeaders`), for every outcome.
 * - `ok`: the run went through; `body` is the response (see `toRunResult`);
 * - `runError`: a function returned an error and its `onErr` said return;
 * - `failure`: something other than a Runnable error (a trap, a timeout, a missing state key…).
 *
 * `publishes` (e2rx, `ok` only): the messages the run's functions published with `e2rx.publish`, in step order (the
 * calls of a group in their listed order, forEach elements in input order); absent when there are none. The contract:
 * - they are sent only when the run succeeded: a run that ended with an error or a failure carries none, and a call
 *   that returned an error contributes none even when its `onErr` continued the run;
 * - they are sent **before** the run's source is acknowledged or committed and before its reply (HTTP response,
 *   `respondTo`, NATS reply) is sent, and a send that fails fails the run (the source then retries, naks or
 *   dead-letters it as for any failure);
 * - whoever sends them owns them: the handler run sends them itself when it has a publisher (`createHandlerRun`'s
 *   `publish`) and then hands the result on **without** this field; without a publisher (a Kafka transaction that
 *   must hold them with `respondTo` and the consumed offsets) the field reaches the caller, who must send them;
 * - each was allowed by `capabilities.publish` when it was buffered, and the buffer of one call is bounded by
 *   `maxMessages` and `maxBytes`.
 */
export type RunResult =
  | { readonly kind: 'ok'; readonly body: Uint8Array; readonly request: FunctionRequest; readonly publishes?: readonly GuestPublish[] }
  | { readonly kind: 'runError'; readonly error: RunError; readonly request: FunctionRequest }
  | { readonly kind: 'failure'; readonly error: Error; readonly request: FunctionRequest };

/** A run that a step ended: it is already the run's {@link RunResult}. */
export type StoppedRun = Exclude<RunResult, { readonly kind: 'ok' }>;

/**
 * Starts the run of a request: `done` gets its result once, possibly before this returns. Returns the function that
 * cancels it, or `undefined` when it was over before returning. `arrivedAt` (`performance.now()`): when the work
 * arrived, for a handler run whose time limit counts from there rather than from now (HTTP requests; a handler run
 * whose timers are on a scheduler, and a compiled run of steps, which has no time limit, ignore it).
 */
export type RunStart = (request: FunctionRequest, done: (result: RunResult) => void, arrivedAt?: number) => (() => void) | undefined;

/**
 * One run between steps. `stopped` is set when a step ended the run, as the run's result (the request it ended with):
 * the following steps pass it through untouched, and it is what the run gives.
 */
export interface RunState {
  readonly request: FunctionRequest;
  /** The state key of the last step (the default response), or `undefined` after a group. */
  readonly lastKey: string | undefined;
  readonly stopped?: StoppedRun;
  /** (e2rx) The messages the run's calls published so far, in step order (see `RunResult`); absent when none. */
  readonly publishes?: readonly GuestPublish[];
}

/**
 * (e2rx) The `publishes` of a run after `more` were published (a spread: `{}` when there are none), so that a run
 * that publishes nothing carries no field.
 *
 * @example
 * ```ts
 * const next: RunState = { request, lastKey, ...addPublishes(state.publishes, outcome.publishes) };
 * ```
 */
export function addPublishes(
  earlier: readonly GuestPublish[] | undefined,
  ...more: ReadonlyArray<readonly GuestPublish[] | undefined>
): { readonly publishes?: readonly GuestPublish[] } {
  let all = earlier;
  for (const messages of more) if (messages !== undefined && messages.length > 0) all = all === undefined ? messages : [...all, ...messages];
  return all === undefined ? {} : { publishes: all };
}

/** The JSON of a Runnable error as stored in state on `continue` (zero-valued fields omitted, as Atmo's JSON of a `RunErr`). */
export function runErrorJson(error: RunError): Uint8Array {
  const body: { code?: number; message?: string } = {};
  if (error.code !== 0) body.code = error.code;
  if (error.message !== '') body.message = error.message;
  return new TextEncoder().encode(JSON.stringify(body));
}

/** A copy of a request with its maps copied, so that steps never share mutable state. */
export function cloneRequest(request: FunctionRequest): FunctionRequest {
  return {
    ...request,
    headers: { ...request.headers },
    params: { ...request.params },
    state: { ...request.state },
    respHeaders: { ...request.respHeaders },
  };
}

/** The state a run starts in. */
export function startRun(request: FunctionRequest): RunState {
  return { request, lastKey: undefined };
}

const EMPTY_BODY = new Uint8Array(0);

/**
 * The {@link RunResult} of a run's final state: a stopped run is its own result; otherwise the body is
 * `state[response]` when `response` is set (empty when absent), else empty after a group, else the last step's output
 * (docs/reference/directive.md#http-responses-of-type-request).
 *
 * @example
 * ```ts
 * resultOf(startRun(request), undefined); // { kind: 'ok', body: <empty>, request }
 * ```
 */
export function resultOf(state: RunState, response: string | undefined): RunResult {
  if (state.stopped !== undefined) return state.stopped;
  const key = response ?? state.lastKey;
  const body = (key === undefined ? undefined : state.request.state[key]) ?? EMPTY_BODY;
  return state.publishes === undefined ? { kind: 'ok', body, request: state.request } : { kind: 'ok', body, request: state.request, publishes: state.publishes };
}
