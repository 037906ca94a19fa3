/**
 * Kafka → Wasm echo → Kafka: e2rx on each Kafka driver against the competent hand-written loop of the same client,
 * measured in the same run, with ratios.
 *
 * Each measurement pre-produces RECORDS records of 100 bytes (keyed, spread over 4 partitions) to a fresh input
 * topic, then starts one variant in a child process of its own, which reads the topic in a new consumer group, runs
 * every record through the echo function `specs/fixtures/functions/stream-echo` (AssemblyScript) and produces the
 * result to a fresh output topic (4 partitions, acks from all in-sync replicas, the input's key). The rate is
 * RECORDS divided by the time from the group becoming stable with the child as member (the consumer starts
 * fetching) to the output topic holding RECORDS records (its high watermarks, polled every 10 ms). After that the
 * child is stopped, and the group's committed offsets are checked to cover every record. The child's CPU time
 * (user + system) per record is printed too: on a machine shared with other work it varies less than the rate.
 *
 * - **(a) kafkajs loop:** `eachBatch` (4 partitions concurrently), the Wasm inline on the main thread (direct
 *   instantiation with a tiny host), one `send` of the batch's results per batch; kafkajs commits after each batch.
 * - **(b) @platformatic/kafka loop:** the consumer stream's `data` events, the Wasm inline, the results gathered and
 *   sent with one `send` at a time; the offsets of a send committed once it is acknowledged; the stream paused while
 *   50,000 results wait.
 * - **(c) e2rx, kafkajs driver** and **(d) e2rx, platformatic driver:** `createEngine` from `dist/` serving an app of
 *   one Kafka handler with `respondTo` and the defaults (the function placed by the runtime, records ordered per
 *   partition, produces acknowledged before the commit).
 *
 * - **(e) e2rx, kafkajs driver** and **(f) e2rx, platformatic driver, `delivery: exactly-once`:** as (c) and (d),
 *   with the outputs and the offsets of each partition's batch in one Kafka transaction. Their outputs' high
 *   watermarks count the transactions' commit markers too: they are done when the group's committed offsets (written
 *   by the same transactions) cover every record. Compared with (c) and (d): the cost of exactly-once.
 *
 * The variants run alternately (a, b, c, d, then b, c, d, a, …), ROUNDS times each; the ratios (c)/(a) and (d)/(b)
 * pair each e2rx measurement with the baseline of its round. The system under test is imported from `dist/` (tsx
 * would add a `__name` call to every function it creates): run `npm run build` first.
 *
 * Run: npm run bench -- kafka   (or node --import tsx bench/kafka.ts; about 3 minutes with the defaults)
 * Environment: E2RX_BENCH_KAFKA_RECORDS (default 200000), E2RX_BENCH_KAFKA_ROUNDS (default 3),
 * E2RX_BENCH_KAFKA_VARIANTS (default `a,b,c,d`; `c,d,e,f` compares exactly-once with at-least-once).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Consumer, ProduceAcks, Producer, type Message } from '@platformatic/kafka';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { pino } from 'pino';
import { functionWasm } from '../specs/integration/support/functions.js';
import { KAFKA_BROKERS, requireServices } from '../specs/support/services.js';
import { inlineFunction } from './_inline-wasm.js';
import { isStaleBuild } from '../specs/support/dist.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RECORDS = Number(process.env['E2RX_BENCH_KAFKA_RECORDS'] ?? 200_000);
const ROUNDS = Number(process.env['E2RX_BENCH_KAFKA_ROUNDS'] ?? 3);
const PARTITIONS = 4;
/** (b): results of one input partition per send at most (about 500 KB). */
const SEND_LIMIT = 3_000;
/** (b): the stream is paused while this many results wait. */
const PAUSE_AT = 50_000;
const FN = 'stream-echo';
/** A measurement that does not complete within this is a failure. */
const TIMEOUT_MS = 180_000;
/** 100 bytes. */
const VALUE = Buffer.from(JSON.stringify({ id: 1, name: 'bench', tags: ['a', 'b', 'c'], note: 'a small Kafka record of exactly 100 bytes, ok!' }));

