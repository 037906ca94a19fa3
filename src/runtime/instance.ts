/**
 * One instance of a function and its lifecycle (docs/reference/host-abi.md §3): instantiate, call `_initialize` / `_start` / `init`
 * once, then per call: fresh ident, `allocate`, copy the input, `run_e`, `deallocate`, collect the outcome.
 *
 * @module
 */
import { createHostFunctions, buildImports, type ImportPlan } from './abi/imports.js';
import { InstanceContext } from './abi/context.js';
import { BlockingCall, type Deadline, DeadlineExceeded, Meter } from './deadline.js';
import type { HostEnvironment } from './host-env.js';
import { hostBudgetBytes, HostMemoryExceeded } from './host-memory.js';
import { Invocation } from './invocation.js';
import { GuestFault } from './memory.js';
import { pagesOf } from './limits.js';
import type { Failure, RunOutcome } from './outcome.js';
import type { FunctionRequest } from './request.js';
import { describeFrame, type GuestDebugInfo, guestFrame } from './guest-frame.js';
import { LineBuffer } from './stdio.js';
import { FUEL_EXPORT } from './instrument.js';
import { createWasiImports, sleep, WasiExit } from './wasi.js';
import { WASM_PAGE_BYTES } from './wasm-binary.js';

/** A registered function as a thread knows it. Plain data plus the compiled module: it can be posted to workers. */
export interface FunctionDefinition {
  readonly name: string;
  /** Bumped when a name is registered again; instances of older versions are dropped. */
  readonly version: number;
  readonly module: WebAssembly.Module;
  readonly plan: ImportPlan;
  /** The source map and offsets that name the user's frame of a trap; absent when the module came without a map. */
  readonly debug?: GuestDebugInfo;
}

type Exported = (...args: number[]) => unknown;

/** The lifecycle exports, called in this order once per instance. */
const LIFECYCLE = ['_initialize', '_start', 'init'] as const;

/**
 * A call (or an instantiation) abandoned before its end so that it runs again on a worker: it passed its inline
 * budget, or it made a call that would block the calling thread. Nothing it did is kept.
 */
export interface Relocation {
  readonly kind: 'relocate';
  /** `budget` (it ran too long for the calling thread) or `blocking` (it called `call`). */
  readonly reason: 'budget' | 'blocking';
  /** For `blocking`: what it called (`env.cache_get`, `wasi poll_oneoff`). */
  readonly call?: string;
}

/** The relocation an error stands for, if it does. */
function relocationOf(error: unknown): Relocation | undefined {
  if (error instanceof DeadlineExceeded && error.reason === 'budget') return { kind: 'relocate', reason: 'budget' };
  if (error instanceof BlockingCall) return { kind: 'relocate', reason: 'blocking', call: error.call };
  return undefined;
}

/**
 * Classifies what the guest threw. A trap while memory is within 1/16 of its limit is reported as `E2RX_WASM_MEMORY`
 * (the guest most likely failed to allocate); a stack overflow is a trap; a host function refusing to hold more for
 * the call is `E2RX_HOST_MEMORY`.
 */
export function classify(error: unknown, memoryBytes: number, limitBytes: number, debug?: GuestDebugInfo): Failure {
  const failure = classifyError(error, memoryBytes, limitBytes);
  if (failure.code !== 'E2RX_WASM_TRAP' && failure.code !== 'E2RX_WASM_MEMORY') return failure;
  const found = error instanceof Error ? guestFrame(error.stack, debug) : undefined;
  if (found === undefined) return failure;
  return { ...failure, message: `${failure.message} (in ${describeFrame(found)})`, details: { ...failure.details, frame: found.frame } };
}

function classifyError(error: unknown, memoryBytes: number, limitBytes: number): Failure {
  if (error instanceof WasiExit) return { code: 'E2RX_WASM_EXIT', message: error.message, details: { exitCode: error.code } };
  if (error instanceof HostMemoryExceeded) {
    return { code: 'E2RX_HOST_MEMORY', message: error.message, details: { heldBytes: error.held, limitBytes: error.budget } };
  }
  if (error instanceof DeadlineExceeded) return { code: 'E2RX_WASM_TIMEOUT', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError && /call stack/i.test(message)) return { code: 'E2RX_WASM_TRAP', message: 'wasm trap: stack overflow' };
  if (error instanceof RangeError && /out of memory|cannot allocate/i.test(message)) {
    return { code: 'E2RX_WASM_MEMORY', message: `wasm memory: ${message}` };
  }
  if (memoryBytes >= limitBytes - limitBytes / 16) {
    return { code: 'E2RX_WASM_MEMORY', message: `wasm trap at the memory limit (${memoryBytes} of ${limitBytes} bytes): ${message}` };
  }
  if (error instanceof GuestFault) return { code: 'E2RX_WASM_TRAP', message: `wasm trap in a host function: ${message}` };
  if (error instanceof WebAssembly.LinkError) return { code: 'E2RX_MODULE_NOT_RUNNABLE', message: `link error: ${message}` };
  return { code: 'E2RX_WASM_TRAP', message: `wasm trap: ${message}` };
}

