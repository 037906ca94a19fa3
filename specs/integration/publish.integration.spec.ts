/**
 * (e2rx) Publishing from a function end to end: the AssemblyScript probe `specs/fixtures/functions/publish-probe`
 * calls `e2rx.publish` through the SDK's `publish` namespace, in apps served by `createEngine` against the real NATS
 * (with JetStream) and Kafka of `npm run services up`. The messages are read back with the brokers' own clients.
 *
 * Covered: HTTP-triggered runs on the calling thread and on a worker, to NATS, a JetStream subject and Kafka (body,
 * headers, key); a denied target; the buffer bound; a failing run publishes nothing; stream-triggered runs (NATS,
 * JetStream, Kafka) whose messages go out before the respondTo result and the acknowledgement.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultStreamName } from '../../src/connections/jetstream-names.js';
import { kafkaSpecClient, type KafkaSpecClient } from '../streams/kafka-support.js';
import { decode, encode, SPEC_ENV, unique, waitFor } from '../streams/support.js';
import { requireServices } from '../support/services.js';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'publish-probe';
const CONNECTIONS = 'connections:\n  nats: { serverAddress: env(E2RX_SPEC_NATS) }\n  kafka: { brokerAddress: env(E2RX_SPEC_KAFKA) }';

const names = {
  subject: unique('pub.nats'),
  denied: unique('pub.denied'),
  jsSubject: unique('pub.js'),
  topic: unique('pub-kafka'),
  natsIn: unique('pub.in'),
  natsOut: unique('pub.out'),
  jsIn: unique('pub.jsin'),
  kIn: unique('pub-k-in'),
  kOut: unique('pub-k-out'),
  group: unique('pub-g'),
  eoIn: unique('pub-eo-in'),
  eoOut: unique('pub-eo-out'),
  eoGroup: unique('pub-eo-g'),
};

describe('e2rx.publish end to end', () => {
  let client: NatsConnection;
  let jsm: JetStreamManager;
  let kafka: KafkaSpecClient;
  const received: Msg[] = [];
  const order: string[] = [];
  const apps: StartedApp[] = [];
  let inline: StartedApp;
  let workers: StartedApp;

  const capabilities = `publish:\n  allow: [${names.subject}, "${names.jsSubject}", ${names.topic}, ${names.natsOut}]\n  maxMessages: 3`;

  beforeAll(async () => {
    await requireServices('nats', 'kafka');
    await builtFunctions();
    client = await connect({ servers: SPEC_ENV.E2RX_SPEC_NATS });
    jsm = await jetstreamManager(client);
    await jsm.streams.add({ name: defaultStreamName(names.jsSubject), subjects: [names.jsSubject] });
    kafka = await kafkaSpecClient();
    await kafka.createTopic(names.topic, 2);
    await kafka.createTopic(names.kIn, 1);
    await kafka.createTopic(names.kOut, 1);
    await kafka.createTopic(names.eoIn, 1);
    await kafka.createTopic(names.eoOut, 1);
    for (const subject of [names.subject, names.denied, names.natsOut]) {
      client.subscribe(subject, {
        callback: (_error, msg) => {
          received.push(msg);
          order.push(msg.subject);
        },
      });
    }
    await client.flush();
    inline = await startApp({ functions: [FN], env: SPEC_ENV, capabilities, extra: CONNECTIONS });
    workers = await startApp({ functions: [FN], env: SPEC_ENV, capabilities, extra: CONNECTIONS, runtime: 'workers: 1\nplacement: workers' });
    apps.push(inline, workers);
  });

  afterAll(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()));
    await jsm?.streams.delete(defaultStreamName(names.jsSubject)).catch(() => undefined);
    await jsm?.streams.delete(defaultStreamName(names.jsIn)).catch(() => undefined);
    await kafka?.close();
    await client?.drain();
  });

  const on = (subject: string): Msg[] => received.filter((msg) => msg.subject === subject);

  it.each([
    ['the calling thread', () => inline],
    ['a worker', () => workers],
  ])('publish (HTTP, %s) - a NATS message arrives with its body and headers, and x-request-id', async (_where, app) => {
    const marker = unique('m');
    const reply = await app().call(FN, { to: 'nats', target: names.subject, body: marker, h0: 'kind=audit', h1: 'x-two=a:b' }, { 'x-request-id': `req-${marker}` });
    expect(reply).toMatchObject({ status: 200, text: 'published 1' });
    await waitFor(() => on(names.subject).some((msg) => decode(msg.data) === marker), 10_000, 'the published message');
    const msg = on(names.subject).find((m) => decode(m.data) === marker);
    expect(msg?.headers?.get('kind')).toBe('audit');
    expect(msg?.headers?.get('x-two')).toBe('a:b');
    expect(msg?.headers?.get('x-request-id')).toBe(`req-${marker}`);
  });

  it.each([
    ['the calling thread', () => inline],
    ['a worker', () => workers],
  ])('publish (HTTP, %s) - Kafka records arrive with body, key and headers, in the order published', async (_where, app) => {
    const records = await kafka.read(names.topic);
    const marker = unique('k');
    const reply = await app().call(FN, { to: 'kafka', target: names.topic, body: marker, key: 'order-7', h0: 'kind=audit', count: '3' });
    expect(reply).toMatchObject({ status: 200, text: 'published 3' });
    await waitFor(() => records.filter((r) => r.value.startsWith(marker)).length === 3, 20_000, 'three Kafka records');
    const mine = records.filter((r) => r.value.startsWith(marker));
    expect(mine.map((r) => r.value)).toEqual([marker, `${marker}#1`, `${marker}#2`]);
    expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
    for (const record of mine) {
      expect(record.key).toBe('order-7');
      expect(record.headers['kind']).toBe('audit');
      expect(record.headers['x-request-id']).toBeTruthy();
    }
  });

  it('publish (HTTP) - a subject a JetStream stream stores is published to the stream', async () => {
    const before = (await jsm.streams.info(defaultStreamName(names.jsSubject))).state.messages;
    const reply = await workers.call(FN, { to: 'nats', target: names.jsSubject, body: 'to the stream' });
    expect(reply.status).toBe(200);
    // Acknowledged by the stream before the reply: no waiting.
    expect((await jsm.streams.info(defaultStreamName(names.jsSubject))).state.messages).toBe(before + 1);
  });

  it.each([
    ['the calling thread', () => inline],
    ['a worker', () => workers],
  ])('publish (HTTP, %s) - a denied target is refused with its code, logged with the reason, and nothing is sent', async (_where, app) => {
    const reply = await app().call(FN, { to: 'nats', target: names.denied, body: 'nope' });
    expect(reply).toMatchObject({ status: 500, message: 'the target is not allowed (capabilities.publish.allow)' });
    expect(app().logs.some((line) => line.msg === `e2rx.publish refused (-3): ${names.denied} is not in capabilities.publish.allow`)).toBe(true);
    await client.flush();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(on(names.denied)).toEqual([]);
  });

  it('publish (HTTP) - past maxMessages the call is refused with the buffer code', async () => {
    const reply = await inline.call(FN, { to: 'nats', target: names.subject, body: unique('full'), count: '4' });
    expect(reply).toMatchObject({ status: 500, message: 'too many messages published by this call (capabilities.publish.maxMessages or maxBytes)' });
    expect(inline.logs.some((line) => line.msg.startsWith('e2rx.publish refused (-5): the call already published 3 messages'))).toBe(true);
  });

  it.each([
    ['the calling thread', () => inline],
    ['a worker', () => workers],
  ])('publish (HTTP, %s) - a run that fails publishes nothing', async (_where, app) => {
    const failed = unique('failed');
    const reply = await app().call(FN, { to: 'nats', target: names.subject, body: failed, then: 'error' });
    expect(reply.status).toBe(422);
    const after = unique('after');
    expect((await app().call(FN, { to: 'nats', target: names.subject, body: after })).status).toBe(200);
    await waitFor(() => on(names.subject).some((msg) => decode(msg.data) === after), 10_000, 'the message published after');
    expect(on(names.subject).some((msg) => decode(msg.data) === failed)).toBe(false);
  });

  it('publish (streams) - NATS, JetStream and Kafka triggered runs publish before respondTo; a failing run publishes nothing', async () => {
    const outputs = await kafka.read(names.kOut);
    const published = await kafka.read(names.topic);
    const app = await startApp({
      functions: [FN],
      env: SPEC_ENV,
      capabilities,
      extra: CONNECTIONS,
      handlers: `
- { type: stream, source: nats, resource: ${names.natsIn}, respondTo: ${names.natsOut}, steps: [ { fn: ${FN} } ] }
- { type: stream, source: nats, resource: ${names.jsIn}, jetstream: { maxDeliver: 1 }, steps: [ { fn: ${FN} } ] }
- { type: stream, source: kafka, resource: ${names.kIn}, respondTo: ${names.kOut}, consumerGroup: ${names.group}, steps: [ { fn: ${FN} } ] }
`,
    });
    apps.push(app);
    await new Promise((resolve) => setTimeout(resolve, 200));

    // NATS in: the published message reaches a subscriber before the respondTo result.
    const natsMarker = unique('from-nats');
    client.publish(names.natsIn, encode(JSON.stringify({ to: 'nats', target: names.subject, body: natsMarker })));
    await waitFor(() => on(names.natsOut).some((msg) => decode(msg.data) === 'published 1'), 10_000, 'the respondTo result');
    const publishedAt = received.findIndex((msg) => decode(msg.data) === natsMarker);
    const resultAt = received.findIndex((msg) => msg.subject === names.natsOut);
    expect(publishedAt).toBeGreaterThanOrEqual(0);
    expect(publishedAt).toBeLessThan(resultAt);

    // JetStream in: the message is published, then the input acknowledged (the consumer has nothing pending).
    const jsMarker = unique('from-js');
    await client.request(names.jsIn, encode(JSON.stringify({ to: 'nats', target: names.subject, body: jsMarker })), { timeout: 5_000 }).catch(() => undefined);
    await waitFor(() => on(names.subject).some((msg) => decode(msg.data) === jsMarker), 10_000, 'the message of the JetStream run');

    // Kafka in: a failing record publishes nothing; the next one publishes with its key, then its result goes out.
    const failing = unique('k-failing');
    const kMarker = unique('from-kafka');
    await kafka.produce(names.kIn, [
      { key: 'a', value: JSON.stringify({ to: 'kafka', target: names.topic, body: failing, key: 'f', then: 'error' }) },
      { key: 'b', value: JSON.stringify({ to: 'kafka', target: names.topic, body: kMarker, key: 'k-1', h0: 'src=kafka' }) },
    ]);
    await waitFor(() => outputs.some((record) => record.value === 'published 1'), 20_000, 'the Kafka respondTo result');
    await waitFor(() => published.some((record) => record.value === kMarker), 20_000, 'the record the Kafka run published');
    const record = published.find((r) => r.value === kMarker);
    expect(record?.key).toBe('k-1');
    expect(record?.headers['src']).toBe('kafka');
    expect(published.some((r) => r.value === failing)).toBe(false);
  });

  it('publish (Kafka, delivery: exactly-once) - what a run publishes to Kafka is committed with its result, once each', async () => {
    const outputs = await kafka.read(names.eoOut);
    const published = await kafka.read(names.topic);
    const app = await startApp({
      functions: [FN],
      env: SPEC_ENV,
      capabilities,
      extra: CONNECTIONS,
      handlers: `
- { type: stream, source: kafka, resource: ${names.eoIn}, respondTo: ${names.eoOut}, consumerGroup: ${names.eoGroup}, delivery: exactly-once, steps: [ { fn: ${FN} } ] }
`,
    });
    apps.push(app);
    const markers = [unique('eo-a'), unique('eo-b'), unique('eo-c')];
    await kafka.produce(
      names.eoIn,
      markers.map((marker) => ({ key: marker, value: JSON.stringify({ to: 'kafka', target: names.topic, body: marker, key: marker, h0: 'src=eo' }) })),
    );
    await waitFor(() => outputs.filter((record) => record.value === 'published 1').length === 3, 30_000, 'the three results');
    await waitFor(() => markers.every((marker) => published.some((record) => record.value === marker)), 30_000, 'the three published records');
    for (const marker of markers) {
      const copies = published.filter((record) => record.value === marker);
      expect(copies).toHaveLength(1);
      expect(copies[0]?.headers['src']).toBe('eo');
    }
  });
});
