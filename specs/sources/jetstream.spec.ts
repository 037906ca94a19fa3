import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/flow/gate.js';
import type { NatsJob } from '../../src/messages/nats-job.js';
import { deliveryCountOf, fromJetStream } from '../../src/sources/jetstream.js';
import { FakeJsMsg, FakeNats } from '../streams/fake-nats.js';
import { waitFor } from '../streams/support.js';

describe('sources/jetstream', () => {
  it('deliveryCountOf - reads the count of both ack subject forms, as nats.js parses them', () => {
    expect(deliveryCountOf('$JS.ACK.ORDERS.worker.1.42.40.1733364000000000000.7')).toBe(1);
    expect(deliveryCountOf('$JS.ACK.ORDERS.worker.13.42.40.1733364000000000000.7')).toBe(13);
    expect(deliveryCountOf('$JS.ACK.hub.ACCHASH.ORDERS.worker.5.42.40.1733364000000000000.7')).toBe(5);
    expect(deliveryCountOf('$JS.ACK.hub.ACCHASH.ORDERS.worker.250.42.40.1733364000000000000.7.x1y2')).toBe(250);
  });

  it('deliveryCountOf - says nothing for any other subject, so that the full parse decides', () => {
    expect(deliveryCountOf(undefined)).toBeUndefined();
    expect(deliveryCountOf('_INBOX.abc.1')).toBeUndefined();
    expect(deliveryCountOf('$JS.ACK.ORDERS.worker.1.42.40')).toBeUndefined();
    expect(deliveryCountOf('$JS.ACK.ORDERS.worker.x.42.40.1733364000000000000.7')).toBeUndefined();
    expect(deliveryCountOf('$JS.ACK.ORDERS.worker..42.40.1733364000000000000.7')).toBeUndefined();
  });
});

describe('fromJetStream', () => {
  it('fromJetStream - a message in progress past half the ack wait tells the server it is working, on the scheduler, until it is acked', async () => {
    const nats = new FakeNats();
    const scheduler = new VirtualTimeScheduler(VirtualAction, 2_000);
    const jobs: NatsJob[] = [];
    const subscription = fromJetStream(nats.handle(), { subject: 'orders', stream: 'ORDERS', durable: 'd', ackWaitMs: 1_000, gate: createGate({ maxInFlight: 1 }), scheduler }).subscribe((job) =>
      jobs.push(job),
    );
    try {
      const msg = new FakeJsMsg('orders', 'a', { streamSequence: 1 });
      nats.deliver(msg);
      await waitFor(() => jobs.length === 1);
      // Looked at every 250 ms of virtual time; told from 500 ms on.
      scheduler.flush();
      expect(msg.calls).toEqual(['working', 'working', 'working', 'working', 'working', 'working', 'working']);
      await jobs[0]?.ack();
      jobs[0]?.release();
      scheduler.maxFrames = 10_000;
      scheduler.flush();
      expect(msg.calls.filter((call) => call === 'working')).toHaveLength(7);
      expect(msg.calls.at(-1)).toBe('ack');
      expect(scheduler.actions).toEqual([]);
    } finally {
      subscription.unsubscribe();
    }
  });
});
