/**
 * Tracing's machinery, loaded only when tracing is on: e2rx's tracer (`span-recorder.ts`, an OpenTelemetry API
 * `Tracer` recording compact spans), its batch queue (`span-batcher.ts`, the `OTEL_BSP_*` knobs), the exporter of
 * the configured protocol (`span-exporter.ts`, over e2rx's OTLP/HTTP transport), the resource
 * (`@opentelemetry/resources`) and the W3C propagator (`@opentelemetry/core`). An app without tracing never loads
 * these packages (see `src/lazy-module.ts`).
 *
 * @module
 */
import type * as Api from '@opentelemetry/api';
import type * as Core from '@opentelemetry/core';
import type * as Resources from '@opentelemetry/resources';
import { lazyModule } from '../lazy-module.js';
import type { ServiceResource, TracingConfig } from './config.js';
import { rootSampler } from './sampler.js';
import { SpanBatcher, type BatcherEvents } from './span-batcher.js';
import { createSpanExport, type SpanExport } from './span-exporter.js';
import { SpanRecorder } from './span-recorder.js';

const api = lazyModule<typeof Api>('@opentelemetry/api');
const core = lazyModule<typeof Core>('@opentelemetry/core');
const resources = lazyModule<typeof Resources>('@opentelemetry/resources');

/** The instrumentation scope of e2rx's spans. */
export const INSTRUMENTATION_SCOPE = 'e2rx';

/** A started tracing machinery: the tracer, the API and the W3C propagator, and how to flush and stop it. */
export interface TracingSdk {
  readonly api: typeof Api;
  readonly tracer: SpanRecorder;
  readonly propagator: Api.TextMapPropagator;
  /** The batch queue (its `dropped` count). */
  readonly batcher: SpanBatcher<unknown>;
  /** Exports every span ended so far. */
  forceFlush(): Promise<void>;
  /** Exports what is left and stops. */
  shutdown(): Promise<void>;
}

/** What the resource says beyond the configuration: the app's identifier and version, e2rx's version. */
export interface ServiceFacts {
  /** The default `service.name` (the app's identifier) when the environment names none. */
  readonly name: string;
  readonly version?: string;
}

/**
 * Loads the packages and starts a tracer as `config` says. It is not registered as the global tracer provider: e2rx's
 * spans use it directly, and an embedding program keeps its own global provider.
 *
 * @example
 * ```ts
 * const sdk = startTracingSdk(config, { name: 'com.example.hello' }, events);
 * const span = sdk.tracer.startSpan('work');
 * span.end();
 * await sdk.shutdown();
 * ```
 */
export function startTracingSdk(config: TracingConfig, service: ServiceFacts, events: BatcherEvents): TracingSdk {
  const resource = serviceResourceOf(config, service);
  const { queue, exporter } = createSpanExport(config, resource, { name: INSTRUMENTATION_SCOPE }, (message) => events.warn(message)) as SpanExport<unknown>;
  const batcher = new SpanBatcher(queue, exporter, config.batch, events);
  return {
    api: api(),
    tracer: new SpanRecorder(batcher, rootSampler(config.sampler, config.ratio), api()),
    propagator: new (core().W3CTraceContextPropagator)(),
    batcher,
    forceFlush: () => batcher.forceFlush(),
    shutdown: () => batcher.shutdown(),
  };
}

/**
 * The resource of e2rx's telemetry: `OTEL_RESOURCE_ATTRIBUTES`, the service name (the app's identifier unless the
 * environment names one) and version (the app's `appVersion` unless given).
 */
export function serviceResourceOf(config: ServiceResource, service: ServiceFacts): Resources.Resource {
  return resources().resourceFromAttributes({
    ...config.resource,
    'service.name': config.serviceName ?? service.name,
    ...(service.version !== undefined && config.resource['service.version'] === undefined ? { 'service.version': service.version } : {}),
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
  });
}
