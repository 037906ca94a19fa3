/**
 * The host side of deadline instrumentation ({@link instrumentDeadlines}): a {@link Meter} per instance refills the
 * guest's fuel and, when the clock passes the call's {@link Deadline}, throws {@link DeadlineExceeded} out of the
 * guest. On a worker that deadline is the call's time limit (the call fails with `E2RX_WASM_TIMEOUT` and the worker
 * lives on); on the calling thread it is the inline budget (the call is abandoned and runs again on a worker).
 *
 * @module
 */

/** Why a call has a deadline: its time limit, or the inline budget of a call on the calling thread. */
export type DeadlineReason = 'timeout' | 'budget';

/** When a call must stop, on the clock of `performance.now()` (milliseconds; per thread). */
export interface Deadline {
  readonly at: number;
  readonly reason: DeadlineReason;
  /** When the call started, on the same clock, if known (saves a clock read). */
  readonly from?: number;
}

/** Thrown out of a guest whose deadline passed. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
  constructor(readonly reason: DeadlineReason) {
    super(reason === 'timeout' ? 'the call ran past its time limit' : 'the call ran past its inline budget');
  }
}

/**
 * Thrown out of a guest running speculatively on the calling thread when it makes a call that would block that
 * thread (an asynchronous host call, a sleep): the call is abandoned and runs again on a worker.
 */
export class BlockingCall extends Error {
  override readonly name = 'BlockingCall';
  constructor(
    /** What the guest called: `env.cache_get`, `wasi poll_oneoff`. */
    readonly call: string,
  ) {
    super(`${call} would block the calling thread`);
  }
}

/** The fuel given at the start of a call: checks until the first clock read. */
export const INITIAL_FUEL = 20_000;
const MIN_FUEL = 64;
const MAX_FUEL = 2_000_000;
/** The time between two clock reads the refill aims at (ms). */
const CHECK_INTERVAL_MS = 0.5;

/**
 * One instance's meter.
 *
 * @example
 * ```ts
 * const meter = new Meter();
 * const instance = new WebAssembly.Instance(module, { [METER_MODULE]: { [METER_IMPORT]: meter.check }, ... });
 * meter.bind(instance.exports[FUEL_EXPORT] as WebAssembly.Global);
 * meter.arm({ at: performance.now() + 5, reason: 'budget' });
 * ```
 */
export class Meter {
  #fuel: WebAssembly.Global | undefined;
  #deadline = Number.POSITIVE_INFINITY;
  #reason: DeadlineReason = 'timeout';
  #refill = INITIAL_FUEL;
  #last = 0;

  /** Attaches the instance's fuel global (absent when the module is not instrumented). */
  bind(fuel: WebAssembly.Global | undefined): void {
    this.#fuel = fuel;
  }

  /** Whether the instance is instrumented, so a deadline stops it. */
  get metered(): boolean {
    return this.#fuel !== undefined;
  }

  /** Starts a call (or an instantiation) with this deadline, or none. */
  arm(deadline: Deadline | undefined): void {
    this.#deadline = deadline?.at ?? Number.POSITIVE_INFINITY;
    this.#reason = deadline?.reason ?? 'timeout';
    this.#last = deadline?.from ?? performance.now();
    if (this.#fuel !== undefined) this.#fuel.value = this.#refill;
  }

  /** Throws {@link DeadlineExceeded} when the deadline has passed. */
  throwIfPast(now = performance.now()): void {
    if (now >= this.#deadline) throw new DeadlineExceeded(this.#reason);
  }

  /** Milliseconds left before the deadline (`Infinity` without one). */
  remaining(now = performance.now()): number {
    return this.#deadline - now;
  }

  /** The reason of the current deadline. */
  get reason(): DeadlineReason {
    return this.#reason;
  }

  /**
   * The guest's check: called when its fuel runs out. Throws past the deadline; otherwise refills the fuel so that
   * the next clock read comes about {@link CHECK_INTERVAL_MS} later.
   */
  readonly check = (): void => {
    const now = performance.now();
    this.throwIfPast(now);
    // Not bound yet (the module's start function runs inside `new WebAssembly.Instance`): the fuel cannot be refilled,
    // so it stays below zero and every check comes here; these back-to-back checks do not adapt the refill.
    if (this.#fuel === undefined) return;
    const elapsed = now - this.#last;
    this.#last = now;
    if (elapsed < CHECK_INTERVAL_MS / 4) this.#refill = Math.min(MAX_FUEL, this.#refill * 2);
    else if (elapsed > CHECK_INTERVAL_MS * 2) this.#refill = Math.max(MIN_FUEL, Math.floor(this.#refill / 2));
    this.#fuel.value = this.#refill;
  };
}
