/**
 * The attributes of function call spans (`function <name>`): the FQFN, the name and the lane it runs on, one object
 * per FQFN and lane, shared by all its calls, so that the OTLP encoder (src/telemetry/otlp-protobuf.ts) encodes them
 * once and copies them after.
 *
 * @module
 */
import type { Attributes } from '@opentelemetry/api';
import type { Lane } from '../runtime/placement.js';
import type { FunctionRef } from '../steps/function-runner.js';

/**
 * The call attributes of each function, by lane (calling thread, workers, or not known), made on first use.
 *
 * @example
 * ```ts
 * const calls = new CallAttributeCache();
 * const attributes = calls.of(fn, 'workers'); // { 'e2rx.function.fqfn': …, 'e2rx.function.name': …, 'e2rx.function.lane': 'worker' }
 * ```
 */
export class CallAttributeCache {
  readonly #byFqfn = new Map<string, [inline: Attributes | undefined, worker: Attributes | undefined, unknown: Attributes | undefined]>();

  /** The attributes of the call spans of `fn` running on `lane` (the same object for every call there). */
  of(fn: FunctionRef, lane: Lane | undefined): Attributes {
    const slot = lane === 'calling-thread' ? 0 : lane === 'workers' ? 1 : 2;
    let byLane = this.#byFqfn.get(fn.fqfn);
    if (byLane === undefined) this.#byFqfn.set(fn.fqfn, (byLane = [undefined, undefined, undefined]));
    let attributes = byLane[slot];
    if (attributes === undefined) {
      attributes = { 'e2rx.function.fqfn': fn.fqfn, 'e2rx.function.name': fn.fn };
      if (lane !== undefined) attributes['e2rx.function.lane'] = lane === 'workers' ? 'worker' : 'inline';
      byLane[slot] = attributes;
    }
    return attributes;
  }
}
