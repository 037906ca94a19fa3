/**
 * Throughput of the NATS and Kafka stream pipelines, with a stub run (the body upper-cased) so that only the
 * transport, the pipeline and the acknowledgements are measured; swap `run` for the Wasm runner to measure a whole
 * round trip once the runtime is wired in.
 *
 * For each transport, messages/s through:
 * - baseline: the client library alone (receive, publish the upper-cased body; no acks, no bounds);
 * - e2rx: `createStreamConnections` (source → run → respondTo → ack/commit), with the handler's in-flight bound;
 * and for core NATS also the async-iterator form of a subscription, to check the callback choice. Core NATS is
 * published with a window of 256 outstanding messages (core NATS has no flow control: a burst beyond the handler's
 * queue would be refused, and an unbounded queue measures the queue, not the pipeline).
 *
 * Needs the local services (`npm run services up`). Run: node --import tsx bench/streams.ts
 * Environment: E2RX_BENCH_MESSAGES (default 20000 for NATS, a quarter for JetStream and Kafka), E2RX_BENCH_IN_FLIGHT (default 64).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { of, type Observable } from 'rxjs';
import { createStreamConnections } from '../src/connections/streams.js';
import { formatProblems, parseDirective } from '../src/directive/index.js';
import { compileDirective } from '../src/engine/compile.js';
import { createGate } from '../src/engine/gate.js';
import type { FunctionRequest } from '../src/runtime/request.js';
import type { RunResult } from '../src/steps/steps.js';
import { KAFKA_BROKERS, NATS_URL, requireServices } from '../specs/support/services.js';

const MESSAGES = Number(process.env['E2RX_BENCH_MESSAGES'] ?? 20_000);
const IN_FLIGHT = Number(process.env['E2RX_BENCH_IN_FLIGHT'] ?? 64);
/** Core NATS: messages outstanding at most (published, not yet answered). */
const WINDOW = 256;
const logger = pino({ level: 'warn' });
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const payload = encoder.encode(JSON.stringify({ id: 1, name: 'bench', tags: ['a', 'b', 'c'] }));

/** The stub of the engine's run. */
const run = (request: FunctionRequest): Observable<RunResult> => of({ kind: 'ok', body: encoder.encode(decoder.decode(request.body).toUpperCase()), request });

const suffix = (): string => `${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;

interface Row {
  readonly name: string;
  readonly perSecond: number;
}

async function timed(count: number, start: () => Promise<void>, done: () => number): Promise<number> {
  const began = performance.now();
  await start();
  while (done() < count) await sleep(2);
  return count / ((performance.now() - began) / 1000);
}

function directive(handler: string) {
  const { directive: parsed, problems } = parseDirective(`identifier: bench
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  nats: { serverAddress: env(BENCH_NATS) }
  kafka: { brokerAddress: env(BENCH_KAFKA) }
handlers:
  - ${handler}
