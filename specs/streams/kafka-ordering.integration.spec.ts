/**
 * Per-key ordering on a real Kafka (`ordering: key`, e2rx), through real Wasm: 20 keys × 500 records on a topic of 2
 * partitions, a handler whose first step sleeps 5 ms (`sleep`, WASI `poll_oneoff`: the worker blocks, as a function
 * waiting on I/O would) and whose second returns the record (`stream-echo`), on 8 workers, with `respondTo`.
 *
 * - Every record's result reaches the output topic once, and the results of each key are in the order of its records.
 * - The group's committed offsets reach the end of both partitions (commits stay contiguous).
 * - The same handler with `ordering: partition` (one record of a partition at a time) is measured on 20 × 50 records:
 *   per-key ordering is faster by the parallelism it adds (at least ×1.5 here; about ×3–4 expected with 8 workers
 *   and 2 partitions).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/index.js';
import { specFunctions } from '../engine/support/functions.js';
import { functionWasm } from '../integration/support/functions.js';
import { requireServices } from '../support/services.js';
import { kafkaSpecClient, type KafkaSpecClient, type ReadRecord } from './kafka-support.js';
import { SPEC_ENV, unique, waitFor } from './support.js';

const KEYS = 20;
const SLEEP_MS = 5;

interface Run {
  readonly outputs: ReadRecord[];
  /** From the first result out to the last. */
  readonly ms: number;
  readonly committed: Record<number, string>;
}

describe('Kafka ordering: key, through Wasm', () => {
  let kafka: KafkaSpecClient;
  let dir: string;
  const engines: Engine[] = [];

  beforeAll(async () => {
    await requireServices('kafka');
    kafka = await kafkaSpecClient();
    dir = await mkdtemp(join(tmpdir(), 'e2rx-kafka-ordering-'));
    await writeFile(join(dir, 'sleep.wasm'), (await specFunctions()).sleep);
    await writeFile(join(dir, 'echo.wasm'), await functionWasm('stream-echo'));
  }, 180_000);

  afterAll(async () => {
    for (const engine of engines) await engine.stop();
    await kafka?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Produces `perKey` records for each key (interleaved), runs the handler until every result is out, stops it. */
  async function run(ordering: 'key' | 'partition', perKey: number): Promise<Run> {
    const input = unique(`order-${ordering}`);
    const output = `${input}-out`;
    const group = unique(`order-${ordering}-g`);
    await kafka.createTopic(input, 2);
    await kafka.createTopic(output, 1);
    const records = Array.from({ length: perKey * KEYS }, (_, index) => {
      const key = `k${String(index % KEYS).padStart(2, '0')}`;
      return { key, value: `${key}:${Math.floor(index / KEYS)}`, headers: { 'x-sleep-ms': String(SLEEP_MS) } };
    });
    for (let at = 0; at < records.length; at += 1_000) await kafka.produce(input, records.slice(at, at + 1_000));
    const appDir = join(dir, ordering);
    await rm(appDir, { recursive: true, force: true });
    await mkdir(appDir, { recursive: true });
    await copyFile(join(dir, 'sleep.wasm'), join(appDir, 'sleep.wasm'));
    await copyFile(join(dir, 'echo.wasm'), join(appDir, 'echo.wasm'));
    await writeFile(
      join(appDir, 'Directive.yaml'),
      [
        `identifier: ${unique('com.e2rx.ordering')}`,
        'appVersion: v0.1.0',
        'atmoVersion: v0.4.7',
        'runtime:',
        '  workers: 8',
        '  placement: workers',
        'connections:',
        '  kafka: { brokerAddress: env(E2RX_SPEC_KAFKA) }',
        'runnables:',
        '  - { name: sleep, namespace: default, lang: assemblyscript }',
        '  - { name: echo, namespace: default, lang: assemblyscript }',
        'handlers:',
        '  - type: stream',
        '    source: kafka',
        `    resource: ${input}`,
        `    respondTo: ${output}`,
        `    consumerGroup: ${group}`,
        `    ordering: ${ordering}`,
        '    steps:',
        '      - fn: sleep',
        '      - fn: echo',
        '',
      ].join('\n'),
    );
    const outputs = await kafka.read(output);
    const engine = createEngine({ app: appDir, port: 0, host: '127.0.0.1', logger: pino({ level: 'warn' }), env: SPEC_ENV });
    engines.push(engine);
    await engine.start();
    // From the first result to the last: the group's join (seconds) is not part of the rate.
    await waitFor(() => outputs.length > 0, 60_000, 'the first result');
    const first = performance.now();
    await waitFor(() => outputs.length >= records.length, 120_000, `${records.length} results (${outputs.length} so far)`);
    const ms = performance.now() - first;
    await engine.stop();
    return { outputs, ms, committed: await kafka.committed(group, input) };
  }

  it('Kafka ordering: key - 20 keys × 500 records: each result once, in order per key, contiguous commits, faster than ordering: partition', async () => {
    const keyed = await run('key', 500);
    const values = keyed.outputs.map((record) => record.value);
    expect(new Set(values).size).toBe(KEYS * 500);
    expect(values).toHaveLength(KEYS * 500);
    const last = new Map<string, number>();
    const outOfOrder: string[] = [];
    for (const record of keyed.outputs) {
      const [key, seq] = record.value.split(':') as [string, string];
      expect(record.key).toBe(key);
      if ((last.get(key) ?? -1) > Number(seq)) outOfOrder.push(record.value);
      last.set(key, Number(seq));
    }
    expect(outOfOrder).toEqual([]);
    const total = Object.values(keyed.committed).reduce((sum, offset) => sum + Number(offset), 0);
    expect(total).toBe(KEYS * 500);

    const ordered = await run('partition', 50);
    const keyedRate = (KEYS * 500 - 1) / keyed.ms;
    const partitionRate = (KEYS * 50 - 1) / ordered.ms;
    console.info(`ordering: key ${(keyedRate * 1000).toFixed(0)} records/s, ordering: partition ${(partitionRate * 1000).toFixed(0)} records/s (×${(keyedRate / partitionRate).toFixed(2)})`);
    expect(keyedRate / partitionRate).toBeGreaterThanOrEqual(1.5);
  }, 300_000);
});
