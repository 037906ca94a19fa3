/**
 * e2rx's OTLP/protobuf encoding of recorded spans (src/telemetry/otlp-protobuf.ts) against the SDK's own
 * `ProtobufTraceSerializer` fed the same spans as `ReadableSpan`s (src/telemetry/readable-span.ts): the bytes must be
 * the same, for spans with every kind of attribute value, shared and own attributes, a remote parent with a
 * tracestate, events, links and an error status; and the queue must give the same bytes whatever batches it is cut
 * into.
 */
import * as api from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { OtlpProtobufEncoder } from '../../src/telemetry/otlp-protobuf.js';
import { readableSpan } from '../../src/telemetry/readable-span.js';
import type { RecordedSpan } from '../../src/telemetry/recorded-span.js';
import { rootSampler } from '../../src/telemetry/sampler.js';
import { SpanRecorder } from '../../src/telemetry/span-recorder.js';

const RESOURCE = { 'service.name': 'otlp-spec', 'service.version': 'v1.2.3', 'telemetry.sdk.language': 'nodejs', 'deployment.environment.name': 'spëc' };
const SCOPE = { name: 'e2rx' };

/** A recorder whose ended spans are collected. */
function recorder(): { recorder: SpanRecorder; ended: RecordedSpan[] } {
  const ended: RecordedSpan[] = [];
  return { recorder: new SpanRecorder({ onEnd: (span) => ended.push(span) }, rootSampler('always_on', 1), api), ended };
}

/** The SDK's encoding of `spans`. */
function sdkBytes(spans: readonly RecordedSpan[]): Buffer {
  const resource = resourceFromAttributes(RESOURCE);
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans.map((span) => readableSpan(span, resource, SCOPE))) as Uint8Array);
}

/** A run's worth of spans with everything the encoder writes. */
function sampleSpans(): RecordedSpan[] {
  const { recorder: spans, ended } = recorder();
  const shared = { 'e2rx.handler': 'POST /echo', 'http.request.method': 'POST', 'http.route': '/echo' };
  const remote = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true, traceState: new (class {
    set(): api.TraceState { return this; }
    unset(): api.TraceState { return this; }
    get(): string | undefined { return undefined; }
    serialize(): string { return 'vendor=abc,other=x'; }
  })() };
  const run = spans.startRoot('POST /echo', 1, shared, remote);
  run.adoptAttributes({ 'e2rx.request.id': 'req-1', 'url.path': '/echo', 'user_agent.original': 'spec ✓ ütf-8' });
  const step = spans.startChild(run, 'step 1: fn echo', 0, { 'e2rx.step.index': 0, 'e2rx.step.kind': 'fn', 'e2rx.step.functions': ['com.x#default::echo@v1'] });
  const call = spans.startChild(step, 'function echo', 0, undefined);
  call.setAttributes({ big: 2 ** 40, negative: -5, huge: -(2 ** 53) + 1, ratio: 0.25, yes: true, no: false, list: [1, 2, 3], words: ['a', 'b'], flags: [true, false], empty: [] });
  call.setAttribute('long', 'x'.repeat(300));
  call.addEvent('checkpoint', { at: 1 });
  call.addLink({ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true }, attributes: { why: 'batch' } });
  call.recordException(new TypeError('bad input'));
  call.setStatus({ code: 2, message: 'the function failed' });
  call.end();
  step.setAttribute('e2rx.step.outcome', 'failure');
  step.end();
  // A span over 16 kB (its length takes three bytes), besides spans under 128 bytes (one) and the others (two).
  const producer = spans.startChild(run, 'send out', 3, undefined).adoptAttributes({ 'messaging.system': 'nats', 'e2rx.spec.large': 'y'.repeat(20_000) });
  producer.end();
  run.setAttributes({ 'e2rx.run.outcome': 'ok', 'http.response.status_code': 200 });
  run.end();
  const root = spans.startRoot('schedule nightly', 0, undefined, undefined);
  root.end();
  // Shared end attributes (an outcome constant): as they are, and written to afterwards.
  const outcome = Object.freeze({ 'e2rx.step.outcome': 'ok' });
  spans.startChild(root, 'shared as is', 0, { 'e2rx.step.index': 1 }).adoptShared(outcome).end();
  spans.startChild(root, 'shared then set', 0, undefined).adoptShared(outcome).setAttribute('e2rx.extra', 3).end();
  return ended;
}

/**
 * Runs as the engine records them (a server span with the request's own attributes, a step and a call span ending
 * with a shared outcome), most of the common shape, some not: an error, an attribute set by code, an event, a remote
 * parent, a second handler.
 */
