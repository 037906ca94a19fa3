/**
 * JetStream → JetStream without duplicates, with real processes: two `e2rx start` of one app pull from one durable
 * consumer of an input stream holding 10,000 messages and answer each to a subject stored by an output stream
 * (`respondTo`: a `sleep` step of 2 ms, 8 runs at a time, then the `stream-echo` function). Once the output holds a
 * thousand results, twenty of them from the slow process below, one process is killed with
 * SIGKILL: the messages whose result it had published but not yet acknowledged are redelivered to the other after
 * `ackWaitMs`, which publishes their results again — with the same `Nats-Msg-Id` (`<handler>:<stream>:<sequence>`),
 * so the output stream's duplicate window drops them.
 *
 * The killed process reaches NATS through a proxy that holds what it sends for 200 ms and drops what it holds when
 * the process dies, as a slow link would: its last acks (sent after their results' publishes were confirmed) never
 * arrive, so there are always results published and not acknowledged at the kill (a core subscriber on the output
 * subject sees them published twice). The output stream then holds every input's result exactly once: 0 missing,
 * 0 duplicates.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specFunctions } from '../engine/support/functions.js';
import { functionWasm } from '../integration/support/functions.js';
import { isStaleBuild } from '../support/dist.js';
import { problems, startInstance, type Instance } from '../support/e2rx-process.js';
import { NATS_URL, requireServices } from '../support/services.js';
import { unique, waitFor } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MESSAGES = 10_000;
const LINK_DELAY_MS = 200;

/**
 * A TCP proxy to `target` that delays what clients send by `delayMs` and drops it when the client goes away;
 * `sent(text)` counts the occurrences of `text` in what it forwarded (roughly: a chunk boundary may split one).
 */
async function slowLink(target: URL, delayMs: number): Promise<{ server: Server; url: string; sent(text: string): number }> {
  const forwarded: string[] = [];
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    const timers = new Set<NodeJS.Timeout>();
    client.on('data', (chunk) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        upstream.write(chunk);
        forwarded.push(chunk.toString('latin1'));
      }, delayMs);
      timers.add(timer);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = (): void => {
      for (const timer of timers) clearTimeout(timer);
      upstream.destroy();
      client.destroy();
    };
    client.on('close', close);
    client.on('error', close);
    upstream.on('close', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `nats://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent: (text) => forwarded.reduce((count, chunk) => count + chunk.split(text).length - 1, 0),
  };
}

describe('JetStream de-duplication across two processes', () => {
  let client: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string | undefined;
  let link: Server | undefined;
  const instances: Instance[] = [];
  const streams: string[] = [];

  beforeAll(async () => {
    await requireServices('nats');
    if (isStaleBuild(join(ROOT, 'dist', 'cli', 'main.js'))) {
      const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
    }
    client = await connect({ servers: NATS_URL });
    jsm = await jetstreamManager(client);
    dir = await mkdtemp(join(tmpdir(), 'e2rx-js-dedupe-'));
    const echo = await functionWasm('stream-echo');
    const { sleep } = await specFunctions();
    for (const name of ['a', 'b']) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'echo.wasm'), echo);
      await writeFile(join(dir, name, 'sleep.wasm'), sleep);
    }
  }, 180_000);

  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    link?.close();
    await Promise.allSettled(streams.map((stream) => jsm.streams.delete(stream)));
    await client?.drain();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('JetStream respondTo - 10,000 messages, one of two processes SIGKILLed after publishing and before acking: the output stream holds each result once', async () => {
    const name = unique('jsdedupe').replace(/[^A-Za-z0-9_-]/g, '_');
    const input = `${name}.in`;
    const output = `${name}.out`;
    const inStream = `${name}_IN`;
    const outStream = `${name}_OUT`;
    await jsm.streams.add({ name: inStream, subjects: [input] });
    await jsm.streams.add({ name: outStream, subjects: [output], duplicate_window: 120_000_000_000 });
    streams.push(inStream, outStream);
    const js = jetstream(client);
    const values = Array.from({ length: MESSAGES }, (_, index) => `m${index}`);
    // Each run sleeps 2 ms, 8 at a time per process: the stream lasts a few seconds.
    const slowly = headers();
    slowly.set('x-sleep-ms', '2');
    for (let at = 0; at < MESSAGES; at += 500) await Promise.all(values.slice(at, at + 500).map((value) => js.publish(input, value, { headers: slowly })));
    const slow = await slowLink(new URL(NATS_URL), LINK_DELAY_MS);
    link = slow.server;
    const identifier = unique('com.e2rx.jsdedupe');
    // The same app twice; `a` reaches NATS through the slow link.
    for (const [instance, url] of [['a', slow.url], ['b', NATS_URL]] as const) {
      await writeFile(
      join(dir as string, instance, 'Directive.yaml'),
      [
        `identifier: ${identifier}`,
        'appVersion: v0.1.0',
        'atmoVersion: v0.4.7',
        'connections:',
        `  nats: { serverAddress: "${url}" }`,
        'runnables:',
        '  - { name: sleep, namespace: default, lang: assemblyscript }',
        '  - { name: echo, namespace: default, lang: assemblyscript }',
        'handlers:',
        '  - type: stream',
        '    source: nats',
        `    resource: ${input}`,
        `    respondTo: ${output}`,
        `    jetstream: { stream: ${inStream}, durable: ${name}, ackWaitMs: 2000 }`,
        '    limits: { maxInFlight: 8 }',
        '    steps:',
        '      - fn: sleep',
        '      - fn: echo',
        '',
      ].join('\n'),
      );
    }
    // Every publish to the output subject, duplicates included (a JetStream publish is a message on the subject).
    let published = 0;
    client.subscribe(output, { callback: () => void (published += 1) });
    const stored = async (): Promise<number> => (await jsm.streams.info(outStream)).state.messages;
    const a = startInstance('a', join(dir as string, 'a'));
    const b = startInstance('b', join(dir as string, 'b'));
    instances.push(a, b);
    // Both processes at work (the slow one has published results through the link), into the stream.
    let progress = '';
    await waitFor(
      async () => {
        const [bySlow, all] = [slow.sent(`PUB ${output} `), await stored()];
        progress = `${bySlow} published by the slow process, ${all} stored`;
        return bySlow >= 20 && all >= 1_000;
      },
      60_000,
      '1,000 results, 20 by the slow process',
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${progress}; ${problems(a, b)}`);
    });
    const killedAt = await stored();
    a.child.kill('SIGKILL');
    await a.exited;
    // Everything acknowledged: the redeliveries of what the killed process held are done.
    await waitFor(
      async () => {
        const info = await jsm.consumers.info(inStream, name);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      90_000,
      `every message acknowledged ${problems(b)}`,
    );
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);

    expect(killedAt).toBeLessThan(MESSAGES);
    // Results of the killed process were published again after their redelivery...
    expect(published).toBeGreaterThan(MESSAGES);
    const bodies: string[] = [];
    const consumer = await js.consumers.get(outStream);
    const messages = await consumer.fetch({ max_messages: MESSAGES + 1_000, expires: 5_000 });
    for await (const message of messages) {
      bodies.push(message.string());
      if (message.info.pending === 0) break;
    }
    const seen = new Map<string, number>();
    for (const body of bodies) seen.set(body, (seen.get(body) ?? 0) + 1);
    const missing = values.filter((value) => !seen.has(value));
    const duplicates = [...seen].filter(([, count]) => count > 1);
    expect({ missing: missing.length, duplicates: duplicates.length, total: bodies.length }).toEqual({ missing: 0, duplicates: 0, total: MESSAGES });
  }, 240_000);
});
