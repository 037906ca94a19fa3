/**
 * OpenTelemetry tracing, configured the standard way: from the `OTEL_*` environment variables of the OpenTelemetry
 * specification (SDK configuration, OTLP exporter configuration). Tracing is off unless configured:
 * `OTEL_TRACES_EXPORTER=otlp` (or `console`), or an `OTEL_EXPORTER_OTLP_ENDPOINT` /
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, turns it on; `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` keeps it
 * off. Pure: reads the given environment, does no I/O.
 *
 * @module
 */
import { E2rxError } from '../errors.js';

/** The samplers of `OTEL_TRACES_SAMPLER`. */
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/** A sampler name of {@link SAMPLERS}. */
export type SamplerName = (typeof SAMPLERS)[number];

/** The OTLP protocols e2rx exports with. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** The batch span processor's settings (`OTEL_BSP_*`). */
export interface BatchSettings {
  readonly scheduledDelayMillis: number;
  readonly exportTimeoutMillis: number;
  readonly maxQueueSize: number;
  readonly maxExportBatchSize: number;
}

/** Where and how an OTLP/HTTP exporter sends one signal (traces or metrics). */
export interface OtlpExport {
  /** `otlp`: to an OTLP/HTTP receiver; `console`: printed to stdout (for a look without a collector). */
  readonly exporter: 'otlp' | 'console';
  readonly protocol: OtlpProtocol;
  /** The signal's URL (`…/v1/traces`, `…/v1/metrics`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly compression: 'gzip' | 'none';
  /** The TLS files of an `https` endpoint (`…CERTIFICATE`, `…CLIENT_CERTIFICATE`, `…CLIENT_KEY`), each with its variable. */
  readonly tls: {
    readonly certificate?: TlsFile;
    readonly clientCertificate?: TlsFile;
    readonly clientKey?: TlsFile;
  };
}

/** A file named by a variable (a path, relative to the working directory). */
export interface TlsFile {
  readonly variable: string;
  readonly path: string;
}

/** The service the telemetry describes (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`). */
export interface ServiceResource {
  /** `OTEL_SERVICE_NAME`, else `service.name` of `OTEL_RESOURCE_ATTRIBUTES`; `undefined`: the app's identifier. */
  readonly serviceName: string | undefined;
  /** `OTEL_RESOURCE_ATTRIBUTES`. */
  readonly resource: Readonly<Record<string, string>>;
}

/** How tracing runs, when it is on. */
export interface TracingConfig extends OtlpExport, ServiceResource {
  readonly sampler: SamplerName;
  /** The ratio of the `traceidratio` samplers (`OTEL_TRACES_SAMPLER_ARG`, default 1). */
  readonly ratio: number;
  readonly batch: BatchSettings;
}

/** The outcome of reading the environment: the config (`undefined`: tracing is off), and values that were ignored. */
export interface TracingSettings {
  readonly config: TracingConfig | undefined;
  /** Values that were invalid and replaced by their default, one sentence each (to log as warnings). */
  readonly warnings: readonly string[];
}

/** The default OTLP/HTTP endpoint (an OpenTelemetry Collector or Jaeger on this machine). */
export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the tracing configuration from `env`. Invalid numbers and unknown samplers are replaced by their default and
 * reported in `warnings` (as the specification asks); an exporter or protocol e2rx cannot honour (`zipkin`, `grpc`)
 * throws `E2RX_TELEMETRY_CONFIG`, since exporting nothing while the user expects traces would be worse.
 *
 * @example
 * ```ts
 * const { config } = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
 * config?.url; // 'http://127.0.0.1:4318/v1/traces'
 * tracingSettings({}).config; // undefined: off
 * ```
 */
