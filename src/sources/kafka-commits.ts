/**
 * The commit cadence of a Kafka source: commits what completed, one commit at a time and at most one per interval
 * (a stop commits at once). Its timer runs on the RxJS scheduler when one is given, so a `TestScheduler` drives it in
 * virtual time; otherwise on a Node.js timer.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import { errorMessage } from '../errors.js';
import { later } from '../flow/later.js';

/** One offset to commit, and what to tell once it is committed. */
export interface PendingCommit {
  readonly commit: { readonly topic: string; readonly partition: number; readonly offset: string };
  /** The commit succeeded. */
  readonly committed: () => void;
}

/** What a {@link CommitCadence} commits with. */
export interface CommitCadenceOptions {
  readonly intervalMs: number;
  readonly scheduler?: SchedulerLike | undefined;
  /** The offsets to commit now (the completed ones not committed yet). */
  readonly pending: () => PendingCommit[];
  /** Commits the offsets. */
  readonly commit: (commits: PendingCommit['commit'][]) => Promise<void>;
  /** A commit succeeded. */
  readonly onCommitted: (commits: PendingCommit['commit'][]) => void;
  /** A commit failed (it is retried with the next one). */
  readonly onFailed: (commits: PendingCommit['commit'][], error: string) => void;
}

/**
 * Commits completed offsets at most once per `intervalMs`: {@link CommitCadence.schedule} marks new completions; the
 * commits of one turn of the event loop go together.
 *
 * @example
 * ```ts
 * const cadence = new CommitCadence({ intervalMs: 100, pending, commit: (c) => consumer.commit(c), onCommitted, onFailed });
 * cadence.schedule();
 * await cadence.idle;
 * ```
 */
export class CommitCadence {
  /** While committing (or waiting to): resolves once nothing new completed. */
  idle: Promise<void> | undefined;
  /** Commit at once from now on (a stop). */
  stopped = false;
  #dirty = false;
  #lastCommit = Number.NEGATIVE_INFINITY;
  #done: (() => void) | undefined;

  constructor(readonly options: CommitCadenceOptions) {}

  /** New completions: commits them, now or once the interval has passed. */
  schedule(): void {
    this.#dirty = true;
    if (this.idle) return;
    this.idle = new Promise<void>((resolve) => (this.#done = resolve));
    // Gathers the completions of this tick.
    queueMicrotask(() => this.#next());
  }

  #now(): number {
    return this.options.scheduler ? this.options.scheduler.now() : Date.now();
  }

  #next(): void {
    if (!this.#dirty) {
      this.idle = undefined;
      this.#done?.();
      return;
    }
    const wait = this.#lastCommit + this.options.intervalMs - this.#now();
    if (wait > 0 && !this.stopped) later(this.options.scheduler, wait, () => this.#commit());
    else this.#commit();
  }

  #commit(): void {
    this.#dirty = false;
    this.#lastCommit = this.#now();
    const batch = this.options.pending();
    if (batch.length === 0) {
      this.#next();
      return;
    }
    const commits = batch.map((entry) => entry.commit);
    this.options.commit(commits).then(
      () => {
        for (const entry of batch) entry.committed();
        this.options.onCommitted(commits);
        this.#next();
      },
      (error: unknown) => {
        this.options.onFailed(commits, errorMessage(error));
        this.#next();
      },
    );
  }
}
