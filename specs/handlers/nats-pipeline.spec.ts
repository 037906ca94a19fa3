import { pino } from 'pino';
import { defer, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createGate } from '../../src/flow/gate.js';
import { handlerRunOf } from '../../src/handlers/handler-run.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import type { RunResult } from '../../src/steps/steps.js';
import { DEAD_LETTER_ATTEMPTS } from '../../src/flow/give-up.js';
import { createInFlight } from '../../src/flow/in-flight.js';
import { natsPipeline, type NatsHandlerConfig } from '../../src/handlers/nats-pipeline.js';
import type { StreamOutcome } from '../../src/messages/stream-outcome.js';
import { FakeJsMsg, FakeNats } from '../streams/fake-nats.js';
import { waitFor } from '../streams/support.js';

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
    jetstream: { stream: 'ORDERS', durable: 'shop_orders', ackWaitMs: 30_000, maxDeliver: 3, nakDelayMs: 7 },
  };
  const outcomes: StreamOutcome[] = [];
  const subscription = natsPipeline(config, handlerRunOf(run), createGate({ maxInFlight: 4, queueSize: 0 }), { nats: nats.handle(), inFlight: createInFlight(), logger, deadLetterBackoffMs: 1 }).subscribe(
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

describe('natsPipeline (JetStream)', () => {
  it('natsPipeline - a message is acked after its result is published; acks confirmed by a flush end without a warning', async () => {
    const { nats, lines, outcomes } = start(echo);
    const msg = new FakeJsMsg('orders', 'z', { streamSequence: 1 });
    nats.deliver(msg);
    await waitFor(() => outcomes.length === 1, 2_000, 'the outcome');
    expect(outcomes[0]).toEqual({ handler: 'nats orders', requestId: expect.any(String) as string, outcome: 'published', attempts: 1, publishedTo: 'out' });
    expect(nats.published.map((one) => `${one.subject} ${decode(one.data)}`)).toEqual(['out Z']);
    expect(msg.calls).toEqual(['ack']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
  });

  it('natsPipeline - acks the server does not confirm are neither nak-ed, termed nor dead-lettered: one warning for the batch', async () => {
    const { nats, lines, outcomes } = start(echo);
    nats.confirm = () => Promise.reject(new Error('TIMEOUT'));
    const messages = [1, 2, 3].map((sequence) => new FakeJsMsg('orders', `m${sequence}`, { streamSequence: sequence, deliveryCount: 3 }));
    nats.deliver(...messages);
    await waitFor(() => outcomes.length === 3, 2_000, 'the outcomes');
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(['published', 'published', 'published']);
    for (const msg of messages) expect(msg.calls).toEqual(['ack']);
    await waitFor(() => lines.some((line) => line.msg.includes('not confirmed')), 2_000, 'the warning');
    const warnings = lines.filter((line) => line.level >= 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ acks: 3, err: 'TIMEOUT' });
    expect(warnings[0]?.msg).toContain('may be redelivered (at-least-once)');
    expect(nats.published.map((one) => one.subject)).toEqual(['out', 'out', 'out']);
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

  it('natsPipeline - a dead letter that keeps failing is tried DEAD_LETTER_ATTEMPTS times, then the message is termed and dropped', async () => {
    const { nats, outcomes, lines } = start(echo);
    let tries = 0;
    nats.failPublish = (subject) => subject === 'dlq' && (tries += 1) > 0;
    const last = new FakeJsMsg('orders', 'fail-3', { streamSequence: 3, deliveryCount: 3 });
    nats.deliver(last);
    await waitFor(() => outcomes.length === 1, 2_000, 'the outcome');
    expect(outcomes[0]).toMatchObject({ outcome: 'dropped', attempts: 3, error: { code: 'E2RX_RUN_ERROR' } });
    expect(tries).toBe(DEAD_LETTER_ATTEMPTS);
    expect(last.calls).toEqual(['term']);
    expect(lines.some((line) => line.msg.includes(`failed ${DEAD_LETTER_ATTEMPTS} times`))).toBe(true);
  });
});
