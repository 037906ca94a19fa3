/**
 * A schedule run by one instance of an app at a time (e2rx `lease:`): the instance that holds the schedule's lease runs
 * each tick, in order, and records it; when it dies, another takes the lease once it expires and runs the ticks
 * missed meanwhile, from the last one recorded.
 *
 * @module
 */
import { asyncScheduler, Observable, Subscription, type SchedulerLike } from 'rxjs';
import type { Logger } from 'pino';
import type { Schedule } from '../directive/model.js';
import { errorMessage } from '../errors.js';
import type { ScheduleLease } from '../connections/schedule-lease.js';
import type { FunctionRequest } from '../runtime/request.js';
import { scheduleRequest } from './schedule.js';
import type { TickTimes } from './tick-times.js';

/** At most this many missed ticks are run when an instance takes a lease over; past it, only the latest one. */
export const MAX_CATCH_UP_TICKS = 100;

/** What {@link leasedSchedule} needs. */
export interface LeasedScheduleOptions {
  readonly schedule: Schedule;
  readonly times: TickTimes;
  readonly lease: ScheduleLease;
  /** The lease's time to live; it is renewed every third of it. */
  readonly ttlMs: number;
  /** Runs one tick's request; the tick counts as run when the Observable completes or errors. */
  readonly run: (request: FunctionRequest) => Observable<unknown>;
  readonly logger: Logger;
  /** Emits when the app stops accepting work: the tick in progress finishes, the lease is given up, the Observable completes. */
  readonly stopAccepting: Observable<unknown>;
  readonly scheduler?: SchedulerLike;
}

/**
 * Runs a leased schedule for as long as it is subscribed (see the module comment). Unsubscribing cancels the tick in
 * progress and gives the lease up.
 *
 * - A tick is run only after the lease was renewed for it, and recorded only while the lease is still held (the store
 *   checks both atomically). A holder that lost the lease during a run (its store unreachable past the lease's time
 *   to live) does not record it, and the next holder runs that tick again: runs are at least once, and exactly once
 *   unless a holder dies between the end of a run and its record.
 * - Ticks that come due during a run are run after it, in order; a new holder runs the ticks after the last one
 *   recorded, at most {@link MAX_CATCH_UP_TICKS} (past that, the latest only, with a warning).
 * - The first holder ever starts from the first tick after it took the lease.
 *
 * @example
 * ```ts
 * leasedSchedule({ schedule, times: scheduleTimes(schedule), lease, ttlMs: 15_000, run, logger, stopAccepting }).subscribe();
 * ```
 */
