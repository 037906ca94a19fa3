/**
 * The OpenTelemetry SDK, loaded only when tracing is on: the tracer provider (`@opentelemetry/sdk-trace-base`), its
 * batch span processor and sampler, the resource, and the OTLP/HTTP exporter of the configured protocol. An app
 * without tracing never loads these packages (see `src/lazy-module.ts`).
 *
 * @module
 */
import type * as Api from '@opentelemetry/api';
import type * as Core from '@opentelemetry/core';
import type * as ProtoExporter from '@opentelemetry/exporter-trace-otlp-proto';
import type * as JsonExporter from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import { lazyModule } from '../lazy-module.js';
import type { OtlpExport, ServiceResource, TracingConfig } from './config.js';

const api = lazyModule<typeof Api>('@opentelemetry/api');
const core = lazyModule<typeof Core>('@opentelemetry/core');
const traceBase = lazyModule<typeof TraceBase>('@opentelemetry/sdk-trace-base');
const resources = lazyModule<typeof Resources>('@opentelemetry/resources');
const protoExporter = lazyModule<typeof ProtoExporter>('@opentelemetry/exporter-trace-otlp-proto');
const jsonExporter = lazyModule<typeof JsonExporter>('@opentelemetry/exporter-trace-otlp-http');

/** The instrumentation scope of e2rx's spans. */
export const INSTRUMENTATION_SCOPE = 'e2rx';

/** A started SDK: the tracer, the API and the W3C propagator, and how to flush and stop it. */
export interface TracingSdk {
  readonly api: typeof Api;
  readonly tracer: Api.Tracer;
  readonly propagator: Api.TextMapPropagator;
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
 * Loads the SDK and starts a tracer provider as `config` says. The provider is not registered globally: e2rx's spans
 * use it directly, and an embedding program keeps its own global provider.
 *
 * @example
 * ```ts
 * const sdk = startTracingSdk(config, { name: 'com.example.hello' });
 * const span = sdk.tracer.startSpan('work');
 * span.end();
 * await sdk.shutdown();
 * ```
 */
export function startTracingSdk(config: TracingConfig, service: ServiceFacts): TracingSdk {
  const base = traceBase();
  const exporter =
    config.exporter === 'console'
      ? new base.ConsoleSpanExporter()
      : new (config.protocol === 'http/json' ? jsonExporter() : protoExporter()).OTLPTraceExporter(exporterOptions(config));
  const resource = serviceResourceOf(config, service);
  const processor = new base.BatchSpanProcessor(exporter, { ...config.batch });
  const provider = new base.BasicTracerProvider({ resource, sampler: sampler(base, config), spanProcessors: [processor] });
  return {
    api: api(),
    tracer: provider.getTracer(INSTRUMENTATION_SCOPE),
    propagator: new (core().W3CTraceContextPropagator)(),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
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

/**
 * The options of an OTLP/HTTP exporter (traces or metrics) for `config`.
 *
 * @example
 * ```ts
 * new OTLPTraceExporter(exporterOptions(config));
 * ```
 */
export function exporterOptions(config: OtlpExport): { url: string; headers: Record<string, string>; timeoutMillis: number; compression: never } {
  // `compression` is the exporter's CompressionAlgorithm enum, whose values are these strings.
  return { url: config.url, headers: { ...config.headers }, timeoutMillis: config.timeoutMs, compression: config.compression as never };
}

function sampler(base: typeof TraceBase, config: TracingConfig): TraceBase.Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new base.AlwaysOnSampler();
    case 'always_off':
      return new base.AlwaysOffSampler();
    case 'traceidratio':
      return new base.TraceIdRatioBasedSampler(config.ratio);
    case 'parentbased_always_on':
      return new base.ParentBasedSampler({ root: new base.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new base.ParentBasedSampler({ root: new base.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(config.ratio) });
  }
}
