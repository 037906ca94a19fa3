/**
 * The runs being traced, found by their request id (a run's request keeps its id through its steps): a run registers
 * its span under the id while it runs, and, for a stream handler, keeps it a little longer once it ended, for the
 * messages published after it. Two runs that share an id at the same moment (a client reusing an `X-Request-ID`)
 * share that entry: the later one's spans may hang under the earlier one.
 *
 * @module
 */
import type { RecordedSpan } from './recorded-span.js';

/** One run being traced: its source span, and where its children hang. */
export interface RunTrace {
  readonly span: RecordedSpan;
  /** The step running now (steps run one after the other). */
  step: RecordedSpan | undefined;
  /**
   * The function calls running now (their host calls hang under them): the one of a step of one call in `call`
   * (with its FQFN in `callFqfn`), and those of a group's concurrent calls by FQFN in `calls` (a map only when needed).
   */
  call: RecordedSpan | undefined;
  callFqfn: string | undefined;
  calls: Map<string, RecordedSpan> | undefined;
  /**
   * The clock reading (`performance.now()`) of a moment of this run, while the code that read it is still running
   * synchronously (a start, an end); `undefined` otherwise. A span that starts or ends in that window takes it for
   * its time instead of reading the clock again (see the `Tracing` class).
   */
  instant: number | undefined;
}

/** How many ended runs (at least, and at most twice as many) stay findable for the messages published after them. */
const RECENT_RUNS = 4096;

/**
 * The runs running now, and the recently ended ones kept findable, by request id.
 *
 * @example
 * ```ts
 * const runs = new RunRegistry();
 * runs.start(request.id, trace);
 * runs.running(request.id); // trace, while it runs
 * runs.end(request.id, trace, true);
 * runs.find(request.id); // trace, for a while
 * ```
 */
export class RunRegistry {
  /**
   * The runs running now: the one started when none other was in `#id` and `#trace` (a run that ends before the next
   * starts, the usual case of a busy handler on the calling thread, never touches the map: a map's entry added and
   * deleted per run rehashes its table every few runs), the others in the map.
   */
  #id: string | undefined = undefined;
  #trace: RunTrace | undefined = undefined;
  readonly #running = new Map<string, RunTrace>();
  /**
   * Ended runs, in two generations: when the newer holds {@link RECENT_RUNS}, it becomes the older and the older is
   * dropped (O(1); evicting a Map's oldest entry one at a time walks the holes its deletions leave).
   */
  #recent = new Map<string, RunTrace>();
  #older = new Map<string, RunTrace>();

  /** Registers `trace` as the run of `id`. */
  start(id: string, trace: RunTrace): void {
    if (this.#trace === undefined || this.#id === id) {
      this.#id = id;
      this.#trace = trace;
    } else this.#running.set(id, trace);
  }

  /** The run of `id` running now. */
  running(id: string): RunTrace | undefined {
    if (this.#id === id) return this.#trace;
    return this.#running.size === 0 ? undefined : this.#running.get(id);
  }

  /** The run of `id` running now, or ended recently and kept. */
  find(id: string): RunTrace | undefined {
    return this.running(id) ?? this.#recent.get(id) ?? this.#older.get(id);
  }

  /** The run `trace` of `id` ended: nothing hangs under its steps and calls any more; `keep` keeps it findable. */
  end(id: string, trace: RunTrace, keep: boolean): void {
    if (this.#trace === trace) {
      this.#id = undefined;
      this.#trace = undefined;
    } else if (this.#running.get(id) === trace) this.#running.delete(id);
    trace.step = undefined;
    trace.call = undefined;
    trace.callFqfn = undefined;
    trace.calls = undefined;
    if (!keep) return;
    if (this.#recent.size >= RECENT_RUNS) {
      this.#older = this.#recent;
      this.#recent = new Map();
    }
    this.#recent.set(id, trace);
  }
}

/** Registers `span` as the running call of `fqfn` in `run`. */
export function callStarted(run: RunTrace, fqfn: string, span: RecordedSpan): void {
  if (run.call === undefined) {
    run.call = span;
    run.callFqfn = fqfn;
  } else (run.calls ??= new Map()).set(fqfn, span);
}

/** `span`, the call of `fqfn` in `run`, is over. */
export function callEnded(run: RunTrace, fqfn: string, span: RecordedSpan): void {
  if (run.call === span) {
    run.call = undefined;
    run.callFqfn = undefined;
  } else if (run.calls?.get(fqfn) === span) run.calls.delete(fqfn);
}

/** The running call of `fqfn` in `run`, if any. */
export function runningCall(run: RunTrace, fqfn: string): RecordedSpan | undefined {
  return run.callFqfn === fqfn ? run.call : run.calls?.get(fqfn);
}

/** Ends `span` at `time`, then calls `next(value)` with `time` as the run's instant (see the `Tracing` class). */
export function endThen<T>(run: RunTrace, span: RecordedSpan, time: number, next: (value: T) => void, value: T): void {
  span.endAt(time);
  run.instant = time;
  try {
    next(value);
  } finally {
    run.instant = undefined;
  }
}
