/**
 * A recorded span as the SDK's `ReadableSpan`, for the exporters that take those (the OTLP http/json serializer, the
 * console exporter) and for the specs that compare e2rx's protobuf encoding with the SDK's. Made at export time only.
 *
 * @module
 */
import type { HrTime, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TIME_ORIGIN_NS, type RecordedSpan } from './recorded-span.js';
import { wordHex } from './span-ids.js';

/**
 * `span` as a `ReadableSpan` of `resource` and `scope`.
 *
 * @example
 * ```ts
 * JsonTraceSerializer.serializeRequest(batch.map((span) => readableSpan(span, resource, scope)));
 * ```
 */
export function readableSpan(span: RecordedSpan, resource: Resource, scope: InstrumentationScope): ReadableSpan {
  const context = span.spanContext();
  const parentSpanContext: SpanContext | undefined = span.parent
    ? { traceId: context.traceId, spanId: wordHex(span.p0) + wordHex(span.p1), traceFlags: span.traceFlags, isRemote: span.remoteParent }
    : undefined;
  const startTime = hrTime(span.start);
  const endTime = hrTime(span.endedAt);
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => context,
    ...(parentSpanContext === undefined ? {} : { parentSpanContext }),
    startTime,
    endTime,
    status: span.statusMessage === undefined ? { code: span.statusCode } : { code: span.statusCode, message: span.statusMessage },
    attributes: { ...span.base, ...span.own, ...span.shared },
    links: span.links ?? [],
    events: (span.events ?? []).map((event) => ({ name: event.name, time: hrTime(event.time), ...(event.attributes === undefined ? {} : { attributes: event.attributes }) })),
    duration: hrTime(span.endedAt - span.start, 0n),
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** `[seconds, nanoseconds]` of `performance.now()` milliseconds (since the epoch, or since `origin`). */
function hrTime(ms: number, origin = TIME_ORIGIN_NS): HrTime {
  const nanos = origin + BigInt(Math.round(ms * 1e6));
  return [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];
}
