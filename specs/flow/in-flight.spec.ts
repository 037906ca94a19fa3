import { Subject, finalize, mergeMap, of, takeUntil } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createInFlight } from '../../src/flow/in-flight.js';

describe('createInFlight', () => {
  it('createInFlight - work kept goes on after its subscriber is gone, and drain waits for it', async () => {
    const inFlight = createInFlight();
    const work = new Subject<string>();
    const seen: string[] = [];
    const stop = new Subject<void>();
    of(1)
      .pipe(
        mergeMap(() => inFlight.keep(work)),
        takeUntil(stop),
      )
      .subscribe((value) => seen.push(value));
    work.next('a');
    stop.next();
    work.next('b');
    expect(seen).toEqual(['a']);
    expect(inFlight.size).toBe(1);
    const drained = inFlight.drain(1_000);
    work.complete();
    expect(await drained).toBe(true);
    expect(inFlight.size).toBe(0);
  });

  it('createInFlight - drain times out, and cancel unsubscribes the work', async () => {
    const inFlight = createInFlight();
    let finalized = false;
    inFlight.keep(new Subject<void>().pipe(finalize(() => (finalized = true)))).subscribe();
    expect(await inFlight.drain(10)).toBe(false);
    inFlight.cancel();
    expect(finalized).toBe(true);
    expect(await inFlight.drain(10)).toBe(true);
  });

  it('createInFlight - background tasks are waited for, failed or not', async () => {
    const inFlight = createInFlight();
    let resolve: () => void = () => undefined;
    inFlight.add(new Promise<void>((done) => (resolve = done)));
    inFlight.add(Promise.reject(new Error('ignored')));
    expect(inFlight.size).toBe(2);
    const drained = inFlight.drain(1_000);
    resolve();
    expect(await drained).toBe(true);
  });

  it('createInFlight - synchronous work is not tracked, and errors reach a listening subscriber', () => {
    const inFlight = createInFlight();
    const values: number[] = [];
    inFlight.keep(of(1, 2)).subscribe((value) => values.push(value));
    expect(values).toEqual([1, 2]);
    expect(inFlight.size).toBe(0);
    let error: unknown;
    const failing = new Subject<number>();
    inFlight.keep(failing).subscribe({ error: (caught: unknown) => (error = caught) });
    failing.error(new Error('x'));
    expect((error as Error).message).toBe('x');
  });
});
