/**
 * The programmatic API: a pipeline composed by hand (no YAML) from `fromHttpRoute`, the step operators and
 * `replyHttp`, over real Wasm functions, serving real requests. (The samples of docs/guides/programmatic.md run from
 * an outside project that installs e2rx: specs/package/outside-project.spec.ts.)
 */
import { pino } from 'pino';
import { finalize, firstValueFrom, mergeMap, of, tap } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/directive/capability-config.js';
import { createHostServices } from '../../src/capabilities/host-services-impl.js';
import type { Call, Step } from '../../src/directive/model.js';
import { createGate, createHttpServer, fnStep, fromHttpRoute, groupStep, replyHttp, runSteps, runtimeRunner, startRun, toRunResult } from '../../src/index.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { testRequest, text } from '../../src/testing/index.js';
import { httpRequest } from './support/engine.js';
import { specFunctions } from './support/functions.js';

const logger = pino({ level: 'silent' });
const call = (fn: string, extra: Partial<Call> = {}): Call => ({ fn, fqfn: fn, name: fn, key: fn, with: {}, onErr: undefined, ...extra });

let runtime: Runtime;
const services = createHostServices(DEFAULT_CAPABILITIES, { logger, staticFiles: { read: () => Promise.resolve(undefined) } });

beforeAll(async () => {
  const modules = await specFunctions();
  runtime = createRuntime({ capabilities: DEFAULT_CAPABILITIES, services, logger, workers: 2 });
  for (const name of ['echo', 'typed', 'tag', 'fail', 'inspect'] as const) await runtime.register(name, modules[name]);
}, 120_000);

afterAll(async () => {
  await runtime.close();
  await services.close();
});

describe('a pipeline composed by hand', () => {
  it('programmatic - fromHttpRoute + fnStep operators + replyHttp over real Wasm serve requests', async () => {
    const http = createHttpServer({ logger, health: () => ({ healthy: true }) });
    const runner = runtimeRunner(runtime);
    const gate = createGate({ maxInFlight: 2, queueSize: 2 });
    const subscription = fromHttpRoute(http, { method: 'POST', path: '/things/:id', gate, maxBodyBytes: 1024 })
      .pipe(
        mergeMap((job) =>
          of(startRun(job.request)).pipe(
            fnStep(call('typed'), runner),
            fnStep(call('inspect'), runner),
            toRunResult(undefined),
            tap((result) => replyHttp(job.response, result)),
            finalize(() => job.release()),
          ),
        ),
      )
      .subscribe();
    const port = await http.listen(0, '127.0.0.1');
    try {
      const reply = await httpRequest(port, { method: 'POST', path: '/things/9?q=z', body: 'payload', headers: { 'X-Custom': 'c' } });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(reply.headers['x-fn']).toBe('typed');
      expect(JSON.parse(reply.body)).toMatchObject({ method: 'POST', url: '/things/9?q=z', body: 'payload', param_id: '9', header_custom: 'c', query_q: 'z' });
      expect((await httpRequest(port, { method: 'POST', path: '/things/1', body: 'x'.repeat(2048) })).status).toBe(413);
      expect(gate.inFlight).toBe(0);
    } finally {
      subscription.unsubscribe();
      await http.close();
    }
  });

  it('programmatic - runSteps with real functions: a Runnable error maps to its status through replyHttp', async () => {
    const http = createHttpServer({ logger, health: () => ({ healthy: true }) });
    const steps: Step[] = [{ kind: 'fn', call: call('fail') }];
    const subscription = fromHttpRoute(http, { method: 'GET', path: '/fail', gate: createGate({ maxInFlight: 1, queueSize: 0 }), maxBodyBytes: 0 })
      .pipe(mergeMap((job) => runSteps(steps, undefined, job.request, runtimeRunner(runtime)).pipe(tap((result) => replyHttp(job.response, result)), finalize(job.release))))
      .subscribe();
    const port = await http.listen(0, '127.0.0.1');
    try {
      const reply = await httpRequest(port, { path: '/fail', headers: { 'x-code': '422' } });
      expect(reply.status).toBe(422);
      expect(JSON.parse(reply.body)).toEqual({ status: 422, message: 'failed with 422' });
    } finally {
      subscription.unsubscribe();
      await http.close();
    }
  });

  it('programmatic - a group as the last step with no response key gives an empty body (real functions)', async () => {
    const runner = runtimeRunner(runtime);
    const result = await firstValueFrom(
      of(startRun(testRequest({ body: 'in' }))).pipe(groupStep([call('echo'), call('tag')], runner, { timeoutMs: 5_000 }), toRunResult(undefined)),
    );
    expect(result.kind).toBe('ok');
    expect(result.kind === 'ok' && text(result.body)).toBe('');
    expect(text(result.request.state['echo'])).toBe('in');
    expect(text(result.request.state['tag'])).toBe('tagged');
    expect(result.request.respHeaders).toMatchObject({ 'X-Step': 'tag' });
  });
});
