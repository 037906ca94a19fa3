/**
 * Runs functions on the current thread (a worker, or the main thread in inline mode): keeps the idle instances of
 * each function, creates them on demand, discards them after a failure (and after every call in fresh-instance mode).
 *
 * A thread runs one guest call at a time (WebAssembly is synchronous), so an instance is never shared by two calls.
 *
 * @module
 */
import type { Deadline } from './deadline.js';
import type { HostEnvironment } from './host-env.js';
import { type FunctionDefinition, type Relocation, RunnableInstance } from './instance.js';
import type { RunOutcome } from './outcome.js';
import type { FunctionRequest } from './request.js';

/** How instances are kept. */
export interface ExecutorOptions {
  /** Discard each instance after one call (E2Core 2023 semantics). */
  readonly fresh: boolean;
  /** Idle instances kept per function (spares in fresh mode are capped at 1). */
  readonly instances: number;
}

interface Entry {
  definition: FunctionDefinition;
  readonly idle: RunnableInstance[];
  running: number;
}

/**
 * The per-thread instance pools.
 *
 * @example
 * ```ts
 * const executor = new Executor(env, { fresh: false, instances: 1 });
 * executor.register({ name: 'hello', version: 1, module, plan });
 * const outcome = executor.run('hello', request);
 * ```
 */
export class Executor {
  readonly #functions = new Map<string, Entry>();

  constructor(
    readonly env: HostEnvironment,
    readonly options: ExecutorOptions,
  ) {}

  /** Adds or replaces a function; idle instances of a replaced version are dropped. */
  register(definition: FunctionDefinition): void {
    const existing = this.#functions.get(definition.name);
    if (existing === undefined) this.#functions.set(definition.name, { definition, idle: [], running: 0 });
    else {
      existing.definition = definition;
      existing.idle.length = 0;
    }
  }

  /**
   * Runs one call synchronously under `deadline` (instantiation included when no idle instance is left). A call
   * abandoned for a worker (inline budget, blocking call) gives its {@link Relocation}.
   */
  run(name: string, request: FunctionRequest, deadline?: Deadline): RunOutcome | Relocation {
    const entry = this.#functions.get(name);
    if (entry === undefined) return { kind: 'failure', failure: { code: 'E2RX_FUNCTION_NOT_FOUND', message: 'no function with that name is registered' } };
    let instance = entry.idle.pop();
    if (instance === undefined) {
      const created = RunnableInstance.create(entry.definition, this.env, deadline);
      if ('failure' in created) return { kind: 'failure', failure: created.failure };
      if ('kind' in created) return created;
      instance = created.instance;
    }
    entry.running += 1;
    try {
      const { outcome, reusable } = instance.run(request, deadline);
      const keep = reusable && !this.options.fresh && instance.version === entry.definition.version;
      if (keep && entry.idle.length < this.options.instances) entry.idle.push(instance);
      return outcome;
    } finally {
      entry.running -= 1;
    }
  }

  /**
   * Creates idle instances of a function up to the target (1 in fresh mode, `instances` otherwise), so the next call
   * does not pay for instantiation. Failures are ignored here: the next call reports them.
   */
  prewarm(name: string, deadline?: Deadline): void {
    const entry = this.#functions.get(name);
    if (entry === undefined) return;
    const target = this.options.fresh ? 1 : this.options.instances;
    while (entry.idle.length < target) {
      const created = RunnableInstance.create(entry.definition, this.env, deadline);
      if (!('instance' in created)) return;
      entry.idle.push(created.instance);
    }
  }

  /** Instances of a function alive on this thread (idle and running). */
  instances(name: string): number {
    const entry = this.#functions.get(name);
    return entry === undefined ? 0 : entry.idle.length + entry.running;
  }
}
