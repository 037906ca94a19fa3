/**
 * The Wasm runtime of one case: the app's real functions, fresh instances (no state left over from another case),
 * the case's secrets, its log lines captured, and its capabilities stubbed or real.
 *
 * - Every capability stubbed: the runtime's inline mode, the stubs answering synchronously. The whole run happens on
 *   the calling thread, so it runs in virtual time (group timeouts, request timeouts and retry delays take no time).
 * - Some capability real (`real: [db]`): worker threads, the real host services of the Directive (its connections,
 *   from the environment) behind the stubs of the others; the run is in real time.
 *
 * @module
 */
import { pino, type Logger } from 'pino';
import type { App } from '../../app/load-app.js';
import type { CapabilityConfig } from '../../directive/capability-config.js';
import { createHostServices } from '../../capabilities/host-services-impl.js';
import type { HostCallContext, HostCallResult, HostServices } from '../../capabilities/host-services.js';
import { runtimeRunner } from '../../engine/runtime-runner.js';
import { createRuntime } from '../../runtime/runtime.js';
import type { HostRequest } from '../../runtime/host-env.js';
import type { FunctionRunner } from '../../steps/function-runner.js';
import type { StubHost } from './stub-host.js';

/** One log line written during a case: by a function, or by e2rx about the run. */
export interface CaseLogLine {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly message: string;
  /** The function that wrote it, for a function's line. */
  readonly fn: string | undefined;
}

/** The runtime of one case. */
export interface CaseRuntime {
  readonly runner: FunctionRunner;
  /** Whether the run can be in virtual time (every call answers on the calling thread). */
  readonly virtual: boolean;
  /** The log lines so far. */
  readonly logs: readonly CaseLogLine[];
  /** The logger of the run, writing to {@link logs}. */
  readonly logger: Logger;
  close(): Promise<void>;
}

/** What a case runtime is made of. */
export interface CaseRuntimeOptions {
  readonly app: App;
  readonly capabilities: CapabilityConfig;
  readonly stubs: StubHost;
  /** Whether a capability is real (then the run uses workers and real services). */
  readonly anyReal: boolean;
  /** The environment (secrets are read from it); the case's stubbed secrets are laid over it. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

const LEVELS: Readonly<Record<number, CaseLogLine['level']>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * Creates the runtime of one case and registers every function of the app.
 *
 * @example
 * ```ts
 * const runtime = await createCaseRuntime({ app, capabilities, stubs, anyReal: false, env: process.env });
 * runSteps(handler.steps, handler.response, request, runtime.runner).subscribe(console.log);
 * await runtime.close();
 * ```
 */
export async function createCaseRuntime(options: CaseRuntimeOptions): Promise<CaseRuntime> {
  const { app, capabilities, stubs } = options;
  const logs: CaseLogLine[] = [];
  const logger = pino(
    { level: 'debug', base: null, timestamp: false },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { level: number; msg?: string; fn?: unknown };
        logs.push({ level: LEVELS[entry.level] ?? 'info', message: entry.msg ?? '', fn: typeof entry.fn === 'string' ? entry.fn : undefined });
      },
    },
  );
  const real = options.anyReal ? createHostServices(capabilities, { staticFiles: app.staticFiles, logger }) : undefined;
  if (real !== undefined) {
    try {
      await real.start();
    } catch (error) {
      await real.close();
      throw error;
    }
  }
  const runtime = createRuntime({
    capabilities,
    services: real === undefined ? unusedServices() : stubbedServices(stubs, real),
    logger,
    workers: 1,
    inline: real === undefined,
    inlineHost: {
      call: (request: HostRequest): HostCallResult => stubs.answer(request) ?? { kind: 'error', message: 'capability is not available' },
    },
    freshInstancePerCall: true,
    env: options.env,
    ...limitsOf(app),
  });
  try {
    for (const [fqfn, fn] of app.functions) await runtime.register(fqfn, fn.bytes, fn.sourceMap === undefined ? {} : { sourceMap: fn.sourceMap });
  } catch (error) {
    await runtime.close();
    await real?.close();
    throw error;
  }
  return {
    runner: runtimeRunner(runtime),
    virtual: real === undefined,
    logs,
    logger,
    close: async () => {
      await runtime.close();
      await real?.close();
    },
  };
}

/** The Directive's per-call limits. */
function limitsOf(app: App): { limits?: NonNullable<Parameters<typeof createRuntime>[0]['limits']> } {
  const limits = app.directive.limits;
  return {
    limits: {
      ...(limits.timeoutMs !== undefined ? { timeoutMs: limits.timeoutMs } : {}),
      ...(limits.maxMemoryMb !== undefined ? { maxMemoryMb: limits.maxMemoryMb } : {}),
      ...(limits.maxInputBytes !== undefined ? { maxInputBytes: limits.maxInputBytes } : {}),
      ...(limits.maxOutputBytes !== undefined ? { maxOutputBytes: limits.maxOutputBytes } : {}),
    },
  };
}

/** The stubs first, the real services for the capabilities listed as real. */
function stubbedServices(stubs: StubHost, real: HostServices): HostServices {
  const either = (request: HostRequest, go: () => Promise<HostCallResult>): Promise<HostCallResult> => {
    const stubbed = stubs.answer(request);
    return stubbed === undefined ? go() : Promise.resolve(stubbed);
  };
  return {
    cacheGet: (key, context: HostCallContext) => either({ op: 'cacheGet', key }, () => real.cacheGet(key, context)),
    cacheSet: (key, value, ttlSeconds, context) => either({ op: 'cacheSet', key, value, ttlSeconds }, () => real.cacheSet(key, value, ttlSeconds, context)),
    fetchUrl: (method, url, body, context) => either({ op: 'fetchUrl', method, url, body }, () => real.fetchUrl(method, url, body, context)),
    graphqlQuery: (endpoint, query, context) => either({ op: 'graphqlQuery', endpoint, query }, () => real.graphqlQuery(endpoint, query, context)),
    dbExec: (queryType, name, variables, context) => either({ op: 'dbExec', queryType, name, variables }, () => real.dbExec(queryType, name, variables, context)),
    getStaticFile: (name, context) => either({ op: 'getStaticFile', name }, () => real.getStaticFile(name, context)),
    close: () => real.close(),
  };
}

/** The services of an inline runtime: never called (the inline host answers), present for the contract. */
function unusedServices(): HostServices {
  const unused = (): Promise<HostCallResult> => Promise.resolve({ kind: 'error', message: 'capability is not available' });
  return { cacheGet: unused, cacheSet: unused, fetchUrl: unused, graphqlQuery: unused, dbExec: unused, getStaticFile: unused, close: () => Promise.resolve() };
}
