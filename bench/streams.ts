/**
 * Throughput of NATS and Kafka stream handlers through e2rx, with a real Wasm function, against hand-written loops
 * calling the same function inline, measured in the same run.
 *
 * The function is `specs/fixtures/functions/stream-echo` (AssemblyScript, built with `buildApp`): it answers its
 * input unchanged. For each transport, messages/s end to end (from the first publish to the last output received by
 * a counting subscriber):
 *
 * - **inline (baseline):** the broker's client alone, calling the Wasm function directly on the main thread
 *   (`new WebAssembly.Instance` with a tiny host implementing `return_result`, `return_error`, `return_abort`):
 *   - NATS: a callback subscription; each message → `run_e` → publish.
 *   - JetStream: `consumer.consume({ callback })`; each message → `run_e` → publish → ack (no flush, no ackAck).
 *   - Kafka: kafkajs `eachMessage` (4 partitions consumed concurrently); each record → `run_e` → `send` (acks all),
 *     kafkajs auto-commit.
 * - **e2rx:** `createEngine` serving an app (a Directive with one stream handler and the same `.wasm`), the function
 *   run by e2rx's runtime on its worker threads, results published to `respondTo` with e2rx's guarantees (JetStream:
 *   publish + flush, ack confirmed; Kafka: produce acked by all replicas, contiguous commits, order per partition).
 * - **e2rx, stub run:** the same stream pipeline (`createStreamConnections`) with the run replaced by a function
 *   returning the body, no Wasm: what the pipeline and the broker cost without the runtime.
 *
 * Each row is the best of ROUNDS bursts through the same subscription or engine. Core NATS is published with a
 * window of 256 outstanding messages (core NATS has no flow control: a burst past the handler's in-flight bound and
 * queue would be refused). Loopback only: needs `npm run services up`.
 *
 * Run: node --import tsx bench/streams.ts   (or `npm run bench -- streams`; about a minute)
 * Environment: E2RX_BENCH_MESSAGES (default 10000 per NATS burst, a quarter for JetStream and Kafka),
 * E2RX_BENCH_IN_FLIGHT (the handlers' `limits.maxInFlight`, default 64), E2RX_BENCH_ROUNDS (default 3).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { pino } from 'pino';
import { of, type Observable } from 'rxjs';
import { createStreamConnections } from '../src/connections/streams.js';
import { formatProblems, parseDirective } from '../src/directive/index.js';
import { compileDirective } from '../src/engine/compile.js';
import { createEngine } from '../src/engine/engine.js';
import { createGate } from '../src/engine/gate.js';
import { handlerRunOf } from '../src/engine/handler-run.js';
import type { FunctionRequest } from '../src/runtime/request.js';
import type { RunResult } from '../src/steps/steps.js';
import { functionWasm } from '../specs/integration/support/functions.js';
import { KAFKA_BROKERS, NATS_URL, requireServices } from '../specs/support/services.js';

const MESSAGES = Number(process.env['E2RX_BENCH_MESSAGES'] ?? 10_000);
const IN_FLIGHT = Number(process.env['E2RX_BENCH_IN_FLIGHT'] ?? 64);
const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 3);
/** Core NATS: messages outstanding at most (published, not yet answered). */
const WINDOW = 256;
/** A burst that does not complete within this is a failure, not a slow result. */
const BURST_TIMEOUT_MS = 60_000;
const FN = 'stream-echo';
const logger = pino({ level: 'warn' });
const payload = new TextEncoder().encode(JSON.stringify({ id: 1, name: 'bench', tags: ['a', 'b', 'c'], note: 'a small event of about 100 bytes' }));
const ENV = { BENCH_NATS: NATS_URL, BENCH_KAFKA: KAFKA_BROKERS.join(',') };
const suffix = (): string => `${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;

interface Row {
  readonly name: string;
  readonly perSecond: number;
}

/** The Wasm function called directly on this thread: allocate, copy in, `run_e`, copy the result out. */
function inlineFunction(bytes: Uint8Array): (input: Uint8Array) => Uint8Array {
  const decoder = new TextDecoder();
  let output: Uint8Array | undefined;
  let failure: string | undefined;
  // Called only from run_e, after `memory` below is initialised.
  const view = (ptr: number, size: number): Uint8Array => new Uint8Array(memory.buffer, ptr, size);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: {
      return_result: (ptr: number, size: number) => void (output = view(ptr, size).slice()),
      return_error: (code: number, ptr: number, size: number) => void (failure = `${code}: ${decoder.decode(view(ptr, size))}`),
      return_abort: (msgPtr: number, msgSize: number) => void (failure = `abort: ${decoder.decode(view(msgPtr, msgSize))}`),
    },
  });
  const memory = instance.exports['memory'] as WebAssembly.Memory;
  const allocate = instance.exports['allocate'] as (size: number) => number;
  const deallocate = instance.exports['deallocate'] as (ptr: number, size: number) => void;
  const runE = instance.exports['run_e'] as (ptr: number, size: number, ident: number) => void;
  return (input) => {
    output = undefined;
    failure = undefined;
    const ptr = allocate(input.length);
    view(ptr, input.length).set(input);
    runE(ptr, input.length, 1);
    deallocate(ptr, input.length);
    if (failure !== undefined) throw new Error(failure);
    return output ?? new Uint8Array(0);
  };
}

/** Messages per second of one burst: `publish` sends `count` messages; done when `received()` reaches `target`. */
async function burst(count: number, target: number, publish: () => Promise<void>, received: () => number): Promise<number> {
  const began = performance.now();
  await publish();
  const deadline = Date.now() + BURST_TIMEOUT_MS;
  while (received() < target) {
    if (Date.now() > deadline) throw new Error(`a burst of ${count} got ${received() - (target - count)} outputs in ${BURST_TIMEOUT_MS} ms`);
    await sleep(1);
  }
  return count / ((performance.now() - began) / 1000);
}

/** The best of ROUNDS bursts of `count` messages through the same consumer. */
async function best(count: number, publish: (round: number) => () => Promise<void>, received: () => number): Promise<number> {
  let top = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    top = Math.max(top, await burst(count, count * (round + 1), publish(round), received));
    await sleep(200);
  }
  return top;
}

/** An app for `createEngine`: a temp directory with the Directive (one handler) and the function. */
async function engineApp(handler: string, wasm: Uint8Array): Promise<{ start(): Promise<void>; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-streams-'));
  await writeFile(join(dir, `${FN}.wasm`), wasm);
  await writeFile(
    join(dir, 'Directive.yaml'),
    `identifier: com.e2rx.bench
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  nats: { serverAddress: env(BENCH_NATS) }
  kafka: { brokerAddress: env(BENCH_KAFKA) }
