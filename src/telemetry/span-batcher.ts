/**
 * The batch span processor of e2rx's spans, with the specification's knobs (`OTEL_BSP_*`): ended spans wait in a
 * bounded queue (`maxQueueSize`): encoded already for OTLP/protobuf (`otlp-protobuf.ts`), else as objects in a ring
 * preallocated once; a batch (at most `maxExportBatchSize`) leaves when the
 * queue holds a full batch or `scheduledDelayMillis` after the first span waited; one export at a time, given up after
 * `exportTimeoutMillis`. A span that finds the queue full is dropped and counted, never waited for: the queue never
 * blocks a run and never grows.
 *
 * @module
 */
import type { RecordedSpan, SpanSink } from './recorded-span.js';
import type { BatchSettings } from './config.js';

/** Where ended spans wait, in the order they ended; a batch of the oldest is taken off as `B`. */
export interface SpanQueue<B> {
  readonly count: number;
  push(span: RecordedSpan): void;
  take(count: number): B;
}

/** Sends one batch (of `count` spans); calls `done` once, with the error when the export failed. */
export interface BatchExporter<B> {
  export(batch: B, count: number, done: (error?: unknown) => void): void;
  shutdown(): Promise<void>;
}

/**
 * Spans waiting as objects, in a ring of `capacity` preallocated once.
 *
 * @example
 * ```ts
 * const queue = new SpanRing(2048);
 * queue.push(span);
 * queue.take(512); // [span]
 * ```
 */
export class SpanRing implements SpanQueue<RecordedSpan[]> {
  readonly #ring: (RecordedSpan | undefined)[];
  #head = 0;
  count = 0;

  constructor(capacity: number) {
    this.#ring = new Array<RecordedSpan | undefined>(capacity).fill(undefined);
  }

  push(span: RecordedSpan): void {
    this.#ring[(this.#head + this.count) % this.#ring.length] = span;
    this.count += 1;
  }

  take(count: number): RecordedSpan[] {
    const take = Math.min(this.count, count);
    const size = this.#ring.length;
    const batch: RecordedSpan[] = new Array<RecordedSpan>(take);
    for (let i = 0; i < take; i += 1) {
      const at = (this.#head + i) % size;
      batch[i] = this.#ring[at] as RecordedSpan;
      this.#ring[at] = undefined;
    }
    this.#head = (this.#head + take) % size;
    this.count -= take;
    return batch;
  }
}

/** At most one report of dropped spans in this time (ms): a saturated queue drops spans at every export. */
const DROP_REPORT_INTERVAL_MS = 10_000;

/** What the batcher and its exporter report (dropped spans, failed exports, other warnings), for the log. */
export interface BatcherEvents {
  dropped(count: number): void;
  exportFailed(error: unknown): void;
  /** What is not an export failure but should be seen (a partial success, a TLS file that cannot be read). */
  warn(message: string): void;
}

/**
 * A bounded queue of ended spans exported in batches (see the module comment).
 *
 * @example
 * ```ts
 * const batcher = new SpanBatcher(exporter, config.batch, { dropped: (n) => …, exportFailed: (e) => … });
 * const span = recorder.startSpan('work'); // with batcher as its sink
 * span.end();
 * await batcher.shutdown();
 * ```
 */
export class SpanBatcher<B> implements SpanSink {
  #timer: NodeJS.Timeout | undefined = undefined;
  /** Whether the timer is armed for a full batch (to export at once). */
  #soon = false;
  #exporting: Promise<void> | undefined = undefined;
  #stopped = false;
  /** Spans dropped since the last report, and when that was (`Date.now()`). */
  #droppedSince = 0;
  #reportedAt = Number.NEGATIVE_INFINITY;
  /** Every span dropped since the start. */
  dropped = 0;

  constructor(
    readonly queue: SpanQueue<B>,
    readonly exporter: BatchExporter<B>,
    readonly settings: BatchSettings,
    readonly events: BatcherEvents,
  ) {}

  /** How many spans wait. */
  get queued(): number {
    return this.queue.count;
  }

  onEnd(span: RecordedSpan): void {
    if (this.#stopped || !span.sampled) return;
    const queue = this.queue;
    if (queue.count >= this.settings.maxQueueSize) {
      this.dropped += 1;
      this.#droppedSince += 1;
      return;
    }
    queue.push(span);
    if (this.#exporting !== undefined) return;
    if (queue.count >= this.settings.maxExportBatchSize) {
      if (!this.#soon) this.#exportSoon(0);
    }
    else if (this.#timer === undefined) this.#exportSoon(this.settings.scheduledDelayMillis);
  }

  /** Exports every span queued so far (batch after batch). An export that fails is reported, never thrown. */
  async forceFlush(): Promise<void> {
    this.#clearTimer();
    while (this.#exporting !== undefined) await this.#exporting;
    while (this.queue.count > 0) await this.#exportBatch();
  }

  /** Exports what is queued, then stops the exporter; spans ended afterwards are ignored. */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    await this.forceFlush();
    this.#stopped = true;
    await this.exporter.shutdown();
  }

  #exportSoon(delay: number): void {
    this.#clearTimer();
    this.#soon = delay === 0;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#soon = false;
      if (this.#exporting === undefined && this.queue.count > 0) void this.#exportBatch();
    }, delay);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#soon = false;
  }

  /** Takes one batch off the queue and exports it; when it is done, schedules the next if spans wait. */
  #exportBatch(): Promise<void> {
    const take = Math.min(this.queue.count, this.settings.maxExportBatchSize);
    const batch = this.queue.take(take);
    if (this.#droppedSince > 0 && Date.now() - this.#reportedAt >= DROP_REPORT_INTERVAL_MS) {
      this.events.dropped(this.#droppedSince);
      this.#droppedSince = 0;
      this.#reportedAt = Date.now();
    }
    const exporting = new Promise<void>((resolve) => {
      let settled = false;
      const timeout = setTimeout(() => finish(new Error(`the export of ${take} spans took longer than ${this.settings.exportTimeoutMillis} ms`)), this.settings.exportTimeoutMillis);
      timeout.unref();
      const finish = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        if (error !== undefined) this.events.exportFailed(error);
        resolve();
      };
      try {
        this.exporter.export(batch, take, finish);
      } catch (error) {
        finish(error);
      }
    });
    this.#exporting = exporting;
    return exporting.then(() => {
      this.#exporting = undefined;
      if (this.#stopped || this.queue.count === 0) return;
      this.#exportSoon(this.queue.count >= this.settings.maxExportBatchSize ? 0 : this.settings.scheduledDelayMillis);
    });
  }
}
