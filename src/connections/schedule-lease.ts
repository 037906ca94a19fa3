/**
 * The lease that gives each tick of a schedule to one instance of an app (e2rx `lease:`), and the record of the last
 * tick run, both kept in a store every instance reaches: Redis or NATS JetStream KV.
 *
 * @module
 */

/**
 * One schedule's lease, as seen by one instance. The holder runs the ticks and records each one when it is done; an
 * instance that stops renewing (it died, or lost its connection) loses the lease after its time to live, and the
 * next holder carries on from the last tick recorded.
 */
export interface ScheduleLease {
  /** Takes the lease when it is free, or renews it when this instance holds it; resolves whether this instance holds it now. */
  hold(): Promise<boolean>;
  /** The time of the last tick a holder recorded as run (milliseconds since the epoch), or `undefined` when none was. */
  lastTick(): Promise<number | undefined>;
  /**
   * Records `tick` as run, only while this instance holds the lease (checked by the store, atomically); resolves
   * false when it does not hold it any more (the record is then left to the holder).
   */
  complete(tick: number): Promise<boolean>;
  /** Gives the lease up, if this instance holds it, so that another can take it at once. */
  release(): Promise<void>;
}

/** The leases of an app's schedules, in one store. */
export interface ScheduleLeases {
  /** Which store holds them. */
  readonly kind: 'redis' | 'nats';
  /**
   * The lease of the schedule `name`, for the instance `owner`, with a time to live of `ttlMs` (renewed by
   * {@link ScheduleLease.hold}).
   */
  lease(name: string, owner: string, ttlMs: number): ScheduleLease;
  /** Whether the store is reachable now (for `/health`). */
  healthy(): boolean;
  /** Closes the store's connection. */
  close(): Promise<void>;
}

/**
 * The time to live of a schedule's lease: a tick interval, between 1 s and 15 s. A holder that dies is replaced
 * within about one and a third of it, and the ticks missed meanwhile are run by the next holder.
 *
 * @example
 * ```ts
 * leaseTtlMs(1_000); // 1000: a schedule that ticks every second changes hands within about 1.3 s
 * leaseTtlMs(86_400_000); // 15000
 * ```
 */
export function leaseTtlMs(intervalMs: number): number {
  return Math.min(MAX_LEASE_TTL_MS, Math.max(MIN_LEASE_TTL_MS, intervalMs));
}

/** The shortest lease: renewed every third of it, which must stay well above a round trip to the store. */
export const MIN_LEASE_TTL_MS = 1_000;
/** The longest lease: how long a schedule may go without a holder after the holder died. */
export const MAX_LEASE_TTL_MS = 15_000;
