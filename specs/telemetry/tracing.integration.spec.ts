/**
 * OpenTelemetry traces end to end: real apps (Directives and AssemblyScript functions built from
 * `specs/fixtures/functions`) served by `createEngine` with tracing configured through the `OTEL_*` variables,
 * exporting to a real OTLP/HTTP receiver started here (`specs/support/otlp-receiver.ts`, decoding http/json and
 * http/protobuf), against the real NATS and Kafka of `scripts/services.sh`, and for every other source: schedules,
 * websockets and headless routes. The spans are checked as a tree (parents
 * by id), and the trace context is checked where it leaves: on the outbound HTTP request, on the respondTo message and
 * record.
 */
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { activeTracing } from '../../src/telemetry/tracing.js';
import { startApp, type StartedApp } from '../integration/support/app.js';
import { builtFunctions } from '../integration/support/functions.js';
import { startTargetServer, type TargetServer } from '../integration/support/target-server.js';
import { kafkaSpecClient, type KafkaSpecClient } from '../streams/kafka-support.js';
import { encode, SPEC_ENV, unique, waitFor } from '../streams/support.js';
import { OTLP_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { requireServices } from '../support/services.js';

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01`;

/** The traceparent header's parts. */
function parseTraceparent(value: string | undefined): { traceId: string; parentId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(value ?? '');
  if (match === null) throw new Error(`not a traceparent: ${value}`);
  return { traceId: match[1] as string, parentId: match[2] as string };
}

/** The one span named `name` (fails when there is none, or more than one). */
function only(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name), `spans named ${name} among ${spans.map((span) => span.name).join(', ')}`).toEqual([name]);
  return found[0] as ReceivedSpan;
}

const tracingEnv = (receiver: OtlpReceiver, protocol: 'http/json' | 'http/protobuf'): Record<string, string> => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_SERVICE_NAME: 'e2rx-traced-spec',
  OTEL_BSP_SCHEDULE_DELAY: '20',
});

describe('tracing, HTTP', () => {
  let receiver: OtlpReceiver;
  let target: TargetServer;

  beforeAll(async () => {
    await builtFunctions();
    receiver = await startOtlpReceiver();
    target = await startTargetServer();
  });

  afterAll(async () => {
    await receiver?.close();
    await target?.close();
  });

  for (const protocol of ['http/json', 'http/protobuf'] as const) {
    it(`tracing - an HTTP run with two steps and host calls is one trace continuing the caller's (${protocol})`, async () => {
      const app = await startApp({
        functions: ['cache-probe', 'fetch-probe'],
        handlers: '- { type: request, resource: /traced, method: POST, steps: [ { fn: cache-probe }, { fn: fetch-probe } ] }',
        env: tracingEnv(receiver, protocol),
      });
      let reply;
      try {
        expect(activeTracing).toBeDefined();
        reply = await app.call('traced', { op: 'set', key: 'k', value: 'v', method: '0', url: `${target.origin}/echo/traced-${protocol}`, body: '', headers: '' }, { traceparent: TRACEPARENT });
      } finally {
        await app.stop();
      }
      expect(reply.status).toBe(200);
      expect(activeTracing).toBeUndefined();
      const spans = (await receiver.waitForSpans((all) => all.some((span) => span.name === 'POST /traced' && span.encoding === (protocol === 'http/json' ? 'json' : 'protobuf')))).filter(
        (span) => span.traceId === INCOMING_TRACE && span.encoding === (protocol === 'http/json' ? 'json' : 'protobuf'),
      );

      const server = only(spans, 'POST /traced');
      expect(server).toMatchObject({ kind: OTLP_KIND.server, parentSpanId: INCOMING_SPAN });
      expect(server.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/traced',
        'url.path': '/traced',
        'http.response.status_code': 200,
        'e2rx.handler': 'POST /traced',
        'e2rx.run.outcome': 'ok',
      });
      expect(server.resource).toMatchObject({ 'service.name': 'e2rx-traced-spec', 'service.version': 'v0.1.0' });

      const step1 = only(spans, 'step 1: fn cache-probe');
      const step2 = only(spans, 'step 2: fn fetch-probe');
      for (const step of [step1, step2]) expect(step).toMatchObject({ kind: OTLP_KIND.internal, parentSpanId: server.spanId });
      expect(step2.attributes).toMatchObject({ 'e2rx.step.index': 1, 'e2rx.step.kind': 'fn', 'e2rx.step.outcome': 'ok' });

      const cacheCall = only(spans, 'function cache-probe');
      const fetchCall = only(spans, 'function fetch-probe');
      expect(cacheCall.parentSpanId).toBe(step1.spanId);
      expect(fetchCall.parentSpanId).toBe(step2.spanId);
      expect(fetchCall.attributes).toMatchObject({ 'e2rx.function.name': 'fetch-probe', 'e2rx.function.outcome': 'output' });
      expect(fetchCall.attributes['e2rx.function.fqfn']).toMatch(/fetch-probe/);
      expect(['worker', 'inline']).toContain(fetchCall.attributes['e2rx.function.lane']);

      const cacheSet = only(spans, 'cache_set');
      expect(cacheSet).toMatchObject({ kind: OTLP_KIND.client, parentSpanId: cacheCall.spanId });
      expect(cacheSet.attributes).toMatchObject({ 'e2rx.cache.key': 'k', 'e2rx.host.outcome': 'status', 'e2rx.host.status': 0 });
      const outbound = only(spans, 'GET');
      expect(outbound).toMatchObject({ kind: OTLP_KIND.client, parentSpanId: fetchCall.spanId });
      expect(outbound.attributes).toMatchObject({
        'http.request.method': 'GET',
        'url.full': `${target.origin}/echo/traced-${protocol}`,
        'server.address': '127.0.0.1',
        'e2rx.http.ssrf.verdict': 'allowed',
      });

      // The trace went on with the outbound request: its traceparent names the client span.
      const [received] = target.receivedAt(`/echo/traced-${protocol}`);
      expect(parseTraceparent(received?.headers['traceparent'] as string | undefined)).toEqual({ traceId: INCOMING_TRACE, parentId: outbound.spanId });
    });
  }

  it('tracing - an outbound request the URL rules refuse has the SSRF verdict denied, and a run without traceparent starts a trace', async () => {
    const app = await startApp({ functions: ['fetch-probe'], capabilities: 'http:\n  rules: { allowPrivate: false }', env: tracingEnv(receiver, 'http/json') });
    const seen = receiver.spans.length;
    try {
      const reply = await app.call('fetch-probe', { method: '0', url: `${target.origin}/echo/refused`, body: '', headers: '' });
      expect(reply).toMatchObject({ status: 500, message: 'requests to private IP address ranges are disallowed' });
    } finally {
      await app.stop();
    }
    const spans = (await receiver.waitForSpans((all) => all.slice(seen).some((span) => span.name === 'POST /fetch-probe'))).slice(seen);
    const server = only(spans, 'POST /fetch-probe');
    expect(server.parentSpanId).toBe('');
    // A Runnable error of 500 is a server error on the HTTP span.
    expect(server.status.code).toBe(2);
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 500, 'e2rx.run.outcome': 'run_error', 'e2rx.run.error_code': 500 });
    const outbound = only(spans, 'GET');
    expect(outbound.traceId).toBe(server.traceId);
    expect(outbound.attributes).toMatchObject({ 'e2rx.http.ssrf.verdict': 'denied', 'e2rx.http.ssrf.reason': 'requests to private IP address ranges are disallowed' });
    expect(outbound.status).toMatchObject({ code: 2 });
    expect(target.receivedAt('/echo/refused')).toEqual([]);
  });

  it('tracing - graphql_query is a client span under its call, and its request carries the span as traceparent', async () => {
    const app = await startApp({ functions: ['graphql-probe'], env: tracingEnv(receiver, 'http/protobuf') });
    const seen = receiver.spans.length;
    try {
      const reply = await app.call('graphql-probe', { endpoint: `${target.origin}/graphql`, query: '{ hello }' }, { traceparent: TRACEPARENT });
      expect(reply).toMatchObject({ status: 200, text: '{"data":{"hello":"world"}}' });
    } finally {
      await app.stop();
    }
    const spans = (await receiver.waitForSpans((all) => all.slice(seen).some((span) => span.name === 'graphql_query'))).slice(seen);
    const query = only(spans, 'graphql_query');
    const call = only(spans, 'function graphql-probe');
    expect(query).toMatchObject({ kind: OTLP_KIND.client, traceId: INCOMING_TRACE, parentSpanId: call.spanId });
    expect(query.attributes).toMatchObject({ 'e2rx.host.call': 'graphql_query', 'url.full': `${target.origin}/graphql`, 'e2rx.host.outcome': 'data' });
    const received = target.receivedAt('/graphql').at(-1);
    expect(parseTraceparent(received?.headers['traceparent'] as string | undefined)).toEqual({ traceId: INCOMING_TRACE, parentId: query.spanId });
  });

  it('tracing - engines side by side in one process (a hot reload\'s two versions) share tracing; the last to stop ends it', async () => {
    const first = await startApp({ functions: ['fetch-probe'], env: tracingEnv(receiver, 'http/json') });
    const second = await startApp({ functions: ['cache-probe'], env: tracingEnv(receiver, 'http/json') });
    const seen = receiver.spans.length;
    try {
      await first.stop();
      expect(activeTracing).toBeDefined();
      expect((await second.call('cache-probe', { op: 'set', key: 'shared', value: 'v' })).status).toBe(200);
    } finally {
      await second.stop();
    }
    expect(activeTracing).toBeUndefined();
    const spans = await receiver.waitForSpans((all) => all.slice(seen).some((span) => span.name === 'POST /cache-probe'));
    expect(spans.slice(seen).map((span) => span.name)).toEqual(expect.arrayContaining(['POST /cache-probe', 'cache_set']));
  });

  it('metrics export - the metrics of /metrics are pushed over OTLP (http/json): run counters by handler and outcome, histograms as buckets, sum and count', async () => {
    const app = await startApp({
      functions: ['cache-probe'],
      env: { ...tracingEnv(receiver, 'http/json'), OTEL_TRACES_EXPORTER: 'none', OTEL_METRIC_EXPORT_INTERVAL: '100', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=spec' },
    });
    try {
      expect(activeTracing).toBeUndefined();
      for (let i = 0; i < 3; i += 1) expect((await app.call('cache-probe', { op: 'set', key: `m${i}`, value: 'v' })).status).toBe(200);
      const runs = (): number | undefined =>
        receiver.points.findLast((point) => point.metric === 'e2rx_runs_total' && point.attributes['handler'] === 'POST /cache-probe' && point.attributes['outcome'] === 'ok')?.value;
      await waitFor(() => runs() === 3, 10_000, 'e2rx_runs_total of 3');
      const point = receiver.points.findLast((candidate) => candidate.metric === 'e2rx_runs_total');
      expect(point).toMatchObject({ type: 'sum', monotonic: true, resource: { 'service.name': 'e2rx-traced-spec', 'service.version': 'v0.1.0', 'deployment.environment.name': 'spec' } });
      const count = receiver.points.findLast((candidate) => candidate.metric === 'e2rx_run_duration_seconds_count' && candidate.attributes['handler'] === 'POST /cache-probe');
      expect(count?.value).toBe(3);
      const buckets = receiver.points.filter((candidate) => candidate.metric === 'e2rx_run_duration_seconds_bucket' && candidate.attributes['le'] === '+Inf');
      expect(buckets.at(-1)?.value).toBe(3);
      expect(receiver.points.some((candidate) => candidate.metric === 'e2rx_process_resident_memory_bytes' && candidate.type === 'gauge' && candidate.value > 0)).toBe(true);
    } finally {
      await app.stop();
    }
  });

  it('tracing - an unsampled run exports nothing, and its trace context still goes on with the outbound request (not sampled)', async () => {
    const app = await startApp({ functions: ['fetch-probe'], env: { ...tracingEnv(receiver, 'http/json'), OTEL_TRACES_SAMPLER: 'always_off', OTEL_METRICS_EXPORTER: 'none' } });
    const exports = receiver.requests;
    try {
      const reply = await app.call('fetch-probe', { method: '0', url: `${target.origin}/echo/unsampled`, body: '', headers: '' });
      expect(reply.status).toBe(200);
    } finally {
      await app.stop();
    }
    const [received] = target.receivedAt('/echo/unsampled');
    expect(received?.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(receiver.requests).toBe(exports);
  });
});