function engineRuns(): RecordedSpan[] {
  const { recorder: spans, ended } = recorder();
  const handler = { 'e2rx.handler': 'POST /echo', 'http.request.method': 'POST', 'http.route': '/echo' };
  const other = { 'e2rx.handler': 'GET /other', 'http.request.method': 'GET', 'http.route': '/other' };
  const step = { 'e2rx.step.index': 0, 'e2rx.step.kind': 'fn', 'e2rx.step.functions': ['com.x#default::echo@v1'] };
  const call = { 'e2rx.function.fqfn': 'com.x#default::echo@v1', 'e2rx.function.lane': 'inline' };
  const stepOk = Object.freeze({ 'e2rx.step.outcome': 'ok' });
  const output = Object.freeze({ 'e2rx.function.outcome': 'output' });
  const ok = { 'e2rx.run.outcome': 'ok', 'http.response.status_code': 200 };
  const remote = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, isRemote: true };
  for (let i = 0; i < 40; i += 1) {
    const run = spans.startRoot(i % 7 === 3 ? 'GET /other' : 'POST /echo', 1, i % 7 === 3 ? other : handler, i % 9 === 4 ? remote : undefined);
    run.adoptAttributes({ 'e2rx.request.id': `req-${i}`, 'url.path': '/echo', 'user_agent.original': 'spec' });
    const stepSpan = spans.startChild(run, 'step 1: fn echo', 0, step);
    const callSpan = spans.startChild(stepSpan, 'function echo', 0, call);
    if (i % 5 === 2) {
      callSpan.setAttribute('e2rx.function.outcome', 'run_error');
      callSpan.setStatus({ code: 2, message: `failed ${i}` });
      stepSpan.setAttribute('e2rx.step.outcome', 'failure');
      stepSpan.setStatus({ code: 2, message: `failed ${i}` });
      run.setAttributes({ 'e2rx.run.outcome': 'run_error', 'http.response.status_code': 500 });
      run.setStatus({ code: 2, message: `failed ${i}` });
    } else {
      callSpan.adoptShared(output);
      if (i % 6 === 1) callSpan.setAttribute('e2rx.extra', i);
      if (i % 8 === 5) callSpan.addEvent('checkpoint', { at: i });
      stepSpan.adoptShared(stepOk);
      run.setAttributes(ok);
    }
    callSpan.end();
    stepSpan.end();
    run.end();
  }
  return ended;
}

describe('OtlpProtobufEncoder', () => {
  it('OTLP protobuf - spans written from their templates decode to what the general encoder writes (and the SDK)', () => {
    const runs = engineRuns();
    const templated = new OtlpProtobufEncoder({ resource: RESOURCE, scope: SCOPE });
    const general = new OtlpProtobufEncoder({ resource: RESOURCE, scope: SCOPE }, { templates: false });
    for (const batch of [runs.slice(0, 30), runs.slice(30)]) {
      const fromTemplates = Buffer.from(templated.encode(batch));
      expect(fromTemplates.equals(Buffer.from(general.encode(batch)))).toBe(true);
      expect(fromTemplates.equals(sdkBytes(batch))).toBe(true);
    }
    // Most spans were of a common shape, the others (errors, an event, code's attributes) were not.
    expect(general.templated).toBe(0);
    expect(templated.templated).toBeGreaterThan(runs.length / 2);
    expect(templated.templated).toBeLessThan(runs.length);
  });

  it('OTLP protobuf - writes the bytes the SDK serializer writes for the same spans', () => {
    const spans = sampleSpans();
    const encoded = Buffer.from(new OtlpProtobufEncoder({ resource: RESOURCE, scope: SCOPE }).encode(spans));
    expect(encoded.length).toBeGreaterThan(1000);
    expect(encoded.equals(sdkBytes(spans))).toBe(true);
  });

  it('OTLP protobuf - a queue cut into batches gives each batch the bytes of its spans alone, also with the cache warm', () => {
    const encoder = new OtlpProtobufEncoder({ resource: RESOURCE, scope: SCOPE });
    const spans = [...sampleSpans(), ...sampleSpans(), ...sampleSpans()];
    for (const span of spans) encoder.push(span);
    expect(encoder.count).toBe(spans.length);
    const first = Buffer.from(encoder.take(4));
    const second = Buffer.from(encoder.take(7));
    const rest = Buffer.from(encoder.take(100));
    expect(encoder.count).toBe(0);
    expect(first.equals(sdkBytes(spans.slice(0, 4)))).toBe(true);
    expect(second.equals(sdkBytes(spans.slice(4, 11)))).toBe(true);
    expect(rest.equals(sdkBytes(spans.slice(11)))).toBe(true);
  });

  it('OTLP protobuf - many more spans than the buffer holds at first come out whole (the buffer grows, taken bytes move out)', () => {
    const encoder = new OtlpProtobufEncoder({ resource: RESOURCE, scope: SCOPE });
    const spans: RecordedSpan[] = [];
    for (let i = 0; i < 150; i += 1) spans.push(...sampleSpans());
    let taken = 0;
    for (const [index, span] of spans.entries()) {
      encoder.push(span);
      if (index % 200 === 199) {
        expect(Buffer.from(encoder.take(150)).equals(sdkBytes(spans.slice(taken, taken + 150)))).toBe(true);
        taken += 150;
      }
    }
    expect(encoder.count).toBe(spans.length - taken);
    expect(Buffer.from(encoder.take(spans.length)).equals(sdkBytes(spans.slice(taken)))).toBe(true);
  });

  it('OTLP protobuf - a shared attribute object a span adopted is never written to by the span', () => {
    const { recorder: spans } = recorder();
    const outcome = { 'e2rx.function.outcome': 'output' };
    const span = spans.startRoot('x', 0, undefined, undefined).adoptShared(outcome);
    span.setAttribute('e2rx.function.outcome', 'failure');
    span.setAttributes({ more: 1 });
    expect(outcome).toEqual({ 'e2rx.function.outcome': 'output' });
    expect(span.own).toEqual({ 'e2rx.function.outcome': 'failure', more: 1 });
  });

  it('OTLP protobuf - an attribute set again over a starting one is exported once, with the new value', () => {
    const { recorder: spans, ended } = recorder();
    const span = spans.startRoot('POST /x', 1, { 'http.route': '/x', 'e2rx.handler': 'POST /x' }, undefined);
    span.setAttribute('http.route', '/y');
    span.end();
    const bytes = Buffer.from(new OtlpProtobufEncoder({ resource: RESOURCE, scope: SCOPE }).encode(ended));
    expect(bytes.includes(Buffer.from('/y'))).toBe(true);
    expect(bytes.indexOf(Buffer.from('http.route'))).toBe(bytes.lastIndexOf(Buffer.from('http.route')));
    expect(bytes.includes(Buffer.from('\x0a\x02/x'))).toBe(false);
  });
});