const VARIANTS = {
  a: 'kafkajs: eachBatch, Wasm inline, one send per batch (baseline)',
  b: '@platformatic/kafka: consumer stream, Wasm inline, batched send (baseline)',
  c: 'e2rx engine, kafkajs driver',
  d: 'e2rx engine, platformatic driver',
  e: 'e2rx engine, kafkajs driver, delivery: exactly-once',
  f: 'e2rx engine, platformatic driver, delivery: exactly-once',
} as const;
type Variant = keyof typeof VARIANTS;

/** What a child is told. */
interface ChildSpec {
  readonly variant: Variant;
  readonly input: string;
  readonly output: string;
  readonly group: string;
}

interface Measurement {
  readonly variant: Variant;
  readonly round: number;
  readonly perSecond: number;
  /** CPU time of the child (user + system) while it consumed, per record. */
  readonly cpuUsPerRecord: number;
  readonly outputs: number;
  readonly committed: number;
}

const suffix = (): string => `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;

function distFile(path: string): string {
  const file = join(ROOT, 'dist', path);
  if (isStaleBuild(file)) {
    throw new Error(`${file} is missing or older than src/: run npm run build first (the benchmark measures dist/)`);
  }
  return pathToFileURL(file).href;
}

// --- the children ------------------------------------------------------------------------------------------------

/** (a): kafkajs `eachBatch`, one send per batch, kafkajs commits after each batch. */
async function kafkajsLoop(spec: ChildSpec): Promise<() => Promise<void>> {
  const call = inlineFunction(await functionWasm(FN));
  const kafka = new Kafka({ clientId: 'bench-kafkajs-loop', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: spec.group, maxWaitTimeInMs: 100 });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: spec.input, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      const messages = batch.messages.map((message) => {
        const out = call(message.value ?? new Uint8Array(0));
        return { key: message.key, value: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
      });
      await producer.send({ topic: spec.output, acks: -1, messages });
    },
  });
  return async () => {
    await consumer.disconnect();
    await producer.disconnect();
  };
}

/** (b): the @platformatic/kafka consumer stream, results sent in batches, offsets committed after each send. */
async function platformaticLoop(spec: ChildSpec): Promise<() => Promise<void>> {
  const call = inlineFunction(await functionWasm(FN));
  const consumer = new Consumer({ clientId: 'bench-platformatic-loop', groupId: spec.group, bootstrapBrokers: [...KAFKA_BROKERS], autocommit: false, maxWaitTime: 100 });
  const producer = new Producer({ clientId: 'bench-platformatic-loop', bootstrapBrokers: [...KAFKA_BROKERS], acks: ProduceAcks.ALL });
  const stream = await consumer.consume({ topics: [spec.input], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
  /** Results waiting, per input partition, with the input's offset. */
  const pending = new Map<number, Array<{ key: Buffer; value: Buffer; offset: bigint }>>();
  let waiting = 0;
  let sending = false;
  const flush = (): void => {
    if (sending || waiting === 0) return;
    sending = true;
    // A produce request holds one record batch per partition, and the broker refuses a batch over 1 MB: at most
    // SEND_LIMIT results of each input partition (keys spread them over the output partitions) per send.
    const messages: Array<{ topic: string; key: Buffer; value: Buffer }> = [];
    const offsets: Array<{ topic: string; partition: number; offset: bigint; leaderEpoch: number }> = [];
    for (const [partition, list] of pending) {
      if (list.length === 0) continue;
      const taken = list.splice(0, SEND_LIMIT);
      waiting -= taken.length;
      for (const one of taken) messages.push({ topic: spec.output, key: one.key, value: one.value });
      offsets.push({ topic: spec.input, partition, offset: (taken.at(-1)?.offset ?? -1n) + 1n, leaderEpoch: -1 });
    }
    producer
      .send({ messages })
      .then(() => consumer.commit({ offsets }))
      .then(
        () => {
          sending = false;
          if (stream.isPaused() && waiting < PAUSE_AT) stream.resume();
          flush();
        },
        (error: unknown) => {
          console.error('platformatic loop: send or commit failed', error);
          process.exit(1);
        },
      );
  };
  stream.on('data', (message: Message) => {
    const out = call(message.value);
    let list = pending.get(message.partition);
    if (list === undefined) pending.set(message.partition, (list = []));
    list.push({ key: message.key, value: Buffer.from(out.buffer, out.byteOffset, out.byteLength), offset: message.offset });
    waiting += 1;
    if (waiting === 1) setImmediate(flush);
    if (waiting >= PAUSE_AT) stream.pause();
  });
  return async () => {
    await stream.close();
    await consumer.close();
    await producer.close();
  };
}

/** (c), (d): the e2rx engine, from dist/. */
async function e2rxEngine(spec: ChildSpec, driver: 'kafkajs' | 'platformatic', delivery = 'at-least-once'): Promise<() => Promise<void>> {
  // The parent checked that dist/ is built and current.
  const { createEngine } = (await import(pathToFileURL(join(ROOT, 'dist', 'engine', 'engine.js')).href)) as typeof import('../src/engine/engine.js');
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-kafka-'));
  await writeFile(join(dir, `${FN}.wasm`), await functionWasm(FN));
  await writeFile(
    join(dir, 'Directive.yaml'),
    `identifier: com.e2rx.bench.kafka
