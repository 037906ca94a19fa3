/**
 * Core NATS under load, end to end through `createEngine` and real Wasm, against the NATS of `npm run services up`:
 * a burst of 50,000 messages published at once loses none, and an overloaded handler (a slow function, a short
 * time limit) refuses what it cannot serve in time as slow-consumer drops that go to its dead letter: every message
 * is accounted for (issue "Serve real load"; docs/reference/admission.md).
 */
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { specFunctions } from '../engine/support/functions.js';
import { functionWasm } from '../integration/support/functions.js';
import { cleanupApps, makeAppDir } from '../support/apps.js';
import { requireServices } from '../support/services.js';
import { SPEC_ENV, unique, waitFor } from './support.js';

const BURST = 50_000;

let client: NatsConnection;
const engines: Engine[] = [];

beforeAll(async () => {
  await requireServices('nats');
  client = await connect({ servers: SPEC_ENV.E2RX_SPEC_NATS });
}, 120_000);

afterAll(async () => {
  for (const engine of engines) await engine.stop();
  await client?.drain();
  await cleanupApps();
});

async function serve(handlers: string, files: Record<string, Uint8Array>): Promise<Engine> {
  const names = Object.keys(files).map((file) => file.replace(/\.wasm$/, ''));
  const runnables = names.map((name) => `  - { name: ${name}, namespace: default }`).join('\n');
  const dir = await makeAppDir({
    directive: `identifier: com.e2rx.spec\nappVersion: v1.0.0\natmoVersion: v0.4.7\nrunnables:\n${runnables}\nconnections:\n  nats: { serverAddress: env(E2RX_SPEC_NATS) }\nhandlers:\n${handlers}`,
    files,
  });
  const engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), env: SPEC_ENV });
  engines.push(engine);
  await engine.start();
  // The engine subscribed on its own connection: let the server register its interest before publishing.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return engine;
}

describe('core NATS under load', () => {
  it(`nats - a burst of ${BURST} messages published at once is served in full: none lost, none refused`, async () => {
    const subject = unique('load.burst');
    await serve(`  - { type: stream, source: nats, resource: ${subject}, respondTo: ${subject}.out, steps: [ { fn: stream-upper } ] }\n`, { 'stream-upper.wasm': await functionWasm('stream-upper') });
    let received = 0;
    client.subscribe(`${subject}.out`, { callback: () => void (received += 1) });
    await client.flush();
    const payload = new TextEncoder().encode('{"id":1,"name":"a small event of about sixty bytes"}');
    for (let i = 0; i < BURST; i += 1) client.publish(subject, payload);
    await client.flush();
    await waitFor(() => received >= BURST, 120_000, `${BURST} results`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toBe(BURST);
  }, 180_000);

  it('nats - past what it can serve in time, a handler refuses messages as slow-consumer drops that all reach its dead letter', async () => {
    const subject = unique('load.slow');
    const modules = await specFunctions();
    await serve(
      `  - type: stream\n    source: nats\n    resource: ${subject}\n    respondTo: ${subject}.out\n    deadLetter: ${subject}.dead\n    limits: { requestTimeoutMs: 1000 }\n    steps: [ { fn: sleep } ]\n`,
      { 'sleep.wasm': modules.sleep },
    );
    let served = 0;
    let dead = 0;
    const codes = new Map<string, number>();
    client.subscribe(`${subject}.out`, { callback: () => void (served += 1) });
    client.subscribe(`${subject}.dead`, {
      callback: (_error, msg) => {
        dead += 1;
        const code = msg.headers?.get('e2rx-error-code') ?? '';
        codes.set(code, (codes.get(code) ?? 0) + 1);
      },
    });
    await client.flush();
    const sent = 600;
    const slow = headers();
    slow.set('x-sleep-ms', '20');
    for (let i = 0; i < sent; i += 1) client.publish(subject, new TextEncoder().encode(`m${i}`), { headers: slow });
    await client.flush();
    await waitFor(() => served + dead === sent, 60_000, 'every message served or dead-lettered');
    // Two workers at 20 ms a message serve about a hundred a second: within a one-second time limit most of the
    // burst cannot be served, and is refused at once rather than run late. Only the first runs, started before
    // the handler had measured anything, can still reach their time limit.
    expect(served).toBeGreaterThan(10);
    expect(dead).toBeGreaterThan(sent / 2);
    expect([...codes.keys()].sort()).toEqual(expect.arrayContaining(['E2RX_OVERLOADED']));
    expect([...codes.keys()].every((code) => code === 'E2RX_OVERLOADED' || code === 'E2RX_REQUEST_TIMEOUT')).toBe(true);
    expect(codes.get('E2RX_OVERLOADED') ?? 0).toBeGreaterThan(sent / 2);
    expect(codes.get('E2RX_REQUEST_TIMEOUT') ?? 0).toBeLessThanOrEqual(64);
  }, 120_000);
});
