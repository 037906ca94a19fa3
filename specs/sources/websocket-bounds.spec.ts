/**
 * The bounds of websocket handlers (src/sources/websocket.ts, serveWebSocket in src/handlers/pipeline.ts) through a
 * real engine serving real Wasm: `limits.maxConnections` refuses the next upgrade with 503; a client that sends faster
 * than its handler runs is paused by bytes (the server stops reading its socket, so the bytes wait at the client) and
 * every message is still answered, in order; a client that leaves mid-run cancels its pending work and frees its slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanupApps } from '../support/apps.js';
import { delay, specDirective, startApp, stopApps, waitFor, type RunningApp } from '../engine/support/engine.js';

/** The bytes a paced connection may hold before its socket is paused. */
const PACED_BYTES = 512 * 1024;

const DIRECTIVE = specDirective(
  ['echo', 'sleep'],
  `
handlers:
  - type: stream
    resource: /ws-capped
    limits:
      maxConnections: 2
    steps:
      - fn: echo
  - type: stream
    resource: /ws-paced
    limits:
      maxQueuedBytes: ${PACED_BYTES}
    steps:
      - fn: sleep
      - fn: echo
  - type: stream
    resource: /ws-slow
    limits:
      maxInFlight: 1
    steps:
      - fn: sleep
runtime:
  workers: 2
`,
);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'sleep'] });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

/** A connected client keeping its text frames in order. */
async function connect(path: string): Promise<{ socket: WebSocket; frames: string[] }> {
  const socket = new WebSocket(`ws://127.0.0.1:${app.port}${path}`);
  const frames: string[] = [];
  socket.on('message', (data) => frames.push(Buffer.from(data as Buffer).toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, frames };
}

/** The answer to an upgrade that was refused. */
function refusedUpgrade(path: string): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${app.port}${path}`);
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      socket.terminate();
    });
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('error', () => undefined);
  });
}

const closed = (socket: WebSocket): Promise<void> => new Promise((resolve) => socket.once('close', () => resolve()));

describe('websocket bounds through createEngine', () => {
  it('websocket - past maxConnections the next upgrade is refused with 503 and Retry-After; a freed place is taken again', async () => {
    const first = await connect('/ws-capped');
    const second = await connect('/ws-capped');
    expect(await refusedUpgrade('/ws-capped')).toEqual({ status: 503, retryAfter: '1' });
    // The bound is the route's: another route still takes connections.
    const other = await connect('/ws-paced');
    // The connections held still work.
    second.socket.send('still here');
    await waitFor(() => second.frames.length === 1, 5_000, 'a reply');
    expect(second.frames).toEqual(['still here']);

    const gone = closed(first.socket);
    first.socket.close();
    await gone;
    await waitFor(
      async () => {
        const client = await connect('/ws-capped').catch(() => undefined);
        client?.socket.close();
        return client !== undefined;
      },
      5_000,
      'a place freed by a closed connection',
    );
    second.socket.close();
    other.socket.close();
  });

  it('websocket - a client sending faster than its handler runs is paused by bytes, and every message is answered in order', async () => {
    const client = await connect('/ws-paced');
    const count = 128;
    const size = 256 * 1024;
    // Each message sleeps 15 ms then is echoed: its reply is the message itself, whose head names it.
    const sent = Array.from({ length: count }, (_, index) => `15 m${String(index).padStart(4, '0')} `);
    for (const head of sent) client.socket.send(head.padEnd(size, 'x'));
    const total = count * size;
    // While the handler works through the first messages, the rest waits at the client: the server reads no more
    // than its bound (plus what the kernel buffers), however much the client has sent.
    await waitFor(() => client.frames.length >= 4, 10_000, 'the first replies');
    let heldAtClient = 0;
    for (let sample = 0; sample < 10; sample += 1) {
      heldAtClient = Math.max(heldAtClient, client.socket.bufferedAmount);
      await delay(20);
    }
    expect(heldAtClient).toBeGreaterThan(total / 4);
    await waitFor(() => client.frames.length === count, 18_000, `${count} replies`);
    expect(client.frames.map((frame) => frame.slice(0, sent[0]?.length))).toEqual(sent);
    expect(client.frames.every((frame) => frame.length === size)).toBe(true);
    expect(client.socket.bufferedAmount).toBe(0);
    client.socket.close();
  }, 30_000);

  it('websocket - a client that leaves mid-run cancels its running and waiting messages and frees its slot at once; the next client is served', async () => {
    const gate = app.engine.gates.get('ws /ws-slow');
    if (!gate) throw new Error('no gate for ws /ws-slow');
    const errorsBefore = errorLines().length;
    const completedBefore = completedRuns();
    const leaving = await connect('/ws-slow');
    for (const ms of ['2001', '2002', '2003']) leaving.socket.send(ms);
    await waitFor(() => gate.inFlight === 1, 5_000, 'the first message to run');
    const started = Date.now();
    const gone = closed(leaving.socket);
    leaving.socket.terminate();
    await gone;
    // Freed when the client leaves, not when its (abandoned) call ends 2 s after it started.
    await waitFor(() => gate.inFlight === 0 && gate.waiting === 0, 1_000, 'the slot to be freed');

    // The handler allows one run at a time: a held slot would keep this one waiting.
    const next = await connect('/ws-slow');
    next.socket.send('1');
    await waitFor(() => next.frames.length === 1, 5_000, 'the next client to be served');
    expect(next.frames).toEqual(['slept 1']);
    next.socket.close();

    // Once the abandoned call has ended on its worker: it was never answered nor counted as a run, the messages
    // behind it never ran, and nothing was logged as an error.
    await delay(Math.max(0, 2_300 - (Date.now() - started)));
    expect(completedRuns()).toBe(completedBefore + 1);
    expect(sleptLines(/^sleeping 200\d$/)).toEqual(['sleeping 2001']);
    expect(errorLines().slice(errorsBefore)).toEqual([]);
    expect(gate).toMatchObject({ inFlight: 0, waiting: 0, queuedBytes: 0 });
  });

  it('websocket - a client that leaves while its message waits for a slot takes it out of the queue; it never runs', async () => {
    const gate = app.engine.gates.get('ws /ws-slow');
    if (!gate) throw new Error('no gate for ws /ws-slow');
    const holder = await connect('/ws-slow');
    holder.socket.send('700');
    await waitFor(() => gate.inFlight === 1, 5_000, 'the holder to run');
    const leaving = await connect('/ws-slow');
    leaving.socket.send('777');
    await waitFor(() => gate.waiting === 1, 5_000, 'the message to wait');
    leaving.socket.terminate();
    await waitFor(() => gate.waiting === 0 && gate.queuedBytes === 0, 1_000, 'the message to leave the queue');
    await waitFor(() => holder.frames.length === 1, 5_000, 'the holder to be answered');
    await delay(100);
    expect(sleptLines(/^sleeping 777$/)).toEqual([]);
    expect(gate).toMatchObject({ inFlight: 0, waiting: 0 });
    holder.socket.close();
  });
});

/** Lines logged at error level or above. */
const errorLines = (): unknown[] => app.logs.filter((line) => line.level >= 50);
/** Runs of ws /ws-slow that ended with a result (logged at debug). */
const completedRuns = (): number => app.logs.filter((line) => line.msg === 'ws /ws-slow completed').length;
/** The `sleeping <ms>` lines of the sleep function matching `pattern`. */
const sleptLines = (pattern: RegExp): string[] => app.logs.map((line) => line.msg).filter((msg) => typeof msg === 'string' && pattern.test(msg));