describe('tracing, NATS and Kafka', () => {
  let receiver: OtlpReceiver;
  let app: StartedApp;
  let client: NatsConnection;
  let kafka: KafkaSpecClient;
  const FN = 'stream-upper';
  const names = { natsIn: unique('otel.in'), natsOut: unique('otel.out'), kIn: unique('otel-k-in'), kOut: unique('otel-k-out'), kFail: unique('otel-k-fail'), kDead: unique('otel-k-dead'), group: unique('otel-g') };
  const natsOut: Msg[] = [];

  beforeAll(async () => {
    await requireServices('nats', 'kafka');
    await builtFunctions();
    receiver = await startOtlpReceiver();
    client = await connect({ servers: SPEC_ENV.E2RX_SPEC_NATS });
    kafka = await kafkaSpecClient();
    await kafka.createTopic(names.kIn, 2);
    await kafka.createTopic(names.kOut, 2);
    await kafka.createTopic(names.kFail, 1);
    await kafka.createTopic(names.kDead, 1);
    client.subscribe(names.natsOut, { callback: (_error, msg) => void natsOut.push(msg) });
    await client.flush();
    app = await startApp({
      functions: [FN],
      env: { ...SPEC_ENV, ...tracingEnv(receiver, 'http/protobuf') },
      extra: 'connections:\n  nats: { serverAddress: env(E2RX_SPEC_NATS) }\n  kafka: { brokerAddress: env(E2RX_SPEC_KAFKA) }',
      handlers: `
- { type: stream, source: nats, resource: ${names.natsIn}, respondTo: ${names.natsOut}, steps: [ { fn: ${FN} } ] }
- { type: stream, source: kafka, resource: ${names.kIn}, respondTo: ${names.kOut}, consumerGroup: ${names.group}, steps: [ { fn: ${FN} } ] }
- type: stream
  source: kafka
  resource: ${names.kFail}
  deadLetter: ${names.kDead}
  consumerGroup: ${names.group}
  retries: { max: 1, backoffMs: 20 }
  steps: [ { fn: ${FN} } ]
`,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
  });

  afterAll(async () => {
    await app?.stop();
    await kafka?.close();
    await client?.drain();
    await receiver?.close();
  });

  it('tracing - a NATS message with a traceparent continues its trace; the respondTo message carries the producer span as its traceparent', async () => {
    const input = headers();
    input.set('traceparent', TRACEPARENT);
    client.publish(names.natsIn, encode('hello traces'), { headers: input });
    await waitFor(() => natsOut.length === 1, 10_000, 'the respondTo message');
    const out = parseTraceparent(natsOut[0]?.headers?.get('traceparent'));
    expect(out.traceId).toBe(INCOMING_TRACE);
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.spanId === out.parentId));

    const consumer = only(spans, `process ${names.natsIn}`);
    expect(consumer).toMatchObject({ kind: OTLP_KIND.consumer, traceId: INCOMING_TRACE, parentSpanId: INCOMING_SPAN });
    expect(consumer.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': names.natsIn, 'messaging.operation.type': 'process', 'e2rx.run.outcome': 'ok' });
    const producer = only(spans, `send ${names.natsOut}`);
    expect(producer).toMatchObject({ kind: OTLP_KIND.producer, spanId: out.parentId, parentSpanId: consumer.spanId });
    expect(producer.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': names.natsOut, 'e2rx.message.role': 'respondTo' });
    const step = only(spans, `step 1: fn ${FN}`);
    expect(step.parentSpanId).toBe(consumer.spanId);
    expect(only(spans, `function ${FN}`).parentSpanId).toBe(step.spanId);
  });

  it('tracing - a Kafka record with a traceparent continues its trace (topic, partition, offset); the respondTo record carries the producer span', async () => {
    const outputs = await kafka.read(names.kOut);
    await kafka.produce(names.kIn, [{ key: 'k-1', value: 'hello kafka traces', partition: 1, headers: { traceparent: TRACEPARENT } }]);
    await waitFor(() => outputs.length === 1, 30_000, 'the respondTo record');
    const out = parseTraceparent(outputs[0]?.headers['traceparent']);
    expect(out.traceId).toBe(INCOMING_TRACE);
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.spanId === out.parentId));

    const consumer = only(spans, `process ${names.kIn}`);
    expect(consumer).toMatchObject({ kind: OTLP_KIND.consumer, traceId: INCOMING_TRACE, parentSpanId: INCOMING_SPAN });
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': names.kIn,
      'messaging.destination.partition.id': '1',
      'messaging.kafka.offset': 0,
      'e2rx.attempt': 1,
    });
    const producer = only(spans, `send ${names.kOut}`);
    expect(producer).toMatchObject({ kind: OTLP_KIND.producer, spanId: out.parentId, parentSpanId: consumer.spanId });
    expect(producer.attributes).toMatchObject({ 'messaging.system': 'kafka', 'e2rx.message.role': 'respondTo' });
  });

  it('tracing - a Kafka record that fails for good: each attempt is a consumer span of the caller\'s trace, and the dead letter carries the producer span', async () => {
    const letters = await kafka.read(names.kDead);
    await kafka.produce(names.kFail, [{ key: 'k-2', value: 'fail:422 traced', headers: { traceparent: TRACEPARENT } }]);
    await waitFor(() => letters.length === 1, 30_000, 'the dead letter');
    const out = parseTraceparent(letters[0]?.headers['traceparent']);
    expect(out.traceId).toBe(INCOMING_TRACE);
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.spanId === out.parentId));
    const attempts = spans.filter((span) => span.name === `process ${names.kFail}`);
    expect(attempts.map((span) => span.attributes['e2rx.attempt']).sort()).toEqual([1, 2]);
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ kind: OTLP_KIND.consumer, traceId: INCOMING_TRACE, parentSpanId: INCOMING_SPAN, status: { code: 2 } });
      expect(attempt.attributes).toMatchObject({ 'e2rx.run.outcome': 'run_error', 'e2rx.run.error_code': 422 });
    }
    const last = attempts.find((span) => span.attributes['e2rx.attempt'] === 2) as ReceivedSpan;
    const producer = only(spans, `send ${names.kDead}`);
    expect(producer).toMatchObject({ kind: OTLP_KIND.producer, spanId: out.parentId, parentSpanId: last.spanId });
    expect(producer.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': names.kDead, 'e2rx.message.role': 'deadLetter' });
  });
});

