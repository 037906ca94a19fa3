/**
 * How a call ends, end to end: a Wasm function (specs/fixtures/functions/result-probe) ends through
 * `return_result`, `return_error` or `return_abort` (AssemblyScript's `abort` and failed `assert`), served by the
 * engine; the HTTP response follows Atmo's rules (docs/reference/directive.md#http-responses-of-type-request).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEVEL, startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'result-probe';
let app: StartedApp;

beforeAll(async () => {
  await builtFunctions();
  app = await startApp({ functions: [FN] });
});

afterAll(async () => {
  await app?.stop();
});

describe('call outcomes', () => {
  it('return_result - the output is the response body, 200', async () => {
    expect(await app.call(FN, 'ok')).toMatchObject({ status: 200, text: 'result-probe ok' });
  });

  it('return_error - the code becomes the status and the message the JSON error body', async () => {
    const reply = await app.call(FN, 'error');
    expect(reply.status).toBe(418);
    expect(JSON.parse(reply.text)).toEqual({ status: 418, message: 'result-probe refuses' });
  });

  it('return_abort - abort() ends the call with code -1: a 500 with the runnable abort message, logged as an error', async () => {
    const reply = await app.call(FN, 'abort');
    expect(reply.status).toBe(500);
    expect(reply.message).toMatch(/^runnable abort: result-probe aborted; file: .*, line: \d+, col: \d+$/);
    expect(app.logs.some((line) => line.level === LEVEL.error && line.msg === reply.message)).toBe(true);
  });

  it('return_abort - a failed assert reports its file and line', async () => {
    const reply = await app.call(FN, 'assert');
    expect(reply.status).toBe(500);
    expect(reply.message).toMatch(/^runnable abort: result-probe assertion; file: result-probe\/index\.ts, line: 8, col: \d+$/);
  });

  it('return_abort - the instance that aborted is replaced and the next call succeeds', async () => {
    expect(await app.call(FN, 'ok')).toMatchObject({ status: 200, text: 'result-probe ok' });
  });
});
