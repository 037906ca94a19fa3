/**
 * Scale-out with real e2rx processes: two `node bin/e2rx.js start <app> --port 0` children serve the same app (a
 * Directive and the AssemblyScript function `stream-upper`) against the real Kafka and NATS of
 * `npm run services up`, once with each Kafka driver (`connections.kafka.driver`):
 *
 * - a Kafka topic of 4 partitions read in one consumer group,
 * - a core NATS subject read in one queue group (with a queue of N: core NATS has no flow control, and a burst
 *   past the in-flight bound and the queue is refused),
 * - a JetStream subject read through one durable pull consumer (stream and consumer created by the processes),
 *
 * each with `respondTo`. Each process is given `E2RX_INSTANCE=a` or `b`; the function reads it as a secret
 * (`capabilities.secrets.env.allowedKeys`) and sets it as the response header `x-instance`, which travels to the
 * respondTo output: the spec counts per instance from the outputs alone.
 *
 * 1. Steady state: N messages on each input; each is processed by exactly one instance, and both take a share.
 * 2. Crash: M slow messages on Kafka and JetStream; once instance `a` has produced results of them it is killed with
 *    SIGKILL. Every message still gets its result on respondTo (duplicates are counted and printed, none is lost),
 *    within the short Kafka session (`connections.kafka.sessionTimeoutMs`) and JetStream `ackWaitMs` of the
 *    Directive. Core NATS is at-most-once, so it is only part of the steady state.
 * 3. The survivor stops on SIGTERM with exit code 0, having acknowledged and committed everything.
 *
 * `dist/` is built first when it is missing or older than `src/`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultStreamName } from '../../src/connections/jetstream-names.js';
import { functionWasm } from '../integration/support/functions.js';
import { KAFKA_BROKERS, NATS_URL, requireServices } from '../support/services.js';
import { kafkaSpecClient, type KafkaSpecClient, type ReadRecord } from './kafka-support.js';
import { decode, encode, KAFKA_DRIVERS, unique, waitFor } from './support.js';
import { isStaleBuild } from '../support/dist.js';
import { problems, startInstance, type Instance } from '../support/e2rx-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const FN = 'stream-upper';
/** Messages per input in the steady state. */
const N = 100;
/** Slow messages per input (Kafka, JetStream) around the crash. */
const M = 200;
const SLOW_MS = 20;
const SESSION_TIMEOUT_MS = 6_000;
const ACK_WAIT_MS = 2_000;

/** An output: its body and the instance that produced it (the `x-instance` header the function set). */
interface Output {
  readonly value: string;
  readonly instance: string;
}

/** Counts by instance, and the values seen more than once. */
function tally(outputs: readonly Output[], filter: (value: string) => boolean) {
  const mine = outputs.filter((output) => filter(output.value));
  const byInstance: Record<string, number> = {};
  const byValue = new Map<string, number>();
  for (const output of mine) {
    byInstance[output.instance] = (byInstance[output.instance] ?? 0) + 1;
    byValue.set(output.value, (byValue.get(output.value) ?? 0) + 1);
  }
  return { total: mine.length, distinct: byValue.size, duplicates: mine.length - byValue.size, byInstance };
}

