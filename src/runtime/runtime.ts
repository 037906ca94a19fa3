/**
 * The Wasm runtime: registers Atmo Runnables (`.wasm` built with Suborbital's SDKs) and runs them on worker threads
 * (or inline), with the full host ABI of docs/reference/host-abi.md and WASI preview 1.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import type { CapabilityConfig } from '../directive/capability-config.js';
import { abortReason, E2rxError } from '../errors.js';
import { currentReading, readClock } from './clock.js';
import { InlineLane } from './inline.js';
import { DEFAULT_INLINE_SLICE_MS, DEFAULT_LAG_LIMIT_MS, InlineTurns } from './inline-turns.js';
import { pagesOf, type ResolvedLimits, resolveLimits } from './limits.js';
import { pinoSink } from './log-sink.js';
import { type FunctionInfo, prepareModule } from './module-info.js';
import { failureError, type FunctionOutcome, type RunOutcome, settle } from './outcome.js';
import { DEFAULT_INLINE_BUDGET_MS, DEFAULT_SLOW_CALL_MS, FunctionPlacement, type Lane } from './placement.js';
import { type Ticket, WorkerPool } from './pool.js';
import type { FunctionRequest } from './request.js';
import type { FunctionStats, OutcomeHandler, Runtime, RuntimeOptions } from './runtime-api.js';

export type { FunctionInfo } from './module-info.js';
export type { FunctionOutcome } from './outcome.js';
export type { Lane, PlacementMode } from './placement.js';
export type { Ticket } from './pool.js';
export { DEFAULT_LIMITS, type RuntimeLimits } from './limits.js';
export type { FunctionStats, InvokeOptions, OutcomeHandler, RegisterOptions, Runtime, RuntimeOptions, RuntimeStats } from './runtime-api.js';

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
    const started = currentReading();
    const since = queuedAt ?? started;
    const ran = lane.run(name, request, inlineMode ? { at: started + limits.timeoutMs, reason: 'timeout' } : placement.deadline(started));
    if (ran.kind !== 'relocate') {
      const ended = readClock();
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
