/**
 * The exporters of e2rx's span batches: OTLP over HTTP through e2rx's transport (`otlp-http-transport.ts`: the
 * configured headers, compression, timeout, TLS files and the specification's retries), with the batch serialized by
 * e2rx's protobuf encoder (`otlp-protobuf.ts`) for http/protobuf, or by the SDK's `JsonTraceSerializer` for
 * http/json; and the SDK's console exporter. Loaded only when tracing is on.
 *
 * @module
 */
import type * as Core from '@opentelemetry/core';
import type * as Transformer from '@opentelemetry/otlp-transformer';
import type * as Resources from '@opentelemetry/resources';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import { lazyModule } from '../lazy-module.js';
import type { TracingConfig } from './config.js';
import { OtlpHttpTransport } from './otlp-http-transport.js';
import { OtlpProtobufEncoder } from './otlp-protobuf.js';
import { readableSpan } from './readable-span.js';
import type { RecordedSpan } from './recorded-span.js';
import { SpanRing, type BatchExporter, type SpanQueue } from './span-batcher.js';

const transformer = lazyModule<typeof Transformer>('@opentelemetry/otlp-transformer');
const traceBase = lazyModule<typeof TraceBase>('@opentelemetry/sdk-trace-base');

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
 * const { queue, exporter } = createSpanExport(config, resource, { name: 'e2rx' }, (message) => logger.warn(message));
 * const batcher = new SpanBatcher(queue, exporter, config.batch, events);
 * ```
 */
export function createSpanExport(config: TracingConfig, resource: Resources.Resource, scope: Core.InstrumentationScope, warn: (message: string) => void): SpanExport<Uint8Array> | SpanExport<RecordedSpan[]> {
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
  const json = config.protocol === 'http/json';
  const serializer = json ? transformer().JsonTraceSerializer : transformer().ProtobufTraceSerializer;
  const transport = new OtlpHttpTransport(config, {
    contentType: json ? 'application/json' : 'application/x-protobuf',
    userAgent: USER_AGENT,
    warn,
    partialSuccess: (body) => partialSuccessOf(serializer, body),
  });
  const send = (body: Uint8Array | undefined, done: (error?: unknown) => void): void => {
    if (body === undefined) done(new Error('the spans could not be serialized'));
    else transport.send(body, done);
  };
  const shutdown = (): Promise<void> => {
    transport.shutdown();
    return Promise.resolve();
  };
  if (json) {
    const exporter: BatchExporter<RecordedSpan[]> = { export: (batch, _count, done) => send(serializer.serializeRequest(readable(batch)), done), shutdown };
    return { queue: ring(), exporter };
  }
  // The batch is the request already (its own bytes, which the transport sends again when it retries).
  const exporter: BatchExporter<Uint8Array> = { export: (batch, _count, done) => send(batch, done), shutdown };
  return { queue: new OtlpProtobufEncoder({ resource: resource.attributes, scope }), exporter };
}

/** The `User-Agent` of e2rx's exports. */
const USER_AGENT = 'e2rx-otlp-exporter';

/** The warning a 2xx response's partial success calls for (spans the collector rejected), if it says so. */
function partialSuccessOf(serializer: Transformer.ISerializer<never, Transformer.IExportTraceServiceResponse>, body: Buffer): string | undefined {
  let response: Transformer.IExportTraceServiceResponse;
  try {
    response = serializer.deserializeResponse(body);
  } catch {
    return undefined;
  }
  const partial = response.partialSuccess;
  if (partial === undefined || (!partial.errorMessage && !Number(partial.rejectedSpans ?? 0))) return undefined;
  return `the OTLP receiver rejected ${String(partial.rejectedSpans ?? 0)} spans: ${partial.errorMessage ?? '(no message)'}`;
}
