/**
 * Tracing and metrics export off cost nothing: an app served without `OTEL_*` configuration loads no OpenTelemetry
 * package at all (and sends nothing). Each case runs `specs/fixtures/telemetry/loaded-packages.ts` as its own process, since this
 * process has loaded whatever other specs needed; the same script with tracing on loads the SDK and exports, which
 * shows the check can fail.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function serveHello(env: Record<string, string>): Promise<{ status: number; packages: string[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'specs/fixtures/telemetry/loaded-packages.ts', JSON.stringify(env)], { cwd: ROOT });
  return JSON.parse(stdout) as { status: number; packages: string[] };
}

describe('tracing off', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('tracing - without OTEL_* configuration no OpenTelemetry package is loaded and nothing is exported', async () => {
    const served = await serveHello({ OTEL_SERVICE_NAME: 'named-but-off', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(served).toEqual({ status: 200, packages: [] });
    expect(receiver.requests).toBe(0);
  });

  it('tracing - OTEL_TRACES_EXPORTER=none and OTEL_METRICS_EXPORTER=none keep both off even with an endpoint', async () => {
    const served = await serveHello({ OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(served).toEqual({ status: 200, packages: [] });
    expect(receiver.requests).toBe(0);
  });

  it('tracing - with an endpoint the SDK is loaded and the run exported (the check above can fail)', async () => {
    const served = await serveHello({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint });
    expect(served.status).toBe(200);
    expect(served.packages).toEqual(expect.arrayContaining(['@opentelemetry/otlp-exporter-base', '@opentelemetry/otlp-transformer']));
    // e2rx records and encodes its spans itself: the trace SDK (its tracer, span objects and processor) is not loaded.
    expect(served.packages).not.toContain('@opentelemetry/sdk-trace-base');
    expect(served.packages).toEqual(expect.arrayContaining(['@opentelemetry/sdk-metrics', '@opentelemetry/exporter-metrics-otlp-proto']));
    expect(receiver.spans.map((span) => span.name)).toContain('POST /hello');
  });

  it('tracing - a collector that cannot be reached never fails the app: it serves and stops normally', async () => {
    const served = await serveHello({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
    expect(served.status).toBe(200);
  });
});
