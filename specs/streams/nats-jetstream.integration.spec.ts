import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultStreamName } from '../../src/connections/jetstream-names.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import { NATS_URL, requireService } from '../support/services.js';
import { app, decode, echoUpper, encode, probeRun, startHandler, unique, waitFor, type RunningHandler } from './support.js';

describe('JetStream handlers', () => {
  let client: NatsConnection;
  let jsm: JetStreamManager;
  const running: RunningHandler[] = [];
  const streams: string[] = [];

  beforeAll(async () => {
    await requireService('nats');
    client = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(client);
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((handler) => handler.stop(2_000)));
    await Promise.allSettled(streams.map((stream) => jsm.streams.delete(stream)));
    await client?.drain();
  });

  const collect = (subject: string): Msg[] => {
    const received: Msg[] = [];
    client.subscribe(subject, { callback: (_error, msg) => void received.push(msg) });
    return received;
  };
  const publish = async (subject: string, ...bodies: string[]): Promise<void> => {
    const js = jetstream(client);
    for (const body of bodies) await js.publish(subject, encode(body));
  };
  const consumerInfo = (subject: string, durable: string) => jsm.consumers.info(defaultStreamName(subject), durable);

  it('fromJetStream - creates the stream, redelivers a failed run after its nak delay, then acks', async () => {
    const subject = unique('js.in');
    const out = unique('js.out');
    streams.push(defaultStreamName(subject));
    const outputs = collect(out);
    await client.flush();
    let failures = 0;
    const probe = probeRun((request: FunctionRequest) => {
      if (failures < 2) {
        failures += 1;
        return { kind: 'failure', error: new Error('transient'), request };
      }
      return echoUpper(request);
    });
    const handler = await startHandler(
      app(`  - { type: stream, source: nats, resource: ${subject}, respondTo: ${out}, jetstream: { durable: d1, nakDelayMs: 50 }, steps: [ { fn: echo } ] }`),
      probe.run,
    );
    running.push(handler);
    await publish(subject, 'again');
    await waitFor(() => outputs.length === 1, 10_000, 'the output');
    expect(decode(outputs[0]?.data)).toBe('AGAIN');
    expect(probe.calls).toHaveLength(3);
    expect(handler.outcomes.map((outcome) => outcome.outcome)).toEqual(['retry-later', 'retry-later', 'published']);
    await waitFor(() => handler.outcomes.length === 3);
    const info = await consumerInfo(subject, 'd1');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('fromJetStream - acks only after the respondTo publish is confirmed: a refused publish is redelivered, then dead-lettered', async () => {
    const subject = unique('js.in');
    const out = unique('js.out');
    const dead = unique('js.dead');
    const outStream = `${defaultStreamName(out)}_OUT`;
    streams.push(defaultStreamName(subject), outStream);
    // The output stream holds one message and refuses more: the second result cannot be published.
    await jsm.streams.add({ name: outStream, subjects: [out], max_msgs: 1, discard: 'new' });
    const letters = collect(dead);
    await client.flush();
    const probe = probeRun();
    const handler = await startHandler(
      app(
        `  - { type: stream, source: nats, resource: ${subject}, respondTo: ${out}, deadLetter: ${dead}, jetstream: { durable: d2, maxDeliver: 3, nakDelayMs: 30 }, steps: [ { fn: echo } ] }`,
      ),
      probe.run,
    );
    running.push(handler);
    await publish(subject, 'first');
    await waitFor(() => handler.outcomes.length === 1, 10_000, 'the first message');
    expect(handler.outcomes[0]).toMatchObject({ outcome: 'published', publishedTo: out });
    const stored = await jsm.streams.getMessage(outStream, { seq: 1 });
    expect(decode(stored?.data)).toBe('FIRST');
    await publish(subject, 'second');
    await waitFor(() => letters.length === 1, 10_000, 'the dead letter');
    expect(probe.calls.map((request) => decode(request.body))).toEqual(['first', 'second', 'second', 'second']);
    expect(handler.outcomes.slice(1).map((outcome) => outcome.outcome)).toEqual(['retry-later', 'retry-later', 'dead-lettered']);
    expect(letters[0]?.headers?.get('e2rx-error-code')).toBe('E2RX_CONNECTION');
    expect((await jsm.streams.info(outStream)).state.messages).toBe(1);
  });

  it('fromJetStream - after maxDeliver failed deliveries the message goes to the dead letter with its error headers', async () => {
    const subject = unique('js.in');
    const dead = unique('js.dead');
    streams.push(defaultStreamName(subject));
    const letters = collect(dead);
    await client.flush();
    const probe = probeRun();
    const handler = await startHandler(
      app(`  - { type: stream, source: nats, resource: ${subject}, deadLetter: ${dead}, jetstream: { durable: d3, maxDeliver: 3, nakDelayMs: 20 }, steps: [ { fn: echo } ] }`),
      probe.run,
    );
    running.push(handler);
    await publish(subject, 'fail always');
    await waitFor(() => letters.length === 1, 10_000, 'the dead letter');
    expect(probe.calls).toHaveLength(3);
    const letter = letters[0];
    expect(decode(letter?.data)).toBe('fail always');
    expect(letter?.headers?.get('e2rx-error')).toBe('refused fail always');
    expect(letter?.headers?.get('e2rx-error-code')).toBe('E2RX_RUN_ERROR');
    expect(letter?.headers?.get('e2rx-run-error-code')).toBe('500');
    expect(letter?.headers?.get('e2rx-attempts')).toBe('3');
    expect(letter?.headers?.get('e2rx-source-stream')).toBe(defaultStreamName(subject));
    expect(letter?.headers?.get('e2rx-source-sequence')).toBe('1');
    await waitFor(() => handler.outcomes.length === 3);
    const info = await consumerInfo(subject, 'd3');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  it('fromJetStream - pulls are sized by the free in-flight slots: concurrent runs never exceed the bound', async () => {
    const subject = unique('js.in');
    streams.push(defaultStreamName(subject));
    const pulls: number[] = [];
    const probe = probeRun();
    const handler = await startHandler(
      app(`  - { type: stream, source: nats, resource: ${subject}, limits: { maxInFlight: 3 }, jetstream: { durable: d4 }, steps: [ { fn: echo } ] }`),
      probe.run,
      { factory: { observe: { jetStreamPull: (_id, batch) => pulls.push(batch) } } },
    );
    running.push(handler);
    await publish(subject, ...Array.from({ length: 20 }, (_, index) => `slow:40 n${index}`));
    await waitFor(() => handler.outcomes.length === 20, 15_000, 'every message');
    expect(probe.maxConcurrent).toBeLessThanOrEqual(3);
    expect(probe.maxConcurrent).toBeGreaterThan(1);
    expect(pulls.length).toBeGreaterThan(0);
    expect(Math.max(...pulls)).toBeLessThanOrEqual(3);
    expect(new Set(probe.calls.map((request) => decode(request.body))).size).toBe(20);
  });

  it('fromJetStream - stop lets the runs in flight finish and acks them; nothing more is pulled', async () => {
    const subject = unique('js.in');
    const out = unique('js.out');
    streams.push(defaultStreamName(subject));
    const outputs = collect(out);
    await client.flush();
    const probe = probeRun();
    const handler = await startHandler(
      app(`  - { type: stream, source: nats, resource: ${subject}, respondTo: ${out}, limits: { maxInFlight: 2 }, jetstream: { durable: d5 }, steps: [ { fn: echo } ] }`),
      probe.run,
    );
    await publish(subject, 'slow:400 a', 'slow:400 b', 'c', 'd');
    await waitFor(() => probe.current === 2, 5_000, 'two runs in flight');
    expect(await handler.stop(5_000)).toBe(true);
    expect(outputs.map((msg) => decode(msg.data)).sort()).toEqual(['SLOW:400 A', 'SLOW:400 B']);
    const info = await consumerInfo(subject, 'd5');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(2);
  });
});
