import { describe, expect, it } from 'vitest';
import { E2rxError } from '../../src/errors.js';
import { createRequest } from '../../src/runtime/request.js';
import { requestAttributes, runEnd, runSourceOf } from '../../src/telemetry/run-source.js';

const request = createRequest({ method: 'POST', url: '/users/7?full=1', id: 'r-1', headers: { 'user-agent': 'curl/8' }, body: new Uint8Array(3) });

describe('the span of a run\'s source', () => {
  it('runSourceOf - names each kind of handler as the semantic conventions do', () => {
    expect(runSourceOf('POST /users/:id')).toMatchObject({ kind: 'http', spanName: 'POST /users/:id', attributes: { 'http.request.method': 'POST', 'http.route': '/users/:id' } });
    expect(runSourceOf('headless /com.x/default/hello/v1')).toMatchObject({ kind: 'http', spanName: 'POST /com.x/default/hello/v1' });
    expect(runSourceOf('ws /chat')).toMatchObject({ kind: 'websocket', spanName: 'ws /chat', attributes: { 'http.route': '/chat' } });
    expect(runSourceOf('nats orders.new')).toMatchObject({ kind: 'nats', spanName: 'process orders.new', attributes: { 'messaging.system': 'nats', 'messaging.destination.name': 'orders.new', 'messaging.operation.type': 'process' } });
    expect(runSourceOf('kafka orders')).toMatchObject({ kind: 'kafka', spanName: 'process orders', attributes: { 'messaging.system': 'kafka' } });
    expect(runSourceOf('schedule nightly')).toMatchObject({ kind: 'schedule', spanName: 'schedule nightly', attributes: { 'e2rx.schedule.name': 'nightly', 'e2rx.handler': 'schedule nightly' } });
  });

  it('requestAttributes - the path, query and user agent of an HTTP request; the body size of a message', () => {
    expect(requestAttributes(request, 'http')).toEqual({ 'e2rx.request.id': 'r-1', 'url.path': '/users/7', 'url.query': 'full=1', 'user_agent.original': 'curl/8' });
    expect(requestAttributes(request, 'kafka')).toEqual({ 'e2rx.request.id': 'r-1', 'messaging.message.body.size': 3 });
    expect(requestAttributes(request, 'schedule')).toEqual({ 'e2rx.request.id': 'r-1' });
  });

  it('runEnd - HTTP: the status e2rx answers, an error from 500 on; other sources: an error unless the run succeeded', () => {
    const http = runSourceOf('POST /users/:id');
    const nats = runSourceOf('nats orders');
    expect(runEnd(http, { kind: 'ok', body: new Uint8Array(), request })).toEqual({ attributes: { 'e2rx.run.outcome': 'ok', 'http.response.status_code': 200 }, error: undefined });
    expect(runEnd(http, { kind: 'runError', error: { code: 404, message: 'no such user' }, request })).toEqual({
      attributes: { 'e2rx.run.outcome': 'run_error', 'e2rx.run.error_code': 404, 'http.response.status_code': 404 },
      error: undefined,
    });
    const timeout = new E2rxError('E2RX_REQUEST_TIMEOUT', 'request timed out after 10 ms');
    expect(runEnd(http, { kind: 'failure', error: timeout, request })).toEqual({
      attributes: { 'e2rx.run.outcome': 'timeout', 'error.type': 'E2RX_REQUEST_TIMEOUT', 'http.response.status_code': 504 },
      error: 'request timed out after 10 ms',
    });
    expect(runEnd(nats, { kind: 'runError', error: { code: 404, message: 'no such user' }, request })).toEqual({
      attributes: { 'e2rx.run.outcome': 'run_error', 'e2rx.run.error_code': 404, 'error.type': 'run_error' },
      error: 'no such user',
    });
  });
});
