/**
 * Throughput of NATS stream handlers through e2rx, with a real Wasm function, against hand-written loops calling the
 * same function inline, measured in the same run. (Kafka has its own benchmark: bench/kafka.ts.)
 *
 * The function is `specs/fixtures/functions/stream-echo` (AssemblyScript, e2rx's SDK): it answers its input. Every
 * server runs in its own process (bench/servers/stream-echo.mjs, plain JavaScript on the built dist/: baseline, e2rx with **default limits**, and e2rx's
 * pipeline with a stub run and no Wasm); this process publishes and counts what comes back on `<input>.out`, checking
 * each message's sequence number, so that a loss or a duplicate is seen, not only a rate.
 *
 * - **Core NATS → Wasm → NATS:** `E2RX_BENCH_MESSAGES` (default 100,000) messages of ~100 bytes, the publisher
 *   keeping 1,000 outstanding (published, not yet answered). Rate: messages answered per second, from the first
 *   publish to the last answer. Lost: messages never answered (core NATS has no redelivery: a loss is final).
 * - **JetStream → Wasm → publish + ack:** the stream is filled with the same number of messages first, then the
 *   server starts and consumes them. Rate: from the first answer to the last. Baseline: `consume({ callback })`,
 *   publish, then ack; e2rx acks only after the result is published, too.
 *
 * Variants run in turn, `E2RX_BENCH_ROUNDS` times (default 2); the medians are compared. `E2RX_BENCH_TRANSPORTS`
 * (default `nats,jetstream`) and `E2RX_BENCH_VARIANTS` (default `baseline,e2rx,stub`) choose what runs;
 * `E2RX_BENCH_NODE_ARGS` adds node arguments to the servers (`--cpu-prof` to profile them).
 *
 * Run: npm run bench -- streams   (about 2 minutes; needs `npm run services up`)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { functionWasm } from '../specs/integration/support/functions.js';
import { NATS_URL, requireServices } from '../specs/support/services.js';
import { median } from './load.js';

const SERVER = fileURLToPath(new URL('./servers/stream-echo.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MESSAGES = Number(process.env['E2RX_BENCH_MESSAGES'] ?? 100_000);
const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 2);
const TRANSPORTS = (process.env['E2RX_BENCH_TRANSPORTS'] ?? 'nats,jetstream').split(',');
/** Core NATS: messages outstanding at most (published, not yet answered). */
const OUTSTANDING = 1_000;
/** A run that makes no progress for this long is over (what has not arrived is lost). */
const STALL_MS = 10_000;
const ALL_VARIANTS = ['baseline', 'e2rx', 'stub'] as const;
type Variant = (typeof ALL_VARIANTS)[number];
const VARIANTS = ALL_VARIANTS.filter((variant) => (process.env['E2RX_BENCH_VARIANTS'] ?? ALL_VARIANTS.join(',')).split(',').includes(variant));
/** Extra node arguments of the servers (e.g. `--cpu-prof --cpu-prof-dir=prof` to profile them). */
const NODE_ARGS = (process.env['E2RX_BENCH_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
const LABELS: Record<Variant, string> = {
  baseline: 'hand-written, Wasm inline (baseline)',
  e2rx: 'e2rx engine, default limits',
  stub: 'e2rx pipeline, stub run (no Wasm)',
};

/** A message: `{"seq":<8 digits>,…}`, about 100 bytes; the echo answers it unchanged. */
const TEMPLATE = '{"seq":00000000,"name":"bench","tags":["a","b","c"],"note":"a small event of about 100 bytes"}';
const SEQ_AT = 7;
function message(seq: number): Uint8Array {
  const bytes = new TextEncoder().encode(TEMPLATE);
  const digits = String(seq).padStart(8, '0');
  for (let i = 0; i < 8; i += 1) bytes[SEQ_AT + i] = digits.charCodeAt(i);
  return bytes;
}
function seqOf(bytes: Uint8Array): number {
  let seq = 0;
  for (let i = SEQ_AT; i < SEQ_AT + 8; i += 1) seq = seq * 10 + ((bytes[i] ?? 48) - 48);
  return seq;
}

/** What came back on `<input>.out`: distinct sequence numbers, duplicates, and when. */
class Tally {
  readonly seen: Uint8Array;
  distinct = 0;
  duplicates = 0;
  first = 0;
  last = 0;
  constructor(count: number) {
    this.seen = new Uint8Array(count);
  }
  record(bytes: Uint8Array): void {
    const now = performance.now();
    if (this.distinct === 0 && this.duplicates === 0) this.first = now;
    this.last = now;
    const seq = seqOf(bytes);
    if (this.seen[seq] === 1) this.duplicates += 1;
    else {
      this.seen[seq] = 1;
      this.distinct += 1;
    }
  }
  get total(): number {
    return this.distinct + this.duplicates;
  }
}

interface Result {
  readonly perSecond: number;
  readonly lost: number;
  readonly duplicates: number;
}

/** The echo module, written to a temp file for the servers. */
let wasmFile = '';

async function startServer(variant: string, input: string, stream?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...NODE_ARGS, SERVER, variant, wasmFile, NATS_URL, input, ...(stream ? [stream] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code} before it was ready`)));
  });
  return child;
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

/** Waits until `done()` or no progress for {@link STALL_MS}. */
async function settle(tally: Tally, count: number): Promise<void> {
  let seen = -1;
  let since = performance.now();
  while (tally.distinct < count) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (tally.total !== seen) {
      seen = tally.total;
      since = performance.now();
    } else if (performance.now() - since > STALL_MS) return;
  }
}

async function coreNats(client: NatsConnection, variant: Variant): Promise<Result> {
  const input = `bench.nats.${variant}.${randomUUID().slice(0, 8)}`;
  const tally = new Tally(MESSAGES);
  const subscription = client.subscribe(`${input}.out`, { callback: (_error, msg) => tally.record(msg.data) });
  await client.flush();
  const server = await startServer(`nats-${variant}`, input);
  try {
    const payloads = Array.from({ length: MESSAGES }, (_, seq) => message(seq));
    const began = performance.now();
    let sent = 0;
    while (sent < MESSAGES) {
      while (sent < MESSAGES && sent - tally.total < OUTSTANDING) client.publish(input, payloads[sent++]);
      // Wait for answers when the window is full (a microtask would starve the socket; a timer of 0 lets it read).
      await new Promise((resolve) => setImmediate(resolve));
      if (sent - tally.total >= OUTSTANDING) {
        const stalled = performance.now();
        while (sent - tally.total >= OUTSTANDING && performance.now() - stalled < STALL_MS) await new Promise((resolve) => setImmediate(resolve));
        if (sent - tally.total >= OUTSTANDING) break;
      }
    }
    await settle(tally, MESSAGES);
    return { perSecond: tally.distinct / ((tally.last - began) / 1000), lost: MESSAGES - tally.distinct, duplicates: tally.duplicates };
  } finally {
    await stopServer(server);
    subscription.unsubscribe();
  }
}

async function jetStream(client: NatsConnection, jsm: JetStreamManager, js: JetStreamClient, variant: Variant): Promise<Result> {
  const id = randomUUID().slice(0, 8);
  const input = `bench.js.${variant}.${id}`;
  const stream = `BENCH_${variant}_${id}`;
  await jsm.streams.add({ name: stream, subjects: [input] });
  try {
    for (let from = 0; from < MESSAGES; from += 1_000) {
      const acks = [];
      for (let seq = from; seq < Math.min(MESSAGES, from + 1_000); seq += 1) acks.push(js.publish(input, message(seq)));
      await Promise.all(acks);
    }
    const tally = new Tally(MESSAGES);
    const subscription = client.subscribe(`${input}.out`, { callback: (_error, msg) => tally.record(msg.data) });
    await client.flush();
    const server = await startServer(`jetstream-${variant}`, input, stream);
    try {
      await settle(tally, MESSAGES);
      // Redeliveries after the last answer count as duplicates only if they arrive while we wait here.
      await new Promise((resolve) => setTimeout(resolve, 500));
      return { perSecond: tally.distinct / Math.max(0.001, (tally.last - tally.first) / 1000), lost: MESSAGES - tally.distinct, duplicates: tally.duplicates };
    } finally {
      await stopServer(server);
      subscription.unsubscribe();
    }
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
  }
}

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  await requireServices('nats');
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-streams-'));
  wasmFile = join(dir, 'stream-echo.wasm');
  await writeFile(wasmFile, await functionWasm('stream-echo'));
  const client = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(client);
  const js = jsm.jetstream();
  const results = new Map<string, Result[]>();
  const add = (key: string, result: Result): void => void results.set(key, [...(results.get(key) ?? []), result]);
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      if (TRANSPORTS.includes('nats')) for (const variant of VARIANTS) add(`nats|${variant}`, await coreNats(client, variant));
      if (TRANSPORTS.includes('jetstream')) for (const variant of VARIANTS) add(`jetstream|${variant}`, await jetStream(client, jsm, js, variant));
    }
  } finally {
    await client.drain();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}; ${MESSAGES} messages per run, ${ROUNDS} rounds, medians`,
  );
  for (const transport of TRANSPORTS) {
    const baseline = median((results.get(`${transport}|baseline`) ?? []).map((r) => r.perSecond));
    for (const variant of VARIANTS) {
      const runs = results.get(`${transport}|${variant}`) ?? [];
      const rate = median(runs.map((r) => r.perSecond));
      const lost = runs.reduce((sum, r) => sum + r.lost, 0);
      const duplicates = runs.reduce((sum, r) => sum + r.duplicates, 0);
      console.log(
        `${`${transport}: ${LABELS[variant]}`.padEnd(52)} ${Math.round(rate).toString().padStart(8)} msg/s  x${(rate / baseline).toFixed(2)}  (runs ${runs.map((r) => Math.round(r.perSecond)).join(', ')}; lost ${lost}, duplicates ${duplicates})`,
      );
    }
  }
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
