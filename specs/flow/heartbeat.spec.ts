/**
 * The working heartbeat (src/flow/heartbeat.ts) in virtual time: its timer and its clock are the scheduler's.
 */
import { asyncScheduler, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createHeartbeat } from '../../src/flow/heartbeat.js';
import { every } from '../../src/flow/later.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('createHeartbeat', () => {
  it('createHeartbeat - an item in progress past afterMs is told every everyMs until it is deleted', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const beats = new Subject<string>();
      const heartbeat = createHeartbeat<string>({ afterMs: 500, everyMs: 250, scheduler: asyncScheduler, beat: (item) => beats.next(item) });
      // a is in progress from 0 to 900, b from 300 to 1600.
      cold('a 299ms b 599ms x 699ms y', { a: () => heartbeat.add('a'), b: () => heartbeat.add('b'), x: () => heartbeat.delete('a'), y: () => heartbeat.delete('b') }).subscribe((event) => event());
      expectObservable(beats).toBe('500ms a 249ms a 249ms b 249ms b 249ms b');
    });
  });

  it('createHeartbeat - the first beat that finds nothing in progress disarms the timer; the next item arms a new one', () => {
    const scheduler = testScheduler();
    scheduler.run(() => {
      const beats: Array<readonly [number, string]> = [];
      const heartbeat = createHeartbeat<string>({ afterMs: 500, everyMs: 250, scheduler, beat: (item) => beats.push([scheduler.now(), item]) });
      heartbeat.add('a');
      scheduler.schedule(() => heartbeat.delete('a'), 600);
      // The timer of a is gone at 750; c, added at 2100, is looked at from 2100 on (2350, 2600), not on a's grid (2750).
      scheduler.schedule(() => heartbeat.add('c'), 2_100);
      scheduler.schedule(() => heartbeat.stop(), 3_000);
      scheduler.flush();
      expect(beats).toEqual([[500, 'a'], [2_600, 'c'], [2_850, 'c']]);
      expect(scheduler.actions).toEqual([]);
    });
  });

  it('createHeartbeat - after stop nothing is told and nothing is armed', () => {
    const scheduler = testScheduler();
    scheduler.run(() => {
      const beats: string[] = [];
      const heartbeat = createHeartbeat<string>({ afterMs: 0, everyMs: 10, scheduler, beat: (item) => beats.push(item) });
      heartbeat.add('a');
      heartbeat.stop();
      heartbeat.add('b');
      scheduler.flush();
      expect(beats).toEqual([]);
      expect(scheduler.actions).toEqual([]);
    });
  });

  it('createHeartbeat - after drain the items in progress are still told until deleted, new ones are not, and the timer goes with the last', () => {
    const scheduler = testScheduler();
    scheduler.run(() => {
      const beats: Array<readonly [number, string]> = [];
      const heartbeat = createHeartbeat<string>({ afterMs: 100, everyMs: 100, scheduler, beat: (item) => beats.push([scheduler.now(), item]) });
      heartbeat.add('a');
      scheduler.schedule(() => heartbeat.drain(), 50);
      scheduler.schedule(() => heartbeat.add('b'), 60);
      scheduler.schedule(() => heartbeat.delete('a'), 350);
      scheduler.flush();
      expect(beats).toEqual([[100, 'a'], [200, 'a'], [300, 'a']]);
      expect(scheduler.actions).toEqual([]);
    });
  });

  it('createHeartbeat - drain with nothing in progress disarms at once', () => {
    const scheduler = testScheduler();
    scheduler.run(() => {
      const heartbeat = createHeartbeat<string>({ afterMs: 0, everyMs: 10, scheduler, beat: () => undefined });
      heartbeat.add('a');
      heartbeat.delete('a');
      heartbeat.drain();
      expect(scheduler.actions).toEqual([]);
    });
  });
});

describe('every', () => {
  it('every - repeats on the scheduler until cancelled, also from inside the work', () => {
    const scheduler = testScheduler();
    scheduler.run(() => {
      const times: number[] = [];
      const cancel = every(scheduler, 100, () => {
        times.push(scheduler.now());
        if (times.length === 3) cancel();
      });
      scheduler.flush();
      expect(times).toEqual([100, 200, 300]);
      expect(scheduler.actions).toEqual([]);
    });
  });
});
