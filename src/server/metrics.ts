/**
 * The engine's metrics, served as Prometheus text at `GET /metrics`.
 *
 * Recording sits on the hot path of every run, so it is a few array updates on objects resolved once per handler
 * and per function (no label lookup per sample); the text is built when scraped. prom-client supplies the process
 * and Node.js metrics (`e2rx_process_*`, `e2rx_nodejs_*`).
 *
 * @module
 */
import type { Registry } from 'prom-client';
import { lazyModule } from '../lazy-module.js';

const promClient = lazyModule<typeof import('prom-client')>('prom-client');

/** How a run or call ended. */
export type Outcome = 'ok' | 'run_error' | 'failure' | 'timeout' | 'rejected';

const OUTCOMES: readonly Outcome[] = ['ok', 'run_error', 'failure', 'timeout', 'rejected'];

/** Run duration buckets (seconds). */
const RUN_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Function call duration buckets (seconds). */
const CALL_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** Counts by outcome and a duration histogram, for one handler or one function. */
class Series {
  readonly counts = new Float64Array(OUTCOMES.length);
  readonly buckets: Float64Array;
  sum = 0;
  observed = 0;

  constructor(readonly bounds: readonly number[]) {
    this.buckets = new Float64Array(bounds.length);
  }

  record(outcome: Outcome, seconds: number | undefined): void {
    const index = OUTCOMES.indexOf(outcome);
    this.counts[index] = (this.counts[index] as number) + 1;
    if (seconds === undefined) return;
    this.sum += seconds;
    this.observed += 1;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i += 1) {
      if (seconds <= (bounds[i] as number)) {
        this.buckets[i] = (this.buckets[i] as number) + 1;
        return;
      }
    }
  }
}

/** The recorder of one handler, resolved once. */
export interface HandlerMetrics {
  /** Records a run that ended. */
  run(outcome: Outcome, seconds: number): void;
  /** Records work refused at the door (503 overloaded, 413 too large, a dropped stream message). */
  rejected(): void;
}

/** The recorder of one function, resolved once. */
export interface FunctionMetrics {
  call(outcome: Outcome, seconds: number): void;
}

/** The metrics of an engine. */
export interface EngineMetrics {
  /** Process and Node.js metrics (prom-client, loaded on first use: the first scrape). */
  readonly registry: Registry;
  /** The recorder of a handler (created on first use). */
  handler(id: string): HandlerMetrics;
  /** The recorder of a function (created on first use). */
  fn(fqfn: string): FunctionMetrics;
  /** Records a handler run. */
  recordRun(handler: string, outcome: Outcome, seconds: number): void;
  /** Records work refused at the door: counted as a run with outcome `rejected`. */
  recordRejected(handler: string): void;
  /** Records one function call. */
  recordCall(fn: string, outcome: Outcome, seconds: number): void;
  /** Reads a handler's in-flight runs when scraped. */
  watchInFlight(handler: string, read: () => number): void;
  /** Reads the pool gauges (`instances`, `busy`, `queued`) of every function when scraped. */
  watchPool(read: () => Readonly<Record<string, { readonly instances: number; readonly running: number; readonly queued: number }>>): void;
  /** The Prometheus text of every metric. */
  text(): Promise<string>;
  /** The content type of {@link text}. */
  readonly contentType: string;
}

const escape = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function histogramLines(name: string, label: string, key: string, series: Series, out: string[]): void {
  let cumulative = 0;
  series.bounds.forEach((bound, i) => {
    cumulative += series.buckets[i] as number;
    out.push(`${name}_bucket{${label}="${escape(key)}",le="${bound}"} ${cumulative}`);
  });
  out.push(`${name}_bucket{${label}="${escape(key)}",le="+Inf"} ${series.observed}`);
  out.push(`${name}_sum{${label}="${escape(key)}"} ${series.sum}`);
  out.push(`${name}_count{${label}="${escape(key)}"} ${series.observed}`);
}

/**
 * Creates the metrics of an engine.
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * const handler = metrics.handler('POST /hello');
 * handler.run('ok', 0.002);
 * console.log(await metrics.text());
 * ```
 */
