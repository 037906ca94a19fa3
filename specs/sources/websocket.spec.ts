/**
 * Websocket stream handlers through createEngine, with the `ws` package as the client: one run and one
 * text frame per message, errors as JSON frames, the connection survives errors, messages of one connection in order,
 * cross-origin upgrades refused, a plain GET answered 426.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cleanupApps } from '../support/apps.js';
import { delay, httpRequest, specDirective, startApp, stopApps, waitFor, type RunningApp } from '../engine/support/engine.js';

const DIRECTIVE = specDirective(
  ['echo', 'fail', 'trap', 'sleep', 'inspect'],
  `
handlers:
  - type: stream
    resource: /ws
    steps:
      - fn: echo
  - type: stream
    resource: /ws-fail
    steps:
      - fn: fail
  - type: stream
    resource: /ws-trap
    steps:
      - fn: trap
  - type: stream
    resource: /ws-sleep
    steps:
      - fn: sleep
  - type: stream
    resource: /ws-inspect
    steps:
      - fn: inspect
  - type: stream
    resource: /ws-backlog
    limits:
      queueSize: 2
    steps:
      - fn: echo
  - type: stream
    resource: /ws-small
    limits:
      maxBodyBytes: 16
    steps:
      - fn: echo
runtime:
  workers: 3
`,
);

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ directive: DIRECTIVE, functions: ['echo', 'fail', 'trap', 'sleep', 'inspect'] });
}, 120_000);

afterAll(async () => {
  await stopApps();
  await cleanupApps();
});

/** A connected client whose received frames are kept in order. */
interface Client {
  readonly socket: WebSocket;
  readonly frames: { readonly text: string; readonly binary: boolean }[];
  /** Resolves once `count` frames in all have arrived. */
  received(count: number, timeoutMs?: number): Promise<string[]>;
}

async function connect(path: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
  const socket = new WebSocket(`ws://127.0.0.1:${app.port}${path}`, options);
  const frames: { text: string; binary: boolean }[] = [];
  socket.on('message', (data, isBinary) => frames.push({ text: Buffer.from(data as Buffer).toString('utf8'), binary: isBinary }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    frames,
    received: async (count, timeoutMs = 5_000) => {
      await waitFor(() => frames.length >= count, timeoutMs, `${count} frames`);
      return frames.map((frame) => frame.text);
    },
  };
}

/** The status of a refused upgrade. */
function refusedStatus(path: string, options: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${app.port}${path}`, options);
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', () => undefined);
  });
}

describe('websocket handlers through createEngine', () => {
  it('websocket - each message runs the steps once and gets one text frame with the output', async () => {
    const client = await connect('/ws');
    client.socket.send('one');
    client.socket.send(Buffer.from('two'), { binary: true });
    client.socket.send('three');
    expect(await client.received(3)).toEqual(['one', 'two', 'three']);
    await delay(150);
    expect(client.frames).toHaveLength(3);
    expect(client.frames.every((frame) => !frame.binary)).toBe(true);
    client.socket.close();
  });

  it('websocket - a Runnable error is one JSON frame, and the connection survives it', async () => {
    const client = await connect('/ws-fail');
    client.socket.send('first');
    expect(await client.received(1)).toEqual(['{"status":404,"message":"failed with 404"}']);
    client.socket.send('second');
    expect(await client.received(2)).toHaveLength(2);
    await delay(100);
    expect(client.frames).toHaveLength(2);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close();
  });

  it('websocket - a trap is a 500 JSON frame, and the connection survives it', async () => {
    const client = await connect('/ws-trap');
    client.socket.send('x');
    const [frame] = await client.received(1);
    expect(JSON.parse(frame ?? '')).toMatchObject({ status: 500 });
    client.socket.send('y');
    await client.received(2);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close();
  });

  it('websocket - the messages of one connection run in order, even when an earlier one is slower', async () => {
    const client = await connect('/ws-sleep');
    for (const ms of ['400', '10', '200', '1']) client.socket.send(ms);
    expect(await client.received(4, 10_000)).toEqual(['slept 400', 'slept 10', 'slept 200', 'slept 1']);
    client.socket.close();
  });

  it('websocket - a flood of messages past the backlog bound is paused, not dropped: every reply arrives in order', async () => {
    const client = await connect('/ws-backlog');
    const sent = Array.from({ length: 300 }, (_, index) => `m${index}`);
    for (const message of sent) client.socket.send(message);
    expect(await client.received(300, 15_000)).toEqual(sent);
    client.socket.close();
  }, 20_000);

  it('websocket - two connections are served independently', async () => {
    const slow = await connect('/ws-sleep');
    const fast = await connect('/ws-sleep');
    slow.socket.send('600');
    await delay(50);
    fast.socket.send('1');
    expect(await fast.received(1)).toEqual(['slept 1']);
    expect(slow.frames).toHaveLength(0);
    expect(await slow.received(1)).toEqual(['slept 600']);
    slow.socket.close();
    fast.socket.close();
  });

  it('websocket - the function sees method GET, the connection URL and the message as body', async () => {
    const client = await connect('/ws-inspect?room=7');
    client.socket.send('payload');
    const [frame] = await client.received(1);
    expect(JSON.parse(frame ?? '')).toMatchObject({ method: 'GET', url: '/ws-inspect?room=7', body: 'payload', header_custom: '' });
    client.socket.close();
  });

  it('websocket - a message over the size limit closes the connection with 1009', async () => {
    const client = await connect('/ws-small');
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    client.socket.send('x'.repeat(64));
    expect(await closed).toBe(1009);
  });

  it('websocket - a cross-origin upgrade is refused with 403; a same-origin one is accepted', async () => {
    expect(await refusedStatus('/ws', { origin: 'http://evil.example' })).toBe(403);
    const same = await connect('/ws', { origin: `http://127.0.0.1:${app.port}` });
    same.socket.send('same origin');
    expect(await same.received(1)).toEqual(['same origin']);
    same.socket.close();
  });

  it('websocket - an upgrade to a path with no websocket handler is refused with 404', async () => {
    expect(await refusedStatus('/nowhere', {})).toBe(404);
  });

  it('websocket - an upgrade is routed on the decoded path, as HTTP requests are; an invalid escape is 400', async () => {
    const client = await connect('/w%73');
    client.socket.send('decoded');
    expect(await client.received(1)).toEqual(['decoded']);
    client.socket.close();
    expect(await refusedStatus('/ws%zz', {})).toBe(400);
  });

  it('websocket - a plain GET (no upgrade) answers 426 Upgrade Required', async () => {
    const reply = await httpRequest(app.port, { path: '/ws' });
    expect(reply.status).toBe(426);
    expect(reply.headers['upgrade']).toBe('websocket');
    expect(JSON.parse(reply.body)).toMatchObject({ status: 426 });
  });
});
