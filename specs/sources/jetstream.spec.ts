import { describe, expect, it } from 'vitest';
import { deliveryCountOf } from '../../src/sources/jetstream.js';

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