describe.each(KAFKA_DRIVERS)('scale-out, %s Kafka driver', (driver) => {
  let kafka: KafkaSpecClient;
  let nats: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string | undefined;
  const instances: Instance[] = [];
  const topic = unique('scale');
  const subject = unique('scale.core');
  const jsSubject = unique('scale.js');
  const names = { topic, topicOut: `${topic}-out`, subject, subjectOut: `${subject}.out`, jsSubject, jsOut: `${jsSubject}.out`, group: unique('scale-g'), queue: unique('scale-q'), durable: unique('scale_d').replace(/[^A-Za-z0-9_-]/g, '_') };
  // Created by the processes (both start at once: whichever comes first creates it, the other finds it).
  const stream = defaultStreamName(jsSubject);

  beforeAll(async () => {
    await requireServices('nats', 'kafka');
    if (isStaleBuild(MAIN)) {
      const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
      // tsc writes its output even when another part of src/ has type errors; only a missing CLI is fatal here.
      if (!existsSync(MAIN)) throw new Error(`npx tsc -p tsconfig.build.json did not produce dist/: ${build.stdout}${build.stderr}`);
    }
    const wasm = await functionWasm(FN);
    kafka = await kafkaSpecClient();
    nats = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(nats);
    await kafka.createTopic(names.topic, 4);
    await kafka.createTopic(names.topicOut, 4);
    dir = await mkdtemp(join(tmpdir(), 'e2rx-scale-out-'));
    await writeFile(join(dir, `${FN}.wasm`), wasm);
    await writeFile(
      join(dir, 'Directive.yaml'),
      `identifier: com.e2rx.scaleout
appVersion: v1.0.0
atmoVersion: v0.4.7
runtime: { workers: 4 }
connections:
  nats: { serverAddress: env(SCALE_NATS) }
  kafka: { brokerAddress: env(SCALE_KAFKA), driver: ${driver}, sessionTimeoutMs: ${SESSION_TIMEOUT_MS}, heartbeatIntervalMs: 500 }
capabilities:
  secrets:
    env: { allowedKeys: [E2RX_INSTANCE] }
runnables:
  - { name: ${FN}, namespace: default, lang: assemblyscript }
handlers:
  - { type: stream, source: kafka, resource: ${names.topic}, respondTo: ${names.topicOut}, consumerGroup: ${names.group}, steps: [ { fn: ${FN} } ] }
  - { type: stream, source: nats, resource: ${names.subject}, respondTo: ${names.subjectOut}, queueGroup: ${names.queue}, limits: { queueSize: ${N} }, steps: [ { fn: ${FN} } ] }
  - type: stream
    source: nats
    resource: ${names.jsSubject}
    respondTo: ${names.jsOut}
    jetstream: { durable: ${names.durable}, ackWaitMs: ${ACK_WAIT_MS} }
    steps: [ { fn: ${FN} } ]
`,
    );
  }, 180_000);

  afterAll(async () => {
    for (const instance of instances) if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL');
    await jsm?.streams.delete(stream).catch(() => undefined);
    await kafka?.close();
    await nats?.drain();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('e2rx start - two processes share a Kafka group, a NATS queue group and a JetStream consumer; SIGKILL of one loses nothing', async () => {
    const started = Date.now();
    const natsOutputs: Output[] = [];
    const jsOutputs: Output[] = [];
    const instanceOf = (value: string | undefined): string => value ?? '?';
    nats.subscribe(names.subjectOut, { callback: (_error, msg) => void natsOutputs.push({ value: decode(msg.data), instance: instanceOf(msg.headers?.get('x-instance')) }) });
    nats.subscribe(names.jsOut, { callback: (_error, msg) => void jsOutputs.push({ value: decode(msg.data), instance: instanceOf(msg.headers?.get('x-instance')) }) });
    await nats.flush();
    const kafkaRecords: ReadRecord[] = await kafka.read(names.topicOut);
    const kafkaOutputs = (): Output[] => kafkaRecords.map((record) => ({ value: record.value, instance: instanceOf(record.headers['x-instance']) }));

    // Both processes start at once, as replicas would.
    const env = { SCALE_NATS: NATS_URL, SCALE_KAFKA: KAFKA_BROKERS.join(',') };
    const a = startInstance('a', dir as string, env);
    const b = startInstance('b', dir as string, env);
    instances.push(a, b);
    const loaded = (instance: Instance) => instance.lines.some((line) => typeof line.msg === 'string' && line.msg.startsWith('loaded '));
    await waitFor(() => loaded(a) && loaded(b), 30_000, `both processes to load the app (stderr a: ${a.stderr} b: ${b.stderr})`);
    await waitFor(
      async () => {
        const group = await kafka.describeGroup(names.group);
        return group.state === 'Stable' && group.members.length === 2;
      },
      30_000,
      'the Kafka group to settle with both processes',
    );
    const ready = Date.now();

    // 1. Steady state: each message is processed by exactly one instance.
    await kafka.produce(
      names.topic,
      Array.from({ length: N }, (_, index) => ({ key: `s${index}`, value: `s-k-${index}` })),
    );
    for (let index = 0; index < N; index += 1) nats.publish(names.subject, encode(`s-n-${index}`));
    await nats.flush();
    const js = jetstream(nats);
    await Promise.all(Array.from({ length: N }, (_, index) => js.publish(names.jsSubject, encode(`s-j-${index}`))));
    const steady = {
      kafka: () => tally(kafkaOutputs(), (value) => value.startsWith('S-K-')),
      nats: () => tally(natsOutputs, (value) => value.startsWith('S-N-')),
      jetstream: () => tally(jsOutputs, (value) => value.startsWith('S-J-')),
    };
    await waitFor(() => steady.kafka().distinct === N && steady.nats().distinct === N && steady.jetstream().distinct === N, 30_000, 'every steady-state result').catch((error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify({ kafka: steady.kafka(), nats: steady.nats(), jetstream: steady.jetstream() })}\n${problems(a, b)}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [transport, count] of Object.entries(steady)) {
      const result = count();
      console.log(`scale-out steady state, ${transport}: ${result.total} results for ${N} messages, by instance ${JSON.stringify(result.byInstance)}`);
      expect(result, transport).toMatchObject({ total: N, distinct: N, duplicates: 0 });
      expect(result.byInstance['a'] ?? 0, `${transport}: instance a's share`).toBeGreaterThan(0);
      expect(result.byInstance['b'] ?? 0, `${transport}: instance b's share`).toBeGreaterThan(0);
      expect((result.byInstance['a'] ?? 0) + (result.byInstance['b'] ?? 0), transport).toBe(N);
    }

    // 2. A crash mid-stream: slow messages, and instance a is killed while it has runs in flight.
    await kafka.produce(
      names.topic,
      Array.from({ length: M }, (_, index) => ({ key: `c${index}`, value: `slow:${SLOW_MS} c-k-${index}` })),
    );
    await Promise.all(Array.from({ length: M }, (_, index) => js.publish(names.jsSubject, encode(`slow:${SLOW_MS} c-j-${index}`))));
    const crash = {
      kafka: () => tally(kafkaOutputs(), (value) => value.includes(' C-K-')),
      jetstream: () => tally(jsOutputs, (value) => value.includes(' C-J-')),
    };
    await waitFor(() => (crash.kafka().byInstance['a'] ?? 0) >= 5 && (crash.jetstream().byInstance['a'] ?? 0) >= 5, 30_000, 'instance a to be working on the slow messages');
    const before = { kafka: crash.kafka(), jetstream: crash.jetstream() };
    a.child.kill('SIGKILL');
    const killed = Date.now();
    await a.exited;
    await waitFor(() => crash.kafka().distinct === M && crash.jetstream().distinct === M, 60_000, 'every result after the crash').catch((error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify({ kafka: crash.kafka(), jetstream: crash.jetstream() })}\n${problems(a, b)}`);
    });
    const recovered = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [transport, count] of Object.entries(crash)) {
      const result = count();
      const atKill = before[transport as keyof typeof before];
      console.log(
        `scale-out crash, ${transport}: ${result.distinct}/${M} messages have a result (none lost); ${result.total} results, ${result.duplicates} duplicates; ` +
          `by instance ${JSON.stringify(result.byInstance)} (a had produced ${atKill.byInstance['a'] ?? 0} when killed)`,
      );
      expect(result.distinct, transport).toBe(M);
      expect(result.byInstance['b'] ?? 0, `${transport}: the survivor's share`).toBeGreaterThan(0);
    }
    console.log(
      `scale-out timings: processes ready in ${ready - started} ms; every result ${recovered - killed} ms after the SIGKILL ` +
        `(Kafka session timeout ${SESSION_TIMEOUT_MS} ms, JetStream ackWait ${ACK_WAIT_MS} ms)`,
    );

    // 3. The survivor stops gracefully, with everything acknowledged and committed.
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.stderr).toBe('');
    const info = await jsm.consumers.info(stream, names.durable);
    expect(info.num_pending + info.num_ack_pending).toBe(0);
    const committed = await kafka.committed(names.group, names.topic);
    expect(Object.values(committed).reduce((sum, offset) => sum + Number(offset), 0)).toBe(N + M);
  }, 90_000);
});
