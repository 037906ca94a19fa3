/**
 * One instance of a function and its lifecycle (spec §3.3): instantiate, call `_initialize` / `_start` / `init`
 * once, then per call: fresh ident, `allocate`, copy the input, `run_e`, `deallocate`, collect the outcome.
 *
 * @module
 */
import { createHostFunctions, buildImports, type ImportPlan } from './abi/imports.js';
import { InstanceContext } from './abi/context.js';
import type { HostEnvironment } from './host-env.js';
import { Invocation } from './invocation.js';
import { GuestFault } from './memory.js';
import { pagesOf } from './limits.js';
import type { Failure, RunOutcome } from './outcome.js';
import type { FunctionRequest } from './request.js';
import { LineBuffer } from './stdio.js';
import { createWasiImports, WasiExit } from './wasi.js';
import { WASM_PAGE_BYTES } from './wasm-binary.js';

/** A registered function as a thread knows it. Plain data plus the compiled module: it can be posted to workers. */
export interface FunctionDefinition {
  readonly name: string;
  /** Bumped when a name is registered again; instances of older versions are dropped. */
  readonly version: number;
  readonly module: WebAssembly.Module;
  readonly plan: ImportPlan;
}

type Exported = (...args: number[]) => unknown;

/** The lifecycle exports, called in this order once per instance. */
const LIFECYCLE = ['_initialize', '_start', 'init'] as const;

/**
 * Classifies what the guest threw. A trap while memory is within 1/16 of its limit is reported as `E2RX_WASM_MEMORY`
 * (the guest most likely failed to allocate); a stack overflow is a trap.
 */
export function classify(error: unknown, memoryBytes: number, limitBytes: number): Failure {
  if (error instanceof WasiExit) return { code: 'E2RX_WASM_EXIT', message: error.message, details: { exitCode: error.code } };
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

  private constructor(
    context: InstanceContext,
    instance: WebAssembly.Instance,
    streams: readonly LineBuffer[],
    /** The function's version this instance belongs to. */
    readonly version: number,
  ) {
    this.#context = context;
    this.#streams = streams;
    const exports = instance.exports as Record<string, unknown>;
    this.#exports = {
      allocate: exports['allocate'] as Exported,
      run_e: exports['run_e'] as Exported,
      deallocate: typeof exports['deallocate'] === 'function' ? (exports['deallocate'] as Exported) : undefined,
    };
    this.#limitBytes = pagesOf(context.env.limits.maxMemoryMb) * WASM_PAGE_BYTES;
  }

  /** Instantiates a function and runs its lifecycle exports; a failure there is returned, not thrown. */
  static create(definition: FunctionDefinition, env: HostEnvironment): { instance: RunnableInstance } | { failure: Failure } {
    const context = new InstanceContext(definition.name, env);
    const enabled = env.capabilities.logger.enabled;
    const stream = (name: 'stdout' | 'stderr') =>
      new LineBuffer((line) => context.log(name === 'stdout' ? 'info' : 'warn', line, context.current, { stream: name }));
    const streams = [stream('stdout'), stream('stderr')] as const;
    const wasi = createWasiImports({
      memory: context.memory,
      write: (fd, bytes) => {
        if (enabled) streams[fd - 1]?.write(bytes);
      },
    });
    const maxPages = pagesOf(env.limits.maxMemoryMb);
    try {
      const built = buildImports(definition.plan, createHostFunctions(context), wasi, maxPages);
      const instance = new WebAssembly.Instance(definition.module, built.imports);
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
      return { instance: new RunnableInstance(context, instance, streams, definition.version) };
    } catch (error) {
      const failure = classify(error, context.memory.memory === undefined ? 0 : context.memory.byteLength, maxPages * WASM_PAGE_BYTES);
      return { failure: { ...failure, message: `instantiation failed: ${failure.message}`, details: { ...failure.details, phase: 'start' } } };
    } finally {
      for (const s of streams) s.flush();
    }
  }

  /**
   * Runs one call. `reusable` is false when the instance must be discarded (it trapped, exited, hit a limit).
   * Outcome precedence (§3.3): a Runnable error, else a result, else the failure, else `none`.
   */
  run(request: FunctionRequest): { outcome: RunOutcome; reusable: boolean } {
    const context = this.#context;
    const env = context.env;
    const invocation = new Invocation(env.idents.next(), context.fn, request);
    env.idents.add(invocation);
    context.current = invocation;
    this.calls += 1;
    let failure: Failure | undefined;
    try {
      const input = invocation.request.body;
      const ptr = (this.#exports.allocate(input.length) as number) >>> 0;
      context.memory.write(ptr, input);
      this.#exports.run_e(ptr, input.length, invocation.ident);
      this.#exports.deallocate?.(ptr, input.length);
    } catch (error) {
      failure = classify(error, context.memory.byteLength, this.#limitBytes);
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

function decide(invocation: Invocation, failure: Failure | undefined, maxOutput: number): RunOutcome {
  const { request, settlement } = invocation;
  switch (settlement?.kind) {
    case 'runError':
      return { kind: 'runError', code: settlement.code, message: settlement.message, request };
    case 'output':
      return { kind: 'output', output: settlement.output, request };
    case 'outputTooLarge':
      return {
        kind: 'failure',
        failure: { code: 'E2RX_OUTPUT_TOO_LARGE', message: `the output of ${settlement.size} bytes is above the limit of ${maxOutput}`, details: { size: settlement.size } },
      };
    default:
      return failure === undefined ? { kind: 'none', request } : { kind: 'failure', failure };
  }
}
