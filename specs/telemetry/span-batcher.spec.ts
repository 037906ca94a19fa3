/**
 * The batch span processor of src/telemetry/span-batcher.ts, with the `OTEL_BSP_*` knobs: full batches leave at once,
 * the rest after the scheduled delay; one export at a time; a full queue drops spans and counts them instead of
 * waiting or growing; an export that never answers is given up after the export timeout.
 */
import * as api from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { BatchSettings } from '../../src/telemetry/config.js';
import type { RecordedSpan } from '../../src/telemetry/recorded-span.js';
import { rootSampler } from '../../src/telemetry/sampler.js';
import { SpanBatcher, SpanRing, type BatchExporter } from '../../src/telemetry/span-batcher.js';
import { SpanRecorder } from '../../src/telemetry/span-recorder.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A batcher over an exporter that records its batches and answers when `answer` says. */
function batcher(settings: BatchSettings, answer: 'at once' | 'never') {
  const batches: string[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const dropped: number[] = [];
  const failures: unknown[] = [];
  const exporter: BatchExporter<RecordedSpan[]> = {
    export: (batch, count, done) => {
      expect(count).toBe(batch.length);
      batches.push(batch.map((span) => span.name));
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (answer === 'at once')
        setTimeout(() => {
          inFlight -= 1;
          done();
        }, 5);
    },
    shutdown: () => Promise.resolve(),
  };
  const queue = new SpanRing(settings.maxQueueSize);
  const processor = new SpanBatcher(queue, exporter, settings, { dropped: (count) => dropped.push(count), exportFailed: (error) => failures.push(error), warn: (message) => failures.push(message) });
  const spans = new SpanRecorder(processor, rootSampler('always_on', 1), api);
  const end = (count: number, from = 0): void => {
    for (let i = from; i < from + count; i += 1) spans.startRoot(`s${i}`, 0, undefined, undefined).end();
  };
  return { batches, dropped, failures, processor, end, maxInFlight: () => maxInFlight };
}

describe('SpanBatcher', () => {
  it('span batcher - a full batch leaves at once, what is left after the scheduled delay, one export at a time', async () => {
    const made = batcher({ maxQueueSize: 100, maxExportBatchSize: 4, scheduledDelayMillis: 200, exportTimeoutMillis: 1000 }, 'at once');
    made.end(10);
    await sleep(80);
    expect(made.batches).toEqual([
      ['s0', 's1', 's2', 's3'],
      ['s4', 's5', 's6', 's7'],
    ]);
    await sleep(250);
    expect(made.batches.at(-1)).toEqual(['s8', 's9']);
    expect(made.maxInFlight()).toBe(1);
    expect(made.processor.dropped).toBe(0);
  });

  it('span batcher - while the collector does not answer, a full queue drops spans and counts them; the export is given up after its timeout', async () => {
    const made = batcher({ maxQueueSize: 8, maxExportBatchSize: 4, scheduledDelayMillis: 10, exportTimeoutMillis: 100 }, 'never');
    made.end(4);
    await sleep(20);
    expect(made.batches).toHaveLength(1);
    made.end(20, 4);
    // 8 wait (the queue's bound), 12 were dropped; nothing blocked.
    expect(made.processor.queued).toBe(8);
    expect(made.processor.dropped).toBe(12);
    await sleep(200);
    expect(made.failures.length).toBeGreaterThanOrEqual(1);
    expect(String(made.failures[0])).toMatch(/took longer than 100 ms/);
    expect(made.batches[1]).toEqual(['s4', 's5', 's6', 's7']);
    expect(made.dropped).toEqual([12]);
  });

  it('span batcher - flush exports everything queued, batch after batch; after shutdown spans are ignored', async () => {
    const made = batcher({ maxQueueSize: 100, maxExportBatchSize: 3, scheduledDelayMillis: 60_000, exportTimeoutMillis: 1000 }, 'at once');
    made.end(2);
    await made.processor.forceFlush();
    expect(made.batches).toEqual([['s0', 's1']]);
    made.end(7, 2);
    await made.processor.shutdown();
    expect(made.batches.flat()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']);
    made.end(1, 9);
    expect(made.processor.queued).toBe(0);
  });
});
