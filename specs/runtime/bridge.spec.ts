import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostServices } from '../../src/capabilities/host-services.js';
import { Worker } from 'node:worker_threads';
import type { HostCallResult } from '../../src/capabilities/host-services.js';
import { BRIDGE_INITIAL_BYTES, type BridgeChannel, BridgeClient, BridgeServer, serveHostCall } from '../../src/runtime/bridge.js';
import { makeRequest } from './support/driver.js';
import { startRuntime, type TestRuntime } from './support/runtime.js';

describe('bridge (workers)', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['exclusive'], inline: false, workers: 2 });
    // warm both workers' instances
    await Promise.all([t.runtime.invoke('exclusive', makeRequest()), t.runtime.invoke('exclusive', makeRequest())]);
  });
  afterAll(() => t.runtime.close());

  it('BridgeClient - a blocked worker does not block the main thread, and two workers wait in parallel', async () => {
    t.services.delayMs = 300;
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 10);
    const start = performance.now();
    const results = await Promise.all([t.runtime.invoke('exclusive', makeRequest()), t.runtime.invoke('exclusive', makeRequest())]);
    const elapsed = performance.now() - start;
    clearInterval(timer);
    t.services.delayMs = 0;
    expect(results.map((r) => r.kind)).toEqual(['output', 'output']);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(550); // sequential would take 600 ms or more
    expect(ticks).toBeGreaterThanOrEqual(15);
    const slow = t.services.calls.filter((c) => c.op === 'cacheGet').slice(-2);
    expect(slow.map((c) => c.args)).toEqual([['slow'], ['slow']]);
  });
});

/**
 * A thread that serves a bridge the way the main thread does, scripted: it answers each call it is posted after
 * `delayMs`, and, when asked, wakes the waiting client first without an answer (`strayWakeMs` before it).
 */
function scriptedServer(): Promise<{ worker: Worker; channel: BridgeChannel }> {
  const tsx = import.meta.resolve('tsx/esm/api');
  const bridge = new URL('../../src/runtime/bridge.ts', import.meta.url).href;
  const code = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(bridge)}); }).then(({ BridgeServer }) => {
      const server = new BridgeServer();
      const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
      parentPort.on('message', ({ answer, strayWake }) => {
        if (strayWake) {
          sleep(50);
          // What a late notify of an earlier answer does: the client wakes, and no answer is in.
          Atomics.notify(new Int32Array(server.channel.control), 0);
          sleep(100);
        }
        server.answer(answer);
      });
      parentPort.postMessage(server.channel, [server.channel.port]);
    });`;
  const worker = new Worker(code, { eval: true });
  return new Promise((resolve, reject) => {
    worker.once('message', (channel: BridgeChannel) => resolve({ worker, channel }));
    worker.once('error', reject);
  });
}

describe('bridge (protocol)', () => {
  const context = { fn: 'f', requestId: 'r' };

  it('BridgeClient - a wake-up without an answer does not end the wait: a call never reads the previous call\'s answer', async () => {
    // The race behind a 500 "unknown error returned from host" once seen on POST /cache/tinygo (issue 15, item 15): the
    // main thread stored cache_set's answer (status 0), the worker read it before the main thread's notify came, ran
    // on to cache_get, and that late notify woke cache_get's wait, which took status 0 as its answer: size 0, nothing
    // stored, so the guest's get_ffi_result failed.
    const { worker, channel } = await scriptedServer();
    try {
      let next: { answer: HostCallResult; strayWake: boolean } | undefined;
      const client = new BridgeClient(channel, () => worker.postMessage(next));
      next = { answer: { kind: 'status', status: 0 }, strayWake: false };
      expect(client.call({ op: 'cacheSet', key: 'name', value: new TextEncoder().encode(';y'), ttlSeconds: 0 }, context)).toEqual({ kind: 'status', status: 0 });
      next = { answer: { kind: 'data', data: new TextEncoder().encode(';y') }, strayWake: true };
      expect(client.call({ op: 'cacheGet', key: 'name' }, context)).toEqual({ kind: 'data', data: new TextEncoder().encode(';y') });
    } finally {
      await worker.terminate();
    }
  });

  it('BridgeServer - answers data, errors and statuses, growing the buffer for large data', () => {
    const server = new BridgeServer(16);
    const answers = [
      { kind: 'data', data: new Uint8Array([1, 2, 3]) },
      { kind: 'error', message: 'key not found' },
      { kind: 'status', status: -2 },
      { kind: 'data', data: new Uint8Array(100).fill(9) },
      { kind: 'data', data: new Uint8Array([4]) },
    ] as const;
    let next = 0;
    // The "main thread" answers synchronously inside post, so the client's Atomics.wait returns at once.
    const client = new BridgeClient(server.channel, () => server.answer(answers[next++] as (typeof answers)[number]));
    expect(client.call({ op: 'cacheGet', key: 'a' }, context)).toEqual({ kind: 'data', data: new Uint8Array([1, 2, 3]) });
    expect(client.call({ op: 'cacheGet', key: 'a' }, context)).toEqual({ kind: 'error', message: 'key not found' });
    expect(client.call({ op: 'cacheGet', key: 'a' }, context)).toEqual({ kind: 'status', status: -2 });
    expect(client.call({ op: 'cacheGet', key: 'a' }, context)).toEqual({ kind: 'data', data: new Uint8Array(100).fill(9) });
    expect(server.capacity).toBe(128);
    expect(client.call({ op: 'cacheGet', key: 'a' }, context)).toEqual({ kind: 'data', data: new Uint8Array([4]) });
    server.close();
    expect(BRIDGE_INITIAL_BYTES).toBe(65536);
  });

  it('serveHostCall - routes each operation to its service and turns a throw into an error text', async () => {
    const seen: string[] = [];
    const ok = (name: string) => () => {
      seen.push(name);
      return Promise.resolve({ kind: 'status', status: 0 } as const);
    };
    const services: HostServices = {
      cacheGet: ok('cacheGet'),
      cacheSet: ok('cacheSet'),
      fetchUrl: ok('fetchUrl'),
      graphqlQuery: ok('graphqlQuery'),
      dbExec: ok('dbExec'),
      getStaticFile: () => Promise.reject(new Error('disk on fire')),
      close: () => Promise.resolve(),
    };
    await serveHostCall(services, { op: 'cacheGet', key: 'k' }, context);
    await serveHostCall(services, { op: 'cacheSet', key: 'k', value: new Uint8Array(), ttlSeconds: 0 }, context);
    await serveHostCall(services, { op: 'fetchUrl', method: 0, url: 'u', body: new Uint8Array() }, context);
    await serveHostCall(services, { op: 'graphqlQuery', endpoint: 'e', query: 'q' }, context);
    await serveHostCall(services, { op: 'dbExec', queryType: 1, name: 'n', variables: [] }, context);
    expect(seen).toEqual(['cacheGet', 'cacheSet', 'fetchUrl', 'graphqlQuery', 'dbExec']);
    expect(await serveHostCall(services, { op: 'getStaticFile', name: 'x' }, context)).toEqual({ kind: 'error', message: 'disk on fire' });
  });
});