runnables: [ { name: ${FN}, namespace: default, lang: assemblyscript } ]
handlers:
  - ${handler}
`,
  );
  const engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger, env: ENV });
  return {
    async start() {
      await engine.start();
    },
    async stop() {
      await engine.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The stream pipeline alone (`createStreamConnections`), its run a stub returning the body. */
async function stubPipeline(handler: string): Promise<{ stop(): Promise<void> }> {
  const { directive, problems } = parseDirective(`identifier: com.e2rx.bench
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  nats: { serverAddress: env(BENCH_NATS) }
  kafka: { brokerAddress: env(BENCH_KAFKA) }
runnables: [ { name: ${FN}, namespace: default } ]
handlers:
  - ${handler}
`);
  if (!directive) throw new Error(formatProblems(problems));
  const plan = compileDirective(directive, { defaultMaxInFlight: IN_FLIGHT }).streams[0];
  if (!plan) throw new Error('no stream handler');
  const streams = createStreamConnections(directive, { logger, env: ENV });
  await streams.connect();
  const run = (request: FunctionRequest): Observable<RunResult> => of({ kind: 'ok', body: request.body, request });
  const subscription = streams.stream(plan, handlerRunOf(run), createGate(plan.bounds)).subscribe();
  return {
    async stop() {
      subscription.unsubscribe();
      await streams.drain(10_000);
      await streams.close();
    },
  };
}

async function natsCore(client: NatsConnection, wasm: Uint8Array): Promise<Row[]> {
  const count = MESSAGES;
  const counter = (subject: string) => {
    let received = 0;
    client.subscribe(subject, { callback: () => void (received += 1) });
    return () => received;
  };
  // At most WINDOW messages outstanding, so that no variant drops or queues without bound.
  const windowed = (subject: string, received: () => number) => (round: number) => async () => {
    const base = round * count;
    let sent = 0;
    while (sent < count) {
      while (sent < count && base + sent - received() < WINDOW) {
        client.publish(subject, payload);
        sent += 1;
      }
      await client.flush();
      if (base + sent - received() >= WINDOW) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const handler = (input: string, out: string) =>
    `{ type: stream, source: nats, resource: ${input}, respondTo: ${out}, limits: { maxInFlight: ${IN_FLIGHT}, queueSize: ${WINDOW} }, steps: [ { fn: ${FN} } ] }`;
  const rows: Row[] = [];
  {
    const input = `bench.inline.${suffix()}`;
    const received = counter(`${input}.out`);
    const call = inlineFunction(wasm);
    const echo = await connect({ servers: NATS_URL });
    echo.subscribe(input, { callback: (_error, msg) => echo.publish(`${input}.out`, call(msg.data)) });
    await echo.flush();
    await client.flush();
    rows.push({ name: 'nats: callback subscription, Wasm inline (baseline)', perSecond: await best(count, windowed(input, received), received) });
    await echo.close();
  }
  {
    const input = `bench.e2rx.${suffix()}`;
    const received = counter(`${input}.out`);
    await client.flush();
    const app = await engineApp(handler(input, `${input}.out`), wasm);
    await app.start();
    await sleep(200);
    rows.push({ name: 'nats: e2rx engine, Wasm on the runtime', perSecond: await best(count, windowed(input, received), received) });
    await app.stop();
  }
  {
    const input = `bench.stub.${suffix()}`;
    const received = counter(`${input}.out`);
    await client.flush();
    const pipeline = await stubPipeline(handler(input, `${input}.out`));
    await sleep(200);
    rows.push({ name: 'nats: e2rx stream pipeline, stub run (no Wasm)', perSecond: await best(count, windowed(input, received), received) });
    await pipeline.stop();
  }
  return rows;
}

async function jetStream(client: NatsConnection, jsm: JetStreamManager, wasm: Uint8Array): Promise<Row[]> {
  const count = Math.max(1, Math.floor(MESSAGES / 4));
  const js = jsm.jetstream();
  const rows: Row[] = [];
  const variant = async (name: string, setup: (input: string, out: string, stream: string) => Promise<() => Promise<void>>) => {
    const input = `bench.js.${suffix()}`;
    const out = `${input}.out`;
    const stream = `BENCH_${suffix()}`;
    let received = 0;
    client.subscribe(out, { callback: () => void (received += 1) });
    await client.flush();
    await jsm.streams.add({ name: stream, subjects: [input] });
    const stop = await setup(input, out, stream);
    try {
      const publish = () => async () => {
        const acks = [];
        for (let index = 0; index < count; index += 1) acks.push(js.publish(input, payload));
        await Promise.all(acks);
      };
      rows.push({ name, perSecond: await best(count, publish, () => received) });
    } finally {
      await stop();
      await jsm.streams.delete(stream);
    }
  };
  await variant('jetstream: consume() callback, Wasm inline, publish, ack (baseline)', async (input, out, stream) => {
    const call = inlineFunction(wasm);
    const echo = await connect({ servers: NATS_URL });
    const echoJsm = await jetstreamManager(echo);
    await echoJsm.consumers.add(stream, { durable_name: 'bench', ack_policy: 'explicit', filter_subject: input });
    const consumer = await echoJsm.jetstream().consumers.get(stream, 'bench');
    const messages = await consumer.consume({
      max_messages: IN_FLIGHT,
      callback: (msg) => {
        echo.publish(out, call(msg.data));
        msg.ack();
      },
    });
    return async () => {
      await messages.close();
      await echo.close();
    };
  });
  const handler = (input: string, out: string, stream: string) =>
    `{ type: stream, source: nats, resource: ${input}, respondTo: ${out}, limits: { maxInFlight: ${IN_FLIGHT} }, jetstream: { stream: ${stream}, durable: bench }, steps: [ { fn: ${FN} } ] }`;
  await variant('jetstream: e2rx engine, Wasm on the runtime (publish+flush, ackAck)', async (input, out, stream) => {
    const app = await engineApp(handler(input, out, stream), wasm);
    await app.start();
    return () => app.stop();
  });
  await variant('jetstream: e2rx stream pipeline, stub run (no Wasm)', async (input, out, stream) => {
    const pipeline = await stubPipeline(handler(input, out, stream));
    return () => pipeline.stop();
  });
  return rows;
}

async function waitForGroup(admin: Admin, groupId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { groups } = await admin.describeGroups([groupId]);
    if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) return;
    if (Date.now() > deadline) throw new Error(`the Kafka group ${groupId} did not settle`);
    await sleep(100);
  }
}

async function kafka(wasm: Uint8Array): Promise<Row[]> {
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
    const reader = client.consumer({ groupId: `bench-reader-${suffix()}`, maxWaitTimeInMs: 50 });
    await reader.connect();
    await reader.subscribe({ topic: name, fromBeginning: true });
    await reader.run({
      eachBatch: ({ batch }) => {
        received += batch.messages.length;
        return Promise.resolve();
      },
    });
    return { received: () => received, stop: () => reader.disconnect() };
  };
  const produceAll = (name: string) => (round: number) => async () => {
    for (let from = 0; from < count; from += 500) {
      const size = Math.min(500, count - from);
      await producer.send({ topic: name, messages: Array.from({ length: size }, (_, index) => ({ key: `${round}-${from + index}`, value: Buffer.from(payload) })) });
    }
  };
  const rows: Row[] = [];
  try {
    {
      const input = await topic(`bench-inline-${suffix()}`);
      const out = await topic(`${input}-out`);
      const outputs = await counter(out);
      const call = inlineFunction(wasm);
      const groupId = `bench-inline-${suffix()}`;
      const echo = client.consumer({ groupId, maxWaitTimeInMs: 100 });
      const echoProducer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await echoProducer.connect();
      await echo.connect();
      await echo.subscribe({ topic: input, fromBeginning: true });
      await echo.run({
        partitionsConsumedConcurrently: 4,
        eachMessage: async ({ message }) => {
          const value = call(message.value ? new Uint8Array(message.value.buffer, message.value.byteOffset, message.value.byteLength) : new Uint8Array(0));
          await echoProducer.send({ topic: out, acks: -1, messages: [{ key: message.key, value: Buffer.from(value.buffer, value.byteOffset, value.byteLength) }] });
        },
      });
      await waitForGroup(admin, groupId);
      rows.push({ name: 'kafka: kafkajs eachMessage, Wasm inline, send (baseline)', perSecond: await best(count, produceAll(input), outputs.received) });
      await echo.disconnect();
      await echoProducer.disconnect();
      await outputs.stop();
    }
    const handler = (input: string, groupId: string) =>
      `{ type: stream, source: kafka, resource: ${input}, respondTo: ${input}-out, consumerGroup: ${groupId}, limits: { maxInFlight: ${IN_FLIGHT} }, steps: [ { fn: ${FN} } ] }`;
    {
      const input = await topic(`bench-e2rx-${suffix()}`);
      const outputs = await counter(await topic(`${input}-out`));
      const groupId = `bench-e2rx-${suffix()}`;
      const app = await engineApp(handler(input, groupId), wasm);
      await app.start();
      await waitForGroup(admin, groupId);
      rows.push({ name: 'kafka: e2rx engine, Wasm on the runtime (ordered, commits)', perSecond: await best(count, produceAll(input), outputs.received) });
      await app.stop();
      await outputs.stop();
    }
    {
      const input = await topic(`bench-stub-${suffix()}`);
      const outputs = await counter(await topic(`${input}-out`));
      const groupId = `bench-stub-${suffix()}`;
      const pipeline = await stubPipeline(handler(input, groupId));
      await waitForGroup(admin, groupId);
      rows.push({ name: 'kafka: e2rx stream pipeline, stub run (no Wasm)', perSecond: await best(count, produceAll(input), outputs.received) });
      await pipeline.stop();
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
const wasm = await functionWasm(FN);
// The inline host works: the echo answers its input.
if (new TextDecoder().decode(inlineFunction(wasm)(payload)) !== new TextDecoder().decode(payload)) throw new Error(`${FN} does not echo`);
const client = await connect({ servers: NATS_URL });
const jsm = await jetstreamManager(client);
const groups = [await natsCore(client, wasm), await jetStream(client, jsm, wasm), await kafka(wasm)];
await client.drain();
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs; ${MESSAGES} NATS / ${Math.floor(MESSAGES / 4)} JetStream and Kafka messages per burst, best of ${ROUNDS}; e2rx maxInFlight ${IN_FLIGHT}, ${availableParallelism()} runtime workers`,
);
for (const rows of groups) {
  const baseline = rows[0]?.perSecond ?? 1;
  for (const row of rows) console.log(`${row.name.padEnd(72)} ${Math.round(row.perSecond).toString().padStart(8)} msg/s  ${(row.perSecond / baseline).toFixed(2)}x`);
}
process.exit(0);
