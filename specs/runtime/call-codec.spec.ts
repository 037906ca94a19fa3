import { describe, expect, it } from 'vitest';
import type { HostCallMessage } from '../../src/runtime/bridge.js';
import {
  readCall,
  readHeader,
  readHostCall,
  readLog,
  outcomeBytes,
  readResult,
  RECORD,
  reportable,
  restoreRequest,
  type ResultMessage,
  writeCall,
  writeHostCall,
  writeLog,
  writeResult,
} from '../../src/runtime/call-codec.js';
import type { RunOutcome } from '../../src/runtime/outcome.js';
import type { FunctionRequest } from '../../src/runtime/request.js';
import { Ring } from '../../src/runtime/ring.js';
import { makeRequest } from './support/driver.js';

const encoder = new TextEncoder();

const request = (): FunctionRequest =>
  makeRequest({
    method: 'POST',
    url: '/users/7?x=1',
    id: 'req-9',
    body: encoder.encode('{"a":1}'),
    headers: { 'content-type': 'application/json', 'x-é': 'ü' },
    params: { id: '7' },
    state: { previous: encoder.encode('step one'), empty: new Uint8Array(0) },
    respHeaders: { 'x-from-an-earlier-step': '1' },
  });

function crossResult(result: ResultMessage): ResultMessage {
  const ring = Ring.create(1 << 16);
  ring.write((w) => writeResult(w, result));
  let read: ResultMessage | undefined;
  ring.read((r) => {
    expect(readHeader(r).kind).toBe(RECORD.result);
    read = readResult(r);
  });
  return read as ResultMessage;
}

describe('call-codec', () => {
  it('writeCall - a call crosses with everything the guest can read, and without the response headers', () => {
    const ring = Ring.create(1 << 16);
    const sent = request();
    ring.write((w) => writeCall(w, 5, 42, 'hello', sent));
    ring.read((r) => {
      const { kind, slot } = readHeader(r);
      expect({ kind, slot }).toEqual({ kind: RECORD.call, slot: 5 });
      expect(readCall(r, slot)).toEqual({ type: 'call', slot: 5, id: 42, name: 'hello', request: { ...sent, respHeaders: {} } });
    });
  });

  it('writeResult - outputs, Runnable errors, none and failures (with details) read back as written', () => {
    const changed = { ...request(), method: 'PUT', respHeaders: { 'x-guest': 'g' } };
    const results: ResultMessage[] = [
      { type: 'result', id: 1, instances: 2, outcome: { kind: 'output', output: new Uint8Array([1, 2, 3]) } },
      { type: 'result', id: 2, instances: 1, outcome: { kind: 'output', output: new Uint8Array([4]), request: changed } },
      { type: 'result', id: 3, instances: 1, outcome: { kind: 'runError', code: 409, message: 'busy' } },
      { type: 'result', id: 4, instances: 0, outcome: { kind: 'none', request: changed } },
      { type: 'result', id: 5, instances: 0, outcome: { kind: 'failure', failure: { code: 'E2RX_WASM_TRAP', message: 'wasm trap: unreachable' } } },
      { type: 'result', id: 6, instances: 0, outcome: { kind: 'failure', failure: { code: 'E2RX_WASM_EXIT', message: 'exit 3', details: { exitCode: 3 } } } },
    ];
    for (const result of results) expect(crossResult(result)).toEqual(result);
  });

  it('writeResult - (e2rx) published messages cross with an output or none, in order, with their headers and keys; their bytes count', () => {
    const publishes = [
      { connection: 'kafka', target: 'orders', body: encoder.encode('{"id":1}'), headers: [['kind', 'audit'], ['kind', 'again']], key: encoder.encode('o-1') },
      { connection: 'nats', target: 'audit.x', body: new Uint8Array(0), headers: [] },
    ] as const;
    const results: ResultMessage[] = [
      { type: 'result', id: 1, instances: 1, outcome: { kind: 'output', output: new Uint8Array([1]), publishes } },
      { type: 'result', id: 2, instances: 1, outcome: { kind: 'none', request: { ...request(), method: 'PUT' }, publishes } },
    ];
    for (const result of results) expect(crossResult(result)).toEqual(result);
    expect(outcomeBytes({ kind: 'none', publishes })).toBe('orders'.length + 8 + 'kindauditkindagain'.length + 3 + 'audit.x'.length);
    const received = request();
    expect(reportable({ kind: 'none', request: received, publishes }, received)).toEqual({ kind: 'none', publishes });
  });

  it('reportable - an outcome leaves its request behind when the guest did not change it', () => {
    const received = request();
    const same: RunOutcome = { kind: 'output', output: new Uint8Array([1]), request: received };
    expect(reportable(same, received)).toEqual({ kind: 'output', output: new Uint8Array([1]) });
    const copy = { ...received, method: 'PUT' };
    expect(reportable({ kind: 'none', request: copy }, received)).toEqual({ kind: 'none', request: copy });
  });

  it("restoreRequest - an unchanged request is the caller's own object; a changed one keeps the caller's response headers under the guest's", () => {
    const sent = request();
    const unchanged = restoreRequest({ kind: 'output', output: new Uint8Array([1]) }, sent);
    expect(unchanged.kind === 'output' && unchanged.request).toBe(sent);
    const guest = { ...sent, method: 'PUT', respHeaders: { 'x-guest': 'g', 'x-from-an-earlier-step': '2' } };
    const changed = restoreRequest({ kind: 'runError', code: 400, message: 'bad', request: guest }, sent);
    expect(changed.kind === 'runError' && changed.request).toMatchObject({ method: 'PUT', respHeaders: { 'x-from-an-earlier-step': '2', 'x-guest': 'g' } });
    expect(sent.respHeaders).toEqual({ 'x-from-an-earlier-step': '1' });
  });

  it('writeHostCall - every asynchronous host call, and log lines, read back as written', () => {
    const context = { fn: 'hello', requestId: 'req-1' };
    const calls: HostCallMessage[] = [
      { type: 'host', request: { op: 'cacheGet', key: 'k' }, context },
      { type: 'host', request: { op: 'cacheSet', key: 'k', value: encoder.encode('v'), ttlSeconds: -1 }, context },
      { type: 'host', request: { op: 'fetchUrl', method: 2, url: 'https://example.com/é', body: encoder.encode('{}') }, context },
      { type: 'host', request: { op: 'graphqlQuery', endpoint: 'https://g/', query: '{ a }' }, context },
      { type: 'host', request: { op: 'dbExec', queryType: 1, name: 'users', variables: ['1', 'ada'] }, context },
      { type: 'host', request: { op: 'getStaticFile', name: 'index.html' }, context },
    ];
    const ring = Ring.create(1 << 16);
    for (const call of calls) {
      ring.write((w) => writeHostCall(w, call));
      ring.read((r) => {
        expect(readHeader(r).kind).toBe(RECORD.host);
        expect(readHostCall(r)).toEqual(call);
      });
    }
    const log = { type: 'log', level: 'warn', message: 'careful', fields: { fn: 'hello', request_id: 'req-1', ident: 3, stream: 'stderr' } } as const;
    ring.write((w) => writeLog(w, log));
    ring.read((r) => {
      expect(readHeader(r).kind).toBe(RECORD.log);
      expect(readLog(r)).toEqual(log);
    });
  });
});
