/**
 * The exporters of e2rx's span batches: OTLP over HTTP through the official exporter machinery
 * (`@opentelemetry/otlp-exporter-base`: its HTTP transport with the configured headers, compression, timeout and
 * retries), with the batch serialized by e2rx's protobuf encoder (`otlp-protobuf.ts`) for http/protobuf, or by the
 * SDK's `JsonTraceSerializer` for http/json; and the SDK's console exporter. Loaded only when tracing is on.
 *
 * @module
 */
import type * as Core from '@opentelemetry/core';
import type * as ExporterBase from '@opentelemetry/otlp-exporter-base';
import type * as ExporterBaseHttp from '@opentelemetry/otlp-exporter-base/node-http';
import type * as Transformer from '@opentelemetry/otlp-transformer';
import type * as Resources from '@opentelemetry/resources';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import { lazyModule } from '../lazy-module.js';
import { exporterOptions, type TracingConfig } from './config.js';
import { OtlpProtobufEncoder } from './otlp-protobuf.js';
import { readableSpan } from './readable-span.js';
import type { RecordedSpan } from './recorded-span.js';
import { SpanRing, type BatchExporter, type SpanQueue } from './span-batcher.js';

const exporterBase = lazyModule<typeof ExporterBase>('@opentelemetry/otlp-exporter-base');
const exporterBaseHttp = lazyModule<typeof ExporterBaseHttp>('@opentelemetry/otlp-exporter-base/node-http');
const transformer = lazyModule<typeof Transformer>('@opentelemetry/otlp-transformer');
const traceBase = lazyModule<typeof TraceBase>('@opentelemetry/sdk-trace-base');

/** The semantic conventions' component type of an OTLP/HTTP span exporter (its self-observability metrics). */
const COMPONENT_TYPE = 'otlp_http_span_exporter';
const SUCCESS: Core.ExportResultCode.SUCCESS = 0;

/** Where ended spans wait for the exporter, and the exporter: one batch type between them. */
export interface SpanExport<B> {
  readonly queue: SpanQueue<B>;
  readonly exporter: BatchExporter<B>;
}

/**
 * The queue and exporter `config` names, for spans of `resource` and `scope`: for OTLP http/protobuf, spans are
 * encoded as they end and a batch is the request's bytes; otherwise spans wait as objects.
 *
 * @example
 * ```ts
 * const { queue, exporter } = createSpanExport(config, resource, { name: 'e2rx' });
 * const batcher = new SpanBatcher(queue, exporter, config.batch, events);
 * ```
 */
export function createSpanExport(config: TracingConfig, resource: Resources.Resource, scope: Core.InstrumentationScope): SpanExport<Uint8Array> | SpanExport<RecordedSpan[]> {
  const readable = (batch: readonly RecordedSpan[]): TraceBase.ReadableSpan[] => batch.map((span) => readableSpan(span, resource, scope));
  const ring = (): SpanRing => new SpanRing(config.batch.maxQueueSize);
  if (config.exporter === 'console') {
    const console = new (traceBase().ConsoleSpanExporter)();
    const exporter: BatchExporter<RecordedSpan[]> = {
      export: (batch, _count, done) => console.export(readable(batch), (result) => done(result.code === SUCCESS ? undefined : (result.error ?? new Error('export failed')))),
      shutdown: () => console.shutdown(),
    };
    return { queue: ring(), exporter };
  }
  if (config.protocol === 'http/json') {
    const json = transformer().JsonTraceSerializer;
    return { queue: ring(), exporter: otlpHttp<RecordedSpan[]>(config, { serializeRequest: (batch) => json.serializeRequest(readable(batch)), deserializeResponse: (data) => json.deserializeResponse(data) }) };
  }
  const protobuf = transformer().ProtobufTraceSerializer;
  // The batch is the request already (its own bytes, which the transport may send again when it retries).
  return {
    queue: new OtlpProtobufEncoder({ resource: resource.attributes, scope }),
    exporter: otlpHttp<Uint8Array>(config, { serializeRequest: (batch) => batch, deserializeResponse: (data) => protobuf.deserializeResponse(data) }),
  };
}

/** The official OTLP/HTTP export (transport, retries, timeout, headers, compression) with `serializer`. */
function otlpHttp<B>(config: TracingConfig, serializer: Transformer.ISerializer<B, unknown>): BatchExporter<B> {
  const http = exporterBaseHttp();
  const options = http.convertLegacyHttpOptions(exporterOptions(config), 'TRACES', 'v1/traces', {
    'Content-Type': config.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
  });
  // What the delegate exports: the batch and its span count (for the exporter's own metrics).
  const counted: Transformer.ISerializer<{ readonly batch: B; readonly count: number }, unknown> = {
    serializeRequest: (request) => serializer.serializeRequest(request.batch),
    deserializeResponse: (data) => serializer.deserializeResponse(data),
  };
  const delegate = http.createOtlpHttpExportDelegate(options, counted, COMPONENT_TYPE, { name: 'span', countItems: (request) => request.count }, undefined);
  const exporter = new (exporterBase().OTLPExporterBase)(delegate);
  return {
    export: (batch, count, done) => exporter.export({ batch, count }, (result) => done(result.code === SUCCESS ? undefined : (result.error ?? new Error('export failed')))),
    shutdown: () => exporter.shutdown(),
  };
}
