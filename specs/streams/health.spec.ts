import { pino } from 'pino';
import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createStreamConnections } from '../../src/handlers/stream-connections.js';
import { createGate } from '../../src/flow/gate.js';
import { handlerRunOf } from '../../src/handlers/handler-run.js';
import { app } from './support.js';
import { FakeKafkaDriver } from './fake-kafka.js';

const logger = pino({ level: 'silent' });

describe('stream connections health', () => {
  it('createStreamConnections - a handler whose Kafka consumer stopped for good turns its connection unhealthy, even once the consumer is gone', async () => {
    const driver = new FakeKafkaDriver();
    const setup = app('  - { type: stream, source: kafka, resource: orders, steps: [ { fn: echo } ] }');
    const streams = createStreamConnections(setup.directive, { logger, env: { E2RX_SPEC_KAFKA: 'fake:9092' }, kafkaDriver: () => driver });
    await streams.connect();
    const plan = setup.plan.streams[0];
    if (!plan) throw new Error('no stream handler');
    const errors: unknown[] = [];
    streams.stream(plan, handlerRunOf((request) => of({ kind: 'ok', body: request.body, request })), createGate(plan.bounds)).subscribe({ error: (error: unknown) => errors.push(error) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(streams.health()).toEqual({ kafka: true });
    driver.consumers[0]?.listener?.onFatal(new Error('The session timeout is not within the range allowed by the broker'));
    expect(errors).toHaveLength(1);
    // The driver itself is healthy again (the crashed consumer was stopped), but the handler takes no more records.
    expect(driver.healthy).toBe(true);
    expect(streams.health()).toEqual({ kafka: false });
    await streams.close();
  });
});
