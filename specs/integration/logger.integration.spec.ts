/**
 * The logger capability end to end: a Wasm function (specs/fixtures/functions/log-probe) logs through `log_msg` at
 * every level, served by the engine; the lines reach the server's log with the function, the request id and the
 * ident, and nothing is logged when the capability is disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guestLines, LEVEL, startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'log-probe';
const apps: StartedApp[] = [];

beforeAll(async () => {
  await builtFunctions();
});

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
});

/** The guest lines of one call, found by their message. */
const linesOf = (app: StartedApp, marker: string) => app.logs.filter((line) => typeof line.ident === 'number' && line.msg.endsWith(marker));

describe('logger capability', () => {
  it('log_msg - each ABI level maps to the server log level, scoped with fn, request_id and ident', async () => {
    const app = await startApp({ functions: [FN] });
    apps.push(app);
    const reply = await app.call(FN, 'marker-1');
    expect(reply).toMatchObject({ status: 200, text: 'logged' });
    const lines = linesOf(app, 'marker-1');
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [LEVEL.error, 'error: marker-1'],
      [LEVEL.warn, 'warn: marker-1'],
      [LEVEL.info, 'info: marker-1'],
      [LEVEL.debug, 'debug: marker-1'],
    ]);
    const [first] = lines;
    expect(first?.fn).toContain(FN);
    expect(first?.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(lines.map((line) => line.request_id)).size).toBe(1);
    expect(new Set(lines.map((line) => line.ident)).size).toBe(1);
    expect(guestLines(app.logs, first?.fn ?? '')).toHaveLength(4);
  });

  it('logger disabled - log_msg logs nothing and the call still succeeds', async () => {
    const app = await startApp({ functions: [FN], capabilities: 'logger:\n  enabled: false' });
    apps.push(app);
    expect(await app.call(FN, 'marker-2')).toMatchObject({ status: 200, text: 'logged' });
    expect(linesOf(app, 'marker-2')).toEqual([]);
  });
});