/**
 * A live instance of a function, never used by two calls at once.
 *
 * @example
 * ```ts
 * const created = RunnableInstance.create(definition, env);
 * if ('failure' in created) throw created.failure;
 * const { outcome, reusable } = created.instance.run(request);
 * ```
 */
export class RunnableInstance {
  /** Calls run so far. */
  calls = 0;
  readonly #context: InstanceContext;
  readonly #exports: { allocate: Exported; run_e: Exported; deallocate: Exported | undefined };
  readonly #streams: readonly LineBuffer[];
  readonly #limitBytes: number;
  readonly #hostBudget: number;
  readonly #meter: Meter;

  private constructor(
    context: InstanceContext,
    instance: WebAssembly.Instance,
    streams: readonly LineBuffer[],
    meter: Meter,
    /** The function's version this instance belongs to. */
    readonly version: number,
  ) {
    this.#context = context;
    this.#streams = streams;
    this.#meter = meter;
    const exports = instance.exports as Record<string, unknown>;
    this.#exports = {
      allocate: exports['allocate'] as Exported,
      run_e: exports['run_e'] as Exported,
      deallocate: typeof exports['deallocate'] === 'function' ? (exports['deallocate'] as Exported) : undefined,
    };
    this.#limitBytes = pagesOf(context.env.limits.maxMemoryMb) * WASM_PAGE_BYTES;
    this.#hostBudget = hostBudgetBytes(context.env.limits.maxMemoryMb);
  }

  /**
   * Instantiates a function and runs its lifecycle exports under `deadline`; a failure there is returned, not thrown,
   * and so is a {@link Relocation} (the lifecycle passed an inline budget or made a blocking call).
   */
  static create(definition: FunctionDefinition, env: HostEnvironment, deadline?: Deadline): { instance: RunnableInstance } | { failure: Failure } | Relocation {
    const context = new InstanceContext(definition.name, env, definition.debug);
    const enabled = env.capabilities.logger.enabled;
    const stream = (name: 'stdout' | 'stderr') =>
      new LineBuffer((line) => context.log(name === 'stdout' ? 'info' : 'warn', line, context.current, { stream: name }));
    const streams = [stream('stdout'), stream('stderr')] as const;
    const meter = new Meter();
    const wasi = createWasiImports({
      memory: context.memory,
      write: (fd, bytes) => {
        if (!enabled) return;
        // Log lines wait on the host like log_msg's: counted against the call's host budget.
        context.current?.hold(bytes.length);
        streams[fd - 1]?.write(bytes);
      },
      sleep: (ns) => sleepUntil(meter, env.sleeps, ns),
    });
    const maxPages = pagesOf(env.limits.maxMemoryMb);
    try {
      const built = buildImports(definition.plan, createHostFunctions(context), wasi, maxPages, meter.check);
      meter.arm(deadline);
      const instance = new WebAssembly.Instance(definition.module, built.imports);
      // Only an instrumented module's fuel: a module left as it was may export a global of that name itself.
      const fuel = definition.plan.some((binding) => binding.kind === 'meter') ? instance.exports[FUEL_EXPORT] : undefined;
      meter.bind(fuel instanceof WebAssembly.Global ? fuel : undefined);
      meter.arm(deadline);
      const exported = instance.exports['memory'];
      const memory = exported instanceof WebAssembly.Memory ? exported : built.memory;
      if (memory === undefined) return { failure: { code: 'E2RX_MODULE_NOT_RUNNABLE', message: 'the module has no memory' } };
      context.memory.bind(memory);
      for (const name of LIFECYCLE) {
        const entry = instance.exports[name];
        if (typeof entry !== 'function') continue;
        try {
          (entry as Exported)();
        } catch (error) {
          if (!(error instanceof WasiExit && error.code === 0)) throw error;
        }
      }
      return { instance: new RunnableInstance(context, instance, streams, meter, definition.version) };
    } catch (error) {
      const relocation = relocationOf(error);
      if (relocation !== undefined) return relocation;
      const failure = classify(error, context.memory.memory === undefined ? 0 : context.memory.byteLength, maxPages * WASM_PAGE_BYTES, definition.debug);
      return { failure: { ...failure, message: `instantiation failed: ${failure.message}`, details: { ...failure.details, phase: 'start' } } };
    } finally {
      for (const s of streams) s.flush();
    }
  }

  /** Whether a deadline stops this instance's guest code (its module is instrumented). */
  get metered(): boolean {
    return this.#meter.metered;
  }

  /**
   * Runs one call under `deadline`. `reusable` is false when the instance must be discarded (it trapped, exited, hit
   * a limit, was stopped at its deadline). Outcome precedence (docs/reference/host-abi.md §3): a Runnable error, else a result, else the
   * failure, else `none`. A call abandoned for a worker gives a {@link Relocation} (and the instance is discarded).
   */
  run(request: FunctionRequest, deadline?: Deadline): { outcome: RunOutcome | Relocation; reusable: boolean } {
    const context = this.#context;
    const env = context.env;
    const invocation = new Invocation(env.idents.next(), context.fn, request, this.#hostBudget);
    env.idents.add(invocation);
    context.current = invocation;
    this.calls += 1;
    let failure: Failure | undefined;
    this.#meter.arm(deadline);
    try {
      const input = invocation.request.body;
      const ptr = (this.#exports.allocate(input.length) as number) >>> 0;
      context.memory.write(ptr, input);
      this.#exports.run_e(ptr, input.length, invocation.ident);
      this.#exports.deallocate?.(ptr, input.length);
    } catch (error) {
      const relocation = relocationOf(error);
      if (relocation !== undefined) {
        for (const s of this.#streams) s.discard();
        return { outcome: relocation, reusable: false };
      }
      failure = classify(error, context.memory.byteLength, this.#limitBytes, context.debug);
    } finally {
      for (const s of this.#streams) s.flush();
      env.idents.delete(invocation.ident);
      context.current = undefined;
    }
    if (failure === undefined && context.memory.byteLength > this.#limitBytes) {
      failure = { code: 'E2RX_WASM_MEMORY', message: `memory grew to ${context.memory.byteLength} bytes, above the limit of ${this.#limitBytes}` };
    }
    return { outcome: decide(invocation, failure, env.limits.maxOutputBytes), reusable: failure === undefined && invocation.settlement?.kind !== 'outputTooLarge' };
  }
}

/**
 * A guest's sleep: `wait` blocks the thread, but never past the call's deadline (then the call stops there);
 * `relocate` abandons a speculative call on the calling thread.
 */
function sleepUntil(meter: Meter, mode: HostEnvironment['sleeps'], ns: bigint): void {
  if (ns <= 0n) return;
  if (mode === 'relocate') throw new BlockingCall('wasi poll_oneoff');
  const remaining = meter.remaining();
  const wanted = Number(ns) / 1e6;
  if (wanted < remaining) {
    sleep(ns);
    return;
  }
  if (Number.isFinite(remaining) && remaining > 0) sleep(BigInt(Math.ceil(remaining * 1e6)));
  meter.throwIfPast();
}

/**
 * The outcome of a call (docs/reference/host-abi.md §3 precedence: a Runnable error, else a result, else the failure, else `none`), except that
 * a call past its host budget fails whatever it returned before: what it holds is not handed on.
 */
function decide(invocation: Invocation, failure: Failure | undefined, maxOutput: number): RunOutcome {
  if (failure?.code === 'E2RX_HOST_MEMORY') return { kind: 'failure', failure };
  const { request, settlement } = invocation;
  // (e2rx) The messages it published go on with a call that succeeded only. (No spread for the common case: a literal
  // with a spread is about ten times slower to build.)
  const publishes = invocation.published;
  switch (settlement?.kind) {
    case 'runError':
      return { kind: 'runError', code: settlement.code, message: settlement.message, request };
    case 'output':
      return publishes === undefined ? { kind: 'output', output: settlement.output, request } : { kind: 'output', output: settlement.output, request, publishes };
    case 'outputTooLarge':
      return {
        kind: 'failure',
        failure: { code: 'E2RX_OUTPUT_TOO_LARGE', message: `the output of ${settlement.size} bytes is above the limit of ${maxOutput}`, details: { size: settlement.size } },
      };
    default:
      if (failure !== undefined) return { kind: 'failure', failure };
      return publishes === undefined ? { kind: 'none', request } : { kind: 'none', request, publishes };
  }
}
