/**
 * The samplers of `OTEL_TRACES_SAMPLER`, deciding as the SDK's (`AlwaysOnSampler`, `AlwaysOffSampler`,
 * `TraceIdRatioBasedSampler`, `ParentBasedSampler` with its default delegates) decide, on a trace id held as four
 * 32-bit words. `specs/telemetry/sampler.spec.ts` checks the decisions against the SDK's own samplers.
 *
 * A span under a local parent always follows its parent here: with every configurable sampler the SDK's decision for
 * it is the parent's (the parent-based ones say so; `always_on`/`always_off` decide the same for every span; the
 * ratio samplers decide on the trace id, which the child shares).
 *
 * @module
 */
import type { SamplerName } from './config.js';

/** The remote parent a root span may have (from a `traceparent`): whether it was sampled. */
export interface RemoteParent {
  readonly sampled: boolean;
}

/** Decides whether a span that has no local parent is sampled. */
export type RootSampler = (t0: number, t1: number, t2: number, t3: number, parent: RemoteParent | undefined) => boolean;

/**
 * The sampler `name` (ratio `ratio` for the `traceidratio` ones).
 *
 * @example
 * ```ts
 * const sample = rootSampler('parentbased_traceidratio', 0.1);
 * sample(t0, t1, t2, t3, undefined); // true for about one trace id in ten
 * ```
 */
export function rootSampler(name: SamplerName, ratio: number): RootSampler {
  const normalized = Number.isNaN(ratio) ? 0 : ratio >= 1 ? 1 : ratio <= 0 ? 0 : ratio;
  const upperBound = normalized === 1 ? 0x100000000 : Math.floor(normalized * 0xffffffff);
  // The SDK's accumulation: the xor of the trace id's four 32-bit words.
  const byRatio: RootSampler = (t0, t1, t2, t3) => (t0 | t1 | t2 | t3) !== 0 && (t0 ^ t1 ^ t2 ^ t3) >>> 0 < upperBound;
  const on: RootSampler = () => true;
  const off: RootSampler = () => false;
  const parentBased =
    (root: RootSampler): RootSampler =>
    (t0, t1, t2, t3, parent) =>
      parent === undefined ? root(t0, t1, t2, t3, undefined) : parent.sampled;
  switch (name) {
    case 'always_on':
      return on;
    case 'always_off':
      return off;
    case 'traceidratio':
      return byRatio;
    case 'parentbased_always_on':
      return parentBased(on);
    case 'parentbased_always_off':
      return parentBased(off);
    case 'parentbased_traceidratio':
      return parentBased(byRatio);
  }
}