describe('tracing, schedules, websockets and headless routes', () => {
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    await builtFunctions();
    receiver = await startOtlpReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
  });

  it('tracing - each tick of a schedule is a trace: an internal span named after the schedule, with its step and call', async () => {
    const name = unique('otel-tick');
    const seen = receiver.spans.length;
    const app = await startApp({
      functions: ['tick-probe'],
      handlers: '[]',
      extra: `schedules:\n  - name: ${name}\n    every: { seconds: 1 }\n    steps: [ { fn: tick-probe } ]`,
      env: tracingEnv(receiver, 'http/protobuf'),
    });
    let spans: readonly ReceivedSpan[];
    try {
      spans = (await receiver.waitForSpans((all) => all.slice(seen).some((span) => span.name === `schedule ${name}`), 15_000)).slice(seen);
    } finally {
      await app.stop();
    }
    const tick = spans.find((span) => span.name === `schedule ${name}`) as ReceivedSpan;
    expect(tick).toMatchObject({ kind: OTLP_KIND.internal, parentSpanId: '' });
    expect(tick.attributes).toMatchObject({ 'e2rx.handler': `schedule ${name}`, 'e2rx.schedule.name': name, 'e2rx.run.outcome': 'ok' });
    const step = spans.find((span) => span.traceId === tick.traceId && span.name === 'step 1: fn tick-probe');
    expect(step?.parentSpanId).toBe(tick.spanId);
    const call = spans.find((span) => span.traceId === tick.traceId && span.name === 'function tick-probe');
    expect(call?.parentSpanId).toBe(step?.spanId);
    expect(call?.attributes).toMatchObject({ 'e2rx.function.outcome': 'output' });
  });

  // A message's request has no headers (as in Atmo): its trace starts at the message, not at the upgrade request.
  it('tracing - each websocket message is a trace: a server span of the route, with its step and call', async () => {
    const seen = receiver.spans.length;
    const app = await startApp({
      functions: ['stream-upper'],
      handlers: '- { type: stream, resource: /otel-ws, steps: [ { fn: stream-upper } ] }',
      env: tracingEnv(receiver, 'http/json'),
    });
    let reply: string;
    try {
      const socket = new WebSocket(`${app.base.replace('http', 'ws')}/otel-ws`);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      const answered = new Promise<string>((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString('utf8'))));
      socket.send('hello socket');
      reply = await answered;
      socket.close();
    } finally {
      await app.stop();
    }
    expect(reply).toBe('HELLO SOCKET');
    const spans = (await receiver.waitForSpans((all) => all.slice(seen).some((span) => span.name === 'ws /otel-ws'))).slice(seen);
    const message = only(spans, 'ws /otel-ws');
    expect(message).toMatchObject({ kind: OTLP_KIND.server, parentSpanId: '' });
    expect(message.attributes).toMatchObject({ 'e2rx.handler': 'ws /otel-ws', 'http.route': '/otel-ws', 'url.path': '/otel-ws', 'e2rx.run.outcome': 'ok' });
    const step = only(spans, 'step 1: fn stream-upper');
    expect(step).toMatchObject({ traceId: message.traceId, parentSpanId: message.spanId });
    expect(only(spans, 'function stream-upper')).toMatchObject({ traceId: message.traceId, parentSpanId: step.spanId });
  });

  it('tracing - a headless call is a server span of its FQFN route, with its function call', async () => {
    const seen = receiver.spans.length;
    const app = await startApp({ functions: ['cache-probe'], headless: true, env: tracingEnv(receiver, 'http/protobuf') });
    const path = '/com.e2rx.integration/default/cache-probe/v0.1.0';
    try {
      const reply = await app.call(path, { op: 'set', key: 'headless', value: 'v' }, { traceparent: TRACEPARENT });
      expect(reply.status).toBe(200);
    } finally {
      await app.stop();
    }
    const spans = (await receiver.waitForSpans((all) => all.slice(seen).some((span) => span.name === `POST ${path}`))).slice(seen);
    const server = only(spans, `POST ${path}`);
    expect(server).toMatchObject({ kind: OTLP_KIND.server, traceId: INCOMING_TRACE, parentSpanId: INCOMING_SPAN });
    expect(server.attributes).toMatchObject({ 'e2rx.handler': `headless ${path}`, 'http.request.method': 'POST', 'http.response.status_code': 200 });
    const call = only(spans, 'function cache-probe');
    expect(call.traceId).toBe(INCOMING_TRACE);
    expect(only(spans, 'cache_set').parentSpanId).toBe(call.spanId);
  });
});
