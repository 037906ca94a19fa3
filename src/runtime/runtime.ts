/**
 * The Wasm runtime: registers Atmo Runnables (`.wasm` built with Suborbital's SDKs) and runs them on worker threads
 * (or inline), with the full host ABI of spec §3 and WASI preview 1.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import type { CapabilityConfig } from '../capabilities/config.js';
import type { HostServices } from '../capabilities/host-services.js';
import { E2rxError } from '../errors.js';
import { InlineRunner } from './inline.js';
import { pagesOf, type ResolvedLimits, resolveLimits, type RuntimeLimits } from './limits.js';
import { pinoSink } from './log-sink.js';
import { type FunctionInfo, prepareModule } from './module-info.js';
import { failureError, type InvocationResult, settle } from './outcome.js';
import { WorkerPool } from './pool.js';
import type { FunctionRequest } from './request.js';
import type { FunctionLoad, Runner } from './runner.js';

export type { FunctionInfo } from './module-info.js';
export type { InvocationResult } from './outcome.js';
export { DEFAULT_LIMITS, type RuntimeLimits } from './limits.js';

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  /** Gates `logger`, `requestHandler` and `secrets` inside the runtime; the other capabilities are gated by `services`. */
  readonly capabilities: CapabilityConfig;
  /** The asynchronous host calls (cache, fetch, GraphQL, db, static files), run on the main thread. */
  readonly services: HostServices;
  /** Guest `log_msg` lines and WASI stdout/stderr go here, with fields `{fn, request_id, ident}`. */
  readonly logger: Logger;
  /** Worker threads (default: `os.availableParallelism()`). */
  readonly workers?: number;
  /** Instances of each function kept per worker (default 1). A worker runs one call at a time; more are spares. */
  readonly instancesPerWorker?: number;
  /** Discard the instance after each call (E2Core 2023 semantics); default false (Atmo: instances are reused). */
  readonly freshInstancePerCall?: boolean;
  /** Per-call limits; see {@link DEFAULT_LIMITS}. */
  readonly limits?: RuntimeLimits;
  /**
   * Run on the calling thread, without workers: for marble tests and modules without asynchronous imports.
   * Asynchronous capabilities fail with `capability is not available in inline mode` and timeouts are not enforced.
   */
  readonly inline?: boolean;
  /** Where `get_secret_value` reads the allowed keys (default `process.env`), read once at creation. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Options of one invocation. */
export interface InvokeOptions {
  /**
   * Aborting a queued call removes it. Aborting a running call detaches it: the worker is not stopped, the call runs
   * to its end (or to `limits.timeoutMs`, which still stops its worker) and its result is discarded. Either way the
   * promise rejects with the reason at once.
   */
  readonly signal?: AbortSignal;
}

/** Live counters of one function. */
export interface FunctionStats extends FunctionLoad {
  /** Invocations settled (result, Runnable error, none or failure). */
  readonly calls: number;
  /** Invocations that rejected with an {@link E2rxError}. */
  readonly failures: number;
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
  readonly functions: Readonly<Record<string, FunctionStats>>;
}

