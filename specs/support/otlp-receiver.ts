/**
 * A real OTLP/HTTP trace receiver for the specs: node:http on 127.0.0.1 (port 0) answering `POST /v1/traces` as a
 * Collector does, decoding both encodings of the specification: http/json (`application/json`) and http/protobuf
 * (`application/x-protobuf`, decoded here from the wire format of `opentelemetry/proto/collector/trace/v1`), gzip or
 * not. Every span received is kept, flattened, with its resource. `POST /v1/metrics` in http/json is kept too (the
 * data points of each metric, flattened).
 *
 * @example
 * ```ts
 * const receiver = await startOtlpReceiver();
 * // … OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint
 * const spans = await receiver.waitForSpans((all) => all.some((span) => span.name === 'POST /hello'));
 * await receiver.close();
 * ```
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as received. Ids are lower-case hex; `parentSpanId` is `''` for a root span. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** The OTLP kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string };
  readonly resource: Readonly<Record<string, unknown>>;
  /** How it arrived. */
  readonly encoding: 'json' | 'protobuf';
}

/** One data point of a metric, as received (http/json). */
export interface ReceivedPoint {
  readonly metric: string;
  /** `sum` (with `monotonic`) or `gauge`. */
  readonly type: 'sum' | 'gauge';
  readonly monotonic: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly value: number;
  readonly resource: Readonly<Record<string, unknown>>;
}

