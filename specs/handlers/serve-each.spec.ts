/**
 * The `serveEach` operator (src/handlers/serve-each.ts): every job served at once, completion after the source and
 * every job, cancellation of the jobs still running on unsubscribe. Marble tests drive the jobs in virtual time.
 */
import { Subject, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { serveEach, type Serve } from '../../src/handlers/serve-each.js';

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A job for marble tests: its name and how many frames it takes. */
interface Job {
  readonly name: string;
  readonly frames: number;
}

/** Serves a job by waiting its frames on the test scheduler; records what happened to each job. */
function timedServe(log: string[], scheduler: TestScheduler): Serve<Job> {
  return (job, done) => {
    log.push(`start ${job.name}@${scheduler.now()}`);
    const subscription = timer(job.frames, scheduler).subscribe(() => {
      log.push(`done ${job.name}@${scheduler.now()}`);
      done();
    });
    return () => {
      log.push(`cancel ${job.name}@${scheduler.now()}`);
      subscription.unsubscribe();
    };
  };
}

const jobs: Record<string, Job> = { a: { name: 'a', frames: 5 }, b: { name: 'b', frames: 1 }, c: { name: 'c', frames: 3 } };

describe('serveEach', () => {
  it('serveEach - serves the jobs concurrently, emits nothing, and completes once the source and every job are over', () => {
    const scheduler = createScheduler();
    const log: string[] = [];
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<Job>('a-b-c|', jobs);
      expectObservable(source.pipe(serveEach(timedServe(log, scheduler)))).toBe('-------|');
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
    expect(log).toEqual(['start a@0', 'start b@2', 'done b@3', 'start c@4', 'done a@5', 'done c@7']);
  });

  it('serveEach - completes with the source when no job is running, and never before the source', () => {
    const scheduler = createScheduler();
    const log: string[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<Job>('b-----|', jobs).pipe(serveEach(timedServe(log, scheduler)))).toBe('------|');
      expectObservable(cold<Job>('|', jobs).pipe(serveEach(timedServe(log, scheduler)))).toBe('|');
    });
  });

  it('serveEach - a job over before serve returns needs no cancel and does not hold completion', () => {
    const scheduler = createScheduler();
    const served: string[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      const serve: Serve<Job> = (job, done) => {
        served.push(job.name);
        done();
        done();
        return undefined;
      };
      expectObservable(cold<Job>('a-b-c|', jobs).pipe(serveEach(serve))).toBe('-----|');
    });
    expect(served).toEqual(['a', 'b', 'c']);
  });

  it('serveEach - a job that calls done before returning its cancel is not cancelled later', () => {
    const cancelled: string[] = [];
    const source = new Subject<Job>();
    const subscription = source
      .pipe(
        serveEach<Job>((job, done) => {
          done();
          return () => cancelled.push(job.name);
        }),
      )
      .subscribe();
    source.next({ name: 'sync', frames: 0 });
    subscription.unsubscribe();
    expect(cancelled).toEqual([]);
  });

  it('serveEach - unsubscribing cancels the jobs still running, once each, and no job that is over', () => {
    const scheduler = createScheduler();
    const log: string[] = [];
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<Job>('a-b-c-a', jobs);
      expectObservable(source.pipe(serveEach(timedServe(log, scheduler))), '^----!').toBe('------');
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
    expect(log).toEqual(['start a@0', 'start b@2', 'done b@3', 'start c@4', 'cancel a@5', 'cancel c@5']);
  });

  it('serveEach - a source error is passed on and cancels the jobs still running', () => {
    const scheduler = createScheduler();
    const log: string[] = [];
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<Job>('a-b#', jobs, new Error('source failed')).pipe(serveEach(timedServe(log, scheduler)))).toBe('---#', undefined, new Error('source failed'));
    });
    expect(log).toEqual(['start a@0', 'start b@2', 'cancel a@3', 'cancel b@3']);
  });

  it('serveEach - a job whose done comes after unsubscribe changes nothing', () => {
    const dones: (() => void)[] = [];
    const events: string[] = [];
    const source = new Subject<string>();
    const served: Observable<never> = source.pipe(
      serveEach<string>((_job, done) => {
        dones.push(done);
        return () => events.push('cancel');
      }),
    );
    const subscription = served.subscribe({ complete: () => events.push('complete'), error: () => events.push('error') });
    source.next('x');
    subscription.unsubscribe();
    for (const done of dones) done();
    source.complete();
    expect(events).toEqual(['cancel']);
  });

  it('serveEach - many jobs over synchronously do not accumulate', () => {
    const source = new Subject<number>();
    let cancels = 0;
    const subscription = source
      .pipe(
        serveEach<number>((_job, done) => {
          done();
          return () => (cancels += 1);
        }),
      )
      .subscribe();
    for (let i = 0; i < 100_000; i += 1) source.next(i);
    subscription.unsubscribe();
    expect(cancels).toBe(0);
  });
});
