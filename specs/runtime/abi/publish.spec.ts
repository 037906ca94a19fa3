import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES, type CapabilityConfig } from '../../../src/directive/capability-config.js';
import type { FunctionOutcome } from '../../../src/runtime/outcome.js';
import { PUBLISH_STATUS, parsePublishHeaders } from '../../../src/runtime/abi/publish.js';
import { makeRequest } from '../support/driver.js';
import { startRuntime, type TestRuntime } from '../support/runtime.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Message {
  readonly connection: number;
  readonly target: string;
  readonly body?: string;
  readonly headers?: string;
  readonly key?: string;
  readonly times?: number;
  /** 1: return an error after publishing; 2: trap. */
  readonly then?: 0 | 1 | 2;
}

/** The input of specs/fixtures/wasm/publish.wat. */
function input(message: Message): Uint8Array {
  const parts = [message.target, message.body ?? '', message.headers ?? '', message.key ?? ''].map((text) => encoder.encode(text));
  const header = new Uint32Array([message.connection, ...parts.map((part) => part.length), message.times ?? 1, message.then ?? 0]);
  const bytes = new Uint8Array(header.byteLength + parts.reduce((sum, part) => sum + part.length, 0));
  bytes.set(new Uint8Array(header.buffer), 0);
  let at = header.byteLength;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

function statuses(outcome: FunctionOutcome): number[] {
  if (outcome.kind !== 'output') throw new Error(`expected an output, got ${outcome.kind}`);
  return [...new Int32Array(outcome.output.slice().buffer)];
}

const PUBLISH: CapabilityConfig['publish'] = {
  enabled: true,
  allow: ['orders.>', 'audit'],
  maxMessages: 3,
  maxBytes: 200,
  connections: { nats: true, kafka: true },
};

describe.each([
  ['the calling thread', { inline: true }],
  ['a worker', { inline: false, workers: 1, placement: 'workers' }],
] as const)('abi/publish on %s', (_where, placement) => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await startRuntime({ fixtures: ['publish'], capabilities: { publish: PUBLISH }, ...placement });
  });
  afterAll(async () => {
    await t.runtime.close();
  });

  const run = (message: Message): Promise<FunctionOutcome> => t.runtime.invoke('publish', makeRequest({ body: input(message) }));

  it('publish - buffers an allowed message, with its headers and key, and hands it on with the outcome', async () => {
    const outcome = await run({ connection: 2, target: 'orders.eu.created', body: '{"id":1}', headers: 'kind:audit\nx-two:a:b\n', key: 'o-1' });
    expect(statuses(outcome)).toEqual([PUBLISH_STATUS.ok]);
    expect(outcome.kind === 'output' ? outcome.publishes : undefined).toEqual([
      { connection: 'kafka', target: 'orders.eu.created', body: encoder.encode('{"id":1}'), headers: [['kind', 'audit'], ['x-two', 'a:b']], key: encoder.encode('o-1') },
    ]);
  });

  it('publish - a NATS message has no key; several are handed on in order', async () => {
    const outcome = await run({ connection: 1, target: 'audit', body: 'hello', times: 2 });
    expect(statuses(outcome)).toEqual([0, 0]);
    const publishes = outcome.kind === 'output' ? (outcome.publishes ?? []) : [];
    expect(publishes.map((message) => [message.connection, message.target, decoder.decode(message.body), message.key])).toEqual([
      ['nats', 'audit', 'hello', undefined],
      ['nats', 'audit', 'hello', undefined],
    ]);
  });

  it('publish - a target outside allow is refused (-3) and the reason logged', async () => {
    const outcome = await run({ connection: 1, target: 'billing.x', body: 'b' });
    expect(statuses(outcome)).toEqual([PUBLISH_STATUS.denied]);
    expect(outcome.kind === 'output' ? outcome.publishes : 'no output').toBeUndefined();
    expect(t.lines.some((line) => line.msg === 'e2rx.publish refused (-3): billing.x is not in capabilities.publish.allow')).toBe(true);
  });

  it('publish - refuses malformed messages (-6): an empty target, a NATS wildcard, a header without a name, a key on NATS', async () => {
    expect(statuses(await run({ connection: 1, target: '' }))).toEqual([PUBLISH_STATUS.invalid]);
    expect(statuses(await run({ connection: 1, target: 'orders.*' }))).toEqual([PUBLISH_STATUS.invalid]);
    expect(statuses(await run({ connection: 1, target: 'audit', headers: ':no-name' }))).toEqual([PUBLISH_STATUS.invalid]);
    expect(statuses(await run({ connection: 1, target: 'audit', key: 'k' }))).toEqual([PUBLISH_STATUS.invalid]);
  });

  it('publish - an unknown connection code is refused (-4)', async () => {
    expect(statuses(await run({ connection: 3, target: 'audit' }))).toEqual([PUBLISH_STATUS.noConnection]);
  });

  it('publish - past maxMessages or maxBytes the call is refused (-5) and keeps what it buffered', async () => {
    const counted = await run({ connection: 1, target: 'audit', times: 4 });
    expect(statuses(counted)).toEqual([0, 0, 0, PUBLISH_STATUS.bufferFull]);
    expect(counted.kind === 'output' ? counted.publishes?.length : 0).toBe(3);
    const sized = await run({ connection: 1, target: 'audit', body: 'x'.repeat(90), times: 3 });
    expect(statuses(sized)).toEqual([0, 0, PUBLISH_STATUS.bufferFull]);
  });

  it('publish - a call that returns an error or traps hands nothing on', async () => {
    const failed = await run({ connection: 1, target: 'audit', then: 1 });
    expect(failed.kind).toBe('runError');
    expect('publishes' in failed).toBe(false);
    await expect(run({ connection: 1, target: 'audit', then: 2 })).rejects.toMatchObject({ code: 'E2RX_WASM_TRAP' });
  });
});