/** A running receiver. */
export interface OtlpReceiver {
  /** The metric data points received, every export appended. */
  readonly points: ReceivedPoint[];
  /** `http://127.0.0.1:<port>`: a value for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** How many export requests arrived. */
  readonly requests: number;
  /** Resolves with every span once `done(spans)` holds (polls; fails after `timeoutMs`). */
  waitForSpans(done: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<readonly ReceivedSpan[]>;
  close(): Promise<void>;
}

/** OTLP span kinds (the proto numbering). */
export const OTLP_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** Starts a receiver. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  let requests = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests += 1;
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const type = request.headers['content-type'] ?? '';
      if (request.method === 'POST' && request.url === '/v1/metrics' && type.startsWith('application/json')) {
        points.push(...metricsFromJson(JSON.parse(body.toString('utf8')) as JsonMetricsRequest));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      if (type.startsWith('application/json')) {
        spans.push(...fromJson(JSON.parse(body.toString('utf8')) as JsonRequest));
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        spans.push(...fromProtobuf(body));
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    points,
    get requests() {
      return requests;
    },
    async waitForSpans(done, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!done(spans)) {
        if (Date.now() > until) throw new Error(`the receiver did not get the expected spans in ${timeoutMs} ms; got: ${spans.map((span) => span.name).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return spans;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface JsonValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: JsonValue[] };
}
interface JsonAttribute {
  key: string;
  value: JsonValue;
}
interface JsonRequest {
  resourceSpans?: {
    resource?: { attributes?: JsonAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: JsonAttribute[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function jsonValue(value: JsonValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

function jsonAttributes(list: JsonAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((attribute) => [attribute.key, jsonValue(attribute.value)]));
}

function fromJson(request: JsonRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = jsonAttributes(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        out.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          attributes: jsonAttributes(span.attributes),
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
          resource,
          encoding: 'json',
        });
      }
    }
  }
  return out;
}

/** The fields of one protobuf message: field number to its values (varints as bigint, the rest as bytes). */
type Fields = Map<number, (bigint | Buffer)[]>;

function readVarint(bytes: Buffer, at: { offset: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = bytes[at.offset++] as number;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7n;
  }
}

function fields(bytes: Buffer): Fields {
  const out: Fields = new Map();
  const at = { offset: 0 };
  while (at.offset < bytes.length) {
    const key = Number(readVarint(bytes, at));
    const field = key >> 3;
    const wire = key & 7;
    let value: bigint | Buffer;
    if (wire === 0) value = readVarint(bytes, at);
    else if (wire === 1) {
      value = bytes.subarray(at.offset, at.offset + 8);
      at.offset += 8;
    } else if (wire === 2) {
      const length = Number(readVarint(bytes, at));
      value = bytes.subarray(at.offset, at.offset + length);
      at.offset += length;
    } else if (wire === 5) {
      value = bytes.subarray(at.offset, at.offset + 4);
      at.offset += 4;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const bytesOf = (message: Fields, field: number): Buffer[] => (message.get(field) ?? []) as Buffer[];
const first = (message: Fields, field: number): Buffer | undefined => bytesOf(message, field)[0];
const text = (message: Fields, field: number): string => first(message, field)?.toString('utf8') ?? '';
const number = (message: Fields, field: number): number => Number((message.get(field)?.[0] as bigint | undefined) ?? 0n);

function anyValue(bytes: Buffer): unknown {
  const value = fields(bytes);
  if (value.has(1)) return text(value, 1);
  if (value.has(2)) return number(value, 2) !== 0;
  if (value.has(3)) return Number(BigInt.asIntN(64, value.get(3)?.[0] as bigint));
  if (value.has(4)) return (first(value, 4) as Buffer).readDoubleLE(0);
  if (value.has(5)) return bytesOf(fields(first(value, 5) as Buffer), 1).map(anyValue);
  return undefined;
}

function protoAttributes(list: Buffer[]): Record<string, unknown> {
  return Object.fromEntries(
    list.map((bytes) => {
      const pair = fields(bytes);
      const value = first(pair, 2);
      return [text(pair, 1), value === undefined ? undefined : anyValue(value)];
    }),
  );
}

function fromProtobuf(body: Buffer): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resourceSpansBytes of bytesOf(fields(body), 1)) {
    const resourceSpans = fields(resourceSpansBytes);
    const resourceBytes = first(resourceSpans, 1);
    const resource = resourceBytes === undefined ? {} : protoAttributes(bytesOf(fields(resourceBytes), 1));
    for (const scopeBytes of bytesOf(resourceSpans, 2)) {
      for (const spanBytes of bytesOf(fields(scopeBytes), 2)) {
        const span = fields(spanBytes);
        const statusBytes = first(span, 15);
        const status = statusBytes === undefined ? undefined : fields(statusBytes);
        out.push({
          traceId: first(span, 1)?.toString('hex') ?? '',
          spanId: first(span, 2)?.toString('hex') ?? '',
          parentSpanId: first(span, 4)?.toString('hex') ?? '',
          name: text(span, 5),
          kind: number(span, 6),
          attributes: protoAttributes(bytesOf(span, 9)),
          status: { code: status === undefined ? 0 : number(status, 3), message: status === undefined ? '' : text(status, 2) },
          resource,
          encoding: 'protobuf',
        });
      }
    }
  }
  return out;
}

interface JsonPoint {
  attributes?: JsonAttribute[];
  asInt?: number | string;
  asDouble?: number;
}
interface JsonMetricsRequest {
  resourceMetrics?: {
    resource?: { attributes?: JsonAttribute[] };
    scopeMetrics?: { metrics?: { name: string; sum?: { dataPoints?: JsonPoint[]; isMonotonic?: boolean }; gauge?: { dataPoints?: JsonPoint[] } }[] }[];
  }[];
}

function metricsFromJson(request: JsonMetricsRequest): ReceivedPoint[] {
  const out: ReceivedPoint[] = [];
  for (const resourceMetrics of request.resourceMetrics ?? []) {
    const resource = jsonAttributes(resourceMetrics.resource?.attributes);
    for (const scope of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scope.metrics ?? []) {
        const type = metric.sum !== undefined ? 'sum' : 'gauge';
        for (const point of (metric.sum ?? metric.gauge)?.dataPoints ?? []) {
          out.push({
            metric: metric.name,
            type,
            monotonic: metric.sum?.isMonotonic ?? false,
            attributes: jsonAttributes(point.attributes),
            value: Number(point.asInt ?? point.asDouble ?? Number.NaN),
            resource,
          });
        }
      }
    }
  }
  return out;
}
