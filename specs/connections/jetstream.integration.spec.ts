/**
 * JetStream provisioning (src/connections/jetstream.ts) against the NATS server on loopback: the targets planned
 * with the handlers become streams and durable consumers, settings are brought up to date, failures are clear.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionJetStream } from '../../src/connections/jetstream.js';
import { defaultStreamName } from '../../src/connections/jetstream-names.js';
import { connectNats, type NatsConnectionHandle } from '../../src/connections/nats.js';
import { E2rxError } from '../../src/errors.js';
import { NATS_URL, requireService } from '../support/services.js';
import { unique } from '../streams/support.js';

describe('provisionJetStream', () => {
  let nats: NatsConnectionHandle;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    await requireService('nats');
    nats = await connectNats(NATS_URL, { logger: pino({ level: 'silent' }), connectTimeoutMs: 5_000, name: 'spec provisionJetStream' });
    jsm = await jetstreamManager(nats.connection);
  });

  afterAll(async () => {
    await Promise.allSettled(streams.map((stream) => jsm.streams.delete(stream)));
    await nats?.close();
  });

  it('provisionJetStream - creates the default stream and the durable consumer of each target, then updates their settings', async () => {
    const first = unique('prov.a');
    const second = unique('prov.b');
    streams.push(defaultStreamName(first), defaultStreamName(second));
    await provisionJetStream(nats, [
      { subject: first, durable: 'da', ackWaitMs: 30_000, maxDeliver: 5 },
      { subject: second, durable: 'db', ackWaitMs: 2_000, maxDeliver: 2 },
    ]);
    expect((await jsm.streams.info(defaultStreamName(first))).config.subjects).toEqual([first]);
    const consumer = await jsm.consumers.info(defaultStreamName(second), 'db');
    expect(consumer.config).toMatchObject({ durable_name: 'db', filter_subject: second, ack_wait: 2_000_000_000, max_deliver: 2 });
    await provisionJetStream(nats, [{ subject: second, durable: 'db', ackWaitMs: 4_000, maxDeliver: 3 }]);
    expect((await jsm.consumers.info(defaultStreamName(second), 'db')).config).toMatchObject({ ack_wait: 4_000_000_000, max_deliver: 3 });
  });

  it('provisionJetStream - a consumer the server refuses fails with E2RX_CONNECTION naming the subject and the server', async () => {
    const subject = unique('prov.bad');
    streams.push(defaultStreamName(subject));
    const error = await provisionJetStream(nats, [{ subject, durable: 'not.a.valid.name', maxDeliver: 1 }]).catch((caught: unknown) => caught);
    expect(E2rxError.is(error) && error.code).toBe('E2RX_CONNECTION');
    expect((error as E2rxError).message).toContain(`cannot prepare the JetStream consumer of ${subject} at ${nats.address}`);
    expect((error as E2rxError).retriable).toBe(true);
  });
});
