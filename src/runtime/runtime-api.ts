/**
 * What a runtime is: the {@link Runtime} that `createRuntime` returns, its options and its live counters.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { HostServices } from '../capabilities/host-services.js';
import type { AsyncHost } from './host-env.js';
import type { RuntimeLimits } from './limits.js';
import type { FunctionInfo } from './module-info.js';
import type { FunctionOutcome, RunOutcome } from './outcome.js';
import type { Lane, PlacementMode } from './placement.js';
import type { FunctionLoad, Ticket } from './pool.js';
import type { FunctionRequest } from './request.js';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** Gates `logger`, `requestHandler` and `secrets` inside the runtime; the other capabilities are gated by `services`. */
  readonly capabilities: CapabilityConfig;
  /** The asynchronous host calls (cache, fetch, GraphQL, db, static files), run on the main thread. */
  readonly services: HostServices;
  /** Guest `log_msg` lines and WASI stdout/stderr go here, with fields `{fn, request_id, ident}`. */
  readonly logger: Logger;
  /** Worker threads (default: `os.availableParallelism()`), started when the first function needs them. */
  readonly workers?: number;
  /** Instances of each function kept per thread (default 1). A thread runs one call at a time; more are spares. */
  readonly instancesPerWorker?: number;
  /** Discard the instance after each call (E2Core 2023 semantics); default false (Atmo: instances are reused). */
  readonly freshInstancePerCall?: boolean;
  /** Per-call limits; see `DEFAULT_LIMITS`. */
  readonly limits?: RuntimeLimits;
  /**
   * Where functions run (docs/decisions/0007-function-placement.md): `auto` (default) runs a function on the calling
   * thread when its module can be instrumented with deadline checks and imports no asynchronous host function, and
   * moves it to the workers when its calls block, run past the inline budget or are slow; `workers` runs every
   * function on the workers.
   */
  readonly placement?: PlacementMode;
  /** `auto` placement: how long one call may run on the calling thread before it moves to a worker (default 10 ms). */
  readonly inlineBudgetMs?: number;
  /**
   * `auto` placement: once the event loop lags by `inlineLagLimitMs` (default 50 ms), calls on the calling thread take
   * at most `inlineSliceMs` (default 5 ms) of each turn, and further calls wait for the next turn (see
   * `inline-turns.ts`).
   */
  readonly inlineSliceMs?: number;
  readonly inlineLagLimitMs?: number;
  /** `auto` placement: the average call time above which a function moves to the workers (default 1 ms). */
  readonly slowCallMs?: number;
  /**
   * Inline mode: every call runs on the calling thread to its end, no workers (marble tests, hosts that accept the
   * trade-off). Asynchronous capabilities fail with `capability is not available in inline mode`; the time limit
   * stops instrumented modules only.
   */
  readonly inline?: boolean;
  /**
   * Inline mode: answers the asynchronous capabilities synchronously instead of failing them (`e2rx test` answers
   * them from a case's stubs, so that whole runs stay on the calling thread, in virtual time).
   */
  readonly inlineHost?: AsyncHost;
  /** Where `get_secret_value` reads the allowed keys (default `process.env`), read once at creation. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Hears every settled call: the function, how it ended and how long it took (ms), for metrics. */
  readonly onCall?: (name: string, outcome: RunOutcome['kind'], ms: number) => void;
}

/** Options of {@link Runtime.register}. */
export interface RegisterOptions {
  /**
   * The module's source map (JSON text, as `e2rx build` writes it beside the `.wasm`): a trap or an abort then names
   * the user's `file:line:column` that led to it, not only the library's.
   */
  readonly sourceMap?: string;
}

/** Options of one invocation. */
export interface InvokeOptions {
  /**
   * Aborting a queued call removes it. Aborting a running call detaches it: the worker is not stopped, the call runs
   * to its end (or to `limits.timeoutMs`) and its result is discarded. Either way the promise rejects with the reason
   * at once. (A call on the calling thread is over before anyone can abort it.)
   */
  readonly signal?: AbortSignal;
}

/** Live counters of one function. */
export interface FunctionStats extends FunctionLoad {
  /** Invocations settled (result, Runnable error, none or failure). */
  readonly calls: number;
  /** Invocations that rejected with an `E2rxError`. */
  readonly failures: number;
  /** Where its calls go now. */
  readonly lane: Lane;
  /** Why. */
  readonly placement: string;
}

/** Live counters of the runtime, for `/metrics`. */
export interface RuntimeStats {
  readonly mode: 'workers' | 'inline';
  readonly workers: number;
  readonly busyWorkers: number;
  readonly queued: number;
  readonly running: number;
  readonly timeouts: number;
  readonly workerRestarts: number;
  /** Calls abandoned on the calling thread and run again on a worker. */
  readonly relocations: number;
  readonly functions: Readonly<Record<string, FunctionStats>>;
}

/** Receives the outcome of one {@link Runtime.execute} call. */
export type OutcomeHandler = (outcome: RunOutcome) => void;

/** A running Wasm runtime. */
export interface Runtime {
  /**
   * Compiles a function once, checks its Runnable exports and plans its imports (unknown ones are stubbed and logged).
   * Registering a name again replaces the function. Rejects with `E2RX_MODULE_INVALID`, `E2RX_MODULE_NOT_RUNNABLE`
   * or `E2RX_WASM_MEMORY`.
   */
  register(name: string, wasm: Uint8Array, options?: RegisterOptions): Promise<FunctionInfo>;
  /**
   * Runs a function with `request.body` as its input (docs/reference/host-abi.md §6). Resolves with its output, its Runnable error or
   * `none`; rejects with an `E2rxError` (`E2RX_WASM_TRAP`, `E2RX_WASM_TIMEOUT`, `E2RX_WASM_MEMORY`,
   * `E2RX_HOST_MEMORY`, `E2RX_WASM_EXIT`, `E2RX_INPUT_TOO_LARGE`, `E2RX_OUTPUT_TOO_LARGE`, `E2RX_POOL_CLOSED`,
   * `E2RX_FUNCTION_NOT_FOUND`) whose `details.fn` is the function's name.
   */
  invoke(name: string, request: FunctionRequest, options?: InvokeOptions): Promise<FunctionOutcome>;
  /**
   * The callback form of {@link invoke}, without a promise per call: `done` receives the outcome once (a failure as
   * `{ kind: 'failure' }`). A call on the calling thread usually completes before `execute` returns and gets no ticket
   * (in inline mode, always); one that waits for the calling thread's next turn, or runs on a worker, returns its
   * {@link Ticket}, whose `cancel()` drops it (then `done` is never called).
   */
  execute(this: void, name: string, request: FunctionRequest, done: OutcomeHandler): Ticket | undefined;
  /** Where the calls of a registered function go now (`undefined`: no such function). */
  laneOf(this: void, name: string): Lane | undefined;
  /** The registered functions. */
  readonly functions: ReadonlyMap<string, FunctionInfo>;
  /** Resolves once every worker thread started so far is ready (at once when none is needed). */
  ready(): Promise<void>;
  /** Pool sizes, busy workers, queued calls, per-function counters and placement. */
  stats(): RuntimeStats;
  /**
   * Fails queued calls with `E2RX_POOL_CLOSED`, lets running ones finish (not a detached one, whose caller aborted: its
   * worker is stopped), stops the workers. Does not close `services`.
   */
  close(): Promise<void>;
  /** Whether {@link close} was called. */
  readonly closed: boolean;
}
