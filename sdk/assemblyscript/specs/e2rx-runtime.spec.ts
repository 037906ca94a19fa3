/**
 * The SDK's capability calls against e2rx's real Wasm runtime (`createRuntime`, worker threads, the synchronous
 * bridge), with stub {@link HostServices}: the same checks as capabilities.spec.ts, which uses the mini host.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CapabilityConfig, DEFAULT_CAPABILITIES } from '../../../src/directive/capability-config.js';
import type { HostCallResult, HostServices } from '../../../src/capabilities/host-services.js';
import type { FunctionRequest } from '../../../src/runtime/request.js';
import type { GuestPublish } from '../../../src/runtime/guest-publish.js';
import { type Runtime, createRuntime } from '../../../src/runtime/runtime.js';
import { fixtureBinary } from './support/fixtures.js';

const encoder = new TextEncoder();
const data = (value: string | Uint8Array): HostCallResult => ({
  kind: 'data',
  data: typeof value === 'string' ? encoder.encode(value) : value,
});
const error = (message: string): HostCallResult => ({ kind: 'error', message });

const cache = new Map<string, Uint8Array>();
const fetched: { method: number; url: string; body: string }[] = [];
const queries: { type: number; name: string; variables: readonly string[] }[] = [];
const logs: { level: number; msg: string }[] = [];

const services: HostServices = {
  cacheGet: async (key) => {
    const found = cache.get(key);
    return found === undefined ? error('key not found') : data(found);
  },
  cacheSet: async (key, value) => {
    if (key === 'refuse') return { kind: 'status', status: -2 };
    cache.set(key, value);
    return data('');
  },
  fetchUrl: async (method, url, body) => {
    fetched.push({ method, url, body: new TextDecoder().decode(body) });
    if (url.startsWith('http://example.test/missing')) return error('404: nothing here');
    return data(`${['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'][method]} answered`);
  },
  graphqlQuery: async (endpoint, query) => data(JSON.stringify({ data: { endpoint, query } })),
  dbExec: async (type, name, variables) => {
    queries.push({ type, name, variables });
    if (name === 'unknownQuery') return error('query not found');
    return data(type === 1 ? '[{"id":1}]' : '{"lastInsertID":1,"rowsAffected":0}');
  },
  getStaticFile: async (name) => (name === 'hello.txt' ? data('static hello') : error(`open static/${name}: file does not exist`)),
  close: async () => undefined,
};

const capabilities: CapabilityConfig = {
  ...DEFAULT_CAPABILITIES,
  secrets: { enabled: true, allowedKeys: ['API_TOKEN'] },
  publish: { enabled: true, allow: ['orders.>'], maxMessages: 2, maxBytes: 1024 * 1024, connections: { nats: true, kafka: true } },
};

let runtime: Runtime | undefined;
const savedToken = process.env['API_TOKEN'];

beforeAll(async () => {
  // The runtime reads allowed secrets from the environment when it is created.
  process.env['API_TOKEN'] = 's3cret';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  runtime = createRuntime({ capabilities, services, logger: pino({ level: 'debug' }, sink), workers: 1 });
  await runtime.register('capabilities', await fixtureBinary('capabilities'));
  await runtime.register('publish', await fixtureBinary('publish'));
  await runtime.ready();
}, 60_000);

afterAll(async () => {
  await runtime?.close();
  if (savedToken === undefined) delete process.env['API_TOKEN'];
  else process.env['API_TOKEN'] = savedToken;
});

async function invoke(command: string, fn = 'capabilities'): Promise<string> {
  const request: FunctionRequest = {
    method: 'POST',
    url: '/capabilities',
    id: randomUUID(),
    body: encoder.encode(command),
    headers: {},
    params: {},
    state: {},
    respHeaders: {},
  };
  const result = await (runtime as Runtime).invoke(fn, request);
  if (result.kind !== 'output') throw new Error(`expected an output, got ${JSON.stringify(result)}`);
  lastPublishes = result.publishes;
  return new TextDecoder().decode(result.output);
}

/** (e2rx) What the last call published. */
let lastPublishes: readonly GuestPublish[] | undefined;

describe('sdk on the e2rx runtime', () => {
  it('runtime - http sends the host method numbers, bodies and ::Name:Value headers', async () => {
    const text = await invoke('http');
    expect(fetched.map((f) => f.method)).toEqual([0, 1, 2, 3, 4, 5, 6, 0]);
    expect(fetched[0]?.url).toBe('http://example.test/get::Authorization:Bearer abc::X-Other:1');
    expect(fetched[3]?.body).toBe('text body');
    expect(text).toContain('get ok: GET answered\n');
    expect(text).toContain('missing err: 404: nothing here\n');
    expect(text).toContain("badHeader err: value of header 'x-time' must not contain ':'\n");
  });

  it('runtime - cache sets, gets, and reports a missing key and a refusal', async () => {
    expect(await invoke('cache')).toBe(
      'set ok: \nget ok: cached value\nmissing err: key not found\nrefused err: the cache refused to store the value\n',
    );
  });

  it('runtime - graphql, static files and secrets', async () => {
    expect(await invoke('graphql')).toBe(
      'query ok: {"data":{"endpoint":"http://example.test/graphql","query":"{ me { name } }"}}\n',
    );
    expect(await invoke('file')).toBe('file ok: static hello\nmissing err: open static/nope.txt: file does not exist\n');
    expect(await invoke('secrets')).toBe('allowed=s3cret\ndenied=\n');
  });

  it('runtime - db passes the host query types and ordered variables', async () => {
    const text = await invoke('db');
    expect(queries.map((q) => [q.type, q.name, q.variables])).toEqual([
      [0, 'insertUser', ['ada', 'ada@example.test']],
      [1, 'selectUser', ['1']],
      [2, 'updateUser', ['1']],
      [3, 'deleteUser', []],
      [1, 'unknownQuery', []],
    ]);
    expect(text).toContain('unknown err: query not found\n');
  });

  it('runtime - log levels, console and trace reach the logger', async () => {
    await invoke('log');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const guest = logs.filter((l) => ['an error', 'a warning', 'some info', 'a detail', 'console log', 'console error', 'trace: traced 1.5, 2.0'].includes(l.msg));
    expect(guest.map((l) => [l.level, l.msg])).toEqual([
      [50, 'an error'],
      [40, 'a warning'],
      [30, 'some info'],
      [20, 'a detail'],
      [30, 'console log'],
      [50, 'console error'],
      [20, 'trace: traced 1.5, 2.0'],
    ]);
  });

  it('runtime - (e2rx) publish buffers allowed messages with headers and key, and maps each refusal to its message', async () => {
    expect(await invoke('', 'publish')).toBe(
      'nats ok\nkafka ok\ndenied err: the target is not allowed (capabilities.publish.allow)\n' +
        'full err: too many messages published by this call (capabilities.publish.maxMessages or maxBytes)\n' +
        "badHeader err: value of header 'x-lines' must not contain a newline\n",
    );
    expect(lastPublishes).toEqual([
      { connection: 'nats', target: 'orders.eu', body: encoder.encode('to nats'), headers: [['kind', 'audit']] },
      { connection: 'kafka', target: 'orders.audit', body: encoder.encode('to kafka'), headers: [], key: encoder.encode('k-1') },
    ]);
  });
});
