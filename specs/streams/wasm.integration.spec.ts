/**
 * NATS and Kafka stream handlers end to end: a real app (a Directive and the AssemblyScript function
 * `specs/fixtures/functions/stream-upper`, built with `buildApp`) served by `createEngine`, against the real NATS
 * (with JetStream) and Kafka of `npm run services up`. Nothing is stubbed: the engine connects the brokers itself,
 * every message runs through the Wasm runtime, and the results, replies and dead letters are read back with the
 * brokers' own clients.
 *
 * The function upper-cases the body and sets response headers (`x-fn`, `x-seen: <method> <url>`); a body starting
 * with `fail:<code>` is refused with that code; `flaky:<n>` fails its first n runs (counted in the cache), then
 * succeeds with `x-attempt: <n+1>`.
 */
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDurableName, defaultStreamName } from '../../src/connections/jetstream-names.js';
import { startApp, type StartedApp } from '../integration/support/app.js';
import { builtFunctions } from '../integration/support/functions.js';
import { requireServices } from '../support/services.js';
import { kafkaSpecClient, type KafkaSpecClient } from './kafka-support.js';
import { decode, encode, SPEC_ENV, unique, waitFor } from './support.js';

const FN = 'stream-upper';
const IDENTIFIER = 'com.e2rx.integration';