describe('abi/publish refusals by configuration', () => {
  it('publish - off (-2) without capabilities.publish, and -4 for a connection the Directive lacks', async () => {
    const off = await startRuntime({ fixtures: ['publish'] });
    const kafkaOnly = await startRuntime({ fixtures: ['publish'], capabilities: { publish: { ...PUBLISH, connections: { nats: false, kafka: true } } } });
    try {
      expect(DEFAULT_CAPABILITIES.publish.enabled).toBe(false);
      expect(statuses(await off.runtime.invoke('publish', makeRequest({ body: input({ connection: 1, target: 'audit' }) })))).toEqual([PUBLISH_STATUS.disabled]);
      expect(statuses(await kafkaOnly.runtime.invoke('publish', makeRequest({ body: input({ connection: 1, target: 'audit' }) })))).toEqual([PUBLISH_STATUS.noConnection]);
      expect(kafkaOnly.lines.some((line) => line.msg === 'e2rx.publish refused (-4): the Directive has no connections.nats')).toBe(true);
    } finally {
      await off.runtime.close();
      await kafkaOnly.runtime.close();
    }
  });

  it('publish - many messages past the ring cross from a worker on the port whole, each body owning its buffer', async () => {
    const t = await startRuntime({
      fixtures: ['publish'],
      inline: false,
      workers: 1,
      placement: 'workers',
      capabilities: { publish: { ...PUBLISH, maxMessages: 100, maxBytes: 1024 * 1024 } },
    });
    try {
      const body = 'y'.repeat(4000);
      const outcome = await t.runtime.invoke('publish', makeRequest({ body: input({ connection: 2, target: 'audit', body, key: 'k', times: 80 }) }));
      expect(statuses(outcome)).toEqual(Array.from({ length: 80 }, () => 0));
      const publishes = outcome.kind === 'output' ? (outcome.publishes ?? []) : [];
      expect(publishes).toHaveLength(80);
      for (const message of publishes) {
        expect(decoder.decode(message.body)).toBe(body);
        expect(message.body.buffer.byteLength).toBe(4000);
        expect(message.key?.buffer.byteLength).toBe(1);
      }
    } finally {
      await t.runtime.close();
    }
  });

  it('publish - what a call buffers counts against its host budget (E2RX_HOST_MEMORY)', async () => {
    const t = await startRuntime({
      fixtures: ['publish'],
      limits: { maxMemoryMb: 2 },
      capabilities: { publish: { ...PUBLISH, maxMessages: 1000, maxBytes: 64 * 1024 * 1024 } },
    });
    try {
      const body = 'x'.repeat(60_000);
      await expect(t.runtime.invoke('publish', makeRequest({ body: input({ connection: 1, target: 'audit', body, times: 40 }) }))).rejects.toMatchObject({
        code: 'E2RX_HOST_MEMORY',
      });
    } finally {
      await t.runtime.close();
    }
  });
});

describe('parsePublishHeaders', () => {
  it('parsePublishHeaders - reads name:value lines, keeps later colons in the value, skips empty lines, refuses a line without a name', () => {
    expect(parsePublishHeaders('')).toEqual([]);
    expect(parsePublishHeaders('a:1\n\nb:x:y\n')).toEqual([
      ['a', '1'],
      ['b', 'x:y'],
    ]);
    expect(parsePublishHeaders('novalue')).toBeUndefined();
    expect(parsePublishHeaders(':v')).toBeUndefined();
  });
});