export function createMetrics(): EngineMetrics {
  let registry: Registry | undefined;
  const processMetrics = (): Registry => {
    if (registry === undefined) {
      const client = promClient();
      registry = new client.Registry();
      // Default metrics are already named process_* and nodejs_*: prefixed, they read e2rx_process_resident_memory_bytes, e2rx_nodejs_heap_size_used_bytes…
      client.collectDefaultMetrics({ register: registry, prefix: 'e2rx_' });
    }
    return registry;
  };
  const handlers = new Map<string, Series>();
  const functions = new Map<string, Series>();
  const inFlight = new Map<string, () => number>();
  let pool: Parameters<EngineMetrics['watchPool']>[0] | undefined;

  const handlerSeries = (id: string): Series => {
    let series = handlers.get(id);
    if (series === undefined) handlers.set(id, (series = new Series(RUN_BUCKETS)));
    return series;
  };
  const functionSeries = (fqfn: string): Series => {
    let series = functions.get(fqfn);
    if (series === undefined) functions.set(fqfn, (series = new Series(CALL_BUCKETS)));
    return series;
  };

  const ours = (): string => {
    const out: string[] = [];
    out.push('# HELP e2rx_runs_total Handler runs by outcome.', '# TYPE e2rx_runs_total counter');
    for (const [id, series] of handlers) {
      OUTCOMES.forEach((outcome, i) => {
        if ((series.counts[i] as number) > 0) out.push(`e2rx_runs_total{handler="${escape(id)}",outcome="${outcome}"} ${series.counts[i]}`);
      });
    }
    out.push('# HELP e2rx_run_duration_seconds Handler run durations.', '# TYPE e2rx_run_duration_seconds histogram');
    for (const [id, series] of handlers) if (series.observed > 0) histogramLines('e2rx_run_duration_seconds', 'handler', id, series, out);
    out.push('# HELP e2rx_function_calls_total Function calls by outcome.', '# TYPE e2rx_function_calls_total counter');
    for (const [fqfn, series] of functions) {
      OUTCOMES.forEach((outcome, i) => {
        if ((series.counts[i] as number) > 0) out.push(`e2rx_function_calls_total{fn="${escape(fqfn)}",outcome="${outcome}"} ${series.counts[i]}`);
      });
    }
    out.push('# HELP e2rx_function_duration_seconds Function call durations.', '# TYPE e2rx_function_duration_seconds histogram');
    for (const [fqfn, series] of functions) if (series.observed > 0) histogramLines('e2rx_function_duration_seconds', 'fn', fqfn, series, out);
    out.push('# HELP e2rx_in_flight Runs in flight per handler.', '# TYPE e2rx_in_flight gauge');
    for (const [id, read] of inFlight) out.push(`e2rx_in_flight{handler="${escape(id)}"} ${read()}`);
    out.push('# HELP e2rx_pool Instance pool sizes per function.', '# TYPE e2rx_pool gauge');
    for (const [fqfn, load] of Object.entries(pool?.() ?? {})) {
      out.push(`e2rx_pool{fn="${escape(fqfn)}",kind="instances"} ${load.instances}`);
      out.push(`e2rx_pool{fn="${escape(fqfn)}",kind="busy"} ${load.running}`);
      out.push(`e2rx_pool{fn="${escape(fqfn)}",kind="queued"} ${load.queued}`);
    }
    return `${out.join('\n')}\n`;
  };

  return {
    get registry() {
      return processMetrics();
    },
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    handler(id) {
      const series = handlerSeries(id);
      return { run: (outcome, seconds) => series.record(outcome, seconds), rejected: () => series.record('rejected', undefined) };
    },
    fn(fqfn) {
      const series = functionSeries(fqfn);
      return { call: (outcome, seconds) => series.record(outcome, seconds) };
    },
    recordRun: (handler, outcome, seconds) => handlerSeries(handler).record(outcome, seconds),
    recordRejected: (handler) => handlerSeries(handler).record('rejected', undefined),
    recordCall: (fn, outcome, seconds) => functionSeries(fn).record(outcome, seconds),
    watchInFlight: (handler, read) => void inFlight.set(handler, read),
    watchPool: (read) => void (pool = read),
    async text() {
      return `${await processMetrics().metrics()}\n${ours()}`;
    },
  };
}
