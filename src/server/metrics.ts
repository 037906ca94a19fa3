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
/** HTTP request duration buckets (seconds): from a function answered on the calling thread to a long request. */
const HTTP_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The `route` label of HTTP requests that matched no route (404s): never the raw path, which any client can vary. */
export const UNMATCHED_ROUTE = '<unmatched>';

/** Statuses counted one by one; a higher one (Node allows up to 999) is counted as 999. */
const MAX_STATUS = 999;

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
    if (seconds !== undefined) this.observe(seconds);
  }

  observe(seconds: number): void {
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

/** Requests and their durations by status, for one method and route. */
class HttpSeries {
  /** Requests by status code (index = status). */
  readonly statuses = new Float64Array(MAX_STATUS + 1);
  readonly durations = new Series(HTTP_BUCKETS);

  constructor(readonly labels: string) {}

  record(status: number, seconds: number): void {
    const index = status > 0 && status <= MAX_STATUS ? status : MAX_STATUS;
    this.statuses[index] = (this.statuses[index] as number) + 1;
    this.durations.observe(seconds);
  }
}

/** The recorder of one HTTP route (method and route pattern), resolved once, when the route is added. */
export interface HttpRouteMetrics {
  /** Records a request whose response ended (or whose client left) with `status`, `seconds` after its headers came. */
  request(status: number, seconds: number): void;
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
  /**
   * The recorder of the HTTP requests of one method and route pattern (created on first use): `route` is the pattern
   * (`/users/:id`), or {@link UNMATCHED_ROUTE}, never a raw path.
   */
  httpRoute(method: string, route: string): HttpRouteMetrics;
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

/** The lines of one histogram; `labels` are its labels as written (`handler="POST /hello"`). */
function histogramLines(name: string, labels: string, series: Series, out: string[]): void {
  let cumulative = 0;
  series.bounds.forEach((bound, i) => {
    cumulative += series.buckets[i] as number;
    out.push(`${name}_bucket{${labels},le="${bound}"} ${cumulative}`);
  });
  out.push(`${name}_bucket{${labels},le="+Inf"} ${series.observed}`);
  out.push(`${name}_sum{${labels}} ${series.sum}`);
  out.push(`${name}_count{${labels}} ${series.observed}`);
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
  const httpRoutes = new Map<string, HttpSeries>();
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
    for (const [id, series] of handlers) if (series.observed > 0) histogramLines('e2rx_run_duration_seconds', `handler="${escape(id)}"`, series, out);
    out.push('# HELP e2rx_function_calls_total Function calls by outcome.', '# TYPE e2rx_function_calls_total counter');
    for (const [fqfn, series] of functions) {
      OUTCOMES.forEach((outcome, i) => {
        if ((series.counts[i] as number) > 0) out.push(`e2rx_function_calls_total{fn="${escape(fqfn)}",outcome="${outcome}"} ${series.counts[i]}`);
      });
    }
    out.push('# HELP e2rx_function_duration_seconds Function call durations.', '# TYPE e2rx_function_duration_seconds histogram');
    for (const [fqfn, series] of functions) if (series.observed > 0) histogramLines('e2rx_function_duration_seconds', `fn="${escape(fqfn)}"`, series, out);
    out.push('# HELP e2rx_http_requests_total HTTP requests by method, route and status.', '# TYPE e2rx_http_requests_total counter');
    for (const series of httpRoutes.values()) {
      series.statuses.forEach((count, status) => {
        if (count > 0) out.push(`e2rx_http_requests_total{${series.labels},status="${status}"} ${count}`);
      });
    }
    out.push('# HELP e2rx_http_request_duration_seconds HTTP request durations, from the request headers to the end of the response.', '# TYPE e2rx_http_request_duration_seconds histogram');
    for (const series of httpRoutes.values()) if (series.durations.observed > 0) histogramLines('e2rx_http_request_duration_seconds', series.labels, series.durations, out);
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
    httpRoute(method, route) {
      const key = `${method} ${route}`;
      let series = httpRoutes.get(key);
      if (series === undefined) httpRoutes.set(key, (series = new HttpSeries(`method="${escape(method)}",route="${escape(route)}"`)));
      const found = series;
      return { request: (status, seconds) => found.record(status, seconds) };
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
