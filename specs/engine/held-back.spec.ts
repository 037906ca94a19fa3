/**
 * Stream pipelines held back until a signal (marble tests): how a hot reload makes Kafka consumers wait for the old
 * version's to leave.
 */
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Gate } from '../../src/engine/gate.js';
import type { HandlerRun } from '../../src/engine/handler-run.js';
import { heldBack, type StreamBuilder } from '../../src/engine/held-back.js';
import type { HandlerPlan } from '../../src/engine/plan.js';
import { app } from '../streams/support.js';

const { plan } = app('  - { type: stream, source: kafka, resource: orders, steps: [ { fn: echo } ] }\n  - { type: stream, source: nats, resource: events, steps: [ { fn: echo } ] }');
const [kafka, nats] = plan.streams as [HandlerPlan, HandlerPlan];
const run = undefined as unknown as HandlerRun;
const gate = undefined as unknown as Gate;

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('heldBack', () => {
  it('heldBack - without a hook, the builder itself', () => {
    const stream: StreamBuilder = () => new Observable();
    expect(heldBack(stream, undefined)).toBe(stream);
    expect(heldBack(undefined, () => undefined)).toBeUndefined();
  });

  it('heldBack - a held handler subscribes once its signal resolves; the others at once', async () => {
    let release: () => void = () => undefined;
    const signal = new Promise<void>((resolve) => (release = resolve));
    const subscribed: string[] = [];
    const stream: StreamBuilder = (handler) =>
      new Observable((subscriber) => {
        subscribed.push(handler.id);
        subscriber.next(handler.id);
      });
    const held = heldBack(stream, (handler) => (handler.handler.source === 'kafka' ? signal : undefined)) as StreamBuilder;
    const seen: unknown[] = [];
    const kafkaSubscription = held(kafka, run, gate).subscribe((value) => seen.push(value));
    held(nats, run, gate).subscribe((value) => seen.push(value));
    expect(subscribed).toEqual(['nats events']);
    release();
    await signal;
    await Promise.resolve();
    expect(subscribed).toEqual(['nats events', 'kafka orders']);
    expect(seen).toEqual(['nats events', 'kafka orders']);
    kafkaSubscription.unsubscribe();
  });

  it('heldBack - unsubscribing while held never subscribes the pipeline', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a|');
      const held = heldBack(() => source, () => new Promise<void>(() => undefined)) as StreamBuilder;
      expectObservable(held(kafka, run, gate), '^ 5ms !').toBe('');
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });
});
