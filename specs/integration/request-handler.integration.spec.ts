/**
 * The requestHandler capability end to end: a Wasm function (specs/fixtures/functions/request-probe) reads and
 * changes the request through `request_get_field` / `request_set_field` and sets response headers with
 * `resp_set_header`, served by the engine over real HTTP: every field type, changes visible to later steps, and the
 * `allowGetField` / `allowSetField` / `enabled` rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';

const FN = 'request-probe';
const HANDLERS = `
- type: request
  resource: /req/:who
  method: POST
  steps:
    - fn: ${FN}
- type: request
  resource: /two/:who
  method: POST
  steps:
    - fn: ${FN}
      as: first
    - fn: ${FN}
`;

/** The answer of the host to a get the capability refuses: -1, nothing stored (as in the original). */
const REFUSED_GET = 'err:unknown error returned from host';

const apps: StartedApp[] = [];
const start = async (capabilities?: string): Promise<StartedApp> => {
  const app = await startApp({ functions: [FN], handlers: HANDLERS, ...(capabilities === undefined ? {} : { capabilities }) });
  apps.push(app);
  return app;
};

/** Runs `ops` (joined with `|`) on `/req/<who>` and returns the output lines. */
const probe = async (
  app: StartedApp,
  ops: readonly string[],
  options: { path?: string; fields?: Record<string, string>; headers?: Record<string, string>; plainText?: boolean } = {},
) => {
  // A plain-text body carries the ops as the function's input, for apps whose rules refuse req.bodyField.
  const body = options.plainText === true ? ops.join('|') : { ops: ops.join('|'), ...options.fields };
  const reply = await app.call(options.path ?? '/req/ada?q=find&q=second', body, options.headers);
  expect(reply.status, reply.text).toBe(200);
  return { reply, lines: reply.text.trimEnd().split('\n') };
};

beforeAll(async () => {
  await builtFunctions();
});

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
});

