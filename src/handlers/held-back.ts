/**
 * A handler's pipeline held back until a signal: how a hot reload makes the new version's Kafka consumers wait until
 * the old version's left the group (see src/engine/reload.ts).
 *
 * @module
 */
import { from, switchMap, type Observable } from 'rxjs';

/**
 * `pipeline`, subscribed once `wait` resolves (at once without it). Unsubscribing while it waits never subscribes it.
 *
 * @example
 * ```ts
 * heldBack(kafkaPipeline, previousVersionStopped).subscribe();
 * ```
 */
export function heldBack<T>(pipeline: Observable<T>, wait: Promise<void> | undefined): Observable<T> {
  return wait === undefined ? pipeline : from(wait).pipe(switchMap(() => pipeline));
}
