/**
 * One rxjs for the test and for e2rx. `TestScheduler.run()` puts the virtual clock into *its* copy of rxjs; e2rx's
 * timers (group timeouts, schedules) run on e2rx's copy. With two copies (e2rx installed as a link to a checkout,
 * which keeps its own `node_modules/rxjs`) those timers ignore the virtual clock: a group timeout fires at frame
 * 2000 instead of 1000, `fromSchedule` emits nothing, and wrong expectations pass. This module notices the second
 * copy and stops the test with a message that says how to install e2rx instead.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Observable, Scheduler } from 'rxjs';
import { E2rxError } from '../errors.js';

/** The class names of rxjs's own schedulers: an instance of one of them that is not ours comes from another copy. */
const RXJS_SCHEDULERS = new Set(['TestScheduler', 'VirtualTimeScheduler', 'AsyncScheduler', 'AsapScheduler', 'QueueScheduler', 'AnimationFrameScheduler']);

/**
 * Throws when `value` is an Observable made by another copy of rxjs than e2rx's (it has `subscribe` and `pipe` but
 * is no instance of e2rx's `Observable`). `what` names where it came from, for the message.
 *
 * @throws {@link E2rxError} `E2RX_TEST_RXJS_DUPLICATE`.
 */
export function assertSharedObservable(value: unknown, what: string): void {
  if (value instanceof Observable) return;
  const candidate = value as { subscribe?: unknown; pipe?: unknown } | null | undefined;
  if (typeof candidate?.subscribe === 'function' && typeof candidate.pipe === 'function') throw duplicateRxjs(what);
}

/**
 * Throws when `scheduler` is one of rxjs's schedulers (a `TestScheduler`…) from another copy of rxjs than e2rx's.
 * A hand-written `SchedulerLike` is fine.
 *
 * @throws {@link E2rxError} `E2RX_TEST_RXJS_DUPLICATE`.
 */
export function assertSharedScheduler(scheduler: unknown, what: string): void {
  if (scheduler instanceof Scheduler || typeof scheduler !== 'object' || scheduler === null) return;
  const name = (scheduler as { constructor?: { name?: unknown } }).constructor?.name;
  if (typeof name === 'string' && RXJS_SCHEDULERS.has(name)) throw duplicateRxjs(what);
}

/** The error, with the two copies' places when they can be found. */
function duplicateRxjs(what: string): E2rxError {
  const ours = rxjsDirectory(import.meta.url);
  const theirs = rxjsDirectory(join(process.cwd(), 'package.json'));
  const places = ours === undefined ? '' : ` (e2rx uses ${ours}${theirs !== undefined && theirs !== ours ? `, this project ${theirs}` : ''})`;
  return new E2rxError(
    'E2RX_TEST_RXJS_DUPLICATE',
    `e2rx/testing: ${what} comes from another copy of rxjs than e2rx's${places}. e2rx's timers would ignore your TestScheduler, and marble tests would pass or fail wrongly. This happens when e2rx is installed as a link to its checkout, which keeps its own rxjs.`,
  );
}

/** The directory of the rxjs that `from` (a file path or URL) resolves, or `undefined`. */
function rxjsDirectory(from: string): string | undefined {
  try {
    return dirname(createRequire(from).resolve('rxjs/package.json'));
  } catch {
    return undefined;
  }
}
