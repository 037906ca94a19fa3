/**
 * Exactly-once from Kafka to Kafka (`delivery: exactly-once`, e2rx) on the real broker, through real Wasm, with real
 * processes: two `e2rx start` of one app share a consumer group on a topic of 4 partitions holding 10,000 records,
 * and answer each record to an output topic (`respondTo`: a `sleep` step of 2 ms, so that the stream lasts a few
 * seconds, then the `stream-echo` function). Once both are members of the group and the output holds a thousand
 * results, one of the two processes is killed with SIGKILL (no drain, no commit, transactions left open);
 * the other takes its partitions over, fences its transactional ids (aborting what the dead one left open) and runs
 * the records from the offsets committed in the last committed transactions.
 *
 * Read with isolation level read_committed, the output then holds every record's result exactly once: 0 missing,
 * 0 duplicates. Run on both drivers. The verdict reads with @platformatic/kafka: kafkajs 2.2.4's read_committed
 * consumer (which follows the progress here) sometimes hands over records of the transaction the killed process left
 * open, which the broker aborted (seen in about one run in five; a @platformatic/kafka reader of the same topic at
 * the same time saw each record once).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specFunctions } from '../engine/support/functions.js';
import { functionWasm } from '../integration/support/functions.js';
import { guardReadCommitted } from '../../src/connections/platformatic-read-committed.js';
import { isStaleBuild } from '../support/dist.js';
import { problems, startInstance, type Instance } from '../support/e2rx-process.js';
import { KAFKA_BROKERS, requireServices } from '../support/services.js';
import { kafkaSpecClient, type KafkaSpecClient } from './kafka-support.js';
import { KAFKA_DRIVERS, unique, waitFor } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The values of `topic` from the beginning, read with read_committed by @platformatic/kafka (guarded as e2rx's own
 * consumers are: the output holds the killed process's aborted transactions), once `count` came and nothing more for a second.
 */
async function readCommitted(topic: string, count: number): Promise<Array<{ value: string; offset: string }>> {
  const reader = guardReadCommitted(new Consumer({ clientId: 'e2rx-spec-eos', groupId: unique('eos-verdict'), bootstrapBrokers: [...KAFKA_BROKERS], isolationLevel: FetchIsolationLevels.READ_COMMITTED, maxWaitTime: 200 }));
  const values: Array<{ value: string; offset: string }> = [];
  const stream = await reader.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  stream.on('data', (message: { value: Buffer | undefined; offset: bigint }) => values.push({ value: message.value?.toString() ?? '', offset: message.offset.toString() }));
  let seen = -1;
  await waitFor(
    async () => {
      if (values.length < count || values.length !== seen) {
        seen = values.length;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return false;
      }
      return true;
    },
    60_000,
    `${count} records of ${topic} read with read_committed`,
  );
  await stream.close();
  await reader.close();
  return values;
}
const RECORDS = 10_000;
const PARTITIONS = 4;

describe.each(KAFKA_DRIVERS)('Kafka exactly-once across two processes, driver %s', (driver) => {
  let kafka: KafkaSpecClient;
  let dir: string | undefined;
  const instances: Instance[] = [];

  beforeAll(async () => {
    await requireServices('kafka');
    if (isStaleBuild(join(ROOT, 'dist', 'cli', 'main.js'))) {
      const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
    }
    kafka = await kafkaSpecClient();
    dir = await mkdtemp(join(tmpdir(), 'e2rx-exactly-once-'));
    await writeFile(join(dir, 'echo.wasm'), await functionWasm('stream-echo'));
    await writeFile(join(dir, 'sleep.wasm'), (await specFunctions()).sleep);
  }, 180_000);

  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await kafka?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`delivery: exactly-once (${driver}) - 10,000 records, one of two processes SIGKILLed mid-stream: the output read with read_committed holds each result once`, async () => {
    const input = unique(`eos-${driver}`);
    const output = `${input}-out`;
    const groupId = unique(`eos-${driver}-g`);
    await kafka.createTopic(input, PARTITIONS);
    await kafka.createTopic(output, 1);
    const values = Array.from({ length: RECORDS }, (_, index) => `r${index}`);
    for (let at = 0; at < RECORDS; at += 1_000) {
      await kafka.produce(
        input,
        values.slice(at, at + 1_000).map((value, index) => ({ value, partition: (at + index) % PARTITIONS, headers: { 'x-sleep-ms': '2' } })),
      );
    }
    await writeFile(
      join(dir as string, 'Directive.yaml'),
      [
        `identifier: ${unique('com.e2rx.eos')}`,
        'appVersion: v0.1.0',
        'atmoVersion: v0.4.7',
        'connections:',
        `  kafka: { brokerAddress: "${KAFKA_BROKERS.join(',')}", driver: ${driver}, sessionTimeoutMs: 6000, heartbeatIntervalMs: 500 }`,
        'runnables:',
        '  - { name: sleep, namespace: default, lang: assemblyscript }',
        '  - { name: echo, namespace: default, lang: assemblyscript }',
        'handlers:',
        '  - type: stream',
        '    source: kafka',
        `    resource: ${input}`,
        `    respondTo: ${output}`,
        `    consumerGroup: ${groupId}`,
        '    delivery: exactly-once',
        '    steps:',
        '      - fn: sleep',
        '      - fn: echo',
        '',
      ].join('\n'),
    );
    const outputs = await kafka.read(output);
    const a = startInstance('a', dir as string);
    const b = startInstance('b', dir as string);
    instances.push(a, b);
    // Both in the group (each holds partitions), and into the stream.
    let group = { state: 'Unknown', members: [] as string[] };
    await waitFor(
      async () => {
        group = await kafka.describeGroup(groupId);
        return group.state === 'Stable' && group.members.length === 2 && outputs.length >= 1_000;
      },
      60_000,
      'both processes in the group and 1,000 results',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}: group ${JSON.stringify(group)}, ${outputs.length} results; ${problems(a, b)}`);
    });
    const killedAt = outputs.length;
    a.child.kill('SIGKILL');
    await a.exited;
    // Progress (kafkajs reader, see the module comment): every result is out.
    await waitFor(() => new Set(outputs.map((record) => record.value)).size >= RECORDS, 90_000, `${RECORDS} results (${outputs.length} so far) ${problems(b)}`);
    // Every partition committed to its end: nothing more is coming.
    await waitFor(
      async () => {
        const committed = await kafka.committed(groupId, input);
        return Array.from({ length: PARTITIONS }, (_, partition) => committed[partition]).every((offset) => offset === String(RECORDS / PARTITIONS));
      },
      30_000,
      'the committed offsets at the end of every partition',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);

    expect(killedAt).toBeLessThan(RECORDS);
    const verdict = await readCommitted(output, RECORDS);
    const seen = new Map<string, number>();
    for (const record of verdict) seen.set(record.value, (seen.get(record.value) ?? 0) + 1);
    const missing = values.filter((value) => !seen.has(value));
    const duplicates = [...seen].filter(([, count]) => count > 1);
    // On a failure, which copies: their offsets and request ids tell one run produced twice from two runs.
    const copies = duplicates.slice(0, 5).map(([value]) => verdict.filter((record) => record.value === value).map((record) => `${value}@${record.offset}`));
    expect({ missing: missing.length, duplicates: duplicates.length, total: verdict.length, copies }).toEqual({ missing: 0, duplicates: 0, total: RECORDS, copies: [] });
  }, 240_000);
});
