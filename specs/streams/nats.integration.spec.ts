import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wrapPayload } from '../../src/messages/envelope.js';
import { NATS_URL, requireService } from '../support/services.js';
import { app, decode, encode, probeRun, startHandler, unique, waitFor, type RunningHandler } from './support.js';

describe('NATS core handlers', () => {
  let client: NatsConnection;
  const running: RunningHandler[] = [];

  beforeAll(async () => {
    await requireService('nats');
    client = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((handler) => handler.stop(2_000)));
    await client?.drain();
  });

  const collect = (subject: string): Msg[] => {
    const received: Msg[] = [];
    client.subscribe(subject, { callback: (_error, msg) => void received.push(msg) });
    return received;
  };

  it('fromNatsSubject - a message round-trips to respondTo with its headers and the function headers', async () => {
    const subject = unique('spec.in');
    const out = unique('spec.out');
    const received = collect(out);
    await client.flush();
    const probe = probeRun();
    const handler = await startHandler(app(`  - { type: stream, source: nats, resource: ${subject}, respondTo: ${out}, steps: [ { fn: echo } ] }`), probe.run);
    running.push(handler);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const input = headers();
    input.set('X-Request-Id', 'corr-1');
    input.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    client.publish(subject, encode('hello'), { headers: input });
    await waitFor(() => received.length === 1, 5_000, 'the respondTo message');
    const [msg] = received;
    expect(decode(msg?.data)).toBe('HELLO');
    expect(msg?.headers?.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(msg?.headers?.get('X-Request-Id')).toBe('corr-1');
    expect(msg?.headers?.get('x-fn')).toBe('echo');
    const request = probe.calls[0];
    expect(request).toMatchObject({ method: 'STREAM', url: subject, id: 'corr-1' });
    expect(request?.headers).toMatchObject({ 'x-request-id': 'corr-1' });
    expect(handler.outcomes).toEqual([expect.objectContaining({ outcome: 'published', publishedTo: out, requestId: 'corr-1' })]);
  });

  it('fromNatsSubject - a Grav envelope is unwrapped, and a fresh id is set on the output', async () => {
    const subject = unique('spec.in');
    const out = unique('spec.out');
    const received = collect(out);
    await client.flush();
    const probe = probeRun();
    const handler = await startHandler(app(`  - { type: stream, source: nats, resource: ${subject}, respondTo: ${out}, steps: [ { fn: echo } ] }`), probe.run);
    running.push(handler);
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.publish(subject, wrapPayload(encode('wrapped'), { uuid: 'u-1', msg_type: subject }));
    await waitFor(() => received.length === 1, 5_000, 'the respondTo message');
    expect(decode(received[0]?.data)).toBe('WRAPPED');
    const id = received[0]?.headers?.get('x-request-id') ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(probe.calls[0]?.id).toBe(id);
  });

  it('fromNatsSubject - a request without respondTo gets its reply; a failed run replies with error headers', async () => {
    const subject = unique('spec.rpc');
    const handler = await startHandler(app(`  - { type: stream, source: nats, resource: ${subject}, steps: [ { fn: echo } ] }`), probeRun().run);
    running.push(handler);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reply = await client.request(subject, encode('ping'), { timeout: 5_000 });
    expect(decode(reply.data)).toBe('PING');
    const failed = await client.request(subject, encode('fail me'), { timeout: 5_000 });
    expect(decode(failed.data)).toBe('');
    expect(failed.headers?.get('e2rx-error')).toBe('refused fail me');
    expect(failed.headers?.get('e2rx-error-code')).toBe('E2RX_RUN_ERROR');
    expect(failed.headers?.get('e2rx-run-error-code')).toBe('500');
  });

  it('fromNatsSubject - without respondTo and reply subject nothing is published (no loop onto the input subject)', async () => {
    const subject = unique('spec.quiet');
    const seen = collect(subject);
    await client.flush();
    const probe = probeRun();
    const handler = await startHandler(app(`  - { type: stream, source: nats, resource: ${subject}, steps: [ { fn: echo } ] }`), probe.run);
    running.push(handler);
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.publish(subject, encode('once'));
    await waitFor(() => handler.outcomes.length === 1, 5_000, 'the run');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.map((msg) => decode(msg.data))).toEqual(['once']);
    expect(handler.outcomes[0]?.outcome).toBe('done');
  });

  it('fromNatsSubject - an error is never published to respondTo: retried, then dead-lettered with error headers', async () => {
    const subject = unique('spec.in');
    const out = unique('spec.out');
    const dead = unique('spec.dead');
    const outputs = collect(out);
    const letters = collect(dead);
    await client.flush();
    const probe = probeRun();
    const handler = await startHandler(
      app(
        `  - { type: stream, source: nats, resource: ${subject}, respondTo: ${out}, deadLetter: ${dead}, retries: { max: 2, backoffMs: 20 }, steps: [ { fn: echo } ] }`,
      ),
      probe.run,
    );
    running.push(handler);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const input = headers();
    input.set('x-trace', 't-9');
    client.publish(subject, encode('fail now'), { headers: input });
    await waitFor(() => letters.length === 1, 5_000, 'the dead letter');
    expect(probe.calls).toHaveLength(3);
    expect(outputs).toHaveLength(0);
    const letter = letters[0];
    expect(decode(letter?.data)).toBe('fail now');
    expect(letter?.headers?.get('x-trace')).toBe('t-9');
    expect(letter?.headers?.get('e2rx-error')).toBe('refused fail now');
    expect(letter?.headers?.get('e2rx-error-code')).toBe('E2RX_RUN_ERROR');
    expect(letter?.headers?.get('e2rx-attempts')).toBe('3');
    expect(letter?.headers?.get('e2rx-source-subject')).toBe(subject);
    expect(handler.outcomes).toEqual([expect.objectContaining({ outcome: 'dead-lettered', attempts: 3, publishedTo: dead })]);
  });

  it('fromNatsSubject - two instances in one queue group share the messages, each handled exactly once', async () => {
    const subject = unique('spec.shared');
    const setup = app(`  - { type: stream, source: nats, resource: ${subject}, queueGroup: ${unique('group')}, steps: [ { fn: echo } ] }`);
    const first = probeRun();
    const second = probeRun();
    const a = await startHandler(setup, first.run);
    const b = await startHandler(setup, second.run);
    running.push(a, b);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const total = 60;
    for (let index = 0; index < total; index += 1) client.publish(subject, encode(`m${index}`));
    await client.flush();
    await waitFor(() => first.calls.length + second.calls.length >= total, 10_000, 'every message');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const bodies = [...first.calls, ...second.calls].map((request) => decode(request.body));
    expect(bodies).toHaveLength(total);
    expect(new Set(bodies).size).toBe(total);
    expect(first.calls.length).toBeGreaterThan(0);
    expect(second.calls.length).toBeGreaterThan(0);
  });

  it('fromNatsSubject - the in-flight bound holds: runs beyond it wait in the queue', async () => {
    const subject = unique('spec.bound');
    const probe = probeRun();
    const handler = await startHandler(
      app(`  - { type: stream, source: nats, resource: ${subject}, limits: { maxInFlight: 2, queueSize: 50 }, steps: [ { fn: echo } ] }`),
      probe.run,
    );
    running.push(handler);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let index = 0; index < 8; index += 1) client.publish(subject, encode(`slow:60 n${index}`));
    await waitFor(() => handler.outcomes.length === 8, 10_000, 'every run');
    expect(probe.maxConcurrent).toBe(2);
  });

  it('fromNatsSubject - past the in-flight bound and its queue a message is refused: dead-lettered with E2RX_OVERLOADED', async () => {
    const subject = unique('spec.full');
    const dead = unique('spec.dead');
    const letters = collect(dead);
    await client.flush();
    const probe = probeRun();
    const handler = await startHandler(
      app(`  - { type: stream, source: nats, resource: ${subject}, deadLetter: ${dead}, limits: { maxInFlight: 1, queueSize: 1 }, steps: [ { fn: echo } ] }`),
      probe.run,
    );
    running.push(handler);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let index = 0; index < 5; index += 1) client.publish(subject, encode(`slow:100 n${index}`));
    await waitFor(() => handler.outcomes.length === 5, 5_000, 'every message');
    expect(probe.calls.map((request) => decode(request.body))).toEqual(['slow:100 n0', 'slow:100 n1']);
    expect(letters.map((msg) => decode(msg.data))).toEqual(['slow:100 n2', 'slow:100 n3', 'slow:100 n4']);
    expect(letters[0]?.headers?.get('e2rx-error-code')).toBe('E2RX_OVERLOADED');
    expect(handler.outcomes.filter((outcome) => outcome.outcome === 'refused')).toHaveLength(3);
  });
});
