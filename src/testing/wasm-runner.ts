/**
 * A function runner over real Wasm, for pipeline specs that want the real functions but no server: the same runner
 * the engine uses, built from `.wasm` bytes or a loaded app.
 *
 * @module
 */
import { pino } from 'pino';
import { NO_STATIC_FILES } from '../app/static-files.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../directive/capability-config.js';
import { createHostServices } from '../capabilities/host-services-impl.js';
import { runtimeRunner } from '../engine/runtime-runner.js';
import { createRuntime } from '../runtime/runtime.js';
import type { FunctionRunner } from '../steps/function-runner.js';

/** Options of {@link createWasmRunner}. */
export interface WasmRunnerOptions {
  /** The functions: the key is the name steps use (`fn` as written, or the FQFN), the value the module's bytes. */
  readonly functions: Readonly<Record<string, Uint8Array>>;
  /**
   * Run on the calling thread (default true): fastest, no workers, but asynchronous host calls (cache, http, db,
   * static files) answer `capability is not available in inline mode`. Pass false to run in a worker with the
   * capabilities of `capabilities`.
   */
  readonly inline?: boolean;
  /** The capabilities (default: everything enabled, in-memory cache, no database). */
  readonly capabilities?: CapabilityConfig;
}

/** A runner over real Wasm, to close after the spec. */
export interface WasmRunner {
  readonly runner: FunctionRunner;
  close(): Promise<void>;
}

/**
 * Creates a runner over real Wasm modules. Steps find a function by the `fn` string as written, then by its FQFN.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { createWasmRunner, compileForTest, testRequest } from 'e2rx/testing';
 * const wasm = await createWasmRunner({ functions: { hello: await readFile('examples/hello/hello.wasm') } });
 * const app = compileForTest(directiveYaml, { runner: wasm.runner });
 * app.run('POST /hello', testRequest({ body: 'world' })).subscribe(console.log);
 * await wasm.close();
 * ```
 */
export async function createWasmRunner(options: WasmRunnerOptions): Promise<WasmRunner> {
  const logger = pino({ level: 'silent' });
  const capabilities = options.capabilities ?? DEFAULT_CAPABILITIES;
  const services = createHostServices(capabilities, { staticFiles: NO_STATIC_FILES, logger });
  const runtime = createRuntime({ capabilities, services, logger, workers: 1, inline: options.inline ?? true });
  for (const [name, bytes] of Object.entries(options.functions)) await runtime.register(name, bytes);
  const invoker = runtimeRunner(runtime);
  const runner: FunctionRunner = (fn, request) =>
    invoker({ fqfn: runtime.functions.has(fn.fn) ? fn.fn : fn.fqfn, fn: fn.fn }, request);
  return {
    runner,
    close: async () => {
      await runtime.close();
      await services.close();
    },
  };
}
