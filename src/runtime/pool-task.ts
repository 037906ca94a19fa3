/**
 * A call in the worker pool: the task the pool keeps for it, the {@link Ticket} its caller holds, and the failures a
 * pool ends a call with.
 *
 * @module
 */
import type { Failure, RunOutcome } from './outcome.js';
import type { FunctionRequest } from './request.js';
import type { WorkerHandle } from './worker-handle.js';

/** A submitted call, as its caller holds it. */
export interface Ticket {
  /** Removes a queued call, or detaches a running one (its outcome is dropped). */
  readonly cancel: () => void;
}

/** A call the pool holds, from its submission until it leaves the queue and its worker for good. */
export interface Task {
  readonly id: number;
  readonly name: string;
  readonly request: FunctionRequest;
  /** Receives the outcome once; cleared when the caller cancels. */
  done: ((outcome: RunOutcome) => void) | undefined;
  timer?: NodeJS.Timeout;
  /** The worker it was handed to, and its claim slot there. */
  worker?: WorkerHandle;
  slot?: number;
  /** The call left the queue and its worker for good. */
  finished: boolean;
  /** Its time limit passed (counted once, whichever side noticed first). */
  timedOut: boolean;
}

/** A failed outcome with its code, message and, when given, details. */
export const failure = (code: Failure['code'], message: string, details?: Record<string, unknown>): RunOutcome => ({
  kind: 'failure',
  failure: details === undefined ? { code, message } : { code, message, details },
});

/** The outcome of a call that ran past its time limit of `ms`. */
export const timeoutFailure = (ms: number): RunOutcome => failure('E2RX_WASM_TIMEOUT', `the call ran past its time limit of ${ms} ms`, { timeoutMs: ms });