export function leasedSchedule(options: LeasedScheduleOptions): Observable<never> {
  const { schedule, times, lease, ttlMs, logger } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const renewEveryMs = Math.max(1, Math.floor(ttlMs / 3));
  const name = schedule.name;
  return new Observable<never>((subscriber) => {
    let stopping = false;
    let closed = false;
    let holding = false;
    /** The last tick known to be recorded while this instance held the lease; read from the store on taking it. */
    let cursor: number | undefined;
    let storeFailing = false;
    let running: Subscription | undefined;
    const sleepers = new Set<() => void>();
    const wakeAll = (): void => {
      for (const wake of [...sleepers]) wake();
    };
    /** Waits `ms` on the scheduler, or less when woken (stop, the lease lost or taken). */
    const sleep = (ms: number): Promise<void> =>
      new Promise<void>((resolve) => {
        const timer = new Subscription();
        const wake = (): void => {
          sleepers.delete(wake);
          timer.unsubscribe();
          resolve();
        };
        sleepers.add(wake);
        timer.add(scheduler.schedule(wake, Math.max(0, ms)));
      });
    const storeFailed = (error: unknown, doing: string): void => {
      if (!storeFailing) logger.warn({ schedule: name, err: errorMessage(error) }, `schedule ${name}: could not ${doing}: ${errorMessage(error)}; retrying`);
      storeFailing = true;
    };
    const setHolding = (held: boolean): void => {
      if (held === holding) return;
      holding = held;
      if (held) logger.info({ schedule: name }, `schedule ${name}: this instance holds its lease and runs its ticks`);
      else {
        cursor = undefined;
        logger.info({ schedule: name }, `schedule ${name}: this instance no longer holds its lease`);
      }
      wakeAll();
    };
    const renew = async (): Promise<boolean> => {
      try {
        const held = await lease.hold();
        storeFailing = false;
        if (!closed) setHolding(held);
        return held;
      } catch (error) {
        storeFailed(error, 'renew its lease');
        if (!closed) setHolding(false);
        return false;
      }
    };

    const renewing = async (): Promise<void> => {
      while (!closed && !(stopping && running === undefined)) {
        await renew();
        await sleep(renewEveryMs);
      }
    };

    /** Runs one tick to its end (completion, error or cancellation). */
    const runTick = (tick: number): Promise<void> =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          running = undefined;
          resolve();
        };
        const subscription = options.run(scheduleRequest(schedule, tick)).subscribe({
          complete: done,
          error: (error: unknown) => {
            logger.error({ schedule: name, err: errorMessage(error) }, `schedule ${name}: the run of ${new Date(tick).toISOString()} failed: ${errorMessage(error)}`);
            done();
          },
        });
        if (!subscription.closed) {
          running = subscription;
          subscription.add(done);
        }
      });

    /** The next tick to run after `after`, skipping to the latest due one when more than MAX_CATCH_UP_TICKS are due. */
    const nextTick = (after: number): number | undefined => {
      const now = scheduler.now();
      let tick = times.next(after);
      let due = 0;
      for (let probe = tick; probe !== undefined && probe <= now && due <= MAX_CATCH_UP_TICKS; probe = times.next(probe)) due += 1;
      if (due > MAX_CATCH_UP_TICKS) {
        tick = times.latest(now) ?? tick;
        logger.warn(
          { schedule: name, from: new Date(after).toISOString(), to: tick === undefined ? undefined : new Date(tick).toISOString() },
          `schedule ${name}: more than ${MAX_CATCH_UP_TICKS} ticks were missed while no instance held its lease; running the latest only`,
        );
      }
      return tick;
    };

    const ticking = async (): Promise<void> => {
      try {
        await tickLoop();
      } finally {
        // The renewals stop with the ticks.
        wakeAll();
      }
    };
    const tickLoop = async (): Promise<void> => {
      while (!closed && !stopping) {
        if (!holding) {
          await sleep(renewEveryMs);
          continue;
        }
        if (cursor === undefined) {
          try {
            cursor = (await lease.lastTick()) ?? scheduler.now();
          } catch (error) {
            storeFailed(error, 'read its last tick');
            await sleep(renewEveryMs);
            continue;
          }
        }
        const tick = nextTick(cursor);
        if (tick === undefined) {
          // A cron expression that never matches again: nothing left to run.
          await sleep(renewEveryMs);
          continue;
        }
        const wait = tick - scheduler.now();
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        // Renewed for this tick: a holder that lost the lease while it waited does not run it.
        if (!(await renew()) || closed) continue;
        await runTick(tick);
        if (closed) return;
        try {
          if (await lease.complete(tick)) cursor = tick;
          else {
            logger.warn({ schedule: name, tick: new Date(tick).toISOString() }, `schedule ${name}: lost its lease during the run of ${new Date(tick).toISOString()}; the next holder runs it again`);
            setHolding(false);
          }
        } catch (error) {
          storeFailed(error, 'record its tick');
          setHolding(false);
        }
      }
    };

    const stopSubscription = options.stopAccepting.subscribe(() => {
      stopping = true;
      wakeAll();
    });
    Promise.all([renewing(), ticking()])
      .then(async () => {
        if (closed) return;
        await lease.release().catch((error: unknown) => storeFailed(error, 'give its lease up'));
        subscriber.complete();
      })
      .catch((error: unknown) => subscriber.error(error));
    return () => {
      closed = true;
      stopSubscription.unsubscribe();
      running?.unsubscribe();
      wakeAll();
      if (holding) lease.release().catch(() => undefined);
    };
  });
}
