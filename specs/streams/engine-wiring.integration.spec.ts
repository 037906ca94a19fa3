import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { of } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/load-app.js';
import { NO_STATIC_FILES } from '../../src/app/static-files.js';
import { createStreamConnections } from '../../src/handlers/stream-connections.js';
import { createEngine } from '../../src/engine/engine.js';
import type { FunctionRunner } from '../../src/steps/function-runner.js';
import { NATS_URL, requireService, requireServices } from '../support/services.js';
import { app, decode, encode, KAFKA_DRIVERS, silent, SPEC_ENV, unique, waitFor } from './support.js';

/** A function runner that upper-cases the body (the Wasm runtime is not needed to test the wiring). */
const upper: FunctionRunner = (_fn, request) => of({ kind: 'output', output: encode(decode(request.body).toUpperCase()), request });

describe('stream connections in the engine', () => {
  let client: NatsConnection;

  beforeAll(async () => {
    await requireService('nats');
    client = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await client?.drain();
  });

  it('createStreamConnections - plugs into createEngine as EngineOptions.streams: start, run, stop, drain, close', async () => {
    const subject = unique('wire.in');
    const out = unique('wire.out');
    const { directive } = app(`  - { type: stream, source: nats, resource: ${subject}, respondTo: ${out}, steps: [ { fn: echo } ] }`);
    const loaded: App = { path: '/spec', kind: 'directory', directiveFile: 'Directive.yaml', directive, warnings: [], functions: new Map(), staticFiles: NO_STATIC_FILES };
    const streams = createStreamConnections(directive, { logger: silent, env: SPEC_ENV });
    await streams.connect();
    const engine = createEngine({ app: loaded, runner: upper, streams, port: 0, host: '127.0.0.1', logger: silent });
    const received: Msg[] = [];
    client.subscribe(out, { callback: (_error, msg) => void received.push(msg) });
    await client.flush();
    await engine.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.publish(subject, encode('wired'));
    await waitFor(() => received.length === 1, 5_000, 'the output');
    expect(decode(received[0]?.data)).toBe('WIRED');
    expect(streams.health()).toEqual({ nats: true });
    await engine.stop();
    expect(await streams.drain(5_000)).toBe(true);
    await streams.close();
    expect(streams.health()).toEqual({ nats: false });
  });

  it.each(KAFKA_DRIVERS)('connections.kafka.sessionTimeoutMs - reaches the Kafka consumer (%s driver): a value the broker refuses stops the handler, and /health answers 503', async (driver) => {
    await requireServices('kafka');
    const topic = unique('wire-session');
    const { directive } = app(
      `  - { type: stream, source: kafka, resource: ${topic}, consumerGroup: ${unique('g')}, steps: [ { fn: echo } ] }`,
      // Below the broker's group.min.session.timeout.ms (6 s by default): the group join is refused.
      `kafka: { brokerAddress: env(E2RX_SPEC_KAFKA), driver: ${driver}, sessionTimeoutMs: 3000, heartbeatIntervalMs: 500 }`,
    );
    const loaded: App = { path: '/spec', kind: 'directory', directiveFile: 'Directive.yaml', directive, warnings: [], functions: new Map(), staticFiles: NO_STATIC_FILES };
    const lines: Array<{ msg: string; err?: { message?: string } }> = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const engine = createEngine({ app: loaded, runner: upper, port: 0, host: '127.0.0.1', logger, env: SPEC_ENV });
    try {
      const port = await engine.start();
      await waitFor(() => lines.some((line) => line.msg.startsWith(`pipeline kafka ${topic} stopped`)), 20_000, 'the handler to stop');
      expect(lines.find((line) => line.msg.startsWith(`pipeline kafka ${topic} stopped`))?.msg).toContain('session timeout is not within the range allowed by the broker');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(503);
      expect(engine.health()).toMatchObject({ healthy: false, connections: { kafka: false } });
    } finally {
      await engine.stop();
    }
  });
});
