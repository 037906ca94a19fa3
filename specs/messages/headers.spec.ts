import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import {
  deadLetterHeaders,
  describeFailure,
  headerSafe,
  isReservedNatsHeader,
  outputHeaders,
  requestHeaders,
} from '../../src/messages/headers.js';
import { testRequest } from '../../src/testing/helpers.js';

describe('stream headers', () => {
  it('requestHeaders - lower-cases the names and keeps the first value, decoding bytes as UTF-8', () => {
    expect(
      requestHeaders([
        ['X-Trace', 'a'],
        ['x-trace', 'b'],
        ['Content-Type', new TextEncoder().encode('text/plain')],
      ]),
    ).toEqual({ 'x-trace': 'a', 'content-type': 'text/plain' });
  });

  it('outputHeaders - copies the input, lets function headers replace them, and adds the correlation id', () => {
    expect(
      outputHeaders(
        [
          ['traceparent', 'tp'],
          ['Content-Type', 'application/json'],
          ['baggage', 'a=1'],
          ['baggage', 'b=2'],
        ],
        { 'content-type': 'text/plain' },
        'r-1',
      ),
    ).toEqual([
      ['traceparent', 'tp'],
      ['baggage', 'a=1'],
      ['baggage', 'b=2'],
      ['content-type', 'text/plain'],
      ['x-request-id', 'r-1'],
    ]);
  });

  it('outputHeaders - keeps the input correlation id and skips reserved names', () => {
    expect(
      outputHeaders(
        [
          ['X-Request-Id', 'c-9'],
          ['Nats-Expected-Stream', 'S'],
          ['Nats-Msg-Id', 'm-1'],
        ],
        {},
        'ignored',
        { skip: isReservedNatsHeader },
      ),
    ).toEqual([
      ['X-Request-Id', 'c-9'],
      ['Nats-Msg-Id', 'm-1'],
    ]);
  });

  it('isReservedNatsHeader - JetStream expectations and storage headers are reserved, Nats-Msg-Id is not', () => {
    expect(['Nats-Expected-Last-Sequence', 'nats-rollup', 'Nats-Stream', 'Nats-Sequence', 'Nats-TTL'].every(isReservedNatsHeader)).toBe(true);
    expect(['Nats-Msg-Id', 'traceparent', 'x-request-id'].some(isReservedNatsHeader)).toBe(false);
  });

  it('describeFailure - a runError, a failure and a thrown error', () => {
    const request = testRequest();
    expect(describeFailure({ kind: 'runError', error: { code: 404, message: 'nope' }, request })).toEqual({
      message: 'nope',
      code: 'E2RX_RUN_ERROR',
      runErrorCode: 404,
    });
    expect(describeFailure({ kind: 'failure', error: new E2rxError('E2RX_WASM_TRAP', 'trapped'), request })).toEqual({ message: 'trapped', code: 'E2RX_WASM_TRAP' });
    expect(describeFailure({ kind: 'failure', error: new Error('odd'), request })).toEqual({ message: 'odd', code: 'E2RX_STEP_FAILED' });
    expect(describeFailure(new Error('broker down'))).toEqual({ message: 'broker down', code: 'E2RX_CONNECTION' });
  });

  it('deadLetterHeaders - the error, its codes, the attempts, the handler and the source', () => {
    expect(deadLetterHeaders({ message: 'bad\nline', code: 'E2RX_RUN_ERROR', runErrorCode: 400 }, 3, 'kafka orders', { 'e2rx-source-topic': 'orders' })).toEqual({
      'e2rx-error': 'bad line',
      'e2rx-error-code': 'E2RX_RUN_ERROR',
      'e2rx-run-error-code': '400',
      'e2rx-attempts': '3',
      'e2rx-handler': 'kafka orders',
      'e2rx-source-topic': 'orders',
    });
  });

  it('headerSafe - one line, at most 1 KiB', () => {
    expect(headerSafe('a\r\nb')).toBe('a b');
    expect(headerSafe('x'.repeat(2000))).toHaveLength(1024);
  });
});