export function tracingSettings(env: Env): TracingSettings {
  const warnings: string[] = [];
  const read = reader(env, warnings);
  const exported = otlpExport(env, 'TRACES', read);
  if (exported === undefined) return { config: undefined, warnings };
  const { text, number, positiveInteger, nonNegativeInteger } = read;
  let sampler = (text('OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on') as SamplerName;
  if (!SAMPLERS.includes(sampler)) {
    warnings.push(`OTEL_TRACES_SAMPLER=${text('OTEL_TRACES_SAMPLER')} is not one of ${SAMPLERS.join(', ')}; using parentbased_always_on`);
    sampler = 'parentbased_always_on';
  }
  const ratio = sampler.endsWith('traceidratio') ? number('OTEL_TRACES_SAMPLER_ARG', 1, (value) => value >= 0 && value <= 1) : 1;
  const maxQueueSize = number('OTEL_BSP_MAX_QUEUE_SIZE', 2048, positiveInteger);
  let maxExportBatchSize = number('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, positiveInteger);
  if (maxExportBatchSize > maxQueueSize) {
    warnings.push(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE=${maxExportBatchSize} is above OTEL_BSP_MAX_QUEUE_SIZE=${maxQueueSize}; using ${maxQueueSize}`);
    maxExportBatchSize = maxQueueSize;
  }
  return {
    config: {
      ...exported,
      ...serviceResource(read),
      sampler,
      ratio,
      batch: {
        scheduledDelayMillis: number('OTEL_BSP_SCHEDULE_DELAY', 5000, nonNegativeInteger),
        exportTimeoutMillis: number('OTEL_BSP_EXPORT_TIMEOUT', 30_000, positiveInteger),
        maxQueueSize,
        maxExportBatchSize,
      },
    },
    warnings,
  };
}

/** `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`. */
function serviceResource(read: ReturnType<typeof reader>): ServiceResource {
  const resource = keyValueList(read.text('OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES', read.warnings);
  return { serviceName: read.text('OTEL_SERVICE_NAME') ?? resource['service.name'], resource };
}

/** How metrics are exported, when they are (besides `GET /metrics`, always served). */
export interface MetricsConfig extends OtlpExport, ServiceResource {
  /** `OTEL_METRIC_EXPORT_INTERVAL`: between two exports (ms). */
  readonly intervalMs: number;
  /** `OTEL_METRIC_EXPORT_TIMEOUT`: how long one export may take (ms). */
  readonly exportTimeoutMs: number;
}

/**
 * Reads the metrics export configuration from `env`: on as traces are (`OTEL_METRICS_EXPORTER=otlp` or `console`,
 * or an OTLP endpoint), off with `none`, or with `prometheus` (e2rx serves `GET /metrics` anyway).
 *
 * @example
 * ```ts
 * metricsSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).config?.url; // 'http://c:4318/v1/metrics'
 * ```
 */
export function metricsSettings(env: Env): { readonly config: MetricsConfig | undefined; readonly warnings: readonly string[] } {
  const warnings: string[] = [];
  const read = reader(env, warnings);
  if (read.text('OTEL_METRICS_EXPORTER')?.toLowerCase() === 'prometheus') return { config: undefined, warnings };
  const exported = otlpExport(env, 'METRICS', read);
  if (exported === undefined) return { config: undefined, warnings };
  const intervalMs = read.number('OTEL_METRIC_EXPORT_INTERVAL', 60_000, read.positiveInteger);
  return { config: { ...exported, ...serviceResource(read), intervalMs, exportTimeoutMs: Math.min(intervalMs, read.number('OTEL_METRIC_EXPORT_TIMEOUT', 30_000, read.positiveInteger)) }, warnings };
}

/** Reads variables of `env`, trimmed, empty as unset; numbers that are not valid are warned about. */
function reader(env: Env, warnings: string[]) {
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const number = (name: string, fallback: number, valid: (value: number) => boolean): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (Number.isFinite(value) && valid(value)) return value;
    warnings.push(`${name}=${raw} is not valid; using ${fallback}`);
    return fallback;
  };
  const positiveInteger = (value: number): boolean => Number.isInteger(value) && value > 0;
  const nonNegativeInteger = (value: number): boolean => Number.isInteger(value) && value >= 0;
  return { text, number, positiveInteger, nonNegativeInteger, warnings };
}

/**
 * The exporter of one signal (`TRACES`, `METRICS`), or `undefined` when the signal is off: the signal-specific
 * variable (`OTEL_EXPORTER_OTLP_TRACES_*`) first, then the general one (`OTEL_EXPORTER_OTLP_*`).
 */
function otlpExport(env: Env, signal: 'TRACES' | 'METRICS', read: ReturnType<typeof reader>): OtlpExport | undefined {
  const { text, number, positiveInteger, warnings } = read;
  if (text('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporterVariable = `OTEL_${signal}_EXPORTER`;
  const exporters = (text(exporterVariable) ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  const specific = (name: string): string => `OTEL_EXPORTER_OTLP_${signal}_${name}`;
  const endpoint = text(specific('ENDPOINT')) ?? text('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (exporters.includes('none') || (exporters.length === 0 && endpoint === undefined)) return undefined;
  const unsupported = exporters.filter((name) => name !== 'otlp' && name !== 'console');
  if (unsupported.length > 0) {
    throw new E2rxError('E2RX_TELEMETRY_CONFIG', `${exporterVariable}=${text(exporterVariable)}: e2rx exports with otlp or console, not ${unsupported.join(', ')}`, {
      details: { variable: exporterVariable },
    });
  }
  const exporter = exporters.length === 1 && exporters[0] === 'console' ? 'console' : 'otlp';
  const protocolVariable = text(specific('PROTOCOL')) !== undefined ? specific('PROTOCOL') : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = text(protocolVariable) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new E2rxError('E2RX_TELEMETRY_CONFIG', `${protocolVariable}=${protocol}: e2rx exports OTLP over HTTP only, as http/protobuf or http/json`, {
      details: { variable: protocolVariable },
    });
  }
  const compressionVariable = text(specific('COMPRESSION')) !== undefined ? specific('COMPRESSION') : 'OTEL_EXPORTER_OTLP_COMPRESSION';
  const compressionText = text(compressionVariable)?.toLowerCase() ?? 'none';
  const compression = compressionText === 'gzip' ? 'gzip' : 'none';
  if (compressionText !== 'gzip' && compressionText !== 'none') warnings.push(`${compressionVariable}=${compressionText} is not gzip or none; using none`);
  // Both header lists apply, the signal's own winning (as the official exporters combine them).
  const headers = { ...keyValueList(text('OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS', warnings), ...keyValueList(text(specific('HEADERS')), specific('HEADERS'), warnings) };
  const file = (name: string): TlsFile | undefined => {
    const variable = text(specific(name)) !== undefined ? specific(name) : `OTEL_EXPORTER_OTLP_${name}`;
    const path = text(variable);
    return path === undefined ? undefined : { variable, path };
  };
  const certificate = file('CERTIFICATE');
  const clientCertificate = file('CLIENT_CERTIFICATE');
  const clientKey = file('CLIENT_KEY');
  return {
    exporter,
    protocol,
    url: signalUrl(text(specific('ENDPOINT')), text('OTEL_EXPORTER_OTLP_ENDPOINT'), signal === 'TRACES' ? 'v1/traces' : 'v1/metrics'),
    headers,
    timeoutMs: number(specific('TIMEOUT'), number('OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, positiveInteger), positiveInteger),
    compression,
    tls: { ...(certificate && { certificate }), ...(clientCertificate && { clientCertificate }), ...(clientKey && { clientKey }) },
  };
}

/**
 * A signal's URL: the signal-specific endpoint as given, else the base endpoint with `path` (`v1/traces`,
 * `v1/metrics`) appended (the specification's rule), else {@link DEFAULT_OTLP_ENDPOINT}'s.
 *
 * @example
 * ```ts
 * signalUrl(undefined, 'http://collector:4318/', 'v1/traces'); // 'http://collector:4318/v1/traces'
 * ```
 */
export function signalUrl(signalEndpoint: string | undefined, endpoint: string | undefined, path: string): string {
  if (signalEndpoint !== undefined) return signalEndpoint;
  const base = endpoint ?? DEFAULT_OTLP_ENDPOINT;
  return `${base.endsWith('/') ? base : `${base}/`}${path}`;
}

/** A `key1=value1,key2=value2` list (W3C Baggage octets, percent-encoded values), as the OTLP headers use. */
function keyValueList(raw: string | undefined, name: string, warnings: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const at = item.indexOf('=');
    const key = at < 0 ? '' : item.slice(0, at).trim();
    if (key === '') {
      warnings.push(`${name}: "${item.trim()}" is not key=value; ignored`);
      continue;
    }
    try {
      out[key] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      warnings.push(`${name}: the value of ${key} is not valid percent-encoding; ignored`);
    }
  }
  return out;
}

/**
 * The options of an OTLP/HTTP exporter (traces or metrics) for `config`.
 *
 * @example
 * ```ts
 * new OTLPMetricExporter(exporterOptions(config));
 * ```
 */
export function exporterOptions(config: OtlpExport): { url: string; headers: Record<string, string>; timeoutMillis: number; compression: never } {
  // `compression` is the exporter's CompressionAlgorithm enum, whose values are these strings.
  return { url: config.url, headers: { ...config.headers }, timeoutMillis: config.timeoutMs, compression: config.compression as never };
}
