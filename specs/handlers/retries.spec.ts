/**
 * The `retries` of a stream handler and the retry policy they give (src/handlers/retries.ts): the one the pipelines,
 * the marble kit and `e2rx test` follow.
 */
import { describe, expect, it } from 'vitest';
import { retriesOf, retryPolicy, retryPolicyOf } from '../../src/handlers/retries.js';

describe('retries', () => {
  it('retryPolicy - core NATS and Kafka: retries.max runs after the first; JetStream: maxDeliver deliveries, after nakDelayMs when set', () => {
    expect(retryPolicy(retriesOf(undefined))).toEqual({ attempts: 1, backoffMs: 1_000 });
    expect(retryPolicy({ max: 2, backoffMs: 100 })).toEqual({ attempts: 3, backoffMs: 100 });
    expect(retryPolicy({ max: 0, backoffMs: 1_000 }, { maxDeliver: 5, nakDelayMs: 250 })).toEqual({ attempts: 5, backoffMs: 1_000, fixedDelayMs: 250 });
    expect(retryPolicy({ max: 0, backoffMs: 1_000 }, { maxDeliver: 5, nakDelayMs: undefined })).toEqual({ attempts: 5, backoffMs: 1_000, fixedDelayMs: undefined });
  });

  it('retryPolicyOf - reads the planned NATS, JetStream or Kafka config; a request handler runs once', () => {
    expect(retryPolicyOf({ nats: { retries: { max: 1, backoffMs: 5 }, jetstream: undefined } })).toEqual({ attempts: 2, backoffMs: 5 });
    expect(retryPolicyOf({ nats: { retries: { max: 1, backoffMs: 5 }, jetstream: { maxDeliver: 4, nakDelayMs: 9 } } })).toEqual({ attempts: 4, backoffMs: 5, fixedDelayMs: 9 });
    expect(retryPolicyOf({ kafka: { retries: { max: 3, backoffMs: 7 } } })).toEqual({ attempts: 4, backoffMs: 7 });
    expect(retryPolicyOf({})).toEqual({ attempts: 1, backoffMs: 0 });
  });
});