describe('requestHandler capability, fields', () => {
  let app: StartedApp;
  beforeAll(async () => {
    app = await start();
  });

  it('request_get_field meta - method, url with the query, a UUID id, the raw body; other keys are empty', async () => {
    const { lines } = await probe(app, ['get 0 method', 'get 0 url', 'get 0 id', 'get 0 nope']);
    expect(lines).toEqual(['get 0 method = ok:POST', 'get 0 url = ok:/req/ada?q=find&q=second', expect.stringMatching(/^get 0 id = ok:[0-9a-f-]{36}$/), 'get 0 nope = ok:']);
    const body = await probe(app, ['get 0 body']);
    expect(body.lines).toEqual(['get 0 body = ok:{"ops":"get 0 body"}']);
  });

  it('request_get_field body - a top-level string of the JSON body; other values are refused', async () => {
    const { lines } = await probe(app, ['get 1 name', 'get 1 count', 'get 1 missing'], { fields: { name: 'Ada' } });
    expect(lines[0]).toBe('get 1 name = ok:Ada');
    expect(lines[2]).toBe(`get 1 missing = ${REFUSED_GET}`);
    const numeric = await app.call('/req/ada', '{"ops":"get 1 count","count":5}', { 'content-type': 'application/json' });
    expect(numeric.text).toBe(`get 1 count = ${REFUSED_GET}\n`);
  });

  it('request_get_field header, params, query, state - case-insensitive headers, path params, first query value', async () => {
    const { lines } = await probe(app, ['get 2 X-Custom', 'get 2 x-custom', 'get 2 x-none', 'get 3 who', 'get 3 none', 'get 5 q', 'get 5 none', 'get 4 none'], {
      headers: { 'x-custom': 'custom value' },
    });
    expect(lines).toEqual([
      'get 2 X-Custom = ok:custom value',
      'get 2 x-custom = ok:custom value',
      'get 2 x-none = ok:',
      'get 3 who = ok:ada',
      'get 3 none = ok:',
      'get 5 q = ok:find',
      'get 5 none = ok:',
      'get 4 none = ok:',
    ]);
  });

  it('request_get_field query - Go\'s url.ParseQuery over real HTTP: a pair with `;` or a bad escape is dropped, the first value wins', async () => {
    const { lines } = await probe(app, ['get 5 a', 'get 5 b', 'get 5 c', 'get 5 d'], { path: '/req/ada?a=1;x&b=%zz&b=2&b=3&c=%2B+%26&d=%C3%A9' });
    expect(lines).toEqual(['get 5 a = ok:', 'get 5 b = ok:2', 'get 5 c = ok:+ &', 'get 5 d = ok:é']);
    // A URL a module set is parsed as Go did: a bad escape in its fragment is the parser's error.
    const fragment = await probe(app, ['set 0 url /x?a=1#%zz', 'get 5 a']);
    expect(fragment.lines[1]).toBe('get 5 a = err:failed to url.Parse: parse "/x?a=1#%zz": invalid URL escape "%zz"');
  });

  it('request_get_field - an unknown field type is refused', async () => {
    const { lines } = await probe(app, ['get 9 x']);
    expect(lines).toEqual([`get 9 x = ${REFUSED_GET}`]);
    expect(app.logs.some((line) => line.level === 40 && line.msg === 'invalid field type: module requested field type 9')).toBe(true);
  });

  it('request_set_field - sets meta, body, header, params and state; the next gets see the new values', async () => {
    const { lines } = await probe(
      app,
      [
        'set 0 method PUT',
        'get 0 method',
        'set 0 url /elsewhere?q=new',
        'get 0 url',
        'get 5 q',
        'set 0 id not-an-id',
        'set 0 nope x',
        'set 1 name Grace Hopper',
        'get 1 name',
        'set 2 x-added yes',
        'get 2 x-added',
        'set 3 who bob',
        'get 3 who',
        'set 4 note a state value',
        'get 4 note',
        'set 5 q x',
      ],
      { fields: { name: 'Ada' } },
    );
    expect(lines).toEqual([
      'set 0 method = ok',
      'get 0 method = ok:PUT',
      'set 0 url = ok',
      'get 0 url = ok:/elsewhere?q=new',
      'get 5 q = ok:new',
      'set 0 id = ok',
      'set 0 nope = err:key not found',
      'set 1 name = ok',
      'get 1 name = ok:Grace Hopper',
      'set 2 x-added = ok',
      'get 2 x-added = ok:yes',
      'set 3 who = ok',
      'get 3 who = ok:bob',
      'set 4 note = ok',
      'get 4 note = ok:a state value',
      'set 5 q = err:invalid field type',
    ]);
  });

  it('request_set_field meta body - replaces the raw body', async () => {
    const { lines } = await probe(app, ['set 0 body raw replacement', 'get 0 body', `get 1 ops`]);
    expect(lines).toEqual(['set 0 body = ok', 'get 0 body = ok:raw replacement', `get 1 ops = ${REFUSED_GET}`]);
  });

  it('resp_set_header - headers reach the HTTP response, the last write wins', async () => {
    const { reply } = await probe(app, ['resp x-probe first', 'resp x-probe second', 'resp content-type text/plain; charset=utf-8']);
    expect(reply.headers.get('x-probe')).toBe('second');
    expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('request fields - changes and outputs are visible to the later steps of a handler', async () => {
    const ops = ['get 2 x-step', 'set 2 x-step one', 'get 4 greeting', 'set 4 greeting hi', 'get 4 first'];
    const { lines } = await probe(app, ops, { path: '/two/ada' });
    // The second step's output: it sees what the first step set, and the first step's output under its `as` name.
    expect(lines.slice(0, 4)).toEqual(['get 2 x-step = ok:one', 'set 2 x-step = ok', 'get 4 greeting = ok:hi', 'set 4 greeting = ok']);
    expect(lines.slice(4).join('\n')).toBe(
      ['get 4 first = ok:get 2 x-step = ok:', 'set 2 x-step = ok', 'get 4 greeting = ok:', 'set 4 greeting = ok', 'get 4 first = ok:'].join('\n'),
    );
  });
});

describe('requestHandler capability, rules', () => {
  it('requestHandler rules - allowGetField false: gets are refused, sets still work', async () => {
    const app = await start('requestHandler:\n  allowGetField: false');
    const { lines } = await probe(app, ['get 0 method', 'get 3 who', 'set 4 k v'], { plainText: true });
    expect(lines).toEqual([`get 0 method = ${REFUSED_GET}`, `get 3 who = ${REFUSED_GET}`, 'set 4 k = ok']);
  });

  it('requestHandler rules - allowSetField false: sets are "capability is not enabled", gets still work', async () => {
    const app = await start('requestHandler:\n  allowSetField: false');
    const { lines, reply } = await probe(app, ['set 4 k v', 'set 0 method PUT', 'get 0 method', 'resp x-probe kept']);
    expect(lines).toEqual(['set 4 k = err:capability is not enabled', 'set 0 method = err:capability is not enabled', 'get 0 method = ok:POST', 'resp x-probe = done']);
    expect(reply.headers.get('x-probe')).toBe('kept');
  });

  it('requestHandler disabled - gets refused, sets "capability is not enabled", response headers ignored', async () => {
    const app = await start('requestHandler:\n  enabled: false');
    // A plain-text body: the probe takes its ops from its input (run_e), not through the disabled capability.
    const reply = await app.call('/req/ada', 'get 0 method|get 1 ops|set 4 k v|resp x-probe ignored');
    expect(reply).toMatchObject({ status: 200 });
    expect(reply.text.trimEnd().split('\n')).toEqual([
      `get 0 method = ${REFUSED_GET}`,
      `get 1 ops = ${REFUSED_GET}`,
      'set 4 k = err:capability is not enabled',
      'resp x-probe = done',
    ]);
    expect(reply.headers.get('x-probe')).toBeNull();
  });
});
