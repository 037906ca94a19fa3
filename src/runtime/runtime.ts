/**
 * The Wasm runtime: registers Atmo Runnables (`.wasm` built with Suborbital's SDKs) and runs them on worker threads
 * (or inline), with the full host ABI of docs/reference/host-abi.md and WASI preview 1.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { HostServices } from '../capabilities/host-services.js';
import { abortReason, E2rxError } from '../errors.js';
import type { AsyncHost } from './host-env.js';
import { InlineLane } from './inline.js';
import { DEFAULT_INLINE_SLICE_MS, DEFAULT_LAG_LIMIT_MS, InlineTurns } from './inline-turns.js';
import { pagesOf, type ResolvedLimits, resolveLimits, type RuntimeLimits } from './limits.js';
import { pinoSink } from './log-sink.js';
import { type FunctionInfo, prepareModule } from './module-info.js';
import { failureError, type FunctionOutcome, type RunOutcome, settle } from './outcome.js';
import { DEFAULT_INLINE_BUDGET_MS, DEFAULT_SLOW_CALL_MS, FunctionPlacement, type Lane, type PlacementMode } from './placement.js';
import { type FunctionLoad, type Ticket, WorkerPool } from './pool.js';
import type { FunctionRequest } from './request.js';

export type { FunctionInfo } from './module-info.js';
export type { FunctionOutcome, InvocationResult } from './outcome.js';
export type { Lane, PlacementMode } from './placement.js';
export type { Ticket } from './pool.js';
export { DEFAULT_LIMITS, type RuntimeLimits } from './limits.js';

/** Options of {@link createRuntime}. */
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
  /** Per-call limits; see {@link DEFAULT_LIMITS}. */
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
  /** Invocations that rejected with an {@link E2rxError}. */
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
   * `none`; rejects with an {@link E2rxError} (`E2RX_WASM_TRAP`, `E2RX_WASM_TIMEOUT`, `E2RX_WASM_MEMORY`,
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
  execute(name: string, request: FunctionRequest, done: OutcomeHandler): Ticket | undefined;
  /** Where the calls of a registered function go now (`undefined`: no such function). */
  laneOf(name: string): Lane | undefined;
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

function resolveSecrets(capabilities: CapabilityConfig, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const secrets: Record<string, string> = {};
  if (!capabilities.secrets.enabled) return secrets;
  for (const key of capabilities.secrets.allowedKeys) secrets[key] = env[key] ?? '';
  return secrets;
}

interface Registered {
  readonly info: FunctionInfo;
  readonly placement: FunctionPlacement;
  calls: number;
  failures: number;
}


/** The lane a function starts on, and why. */
function initialLane(info: FunctionInfo, options: RuntimeOptions): { lane: Lane; reason: string } {
  if (options.inline === true) return { lane: 'calling-thread', reason: 'inline mode' };
  if ((options.placement ?? 'auto') === 'workers') return { lane: 'workers', reason: 'runtime.placement is workers' };
  if (!info.metered) return { lane: 'workers', reason: `its module cannot be instrumented with deadline checks (${info.meteringError ?? 'unknown'})` };
  if (info.asyncImports.length > 0) return { lane: 'workers', reason: `it imports asynchronous host functions (${info.asyncImports.join(', ')})` };
  return { lane: 'calling-thread', reason: 'it is instrumented and imports no asynchronous host function' };
}

/**
 * Creates a runtime. Worker threads start when the first function needs them; calls made before they are ready wait
 * in the queue.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services, logger: pino() });
 * await runtime.register('hello', await readFile('hello.wasm'));
 * const result = await runtime.invoke('hello', { method: 'POST', url: '/hello', id: randomUUID(),
 *   body: new TextEncoder().encode('world'), headers: {}, params: {}, state: {}, respHeaders: {} });
 * if (result.kind === 'output') console.log(new TextDecoder().decode(result.output));
 * await runtime.close();
 * ```
 * @see docs/reference/host-abi.md
 */
export function createRuntime(options: RuntimeOptions): Runtime {
  const limits: ResolvedLimits = resolveLimits(options.limits);
  const secrets = resolveSecrets(options.capabilities, options.env ?? process.env);
  const log = pinoSink(options.logger);
  const fresh = options.freshInstancePerCall ?? false;
  const instances = Math.max(1, options.instancesPerWorker ?? 1);
  const inlineMode = options.inline === true;
  const lane = new InlineLane({
    capabilities: options.capabilities,
    secrets,
    log,
    limits,
    fresh,
    instances,
    speculative: !inlineMode,
    ...(inlineMode && options.inlineHost !== undefined ? { host: options.inlineHost } : {}),
  });
  const pool = inlineMode
    ? undefined
    : new WorkerPool({
        size: Math.max(1, options.workers ?? availableParallelism()),
        settings: { capabilities: options.capabilities, secrets, limits, fresh, instances },
        services: options.services,
        log,
      });
  const placementOptions = {
    budgetMs: options.inlineBudgetMs ?? DEFAULT_INLINE_BUDGET_MS,
    slowMs: options.slowCallMs ?? DEFAULT_SLOW_CALL_MS,
    timeoutMs: limits.timeoutMs,
  };
  const turns = new InlineTurns(options.inlineSliceMs ?? DEFAULT_INLINE_SLICE_MS, { lagLimitMs: options.inlineLagLimitMs ?? DEFAULT_LAG_LIMIT_MS });
  const registered = new Map<string, Registered>();
  const functions = new Map<string, FunctionInfo>();
  let versions = 0;
  let closed = false;
  let relocations = 0;

  const moved = (name: string, reason: string | undefined): void => {
    if (reason !== undefined) options.logger.info({ fn: name }, `${name} runs on the worker threads from now on: ${reason}`);
  };

  const onCall = options.onCall;
  const deliver = (name: string, entry: Registered, outcome: RunOutcome, done: OutcomeHandler, ms: number): void => {
    entry.calls += 1;
    if (outcome.kind === 'failure') entry.failures += 1;
    onCall?.(name, outcome.kind, ms);
    done(outcome);
  };

  const execute = (name: string, request: FunctionRequest, done: OutcomeHandler): Ticket | undefined => {
    const entry = registered.get(name);
    if (closed || entry === undefined) {
      done(
        closed
          ? { kind: 'failure', failure: { code: 'E2RX_POOL_CLOSED', message: 'the runtime is closed' } }
          : { kind: 'failure', failure: { code: 'E2RX_FUNCTION_NOT_FOUND', message: `no function named ${name} is registered` } },
      );
      return undefined;
    }
    if (request.body.length > limits.maxInputBytes) {
      const size = request.body.length;
      deliver(name, entry, { kind: 'failure', failure: { code: 'E2RX_INPUT_TOO_LARGE', message: `the input of ${size} bytes is above the limit of ${limits.maxInputBytes}`, details: { size } } }, done, 0);
      return undefined;
    }
    if (entry.placement.lane === 'calling-thread' || pool === undefined) {
      if (inlineMode || turns.mayRunNow()) return runHere(name, entry, request, done, undefined);
      const queued = performance.now();
      let worker: Ticket | undefined;
      const waiting = turns.defer(() => {
        if (closed) deliver(name, entry, { kind: 'failure', failure: { code: 'E2RX_POOL_CLOSED', message: 'the runtime is closed' } }, done, 0);
        // It may have moved to the workers while it waited.
        else if (entry.placement.lane === 'workers' && pool !== undefined) worker = pool.submit(name, request, (outcome) => deliver(name, entry, outcome, done, performance.now() - queued));
        else worker = runHere(name, entry, request, done, queued);
      });
      return { cancel: () => (worker ?? waiting).cancel() };
    }
    const started = performance.now();
    return pool.submit(name, request, (outcome) => deliver(name, entry, outcome, done, performance.now() - started));
  };

  /**
   * Runs a call on the calling thread; one that must move (blocking, past the budget) goes on to a worker. `queuedAt`:
   * when the call was queued, `undefined` when it was not (one clock read serves both).
   */
  const runHere = (name: string, entry: Registered, request: FunctionRequest, done: OutcomeHandler, queuedAt: number | undefined): Ticket | undefined => {
    const placement = entry.placement;
    const started = performance.now();
    const since = queuedAt ?? started;
    const ran = lane.run(name, request, inlineMode ? { at: started + limits.timeoutMs, reason: 'timeout' } : placement.deadline(started));
    if (ran.kind !== 'relocate') {
      const ended = performance.now();
      if (!inlineMode) moved(name, placement.ran(ended - started));
      deliver(name, entry, ran, done, ended - since);
      return undefined;
    }
    relocations += 1;
    moved(name, placement.relocated(ran));
    return (pool as WorkerPool).submit(name, request, (outcome) => deliver(name, entry, outcome, done, performance.now() - since));
  };

  return {
    functions,
    get closed() {
      return closed;
    },
    async register(name, wasm, registerOptions) {
      if (closed) throw new E2rxError('E2RX_POOL_CLOSED', 'the runtime is closed', { details: { fn: name } });
      const prepared = await prepareModule(name, wasm, pagesOf(limits.maxMemoryMb), registerOptions?.sourceMap);
      for (const warning of prepared.info.warnings) options.logger.warn({ fn: name }, warning);
      versions += 1;
      const definition = {
        name,
        version: versions,
        module: prepared.module,
        plan: prepared.plan,
        ...(prepared.debug === undefined ? {} : { debug: prepared.debug }),
      };
      const start = initialLane(prepared.info, options);
      const placement = new FunctionPlacement(start.lane, start.reason, placementOptions);
      lane.register(definition);
      pool?.register(definition);
      const previous = registered.get(name);
      registered.set(name, { info: prepared.info, placement, calls: previous?.calls ?? 0, failures: previous?.failures ?? 0 });
      functions.set(name, prepared.info);
      // A module that could not be instrumented loses the fast lane: say so (the others are the expected placements).
      const level = prepared.info.metered || options.inline === true || options.placement === 'workers' ? 'debug' : 'warn';
      options.logger[level]({ function: name, lane: start.lane }, `${name} runs on ${start.lane === 'workers' ? 'the worker threads' : 'the calling thread'}: ${start.reason}`);
      if (start.lane === 'workers') pool?.start();
      else lane.prewarm(name, { at: performance.now() + limits.timeoutMs, reason: 'timeout' });
      return prepared.info;
    },
    execute,
    laneOf: (name) => registered.get(name)?.placement.lane,
    invoke(name, request, invokeOptions) {
      const signal = invokeOptions?.signal;
      if (signal?.aborted === true) return Promise.reject(abortReason(signal));
      if (!registered.has(name) && !closed) {
        return Promise.reject(new E2rxError('E2RX_FUNCTION_NOT_FOUND', `no function named ${name} is registered`, { details: { fn: name } }));
      }
      return new Promise<FunctionOutcome>((resolve, reject) => {
        let settled = false;
        const onAbort = (): void => {
          if (settled) return;
          settled = true;
          ticket?.cancel();
          reject(abortReason(signal as AbortSignal));
        };
        const ticket = execute(name, request, (outcome) => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          try {
            resolve(settle(name, outcome));
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        if (!settled) signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    ready() {
      return pool?.ready() ?? Promise.resolve();
    },
    stats() {
      const load = pool?.stats();
      const perFunction: Record<string, FunctionStats> = {};
      for (const [name, entry] of registered) {
        const live = load?.functions[name] ?? { instances: 0, running: 0, queued: 0 };
        perFunction[name] = {
          instances: live.instances + lane.instances(name),
          running: live.running,
          queued: live.queued,
          calls: entry.calls,
          failures: entry.failures,
          lane: entry.placement.lane,
          placement: entry.placement.reason,
        };
      }
      return {
        mode: inlineMode ? 'inline' : 'workers',
        workers: load?.workers ?? 0,
        busyWorkers: load?.busyWorkers ?? 0,
        queued: (load?.queued ?? 0) + turns.waiting,
        running: (load?.running ?? 0) + lane.running,
        timeouts: load?.timeouts ?? 0,
        workerRestarts: load?.workerRestarts ?? 0,
        relocations,
        functions: perFunction,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool?.close();
    },
  };
}

/** The error a failed outcome stands for (re-exported for callers of {@link Runtime.execute}). */
export { failureError };
