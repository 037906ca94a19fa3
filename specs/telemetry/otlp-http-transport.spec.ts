/**
 * e2rx's OTLP/HTTP transport (src/telemetry/otlp-http-transport.ts) against a real HTTP server started here, which
 * answers each export as the case scripts it (a status, a `Retry-After`, no answer at all) and keeps what it got:
 * the OTLP specification's retries (429/502/503/504 and network errors, `Retry-After` honoured, backoff otherwise,
 * given up after the limit or the timeout, other statuses never retried), headers, gzip, and https with the CA file
 * and a client certificate from the `OTEL_EXPORTER_OTLP_*` variables.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tracingSettings, type OtlpExport } from '../../src/telemetry/config.js';
import { MAX_RETRIES, OtlpExportError, OtlpHttpTransport, retryAfterMs } from '../../src/telemetry/otlp-http-transport.js';

/** What the receiver got: one entry per request. */
interface Received {
  readonly at: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** How the receiver answers a request: a status (and headers), or never. */
type Answer = { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string } | 'never';

/** A receiver answering with `answers` in turn (the last one again once they run out). */
async function startReceiver(answers: readonly Answer[], tls?: { key: Buffer; cert: Buffer; ca: Buffer }): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ at: performance.now(), headers: request.headers, body: Buffer.concat(chunks) });
      const answer = answers[Math.min(received.length, answers.length) - 1] as Answer;
      if (answer === 'never') return;
      response.writeHead(answer.status, answer.headers).end(answer.body);
    });
  };
  const server = tls === undefined ? createHttpServer(handler) : createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: true }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, received, server };
}