appVersion: v1.0.0
atmoVersion: v0.4.7
connections:
  kafka: { brokerAddress: env(BENCH_KAFKA), driver: ${driver} }
runnables: [ { name: ${FN}, namespace: default, lang: assemblyscript } ]
handlers:
  - { type: stream, source: kafka, resource: ${spec.input}, respondTo: ${spec.output}, consumerGroup: ${spec.group}, delivery: ${delivery}, steps: [ { fn: ${FN} } ] }
`,
  );
  const engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger: pino({ level: 'warn' }, pino.destination(2)), env: { BENCH_KAFKA: KAFKA_BROKERS.join(',') } });
  await engine.start();
  return async () => {
    await engine.stop();
    await rm(dir, { recursive: true, force: true });
  };
}

async function child(spec: ChildSpec): Promise<void> {
  const start = {
    a: kafkajsLoop,
    b: platformaticLoop,
    c: (one: ChildSpec) => e2rxEngine(one, 'kafkajs'),
    d: (one: ChildSpec) => e2rxEngine(one, 'platformatic'),
    e: (one: ChildSpec) => e2rxEngine(one, 'kafkajs', 'exactly-once'),
    f: (one: ChildSpec) => e2rxEngine(one, 'platformatic', 'exactly-once'),
  }[spec.variant];
  const stop = await start(spec);
  const cpu = process.cpuUsage();
  process.stdout.write('started\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const used = process.cpuUsage(cpu);
  await stop();
  process.stdout.write(`${JSON.stringify({ cpuMs: (used.user + used.system) / 1000 })}\n`);
  process.exit(0);
}

// --- the parent --------------------------------------------------------------------------------------------------

async function produceInput(admin: Admin, kafka: Kafka, topic: string): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let from = 0; from < RECORDS; from += 10_000) {
      const size = Math.min(10_000, RECORDS - from);
      await producer.send({ topic, acks: -1, messages: Array.from({ length: size }, (_, index) => ({ key: `k${from + index}`, value: VALUE })) });
    }
  } finally {
    await producer.disconnect();
  }
}

async function highWatermarks(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

async function committedRecords(admin: Admin, group: string, topic: string): Promise<number> {
  const [committedOffsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (committedOffsets?.partitions ?? []).reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0);
}

async function measure(variant: Variant, round: number, admin: Admin, kafka: Kafka): Promise<Measurement> {
  const id = suffix();
  const spec: ChildSpec = { variant, input: `bench-kafka-${id}`, output: `bench-kafka-${id}-out`, group: `bench-kafka-${variant}-${id}` };
  await produceInput(admin, kafka, spec.input);
  await admin.createTopics({ topics: [{ topic: spec.output, numPartitions: PARTITIONS }], waitForLeaders: true });
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let failed: string | undefined;
  void exited.then((code) => (failed = `the child of ${variant} exited (${code ?? 'signal'}) before it was stopped`));
  try {
    const deadline = Date.now() + TIMEOUT_MS;
    const check = (what: string): void => {
      if (failed !== undefined) throw new Error(failed);
      if (Date.now() > deadline) throw new Error(`${variant}: timed out waiting for ${what}`);
    };
    // The consumer fetches once the group is stable with it as member.
    for (;;) {
      check('the consumer group');
      const { groups } = await admin.describeGroups([spec.group]);
      if (groups[0]?.state === 'Stable' && groups[0].members.length > 0) break;
      await sleep(10);
    }
    const began = performance.now();
    let outputs = 0;
    while (outputs < RECORDS) {
      check(`${RECORDS} outputs (${outputs} so far)`);
      await sleep(10);
      outputs = variant === 'e' || variant === 'f' ? await committedRecords(admin, spec.group, spec.input) : await highWatermarks(admin, spec.output);
    }
    const seconds = (performance.now() - began) / 1000;
    failed = undefined;
    void exited.then(() => undefined);
    proc.stdin.write('stop\n');
    const code = await exited;
    if (code !== 0) throw new Error(`the child of ${variant} exited with ${code ?? 'a signal'} when stopped`);
    const committed = await committedRecords(admin, spec.group, spec.input);
    const report = /^\{.*\}$/m.exec(output);
    const cpuMs = report ? (JSON.parse(report[0]) as { cpuMs: number }).cpuMs : Number.NaN;
    return { variant, round, perSecond: RECORDS / seconds, cpuUsPerRecord: (cpuMs * 1000) / RECORDS, outputs: await highWatermarks(admin, spec.output), committed };
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await admin.deleteTopics({ topics: [spec.input, spec.output] }).catch(() => undefined);
    await admin.deleteGroups([spec.group]).catch(() => undefined);
  }
}

const range = (values: readonly number[], digits = 0): string => {
  if (values.length === 0) return '-';
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? low.toFixed(digits) : `${low.toFixed(digits)}–${high.toFixed(digits)}`;
};

/** Runs the benchmark (see the module comment). */
export async function run(): Promise<void> {
  await requireServices('kafka');
  const wanted = (process.env['E2RX_BENCH_KAFKA_VARIANTS'] ?? 'a,b,c,d').split(',').map((name) => name.trim()) as Variant[];
  for (const name of wanted) if (!(name in VARIANTS)) throw new Error(`unknown variant ${name}: a, b, c, d, e or f`);
  if (wanted.some((name) => 'cdef'.includes(name))) distFile('engine/engine.js');
  await functionWasm(FN);
  const kafka = new Kafka({ clientId: 'e2rx-bench-kafka', brokers: [...KAFKA_BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const results: Measurement[] = [];
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = [...wanted.slice(round % wanted.length), ...wanted.slice(0, round % wanted.length)];
      for (const variant of order) {
        const result = await measure(variant, round, admin, kafka);
        results.push(result);
        console.error(
          `kafka: round ${round + 1}/${ROUNDS} ${variant} ${Math.round(result.perSecond)} msg/s, ${result.cpuUsPerRecord.toFixed(1)} µs CPU per record (outputs ${result.outputs}, committed ${result.committed} of ${RECORDS})`,
        );
        if (result.outputs < RECORDS || result.committed !== RECORDS) throw new Error(`${variant} lost records: ${JSON.stringify(result)}`);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const rates = (variant: Variant): number[] => results.filter((result) => result.variant === variant).map((result) => result.perSecond);
  const cpu = (variant: Variant): number[] => results.filter((result) => result.variant === variant).map((result) => result.cpuUsPerRecord);
  const ratios = (ours: Variant, baseline: Variant): number[] => {
    const list: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const mine = results.find((result) => result.variant === ours && result.round === round);
      const base = results.find((result) => result.variant === baseline && result.round === round);
      if (mine && base) list.push(mine.perSecond / base.perSecond);
    }
    return list;
  };
  console.log(
    `node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs; ${RECORDS} records of ${VALUE.length} bytes, ${PARTITIONS} partitions, ${ROUNDS} rounds alternated`,
  );
  for (const variant of wanted) {
    const extra = {
      a: '',
      b: '',
      c: `  x${range(ratios('c', 'a'), 2)} of (a) (target 0.8)`,
      d: `  x${range(ratios('d', 'b'), 2)} of (b) (target 0.5)`,
      e: `  x${range(ratios('e', 'c'), 2)} of (c)`,
      f: `  x${range(ratios('f', 'd'), 2)} of (d)`,
    }[variant];
    console.log(`(${variant}) ${VARIANTS[variant].padEnd(74)} ${range(rates(variant)).padStart(15)} msg/s  ${range(cpu(variant), 1).padStart(9)} µs CPU/record${extra}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--child');
  if (at >= 0) await child(JSON.parse(process.argv[at + 1] ?? '{}') as ChildSpec);
  else {
    await run();
    process.exit(0);
  }
}
