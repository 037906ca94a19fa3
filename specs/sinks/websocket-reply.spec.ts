/**
 * The websocket reply of a run: one text frame per result.
 */
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { replyWebSocket } from '../../src/sinks/websocket-reply.js';
import type { RunResult } from '../../src/steps/steps.js';
import { testRequest } from '../../src/testing/index.js';

function fakeSocket(readyState = 1): { socket: WebSocket; sent: unknown[] } {
  const sent: unknown[] = [];
  const socket = { readyState, OPEN: 1, send: (data: unknown) => sent.push(data) } as unknown as WebSocket;
  return { socket, sent };
}

describe('replyWebSocket', () => {
  it('replyWebSocket - ok: the output as one text frame', () => {
    const { socket, sent } = fakeSocket();
    replyWebSocket(socket, { kind: 'ok', body: new TextEncoder().encode('héllo'), request: testRequest() });
    expect(sent).toEqual(['héllo']);
  });

  it('replyWebSocket - a Runnable error or a failure: one JSON frame {"status","message"} (the original sent two)', () => {
    const { socket, sent } = fakeSocket();
    const results: RunResult[] = [
      { kind: 'runError', error: { code: 404, message: 'not found' }, request: testRequest() },
      { kind: 'runError', error: { code: -1, message: 'abort' }, request: testRequest() },
      { kind: 'failure', error: new Error('trap'), request: testRequest() },
    ];
    for (const result of results) replyWebSocket(socket, result);
    expect(sent.map((frame) => JSON.parse(frame as string) as unknown)).toEqual([
      { status: 404, message: 'not found' },
      { status: 500, message: 'abort' },
      { status: 500, message: 'trap' },
    ]);
  });

  it('replyWebSocket - nothing is sent on a connection that is no longer open', () => {
    const { socket, sent } = fakeSocket(3);
    replyWebSocket(socket, { kind: 'ok', body: new Uint8Array(), request: testRequest() });
    expect(sent).toEqual([]);
  });
});
