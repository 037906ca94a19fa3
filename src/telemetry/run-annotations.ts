/**
 * Facts a source knows about a run before it starts (Kafka: partition, offset, attempt), handed to the tracing of the
 * run (`Tracing.traceRun` adds them to the run's span), keyed by the run's request.
 *
 * @module
 */
import type { Attributes } from '@opentelemetry/api';
import type { FunctionRequest } from '../runtime/request.js';

const annotations = new WeakMap<FunctionRequest, Attributes>();

/**
 * Adds source facts to the span of the run of `request` (call before the run starts, and only while tracing is on).
 *
 * @example
 * ```ts
 * if (activeTracing !== undefined) annotateRun(request, { 'messaging.kafka.offset': 42 });
 * ```
 */
export function annotateRun(request: FunctionRequest, attributes: Attributes): void {
  annotations.set(request, attributes);
}

/** The facts given to the run of `request` ({@link annotateRun}), if any. */
export function runAnnotations(request: FunctionRequest): Attributes | undefined {
  return annotations.get(request);
}
