/**
 * Stream pipelines held back until a signal (marble tests): how a hot reload makes Kafka consumers wait for the old
 * version's to leave.
 */
import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { heldBack } from '../../src/handlers/held-back.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('heldBack', () => {
  it('heldBack - without a signal, the pipeline itself', () => {
    const pipeline = new Observable();
    expect(heldBack(pipeline, undefined)).toBe(pipeline);
  });

  it('heldBack - a held pipeline subscribes once its signal resolves', async () => {
    let release: () => void = () => undefined;
    const signal = new Promise<void>((resolve) => (release = resolve));
    const subscribed: string[] = [];
    const pipeline = new Observable<string>((subscriber) => {
      subscribed.push('kafka orders');
      subscriber.next('kafka orders');
    });
    const seen: unknown[] = [];
    const subscription = heldBack(pipeline, signal).subscribe((value) => seen.push(value));
    expect(subscribed).toEqual([]);
    release();
    await signal;
    await Promise.resolve();
    expect(subscribed).toEqual(['kafka orders']);
    expect(seen).toEqual(['kafka orders']);
    subscription.unsubscribe();
  });

  it('heldBack - unsubscribing while held never subscribes the pipeline', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a|');
      expectObservable(heldBack(source, new Promise<void>(() => undefined)), '^ 5ms !').toBe('');
      expectSubscriptions(source.subscriptions).toBe([]);
    });
  });
});
