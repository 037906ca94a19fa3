import { describe, expect, it } from 'vitest';
import { connectWithRetry } from '../../src/connections/retry.js';
import { E2rxError } from '../../src/errors.js';

describe('connectWithRetry', () => {
  it('connectWithRetry - resolves with the first attempt that succeeds', async () => {
    let attempts = 0;
    const value = await connectWithRetry(
      () => {
        attempts += 1;
        return attempts < 3 ? Promise.reject(new Error('refused')) : Promise.resolve('connected');
      },
      { service: 'NATS', address: 'nats://x:4222', timeoutMs: 5_000, initialDelayMs: 5 },
    );
    expect(value).toBe('connected');
    expect(attempts).toBe(3);
  });

  it('connectWithRetry - gives up at the deadline with E2RX_CONNECTION naming the service, the address and the cause', async () => {
    const started = Date.now();
    const retries: number[] = [];
    const error = await connectWithRetry(() => Promise.reject(new Error('ECONNREFUSED')), {
      service: 'Kafka',
      address: '10.0.0.1:9092',
      timeoutMs: 300,
      initialDelayMs: 20,
      onRetry: (_error, attempt) => retries.push(attempt),
    }).catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(E2rxError.is(error, 'E2RX_CONNECTION')).toBe(true);
    const e2rx = error as E2rxError;
    expect(e2rx.message).toMatch(/^cannot connect to Kafka at 10\.0\.0\.1:9092: ECONNREFUSED \(\d+ attempts in \d+ ms\)$/);
    expect(e2rx.retriable).toBe(true);
    expect(e2rx.details).toMatchObject({ service: 'Kafka', address: '10.0.0.1:9092' });
    expect((e2rx.cause as Error).message).toBe('ECONNREFUSED');
    expect(retries.length).toBeGreaterThan(1);
  });

  it('connectWithRetry - an attempt that hangs is cut at the deadline, and a late connection is disposed of', async () => {
    const disposed: unknown[] = [];
    let finish: (value: string) => void = () => undefined;
    const error = await connectWithRetry(() => new Promise<string>((resolve) => (finish = resolve)), {
      service: 'NATS',
      address: 'nats://slow:4222',
      timeoutMs: 100,
      dispose: (late) => disposed.push(late),
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('no answer within');
    finish('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(disposed).toEqual(['late']);
  });
});
