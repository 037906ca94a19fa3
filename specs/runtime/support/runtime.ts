/**
 * Starts a runtime for a spec with the given fixtures registered, a {@link FakeServices} and a captured log.
 */
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../../../src/directive/capability-config.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../../src/runtime/runtime.js';
import { compileWat } from '../../support/wasm.js';
import { captureLogger, FakeServices, type LogLine } from './driver.js';

/** What {@link startRuntime} gives a spec. */
export interface TestRuntime {
  readonly runtime: Runtime;
  readonly services: FakeServices;
  readonly lines: LogLine[];
}

/** Options of {@link startRuntime}: runtime options without the mandatory ones, plus fixtures and capability overrides. */
export type TestRuntimeOptions = Partial<Omit<RuntimeOptions, 'capabilities'>> & {
  readonly fixtures?: readonly string[];
  readonly capabilities?: Partial<CapabilityConfig>;
};

/** Creates a runtime (inline unless `inline: false`), registers the fixtures and waits until it is ready. */
export async function startRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const { fixtures = [], capabilities, ...rest } = options;
  const services = new FakeServices();
  const { logger, lines } = captureLogger();
  const runtime = createRuntime({
    services,
    logger,
    inline: true,
    workers: 2,
    ...rest,
    capabilities: { ...DEFAULT_CAPABILITIES, ...capabilities },
  });
  for (const name of fixtures) await runtime.register(name, await compileWat(name));
  await runtime.ready();
  return { runtime, services, lines };
}
