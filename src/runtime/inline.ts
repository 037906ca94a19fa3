/**
 * The calling-thread lane: instances that run on the thread that calls (the main thread), without a worker hand-off.
 *
 * Two uses:
 * - **speculative** (the runtime's automatic placement, docs/decisions/0007-function-placement.md): a call runs here
 *   under an inline budget; when it passes the budget, or makes a call that would block the thread (an asynchronous
 *   host call, a sleep), it is abandoned — its instance discarded, its log lines dropped — and the runtime runs it
 *   again on a worker. Nothing a guest can do before that is visible outside its call (its host calls up to then are
 *   synchronous and local to the invocation), so the call takes effect once.
 * - **inline mode** (`createRuntime({ inline: true })`: marble tests, hosts that accept the trade-off): every call
 *   runs here to its end. The asynchronous capabilities (cache, fetch_url, graphql_query, db_exec, get_static_file)
 *   are not available — FFI calls store `capability is not available in inline mode` and `cache_set` returns -2 —,
 *   and the time limit applies only to instrumented modules (a guest that is not cannot be stopped).
 *
 * @module
 */
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { Deadline } from './deadline.js';
import { Executor } from './executor.js';
import { type AsyncHost, INLINE_ASYNC_HOST, type LogFields, type LogLevel, type LogSink, RELOCATING_ASYNC_HOST } from './host-env.js';
import type { FunctionDefinition, Relocation } from './instance.js';
import { IdentRegistry } from './invocation.js';
import type { ResolvedLimits } from './limits.js';
import type { RunOutcome } from './outcome.js';
import type { FunctionRequest } from './request.js';

/** What the lane needs. */
export interface InlineLaneOptions {
  readonly capabilities: CapabilityConfig;
  readonly secrets: Readonly<Record<string, string>>;
  readonly log: LogSink;
  readonly limits: ResolvedLimits;
  readonly fresh: boolean;
  readonly instances: number;
  /** Speculative calls (relocated on a budget or a blocking call), or inline mode (see the module comment). */
  readonly speculative: boolean;
  /** Inline mode: what answers the asynchronous capabilities (default: they fail, see the module comment). */
  readonly host?: AsyncHost;
}

/**
 * Runs calls on the calling thread.
 *
 * @example
 * ```ts
 * const lane = new InlineLane({ capabilities, secrets: {}, log, limits: resolveLimits(), fresh: false, instances: 1, speculative: true });
 * lane.register(definition);
 * const outcome = lane.run('hello', request, { at: performance.now() + 10, reason: 'budget' });
 * ```
 */
export class InlineLane {
  readonly #executor: Executor;
  readonly #sink: LogSink;
  /** Log lines of the call in progress, held back until it is known not to be abandoned (speculative only). */
  readonly #held: Array<[LogLevel, string, LogFields]> = [];
  #running = 0;

  constructor(options: InlineLaneOptions) {
    this.#sink = options.log;
    this.#executor = new Executor(
      {
        capabilities: options.capabilities,
        secrets: options.secrets,
        async: options.speculative ? RELOCATING_ASYNC_HOST : (options.host ?? INLINE_ASYNC_HOST),
        sleeps: options.speculative ? 'relocate' : 'wait',
        log: options.speculative ? (level, message, fields) => this.#held.push([level, message, fields]) : options.log,
        idents: new IdentRegistry(),
        limits: options.limits,
      },
      { fresh: options.fresh, instances: options.instances },
    );
  }

  /** Adds or replaces a function. */
  register(definition: FunctionDefinition): void {
    this.#executor.register(definition);
  }

  /** Runs one call to its end, or to its {@link Relocation}. */
  run(name: string, request: FunctionRequest, deadline: Deadline | undefined): RunOutcome | Relocation {
    this.#running += 1;
    try {
      return this.#settleLogs(this.#executor.run(name, request, deadline));
    } finally {
      this.#running -= 1;
    }
  }

  /**
   * Creates an idle instance ahead of the first call (its failures are left for that call to report). The log lines of
   * an instance that did not start (abandoned for a worker, or failed) are dropped: the instance that does start, here
   * or on a worker, logs its own.
   */
  prewarm(name: string, deadline: Deadline | undefined): void {
    const before = this.#executor.instances(name);
    this.#executor.prewarm(name, deadline);
    const held = this.#held.splice(0);
    if (this.#executor.instances(name) <= before) return;
    for (const [level, message, fields] of held) this.#sink(level, message, fields);
  }

  #settleLogs(outcome: RunOutcome | Relocation): RunOutcome | Relocation {
    const held = this.#held;
    if (held.length === 0) return outcome;
    if (outcome.kind !== 'relocate') for (const [level, message, fields] of held) this.#sink(level, message, fields);
    held.length = 0;
    return outcome;
  }

  /** Instances of a function alive on this thread. */
  instances(name: string): number {
    return this.#executor.instances(name);
  }

  /** Calls running (0 or 1: a call runs to its end before the thread does anything else). */
  get running(): number {
    return this.#running;
  }
}
