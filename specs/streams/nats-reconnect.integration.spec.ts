import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultStreamName } from '../../src/connections/jetstream-names.js';
import { endpointsOf, NATS_URL, requireService } from '../support/services.js';
import { app, decode, encode, probeRun, startHandler, unique, waitFor } from './support.js';

/** A TCP proxy to NATS that a spec can cut (every connection closed, new ones refused) and restore. */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    const target = endpointsOf('nats')[0] ?? { host: '127.0.0.1', port: 4222 };
    this.server = createServer((client) => {
      const upstream = tcpConnect(target.port, target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => this.sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address && typeof address === 'object') this.port = address.port;
  }

  async cut(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe('NATS reconnects', () => {
  let client: NatsConnection;
  const proxy = new CuttableProxy();

  beforeAll(async () => {
    await requireService('nats');
    client = await connect({ servers: NATS_URL });
    await proxy.open();
  });

  afterAll(async () => {
    await proxy.cut();
    await client?.drain();
  });

  it('connectNats - health follows a lost connection; after it comes back, JetStream work resumes and nothing is lost', async () => {
    const subject = unique('reconnect');
    const { directive, plan } = app(
      `  - { type: stream, source: nats, resource: ${subject}, jetstream: { durable: rc, ackWaitMs: 2000 }, steps: [ { fn: echo } ] }`,
      'nats: { serverAddress: env(SPEC_PROXY) }',
    );
    const probe = probeRun();
    const handler = await startHandler({ directive, plan }, probe.run, { factory: { env: { SPEC_PROXY: `nats://127.0.0.1:${proxy.port}` } } });
    const js = jetstream(client);
    for (let index = 0; index < 5; index += 1) await js.publish(subject, encode(`before-${index}`));
    await waitFor(() => handler.outcomes.length === 5, 10_000, 'the first messages');
    expect(handler.streams.health()).toEqual({ nats: true });
    await proxy.cut();
    await waitFor(() => handler.streams.health().nats === false, 10_000, 'the health to see the loss');
    for (let index = 0; index < 5; index += 1) await js.publish(subject, encode(`during-${index}`));
    await proxy.open();
    await waitFor(() => handler.streams.health().nats === true, 15_000, 'the reconnection');
    await waitFor(() => new Set(probe.calls.map((request) => decode(request.body))).size === 10, 20_000, 'the messages published while cut');
    await handler.stop(5_000);
    const jsm = await jetstreamManager(client);
    const info = await jsm.consumers.info(defaultStreamName(subject), 'rc');
    expect(info.num_pending + info.num_ack_pending).toBe(0);
    await jsm.streams.delete(defaultStreamName(subject));
  }, 60_000);
});