runnables: [ { name: echo, namespace: default } ]
`);
  if (!parsed) throw new Error(formatProblems(problems));
  return parsed;
}

async function e2rxRun(handler: string, count: number, publish: () => Promise<void>, outputs: () => number): Promise<number> {
  const parsed = directive(handler);
  const plan = compileDirective(parsed, { defaultMaxInFlight: IN_FLIGHT }).streams[0];
  if (!plan) throw new Error('no stream handler');
  const streams = createStreamConnections(parsed, { logger, env: { BENCH_NATS: NATS_URL, BENCH_KAFKA: KAFKA_BROKERS.join(',') } });
  await streams.connect();
  const subscription = streams.stream(plan, run, createGate(plan.bounds)).subscribe();
  await sleep(plan.handler.source === 'kafka' ? 3_000 : 200);
  try {
    return await timed(count, publish, outputs);
  } finally {
    subscription.unsubscribe();
    await streams.drain(10_000);
    await streams.close();
  }
}

async function natsCore(client: NatsConnection): Promise<Row[]> {
  const rows: Row[] = [];
  const count = MESSAGES;
  const counter = (subject: string) => {
    let received = 0;
    client.subscribe(subject, { callback: () => void (received += 1) });
    return () => received;
  };
  // A windowed publisher: at most WINDOW messages outstanding, so that no variant drops or queues without bound
  // (core NATS has no flow control; e2rx refuses what is past its in-flight bound and queue).
  const publishAll = (subject: string, received: () => number) => async () => {
    let sent = 0;
    while (sent < count) {
      while (sent < count && sent - received() < WINDOW) {
        client.publish(subject, payload);
        sent += 1;
      }
      await client.flush();
      if (sent - received() >= WINDOW) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  {
    const input = `bench.base.${suffix()}`;
    const out = `${input}.out`;
    const received = counter(out);
    const echo = await connect({ servers: NATS_URL });
    echo.subscribe(input, { callback: (_error, msg) => echo.publish(out, encoder.encode(decoder.decode(msg.data).toUpperCase())) });
    await echo.flush();
    rows.push({ name: 'nats: nats.js callback (baseline)', perSecond: await timed(count, publishAll(input, received), received) });
    await echo.close();
  }
  {
    const input = `bench.iter.${suffix()}`;
    const out = `${input}.out`;
    const received = counter(out);
    const echo = await connect({ servers: NATS_URL });
    const subscription = echo.subscribe(input);
    void (async () => {
      for await (const msg of subscription) echo.publish(out, encoder.encode(decoder.decode(msg.data).toUpperCase()));
    })();
    await echo.flush();
    rows.push({ name: 'nats: nats.js async iterator', perSecond: await timed(count, publishAll(input, received), received) });
    await echo.close();
  }
  {
    const input = `bench.e2rx.${suffix()}`;
    const out = `${input}.out`;
    const received = counter(out);
    await client.flush();
    rows.push({
      name: 'nats: e2rx pipeline',
      perSecond: await e2rxRun(`{ type: stream, source: nats, resource: ${input}, respondTo: ${out}, limits: { maxInFlight: ${IN_FLIGHT}, queueSize: ${WINDOW} }, steps: [ { fn: echo } ] }`, count, publishAll(input, received), received),
    });
  }
  return rows;
}

async function jetStream(client: NatsConnection): Promise<Row[]> {
  const count = Math.max(1, Math.floor(MESSAGES / 4));
  const input = `bench.js.${suffix()}`;
  const out = `${input}.out`;
  let received = 0;
  client.subscribe(out, { callback: () => void (received += 1) });
  await client.flush();
  const jsm = await jetstreamManager(client);
  const stream = `BENCH_${suffix()}`;
  await jsm.streams.add({ name: stream, subjects: [input] });
  const js = jsm.jetstream();
  try {
    const perSecond = await e2rxRun(
      `{ type: stream, source: nats, resource: ${input}, respondTo: ${out}, limits: { maxInFlight: ${IN_FLIGHT} }, jetstream: { stream: ${stream}, durable: bench }, steps: [ { fn: echo } ] }`,
      count,
      async () => {
        const acks = [];
        for (let index = 0; index < count; index += 1) acks.push(js.publish(input, payload));
        await Promise.all(acks);
      },
      () => received,
    );
    return [{ name: 'jetstream: e2rx pipeline (pull, run, publish+flush, ackAck)', perSecond }];
  } finally {
    await jsm.streams.delete(stream);
  }
}

async function kafka(): Promise<Row[]> {
  const count = Math.max(1, Math.floor(MESSAGES / 4));
  const client = new Kafka({ clientId: 'e2rx-bench', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = client.admin();
  const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await admin.connect();
  await producer.connect();
  const topics: string[] = [];
  const topic = async (name: string): Promise<string> => {
    topics.push(name);
    await admin.createTopics({ topics: [{ topic: name, numPartitions: 4 }], waitForLeaders: true });
    return name;
  };
  const counter = async (name: string) => {
    let received = 0;
    const reader = client.consumer({ groupId: `bench-reader-${suffix()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: name, fromBeginning: true });
    await reader.run({ eachBatch: async ({ batch }) => void (received += batch.messages.length) });
    return { received: () => received, stop: () => reader.disconnect() };
  };
  const produceAll = (name: string) => async () => {
    for (let from = 0; from < count; from += 500) {
      const size = Math.min(500, count - from);
      await producer.send({ topic: name, messages: Array.from({ length: size }, (_, index) => ({ key: String(from + index), value: Buffer.from(payload) })) });
    }
  };
  const rows: Row[] = [];
  try {
    {
      const input = await topic(`bench-base-${suffix()}`);
      const out = await topic(`${input}-out`);
      const outputs = await counter(out);
      const echo = client.consumer({ groupId: `bench-base-${suffix()}`, maxWaitTimeInMs: 100 });
      const echoProducer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await echoProducer.connect();
      await echo.connect();
      await echo.subscribe({ topic: input, fromBeginning: true });
      await echo.run({
        partitionsConsumedConcurrently: 4,
        eachMessage: async ({ message }) => {
          await echoProducer.send({ topic: out, messages: [{ key: message.key, value: Buffer.from((message.value ?? Buffer.alloc(0)).toString().toUpperCase()) }] });
        },
      });
      await sleep(3_000);
      rows.push({ name: 'kafka: kafkajs eachMessage + send (baseline)', perSecond: await timed(count, produceAll(input), outputs.received) });
      await echo.disconnect();
      await echoProducer.disconnect();
      await outputs.stop();
    }
    {
      const input = await topic(`bench-e2rx-${suffix()}`);
      const out = await topic(`${input}-out`);
      const outputs = await counter(out);
      rows.push({
        name: 'kafka: e2rx pipeline (ordered per partition, commit)',
        perSecond: await e2rxRun(
          `{ type: stream, source: kafka, resource: ${input}, respondTo: ${out}, consumerGroup: bench-${suffix()}, limits: { maxInFlight: ${IN_FLIGHT} }, steps: [ { fn: echo } ] }`,
          count,
          produceAll(input),
          outputs.received,
        ),
      });
      await outputs.stop();
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await producer.disconnect();
    await admin.disconnect();
  }
  return rows;
}

await requireServices('nats', 'kafka');
const client = await connect({ servers: NATS_URL });
const groups = [await natsCore(client), await jetStream(client), await kafka()];
await client.drain();
for (const rows of groups) {
  const baseline = rows[0]?.perSecond ?? 1;
  for (const row of rows) console.log(`${row.name.padEnd(62)} ${Math.round(row.perSecond).toString().padStart(8)} msg/s  ${(row.perSecond / baseline).toFixed(2)}x`);
}
process.exit(0);
