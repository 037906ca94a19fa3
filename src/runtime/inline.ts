/**
 * Inline mode: instances run on the calling thread, no workers. Calls are synchronous underneath (the returned
 * promise is already settled when `run` returns), which suits marble tests and modules without asynchronous imports.
 *
 * Limits of the mode: the asynchronous capabilities (cache, fetch_url, graphql_query, db_exec, get_static_file) are
 * not available — FFI calls store the error `capability is not available in inline mode` and `cache_set` returns
 * -2 —, and `limits.timeoutMs` cannot be enforced (a guest in an infinite loop blocks the thread).
 *
 * @module
 */
import type { CapabilityConfig } from '../capabilities/config.js';
import { abortReason } from '../errors.js';
import { Executor } from './executor.js';
import { INLINE_ASYNC_HOST, type LogSink } from './host-env.js';
import type { FunctionDefinition } from './instance.js';
import { IdentRegistry } from './invocation.js';
import type { ResolvedLimits } from './limits.js';
import type { RunOutcome } from './outcome.js';
import type { FunctionRequest } from './request.js';
import type { Runner, RunnerStats } from './runner.js';

/** What the inline runner needs. */
export interface InlineRunnerOptions {
  readonly capabilities: CapabilityConfig;
  readonly secrets: Readonly<Record<string, string>>;
  readonly log: LogSink;
  readonly limits: ResolvedLimits;
  readonly fresh: boolean;
  readonly instances: number;
}

/**
 * Runs functions on the calling thread.
 *
 * @example
 * ```ts
 * const runner = new InlineRunner({ capabilities, secrets: {}, log, limits: resolveLimits(), fresh: false, instances: 1 });
 * ```
 */
export class InlineRunner implements Runner {
  readonly #executor: Executor;
  readonly #names = new Set<string>();
  #running = 0;

  constructor(options: InlineRunnerOptions) {
    this.#executor = new Executor(
      {
        capabilities: options.capabilities,
        secrets: options.secrets,
        async: INLINE_ASYNC_HOST,
        log: options.log,
        idents: new IdentRegistry(),
        limits: options.limits,
      },
      { fresh: options.fresh, instances: options.instances },
    );
  }

  /** {@inheritDoc Runner.register} */
  register(definition: FunctionDefinition): void {
    this.#names.add(definition.name);
    this.#executor.register(definition);
  }

  /** {@inheritDoc Runner.run} */
  run(name: string, request: FunctionRequest, signal?: AbortSignal): Promise<RunOutcome> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    this.#running += 1;
    try {
      return Promise.resolve(this.#executor.run(name, request));
    } finally {
      this.#running -= 1;
    }
  }

  /** {@inheritDoc Runner.stats} */
  stats(): RunnerStats {
    const functions: Record<string, { instances: number; running: number; queued: number }> = {};
    for (const name of this.#names) functions[name] = { instances: this.#executor.instances(name), running: 0, queued: 0 };
    return { workers: 0, busyWorkers: 0, queued: 0, running: this.#running, timeouts: 0, workerRestarts: 0, functions };
  }

  /** {@inheritDoc Runner.ready} */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** {@inheritDoc Runner.close} */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