/** A running Wasm runtime. */
export interface Runtime {
  /**
   * Compiles a function once, checks its Runnable exports and plans its imports (unknown ones are stubbed and logged).
   * Registering a name again replaces the function. Rejects with `E2RX_MODULE_INVALID`, `E2RX_MODULE_NOT_RUNNABLE`
   * or `E2RX_WASM_MEMORY`.
   */
  register(name: string, wasm: Uint8Array): Promise<FunctionInfo>;
  /**
   * Runs a function with `request.body` as its input (spec §2.1). Resolves with its output, its Runnable error or
   * `none`; rejects with an {@link E2rxError} (`E2RX_WASM_TRAP`, `E2RX_WASM_TIMEOUT`, `E2RX_WASM_MEMORY`,
   * `E2RX_WASM_EXIT`, `E2RX_INPUT_TOO_LARGE`, `E2RX_OUTPUT_TOO_LARGE`, `E2RX_POOL_CLOSED`,
   * `E2RX_FUNCTION_NOT_FOUND`) whose `details.fn` is the function's name.
   */
  invoke(name: string, request: FunctionRequest, options?: InvokeOptions): Promise<InvocationResult>;
  /** The registered functions. */
  readonly functions: ReadonlyMap<string, FunctionInfo>;
  /** Resolves once every worker thread has started (at once in inline mode); calls made earlier just wait. */
  ready(): Promise<void>;
  /** Pool sizes, busy workers, queued calls, per-function counters. */
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

function createRunner(options: RuntimeOptions, limits: ResolvedLimits): Runner {
  const secrets = resolveSecrets(options.capabilities, options.env ?? process.env);
  const log = pinoSink(options.logger);
  const fresh = options.freshInstancePerCall ?? false;
  const instances = Math.max(1, options.instancesPerWorker ?? 1);
  if (options.inline === true) return new InlineRunner({ capabilities: options.capabilities, secrets, log, limits, fresh, instances });
  return new WorkerPool({
    size: Math.max(1, options.workers ?? availableParallelism()),
    settings: { capabilities: options.capabilities, secrets, limits, fresh, instances },
    services: options.services,
    log,
  });
}

/**
 * Creates a runtime. Worker threads start at once; calls made before they are ready wait in the queue.
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
  const limits = resolveLimits(options.limits);
  const runner = createRunner(options, limits);
  const functions = new Map<string, FunctionInfo>();
  const counters = new Map<string, { calls: number; failures: number }>();
  let versions = 0;
  let closed = false;

  const count = (name: string, failed: boolean): void => {
    const entry = counters.get(name) ?? { calls: 0, failures: 0 };
    entry.calls += 1;
    if (failed) entry.failures += 1;
    counters.set(name, entry);
  };

  return {
    functions,
    get closed() {
      return closed;
    },
    async register(name, wasm) {
      if (closed) throw new E2rxError('E2RX_POOL_CLOSED', 'the runtime is closed', { details: { fn: name } });
      const prepared = await prepareModule(name, wasm, pagesOf(limits.maxMemoryMb));
      for (const warning of prepared.info.warnings) options.logger.warn({ fn: name }, warning);
      versions += 1;
      runner.register({ name, version: versions, module: prepared.module, plan: prepared.plan });
      functions.set(name, prepared.info);
      return prepared.info;
    },
    async invoke(name, request, invokeOptions) {
      if (closed) throw failureError(name, { code: 'E2RX_POOL_CLOSED', message: 'the runtime is closed' });
      if (!functions.has(name)) throw new E2rxError('E2RX_FUNCTION_NOT_FOUND', `no function named ${name} is registered`, { details: { fn: name } });
      if (request.body.length > limits.maxInputBytes) {
        count(name, true);
        throw failureError(name, {
          code: 'E2RX_INPUT_TOO_LARGE',
          message: `the input of ${request.body.length} bytes is above the limit of ${limits.maxInputBytes}`,
          details: { size: request.body.length },
        });
      }
      const outcome = await runner.run(name, request, invokeOptions?.signal);
      count(name, outcome.kind === 'failure');
      return settle(name, outcome);
    },
    ready() {
      return runner.ready();
    },
    stats() {
      const load = runner.stats();
      const perFunction: Record<string, FunctionStats> = {};
      for (const name of functions.keys()) {
        const live = load.functions[name] ?? { instances: 0, running: 0, queued: 0 };
        perFunction[name] = { ...live, ...(counters.get(name) ?? { calls: 0, failures: 0 }) };
      }
      return { mode: options.inline === true ? 'inline' : 'workers', ...load, functions: perFunction };
    },
    async close() {
      if (closed) return;
      closed = true;
      await runner.close();
    },
  };
}
