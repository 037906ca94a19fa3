/**
 * Prometheus metrics (GET /metrics): runs, errors and durations per handler and per function, in-flight runs and
 * pool sizes.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Outcomes counted for runs and calls. */
export type Outcome = 'ok' | 'run_error' | 'failure' | 'timeout' | 'rejected';

/** The engine's metrics. */
export interface EngineMetrics {
  readonly registry: Registry;
  /** Records a handler run. */
  recordRun(handler: string, outcome: Outcome, seconds: number): void;
  /** Records work refused at the door (503 overloaded, 413 too large): counted as a run with outcome `rejected`. */
  recordRejected(handler: string): void;
  /** Records one function call. */
  recordCall(fn: string, outcome: Outcome, seconds: number): void;
  /** Sets the in-flight gauge of a handler. */
  setInFlight(handler: string, value: number): void;
  /** Sets a pool gauge (`instances`, `busy`, `queued`) of a function. */
  setPool(fn: string, kind: 'instances' | 'busy' | 'queued', value: number): void;
}

/** Creates the metrics in a registry of their own (several engines may live in one process). */
export function createMetrics(): EngineMetrics {
  const registry = new Registry();
  // Default metrics are already named process_* and nodejs_*: prefixed, they read e2rx_process_resident_memory_bytes, e2rx_nodejs_heap_size_used_bytes…
  collectDefaultMetrics({ register: registry, prefix: 'e2rx_' });
  const runs = new Counter({ name: 'e2rx_runs_total', help: 'Handler runs by outcome.', labelNames: ['handler', 'outcome'], registers: [registry] });
  const runDuration = new Histogram({
    name: 'e2rx_run_duration_seconds',
    help: 'Handler run durations.',
    labelNames: ['handler'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const calls = new Counter({ name: 'e2rx_function_calls_total', help: 'Function calls by outcome.', labelNames: ['fn', 'outcome'], registers: [registry] });
  const callDuration = new Histogram({
    name: 'e2rx_function_duration_seconds',
    help: 'Function call durations.',
    labelNames: ['fn'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'e2rx_in_flight', help: 'Runs in flight per handler.', labelNames: ['handler'], registers: [registry] });
  const pool = new Gauge({ name: 'e2rx_pool', help: 'Instance pool sizes per function.', labelNames: ['fn', 'kind'], registers: [registry] });
  return {
    registry,
    recordRun(handler, outcome, seconds) {
      runs.inc({ handler, outcome });
      runDuration.observe({ handler }, seconds);
    },
    recordRejected(handler) {
      runs.inc({ handler, outcome: 'rejected' });
    },
    recordCall(fn, outcome, seconds) {
      calls.inc({ fn, outcome });
      callDuration.observe({ fn }, seconds);
    },
    setInFlight: (handler, value) => inFlight.set({ handler }, value),
    setPool: (fn, kind, value) => pool.set({ fn, kind }, value),
  };
}
