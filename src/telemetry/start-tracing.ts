/**
 * Turning tracing on from the environment: the configuration (config.ts), the SDK and its exporter (sdk.ts), the
 * OpenTelemetry API's diagnostics routed to the engine's logger, and the process's {@link Tracing} shared by the
 * engines of the process.
 *
 * @module
 */
import type { Logger } from 'pino';
import { tracingSettings } from './config.js';
import { startTracingSdk, type ServiceFacts } from './sdk.js';
import { holdTracing, Tracing } from './tracing.js';

/**
 * Turns tracing on when `env` configures it (see `config.ts`): loads the SDK, starts the exporter, and makes it the
 * process's `activeTracing`. Returns `undefined` when tracing is off. When it is on already (another engine of
 * this process, such as the version a hot reload replaces, started it), the engine shares it: each holder calls
 * {@link Tracing.stop}, and the last one shuts it down. Warnings about ignored values go to `logger`.
 *
 * @example
 * ```ts
 * const tracing = await startTracing(process.env, { name: 'com.example.hello' }, logger);
 * // … on stop:
 * await tracing?.stop();
 * ```
 */
export function startTracing(env: Readonly<Record<string, string | undefined>>, service: ServiceFacts, logger: Logger): Tracing | undefined {
  const settings = tracingSettings(env);
  for (const warning of settings.warnings) logger.warn(`tracing: ${warning}`);
  const config = settings.config;
  if (config === undefined) return undefined;
  return holdTracing(() => {
    let tracing: Tracing | undefined = undefined;
    const sdk = startTracingSdk(config, service, {
      dropped: (count) => logger.warn(`tracing: ${count} spans dropped: the export queue was full (OTEL_BSP_MAX_QUEUE_SIZE=${config.batch.maxQueueSize})`),
      exportFailed: (error) => tracing?.exportFailed(error),
      warn: (message) => logger.warn(`tracing: ${message}`),
    });
    sdk.api.diag.setLogger(
      {
        error: (message: string) => logger.warn(`OpenTelemetry: ${message}`),
        warn: (message: string) => logger.warn(`OpenTelemetry: ${message}`),
        info: () => undefined,
        debug: () => undefined,
        verbose: () => undefined,
      },
      { logLevel: sdk.api.DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    tracing = new Tracing(sdk, config, logger);
    logger.info(
      { exporter: config.exporter, protocol: config.protocol, url: config.url, sampler: config.sampler, ratio: config.ratio },
      config.exporter === 'console' ? 'tracing on: spans printed to stdout' : `tracing on: exporting spans to ${config.url} (${config.protocol})`,
    );
    return tracing;
  });
}
