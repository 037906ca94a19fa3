import { pino } from 'pino';
import { defer, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate } from '../../src/engine/gate.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import type { RunResult } from '../../src/steps/steps.js';
import { createInFlight } from '../../src/streams/in-flight.js';
import { natsPipeline, type NatsHandlerConfig } from '../../src/streams/nats-pipeline.js';
import type { StreamOutcome } from '../../src/streams/outcome.js';
import { FakeJsMsg, FakeNats } from './fake-nats.js';
import { waitFor } from './support.js';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function start(run: (request: FunctionRequest) => Observable<RunResult>) {
  const nats = new FakeNats();
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const config: NatsHandlerConfig = {
    id: 'nats orders',
    subject: 'orders',
    queue: undefined,
    respondTo: 'out',
    deadLetter: 'dlq',
    retries: { max: 0, backoffMs: 1 },
    jetstream: { stream: 'ORDERS', durable: 'shop_orders', ackWaitMs: undefined, maxDeliver: 3, nakDelayMs: 7 },
  };
  const outcomes: StreamOutcome[] = [];
  const subscription = natsPipeline(config, run, createGate({ maxInFlight: 4, queueSize: 0 }), { nats: nats.handle(), inFlight: createInFlight(), logger }).subscribe(
    (outcome) => outcomes.push(outcome),
  );
  stops.push(() => subscription.unsubscribe());
  return { nats, lines, outcomes };
}

const echo = (request: FunctionRequest): Observable<RunResult> =>
  defer((): Promise<RunResult> => {
    const text = decode(request.body);
    if (text.startsWith('fail')) return Promise.resolve({ kind: 'runError', error: { code: 422, message: `bad ${text}` }, request });
    return Promise.resolve({ kind: 'ok', body: new TextEncoder().encode(text.toUpperCase()), request });
  });

const ackTimeout = () => Promise.reject(new Error('TIMEOUT'));

describe('natsPipeline (JetStream)', () => {
  it('natsPipeline - an ack that rejects on the last delivery neither naks, terms nor dead-letters: succeeded, unconfirmed, with a warning', async () => {
    const { nats, lines, outcomes } = start(echo);
    const msg = new FakeJsMsg('orders', 'x', { streamSequence: 42, deliveryCount: 3 }, ackTimeout);
    nats.deliver(msg);
    await waitFor(() => outcomes.length === 1, 2_000, 'the outcome');
    expect(outcomes[0]).toMatchObject({ outcome: 'published', publishedTo: 'out', attempts: 3, unconfirmed: true });
    expect(outcomes[0]?.error).toBeUndefined();
    // The result went to respondTo and nothing to the dead letter; the message was acked once and nothing else.
    expect(nats.published.map((one) => `${one.subject} ${decode(one.data)}`)).toEqual(['out X']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(msg.calls).toEqual(['ackAck']);
    const warning = lines.find((line) => line.msg.includes('ack not confirmed: the message may be redelivered (at-least-once)'));
    expect(warning).toMatchObject({ level: 40, stream: 'ORDERS', sequence: 42, handler: 'nats orders', err: 'TIMEOUT' });
    expect(lines.filter((line) => line.level >= 40)).toHaveLength(1);
    expect(lines.some((line) => /failed|dead|dropped|redelivery in/.test(line.msg))).toBe(false);
  });

  it('natsPipeline - an ack the server does not confirm on an early delivery is not nak-ed, and is not logged as a failed delivery', async () => {
    const { nats, lines, outcomes } = start(echo);
    const msg = new FakeJsMsg('orders', 'y', { streamSequence: 7, deliveryCount: 1 }, () => Promise.resolve(false));
    nats.deliver(msg);
    await waitFor(() => outcomes.length === 1, 2_000, 'the outcome');
    expect(outcomes[0]).toMatchObject({ outcome: 'published', attempts: 1, unconfirmed: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(msg.calls).toEqual(['ackAck']);
    expect(lines.some((line) => line.msg.includes('ack not confirmed') && line['sequence'] === 7)).toBe(true);
    expect(lines.some((line) => line.msg.includes('redelivery in'))).toBe(false);
  });

  it('natsPipeline - a confirmed ack ends the message without the unconfirmed mark or a warning', async () => {
    const { nats, lines, outcomes } = start(echo);
    const msg = new FakeJsMsg('orders', 'z', { streamSequence: 1 });
    nats.deliver(msg);
    await waitFor(() => outcomes.length === 1, 2_000, 'the outcome');
    expect(outcomes[0]).toEqual({ handler: 'nats orders', requestId: expect.any(String) as string, outcome: 'published', attempts: 1, publishedTo: 'out' });
    expect(msg.calls).toEqual(['ackAck']);
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
  });

  it('natsPipeline - a failed run still naks before the last delivery and dead-letters on it', async () => {
    const { nats, outcomes } = start(echo);
    const early = new FakeJsMsg('orders', 'fail-1', { streamSequence: 1, deliveryCount: 1 });
    const last = new FakeJsMsg('orders', 'fail-2', { streamSequence: 2, deliveryCount: 3 });
    nats.deliver(early, last);
    await waitFor(() => outcomes.length === 2, 2_000, 'the outcomes');
    const byOutcome = Object.fromEntries(outcomes.map((outcome) => [outcome.outcome, outcome]));
    expect(byOutcome['retry-later']).toMatchObject({ attempts: 1, error: { code: 'E2RX_RUN_ERROR' } });
    expect(byOutcome['dead-lettered']).toMatchObject({ attempts: 3, publishedTo: 'dlq' });
    expect(early.calls).toEqual(['nak 7']);
    expect(last.calls).toEqual(['term']);
    expect(nats.published.map((one) => one.subject)).toEqual(['dlq']);
  });
});
