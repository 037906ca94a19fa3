/**
 * OTLP export of the metrics e2rx serves at `GET /metrics`: the same families (`e2rx_runs_total`,
 * `e2rx_run_duration_seconds`, `e2rx_http_requests_total`, the process metrics…), read from their Prometheus text at
 * each export and pushed by the OpenTelemetry SDK's periodic reader (`OTEL_METRIC_EXPORT_INTERVAL`). Counters are
 * cumulative OTLP sums; a histogram goes as Prometheus exposes it (`<name>_bucket` with `le`, `<name>_sum`,
 * `<name>_count`, each a cumulative sum); gauges are gauges. Loaded only when configured, like tracing.
 *
 * @module
 */
import type * as Api from '@opentelemetry/api';
import type * as MetricsHttp from '@opentelemetry/exporter-metrics-otlp-http';
import type * as MetricsProto from '@opentelemetry/exporter-metrics-otlp-proto';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import { lazyModule } from '../lazy-module.js';
import { exporterOptions, metricsSettings, type MetricsConfig } from './config.js';
import { INSTRUMENTATION_SCOPE, serviceResourceOf, type ServiceFacts } from './sdk.js';

const sdkMetrics = lazyModule<typeof SdkMetrics>('@opentelemetry/sdk-metrics');
const metricsHttp = lazyModule<typeof MetricsHttp>('@opentelemetry/exporter-metrics-otlp-http');
const metricsProto = lazyModule<typeof MetricsProto>('@opentelemetry/exporter-metrics-otlp-proto');

/** One sample of a Prometheus text exposition. */
export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A Prometheus text exposition, parsed: each family's type (`counter`, `gauge`, `histogram`…), and the samples. */
export interface PromText {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly PromSample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses the Prometheus text format (version 0.0.4), as `GET /metrics` serves it.
 *
 * @example
 * ```ts
 * parsePromText('# TYPE e2rx_runs_total counter\ne2rx_runs_total{handler="POST /hello",outcome="ok"} 3\n').samples;
 * // [{ name: 'e2rx_runs_total', labels: { handler: 'POST /hello', outcome: 'ok' }, value: 3 }]
 * ```
 */
export function parsePromText(text: string): PromText {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (name !== undefined && type !== undefined) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return { types, samples };
}

/** A running metrics export. */
export interface MetricsExport {
  readonly config: MetricsConfig;
  /** Exports once more, then stops. Never throws (a failed export is logged). */
  stop(): Promise<void>;
}

/**
 * Starts exporting the metrics of `text()` (the `/metrics` exposition) when `env` configures it; `undefined` when it
 * does not. The families are those `text()` lists now (e2rx lists every family, samples or not).
 *
 * @example
 * ```ts
 * const exported = await startMetricsExport(process.env, { name: 'com.example.app' }, () => metrics.text(), logger);
 * await exported?.stop();
 * ```
 */
export async function startMetricsExport(
  env: Readonly<Record<string, string | undefined>>,
  service: ServiceFacts,
  text: () => Promise<string>,
  logger: Logger,
): Promise<MetricsExport | undefined> {
  const settings = metricsSettings(env);
  for (const warning of settings.warnings) logger.warn(`metrics export: ${warning}`);
  const config = settings.config;
  if (config === undefined) return undefined;
  const sdk = sdkMetrics();
  const exporter =
    config.exporter === 'console'
      ? new sdk.ConsoleMetricExporter()
      : new (config.protocol === 'http/json' ? metricsHttp() : metricsProto()).OTLPMetricExporter(exporterOptions(config));
  const provider = new sdk.MeterProvider({
    resource: serviceResourceOf(config, service),
    readers: [new sdk.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: config.intervalMs, exportTimeoutMillis: config.exportTimeoutMs })],
  });
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE);
  const instruments = new Map<string, Api.ObservableCounter | Api.ObservableGauge>();
  for (const [family, type] of parsePromText(await text()).types) {
    if (type === 'counter') instruments.set(family, meter.createObservableCounter(family));
    else if (type === 'histogram' || type === 'summary') {
      for (const suffix of ['_sum', '_count']) instruments.set(family + suffix, meter.createObservableCounter(family + suffix));
      if (type === 'histogram') instruments.set(`${family}_bucket`, meter.createObservableCounter(`${family}_bucket`));
      else instruments.set(family, meter.createObservableGauge(family));
    } else instruments.set(family, meter.createObservableGauge(family));
  }
  meter.addBatchObservableCallback(async (result) => {
    for (const sample of parsePromText(await text()).samples) {
      const instrument = instruments.get(sample.name);
      if (instrument !== undefined && Number.isFinite(sample.value)) result.observe(instrument, sample.value, sample.labels);
    }
  }, [...instruments.values()]);
  logger.info({ exporter: config.exporter, protocol: config.protocol, url: config.url, intervalMs: config.intervalMs }, `metrics export on: to ${config.url} every ${config.intervalMs} ms`);
  return {
    config,
    stop: async () => {
      await provider.shutdown().catch((error: unknown) => logger.warn({ err: error, url: config.url }, `metrics export: the last export to ${config.url} failed: ${errorMessage(error)}`));
    },
  };
}