const servers: Server[] = [];
const transports: OtlpHttpTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) transport.shutdown();
  for (const server of servers.splice(0)) {
    (server as unknown as { closeAllConnections(): void }).closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The export configuration of `env` (as `e2rx start` reads it). */
function exportOf(env: Record<string, string>): OtlpExport {
  const { config, warnings } = tracingSettings(env);
  expect(warnings).toEqual([]);
  if (config === undefined) throw new Error('tracing is off');
  return config;
}

/** Sends `body` through a transport for `config`; resolves with the error (undefined: success) and the time taken. */
async function send(config: OtlpExport, body: Uint8Array, warnings: string[] = []): Promise<{ error: Error | undefined; ms: number }> {
  const transport = new OtlpHttpTransport(config, { contentType: 'application/x-protobuf', userAgent: 'e2rx-spec', warn: (message) => warnings.push(message) });
  transports.push(transport);
  const started = performance.now();
  const error = await new Promise<Error | undefined>((resolve) => transport.send(body, resolve));
  return { error, ms: performance.now() - started };
}

const BODY = Buffer.from('an encoded ExportTraceServiceRequest, as bytes \u0000\u0001\u00ff'.repeat(20), 'latin1');

describe('OtlpHttpTransport', () => {
  it('otlp http transport - posts the bytes once with the content type, the user agent and the configured headers', async () => {
    const receiver = await startReceiver([{ status: 200 }]);
    const config = exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret%20one,x-tenant=t1' });
    const { error } = await send(config, BODY);
    expect(error).toBeUndefined();
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received as [Received];
    expect(got.body.equals(BODY)).toBe(true);
    expect(got.headers).toMatchObject({ 'content-type': 'application/x-protobuf', 'user-agent': 'e2rx-spec', 'api-key': 'secret one', 'x-tenant': 't1', 'content-length': String(BODY.length) });
    expect(got.headers['content-encoding']).toBeUndefined();
  });

  it('otlp http transport - with OTEL_EXPORTER_OTLP_COMPRESSION=gzip the body is gzipped and says so', async () => {
    const receiver = await startReceiver([{ status: 200 }]);
    const { error } = await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }), BODY);
    expect(error).toBeUndefined();
    const [got] = receiver.received as [Received];
    expect(got.headers['content-encoding']).toBe('gzip');
    expect(got.body.length).toBeLessThan(BODY.length);
    expect(gunzipSync(got.body).equals(BODY)).toBe(true);
  });

  it('otlp http transport - a 503 with Retry-After is retried after the wait it asks for, with the same bytes', async () => {
    const receiver = await startReceiver([{ status: 503, headers: { 'retry-after': '2' } }, { status: 200 }]);
    const { error } = await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }), BODY);
    expect(error).toBeUndefined();
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received as [Received, Received];
    // Two seconds: longer than any first backoff (1 s ±20%).
    expect(second.at - first.at).toBeGreaterThanOrEqual(1950);
    expect(second.body.equals(first.body)).toBe(true);
  });

  it('otlp http transport - 429, 502 and 504 are retried after a backoff of about a second when no Retry-After is given', async () => {
    const receiver = await startReceiver([{ status: 429 }, { status: 502 }, { status: 504 }, { status: 200 }]);
    const { error } = await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url }), BODY);
    expect(error).toBeUndefined();
    const at = receiver.received.map((got) => got.at);
    expect(at).toHaveLength(4);
    // 1 s, then 1.5 s, then 2.25 s, each ±20%.
    const waits = at.slice(1).map((time, i) => time - (at[i] as number));
    expect(waits[0]).toBeGreaterThanOrEqual(790);
    // (Loose above: a loaded machine fires timers late; a backoff of the next step, 1.5 s, would still be caught below.)
    expect(waits[0]).toBeLessThan(1450);
    expect(waits[1]).toBeGreaterThanOrEqual(1190);
    expect(waits[2]).toBeGreaterThanOrEqual(1790);
  }, 30_000);

  it('otlp http transport - gives up after the retry limit with the last answer as the error', async () => {
    const receiver = await startReceiver([{ status: 503, headers: { 'retry-after': '0' }, body: 'overloaded' }]);
    const { error } = await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url }), BODY);
    expect(receiver.received).toHaveLength(1 + MAX_RETRIES);
    expect(error).toBeInstanceOf(OtlpExportError);
    expect((error as OtlpExportError).status).toBe(503);
    expect(error?.message).toContain('overloaded');
  });

  it('otlp http transport - any other status fails at once, never retried', async () => {
    const receiver = await startReceiver([{ status: 400, body: 'bad spans' }]);
    const { error } = await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url }), BODY);
    expect(receiver.received).toHaveLength(1);
    expect((error as OtlpExportError).status).toBe(400);
    const internal = await startReceiver([{ status: 500 }]);
    expect(((await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: internal.url }), BODY)).error as OtlpExportError).status).toBe(500);
    expect(internal.received).toHaveLength(1);
  });

  it('otlp http transport - a Retry-After past the timeout ends the export instead of waiting', async () => {
    const receiver = await startReceiver([{ status: 503, headers: { 'retry-after': '30' } }, { status: 200 }]);
    const { error, ms } = await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT: '2000' }), BODY);
    expect((error as OtlpExportError).status).toBe(503);
    expect(ms).toBeLessThan(1000);
    expect(receiver.received).toHaveLength(1);
  });

  it('otlp http transport - an export that gets no answer is given up at OTEL_EXPORTER_OTLP_TIMEOUT', async () => {
    const receiver = await startReceiver(['never']);
    const { error, ms } = await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '400' }), BODY);
    expect(error?.message).toContain('no answer in');
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(1500);
  });

  it('otlp http transport - a collector that is not up yet is reached by a retry (connection refused is retryable)', async () => {
    const probe = await startReceiver([{ status: 200 }]);
    const url = probe.url;
    await new Promise((resolve) => probe.server.close(resolve));
    servers.splice(servers.indexOf(probe.server), 1);
    const sending = send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url }), BODY);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const received: Buffer[] = [];
    const late = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push(Buffer.concat(chunks));
        response.writeHead(200).end();
      });
    });
    servers.push(late);
    await new Promise<void>((resolve) => late.listen(Number(new URL(url).port), '127.0.0.1', resolve));
    const { error, ms } = await sending;
    expect(error).toBeUndefined();
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(received).toHaveLength(1);
    expect(received[0]?.equals(BODY)).toBe(true);
  });

  it('otlp http transport - a partial success is warned about, and is a success', async () => {
    // ExportTraceServiceResponse { partial_success = 1 { rejected_spans = 1: 3; error_message = 2: "too old" } }
    const partial = Buffer.from([0x0a, 0x0b, 0x08, 0x03, 0x12, 0x07, ...Buffer.from('too old')]);
    const receiver = await startReceiver([{ status: 200, body: partial.toString('latin1'), headers: { 'content-type': 'application/x-protobuf' } }]);
    const warnings: string[] = [];
    const { ProtobufTraceSerializer } = await import('@opentelemetry/otlp-transformer');
    const transport = new OtlpHttpTransport(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url }), {
      contentType: 'application/x-protobuf',
      userAgent: 'e2rx-spec',
      warn: (message) => warnings.push(message),
      partialSuccess: (body) => {
        const response = ProtobufTraceSerializer.deserializeResponse(body);
        return response.partialSuccess === undefined ? undefined : `${String(response.partialSuccess.rejectedSpans)} rejected: ${response.partialSuccess.errorMessage}`;
      },
    });
    transports.push(transport);
    const error = await new Promise<Error | undefined>((resolve) => transport.send(BODY, resolve));
    expect(error).toBeUndefined();
    expect(warnings).toEqual(['3 rejected: too old']);
  });

  it('otlp http transport - retryAfterMs reads delay-seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs(' 0 ')).toBe(0);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    const inTwoSeconds = retryAfterMs(new Date(Date.now() + 2500).toUTCString()) as number;
    expect(inTwoSeconds).toBeGreaterThan(500);
    expect(inTwoSeconds).toBeLessThanOrEqual(2500);
    expect(retryAfterMs(new Date(Date.now() - 60_000).toUTCString())).toBe(0);
  });

  describe('https', () => {
    let dir: string;
    let pem: { ca: Buffer; key: Buffer; cert: Buffer };
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'e2rx-otlp-tls-'));
      const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      // A CA; the receiver's certificate for 127.0.0.1 and a client certificate, both signed by it.
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=e2rx spec CA');
      for (const [name, subject, extension] of [
        ['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'],
        ['client', '/CN=e2rx', 'extendedKeyUsage=clientAuth'],
      ] as const) {
        openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
        execFileSync('sh', ['-c', `printf '%s\\n' '${extension}' > ${name}.ext`], { cwd: dir });
        openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
      }
      pem = { ca: readFileSync(join(dir, 'ca.pem')), key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) };
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('otlp http transport - https trusts the CA of OTEL_EXPORTER_OTLP_CERTIFICATE and presents the client certificate', async () => {
      const receiver = await startReceiver([{ status: 200 }], pem);
      const { error } = await send(
        exportOf({
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'ca.pem'),
          OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: join(dir, 'client.pem'),
          OTEL_EXPORTER_OTLP_CLIENT_KEY: join(dir, 'client.key'),
        }),
        BODY,
      );
      expect(error).toBeUndefined();
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]?.body.equals(BODY)).toBe(true);
    });

    it('otlp http transport - https without the CA (or without the client certificate) fails, and a missing file is warned about', async () => {
      const receiver = await startReceiver([{ status: 200 }], pem);
      const untrusted = await send(exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT: '1000' }), BODY);
      expect(untrusted.error?.message).toMatch(/self[- ]signed|unable to (get|verify)/i);
      const warnings: string[] = [];
      const noClient = await send(
        exportOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_TIMEOUT: '1000', OTEL_EXPORTER_OTLP_CERTIFICATE: join(dir, 'ca.pem'), OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: join(dir, 'absent.pem') }),
        BODY,
        warnings,
      );
      expect(noClient.error).toBeDefined();
      expect(warnings).toEqual([expect.stringContaining(`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE=${join(dir, 'absent.pem')} could not be read`)]);
      expect(receiver.received).toHaveLength(0);
    });
  });
});