describe('stream handlers through Wasm', () => {
  let app: StartedApp;
  let client: NatsConnection;
  let jsm: JetStreamManager;
  let kafka: KafkaSpecClient;
  const names = {
    natsIn: unique('wasm.in'),
    natsOut: unique('wasm.out'),
    rpc: unique('wasm.rpc'),
    jsIn: unique('wasm.js.in'),
    jsOut: unique('wasm.js.out'),
    jsDead: unique('wasm.js.dead'),
    kIn: unique('wasm-k-in'),
    kOut: unique('wasm-k-out'),
    kFail: unique('wasm-k-fail'),
    kDead: unique('wasm-k-dead'),
    group: unique('wasm-g'),
  };
  const outputs: Record<'natsOut' | 'jsOut' | 'jsDead', Msg[]> = { natsOut: [], jsOut: [], jsDead: [] };

  beforeAll(async () => {
    await requireServices('nats', 'kafka');
    await builtFunctions();
    client = await connect({ servers: SPEC_ENV.E2RX_SPEC_NATS });
    jsm = await jetstreamManager(client);
    kafka = await kafkaSpecClient();
    await kafka.createTopic(names.kIn, 3);
    await kafka.createTopic(names.kOut, 3);
    await kafka.createTopic(names.kFail, 1);
    await kafka.createTopic(names.kDead, 1);
    for (const key of ['natsOut', 'jsOut', 'jsDead'] as const) client.subscribe(names[key], { callback: (_error, msg) => void outputs[key].push(msg) });
    await client.flush();
    app = await startApp({
      functions: [FN],
      env: SPEC_ENV,
      extra: 'connections:\n  nats: { serverAddress: env(E2RX_SPEC_NATS) }\n  kafka: { brokerAddress: env(E2RX_SPEC_KAFKA) }',
      handlers: `
- { type: stream, source: nats, resource: ${names.natsIn}, respondTo: ${names.natsOut}, steps: [ { fn: ${FN} } ] }
- { type: stream, source: nats, resource: ${names.rpc}, steps: [ { fn: ${FN} } ] }
- type: stream
  source: nats
  resource: ${names.jsIn}
  respondTo: ${names.jsOut}
  deadLetter: ${names.jsDead}
  jetstream: { maxDeliver: 4, nakDelayMs: 50 }
  steps: [ { fn: ${FN} } ]
- { type: stream, source: kafka, resource: ${names.kIn}, respondTo: ${names.kOut}, consumerGroup: ${names.group}, steps: [ { fn: ${FN} } ] }
- type: stream
  source: kafka
  resource: ${names.kFail}
  respondTo: ${names.kOut}
  deadLetter: ${names.kDead}
  consumerGroup: ${names.group}
  retries: { max: 2, backoffMs: 50 }
  steps: [ { fn: ${FN} } ]
`,
    });
    // The engine subscribed on its own connection: let the server register its interest before publishing.
    await new Promise((resolve) => setTimeout(resolve, 200));
  });

  afterAll(async () => {
    await app?.stop();
    await jsm?.streams.delete(defaultStreamName(names.jsIn)).catch(() => undefined);
    await kafka?.close();
    await client?.drain();
  });

  it('nats respondTo - a message runs through the Wasm function; its result and the function headers are published to respondTo', async () => {
    const input = headers();
    input.set('x-request-id', 'wasm-corr-1');
    input.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    client.publish(names.natsIn, encode('hello wasm'), { headers: input });
    await waitFor(() => outputs.natsOut.length === 1, 10_000, 'the respondTo message');
    const [msg] = outputs.natsOut;
    expect(decode(msg?.data)).toBe('HELLO WASM');
    expect(msg?.headers?.get('x-fn')).toBe(FN);
    expect(msg?.headers?.get('x-seen')).toBe(`STREAM ${names.natsIn}`);
    expect(msg?.headers?.get('x-request-id')).toBe('wasm-corr-1');
    expect(msg?.headers?.get('traceparent')).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('nats request/reply - a request to a handler without respondTo gets the result as its reply; a refused run gets an empty reply with the error headers', async () => {
    const reply = await client.request(names.rpc, encode('ping'), { timeout: 10_000 });
    expect(decode(reply.data)).toBe('PING');
    expect(reply.headers?.get('x-fn')).toBe(FN);
    expect(reply.headers?.get('x-seen')).toBe(`STREAM ${names.rpc}`);
    const refused = await client.request(names.rpc, encode('fail:422 no'), { timeout: 10_000 });
    expect(decode(refused.data)).toBe('');
    expect(refused.headers?.get('e2rx-error')).toBe('refused fail:422 no');
    expect(refused.headers?.get('e2rx-error-code')).toBe('E2RX_RUN_ERROR');
    expect(refused.headers?.get('e2rx-run-error-code')).toBe('422');
    expect(refused.headers?.get('e2rx-source-subject')).toBe(names.rpc);
  });

  it('jetstream - a run the function failed is nak\'ed and redelivered until it succeeds, then acked; one that keeps failing is dead-lettered after maxDeliver', async () => {
    const js = jetstream(client);
    await js.publish(names.jsIn, encode('flaky:2 order-1'));
    await waitFor(() => outputs.jsOut.length === 1, 15_000, 'the result of the third delivery');
    const [result] = outputs.jsOut;
    expect(decode(result?.data)).toBe('FLAKY:2 ORDER-1');
    // The function counted its runs: two failed (503) and were redelivered, the third succeeded.
    expect(result?.headers?.get('x-attempt')).toBe('3');
    expect(result?.headers?.get('x-seen')).toBe(`STREAM ${names.jsIn}`);
    const failures = app.logs.filter((line) => typeof line.msg === 'string' && line.msg.includes('flaky attempt'));
    expect(failures.length).toBeGreaterThanOrEqual(2);

    await js.publish(names.jsIn, encode('fail:409 order-2'));
    await waitFor(() => outputs.jsDead.length === 1, 15_000, 'the dead letter');
    const [letter] = outputs.jsDead;
    expect(decode(letter?.data)).toBe('fail:409 order-2');
    expect(letter?.headers?.get('e2rx-error')).toBe('refused fail:409 order-2');
    expect(letter?.headers?.get('e2rx-error-code')).toBe('E2RX_RUN_ERROR');
    expect(letter?.headers?.get('e2rx-run-error-code')).toBe('409');
    expect(letter?.headers?.get('e2rx-attempts')).toBe('4');
    expect(letter?.headers?.get('e2rx-source-stream')).toBe(defaultStreamName(names.jsIn));
    expect(letter?.headers?.get('e2rx-source-sequence')).toBe('2');
    expect(outputs.jsOut).toHaveLength(1);
    const durable = defaultDurableName(IDENTIFIER, names.jsIn);
    await waitFor(
      async () => {
        const info = await jsm.consumers.info(defaultStreamName(names.jsIn), durable);
        return info.num_ack_pending === 0 && info.num_pending === 0;
      },
      5_000,
      'both messages to be acknowledged or terminated',
    );
  });

  it('kafka respondTo - a record runs through the Wasm function; the result keeps its key, its headers and its partition', async () => {
    const outputsK = await kafka.read(names.kOut);
    await kafka.produce(names.kIn, [{ key: 'order-7', value: 'hello kafka', headers: { 'x-request-id': 'wasm-corr-7', traceparent: 'tp-7' } }]);
    await waitFor(() => outputsK.some((record) => record.value === 'HELLO KAFKA'), 30_000, 'the respondTo record');
    const output = outputsK.find((record) => record.value === 'HELLO KAFKA');
    expect(output).toMatchObject({ key: 'order-7' });
    expect(output?.headers).toMatchObject({ 'x-request-id': 'wasm-corr-7', traceparent: 'tp-7', 'x-fn': FN, 'x-seen': `STREAM ${names.kIn}` });
    const inputs = await kafka.read(names.kIn);
    await waitFor(() => inputs.length === 1, 10_000, 'the input record');
    expect(output?.partition).toBe(inputs[0]?.partition);
  });

  it('kafka dead letter - a record the function keeps refusing is retried, then dead-lettered with the error headers; a flaky one succeeds within its retries', async () => {
    const letters = await kafka.read(names.kDead);
    const outputsK = await kafka.read(names.kOut);
    await kafka.produce(names.kFail, [
      { key: 'k1', value: 'fail:422 payment-1', headers: { 'x-trace': 't1' } },
      { key: 'k2', value: 'flaky:1 payment-2' },
    ]);
    await waitFor(() => letters.length === 1 && outputsK.some((record) => record.value === 'FLAKY:1 PAYMENT-2'), 30_000, 'the dead letter and the output');
    expect(letters[0]).toMatchObject({ key: 'k1', value: 'fail:422 payment-1' });
    expect(letters[0]?.headers).toMatchObject({
      'x-trace': 't1',
      'e2rx-error': 'refused fail:422 payment-1',
      'e2rx-error-code': 'E2RX_RUN_ERROR',
      'e2rx-run-error-code': '422',
      'e2rx-attempts': '3',
      'e2rx-handler': `kafka ${names.kFail}`,
      'e2rx-source-topic': names.kFail,
      'e2rx-source-partition': '0',
      'e2rx-source-offset': '0',
    });
    const flaky = outputsK.find((record) => record.value === 'FLAKY:1 PAYMENT-2');
    expect(flaky?.headers).toMatchObject({ 'x-attempt': '2', 'x-fn': FN });
    // Errors never reach respondTo.
    expect(outputsK.some((record) => record.value.toLowerCase().includes('payment-1'))).toBe(false);
  });
});
