import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { metricsSettings, signalUrl, tracingSettings } from '../../src/telemetry/config.js';

describe('tracing configuration from OTEL_* variables', () => {
  it('tracingSettings - off unless an exporter or an endpoint is configured; OTEL_SDK_DISABLED and none keep it off', () => {
    expect(tracingSettings({}).config).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'a', OTEL_TRACES_SAMPLER: 'always_on' }).config).toBeUndefined();
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }).config?.url).toBe('http://localhost:4318/v1/traces');
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).config?.url).toBe('http://c:4318/v1/traces');
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' }).config?.url).toBe('http://c:4318/custom');
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).config).toBeUndefined();
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).config).toBeUndefined();
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'console' }).config?.exporter).toBe('console');
  });

  it('tracingSettings - the defaults of the specification', () => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }).config).toEqual({
      exporter: 'otlp',
      protocol: 'http/protobuf',
      url: 'http://localhost:4318/v1/traces',
      headers: {},
      timeoutMs: 10_000,
      compression: 'none',
      tls: {},
      sampler: 'parentbased_always_on',
      ratio: 1,
      batch: { scheduledDelayMillis: 5000, exportTimeoutMillis: 30_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
      serviceName: undefined,
      resource: {},
    });
  });

  it('tracingSettings - protocol, headers, timeout, compression, sampler, batch and resource variables are read, signal-specific ones first', () => {
    const { config, warnings } = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret%20one, x-tenant = t1',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BSP_EXPORT_TIMEOUT: '1000',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment.name=prod',
    });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      protocol: 'http/json',
      url: 'http://c:4318/v1/traces',
      headers: { 'api-key': 'secret one', 'x-tenant': 't1' },
      timeoutMs: 2000,
      compression: 'gzip',
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
      batch: { scheduledDelayMillis: 100, exportTimeoutMillis: 1000, maxQueueSize: 100, maxExportBatchSize: 10 },
      serviceName: 'from-resource',
      resource: { 'service.name': 'from-resource', 'deployment.environment.name': 'prod' },
    });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'svc', OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' }).config?.serviceName).toBe('svc');
  });

  it('tracingSettings - both header lists apply (the signal\'s wins) and the TLS files are named, signal-specific ones first', () => {
    const { config } = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=general,x-tenant=t1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=traces',
      OTEL_EXPORTER_OTLP_CERTIFICATE: 'general-ca.pem',
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: 'traces-ca.pem',
      OTEL_EXPORTER_OTLP_CLIENT_KEY: 'client.key',
    });
    expect(config?.headers).toEqual({ 'api-key': 'traces', 'x-tenant': 't1' });
    expect(config?.tls).toEqual({
      certificate: { variable: 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE', path: 'traces-ca.pem' },
      clientKey: { variable: 'OTEL_EXPORTER_OTLP_CLIENT_KEY', path: 'client.key' },
    });
  });

  it('tracingSettings - invalid values are warned about and replaced by their defaults', () => {
    const { config, warnings } = tracingSettings({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_BSP_SCHEDULE_DELAY: 'soon',
      OTEL_BSP_MAX_QUEUE_SIZE: '10',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd',
      OTEL_EXPORTER_OTLP_HEADERS: 'novalue',
    });
    expect(config).toMatchObject({ sampler: 'parentbased_always_on', compression: 'none', headers: {}, batch: { scheduledDelayMillis: 5000, maxQueueSize: 10, maxExportBatchSize: 10 } });
    expect(warnings).toEqual([
      'OTEL_EXPORTER_OTLP_COMPRESSION=zstd is not gzip or none; using none',
      'OTEL_EXPORTER_OTLP_HEADERS: "novalue" is not key=value; ignored',
      expect.stringContaining('OTEL_TRACES_SAMPLER=sometimes is not one of always_on'),
      'OTEL_BSP_MAX_EXPORT_BATCH_SIZE=20 is above OTEL_BSP_MAX_QUEUE_SIZE=10; using 10',
      'OTEL_BSP_SCHEDULE_DELAY=soon is not valid; using 5000',
    ]);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }).warnings).toEqual([
      'OTEL_TRACES_SAMPLER_ARG=2 is not valid; using 1',
    ]);
  });

  it('tracingSettings - an exporter or protocol e2rx cannot honour is an E2RX_TELEMETRY_CONFIG error naming the variable', () => {
    const failure = (env: Record<string, string>): E2rxError => {
      try {
        tracingSettings(env);
      } catch (error) {
        if (error instanceof E2rxError) return error;
      }
      throw new Error('expected an E2rxError');
    };
    const zipkin = failure({ OTEL_TRACES_EXPORTER: 'zipkin' });
    expect(zipkin.code).toBe('E2RX_TELEMETRY_CONFIG');
    expect(zipkin.message).toContain('OTEL_TRACES_EXPORTER=zipkin');
    expect(failure({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatchObject({
      code: 'E2RX_TELEMETRY_CONFIG',
      message: 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc: e2rx exports OTLP over HTTP only, as http/protobuf or http/json',
    });
  });

  it('signalUrl - appends the signal path to the base endpoint, with or without its slash', () => {
    expect(signalUrl(undefined, 'http://c:4318', 'v1/traces')).toBe('http://c:4318/v1/traces');
    expect(signalUrl(undefined, 'http://c:4318/', 'v1/metrics')).toBe('http://c:4318/v1/metrics');
    expect(signalUrl(undefined, undefined, 'v1/traces')).toBe('http://localhost:4318/v1/traces');
    expect(signalUrl('http://c:4318/mine', 'http://other:4318', 'v1/traces')).toBe('http://c:4318/mine');
  });

  it('metricsSettings - on as traces are, with the metrics variables first; off with none or prometheus', () => {
    expect(metricsSettings({}).config).toBeUndefined();
    expect(metricsSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_METRICS_EXPORTER: 'none' }).config).toBeUndefined();
    expect(metricsSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_METRICS_EXPORTER: 'prometheus' }).config).toBeUndefined();
    expect(
      metricsSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        OTEL_METRIC_EXPORT_TIMEOUT: '5000',
      }).config,
    ).toMatchObject({ exporter: 'otlp', protocol: 'http/json', url: 'http://c:4318/v1/metrics', intervalMs: 1000, exportTimeoutMs: 1000 });
    expect(metricsSettings({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:4318/x' }).config?.url).toBe('http://m:4318/x');
    expect(() => metricsSettings({ OTEL_METRICS_EXPORTER: 'statsd' })).toThrow(E2rxError);
  });

  it('tracing - docs/reference/cli.md names every OTEL_* variable e2rx reads', async () => {
    const source = await readFile(new URL('../../src/telemetry/config.ts', import.meta.url), 'utf8');
    const doc = await readFile(new URL('../../docs/reference/cli.md', import.meta.url), 'utf8');
    const literal = [...source.matchAll(/'(OTEL_[A-Z_]+)'/g)].map((match) => match[1] as string);
    // The signal-specific exporter variables are built from their general name.
    const specific = ['ENDPOINT', 'PROTOCOL', 'HEADERS', 'TIMEOUT', 'COMPRESSION'].flatMap((name) => ['TRACES', 'METRICS'].map((signal) => `OTEL_EXPORTER_OTLP_${signal}_${name}`));
    // The TLS file variables, general and per signal, are built from their name too.
    specific.push(...['CERTIFICATE', 'CLIENT_CERTIFICATE', 'CLIENT_KEY'].flatMap((name) => ['', 'TRACES_', 'METRICS_'].map((signal) => `OTEL_EXPORTER_OTLP_${signal}${name}`)));
    const names = [...new Set([...literal, ...specific, 'OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER'])];
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) expect(doc, name).toContain(`\`${name}\``);
  });
});
