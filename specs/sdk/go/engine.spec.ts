/**
 * Every function of the Go SDK against e2rx's real host, through the engine: the `capabilities` fixture (built from
 * specs/fixtures/go with the installed Go) served by createEngine, calling a loopback HTTP and GraphQL server that
 * the spec starts, the in-memory cache, static files, secrets, the request and the log. (The cache on Redis and the
 * queries on PostgreSQL and MariaDB: engine.integration.spec.ts.) Skipped, with the reason, without Go 1.24+.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { guestLines, LEVEL, startApp, type StartedApp } from '../../integration/support/app.js';
import { startTargetServer, type TargetServer } from '../../integration/support/target-server.js';
import { describeWithGo, goFixture } from '../../support/go.js';

const FN = 'capabilities';

/** The report lines of a reply, as `{name: value}`. */
function report(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const at = line.indexOf(': ');
        return [line.slice(0, at), line.slice(at + 2)];
      }),
  );
}

describeWithGo('the Go SDK on the engine', () => {
  let server: TargetServer;
  let app: StartedApp;
  const previousSecret = process.env['E2RX_GO_SPEC_TOKEN'];

  beforeAll(async () => {
    process.env['E2RX_GO_SPEC_TOKEN'] = 'token-from-env';
    server = await startTargetServer();
    const [hello, capabilities] = await Promise.all([goFixture('hello'), goFixture(FN)]);
    app = await startApp({
      functions: ['hello', FN],
      modules: { hello: { bytes: hello, lang: 'go' }, [FN]: { bytes: capabilities, lang: 'go' } },
      handlers: `
- type: request
  resource: /${FN}
  method: POST
  steps:
    - fn: ${FN}
- type: request
  resource: /request/:id
  method: POST
  steps:
    - fn: hello
      as: previous
    - fn: ${FN}
`,
      capabilities: 'secrets:\n  env:\n    allowedKeys: [E2RX_GO_SPEC_TOKEN]',
      files: { 'static/hello.txt': 'static hello', 'static/nested/a.json': '{"a":1}' },
    });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await server?.close();
    if (previousSecret === undefined) delete process.env['E2RX_GO_SPEC_TOKEN'];
    else process.env['E2RX_GO_SPEC_TOKEN'] = previousSecret;
  });

  const op = (operation: string, body = '') => app.call(FN, body, { 'x-op': operation });

  it('go sdk - req reads method, url, id, body, a JSON body field, a header, a path and a query parameter, and state', async () => {
    const reply = await app.call('/request/7?q=search&q=second', '{"name":"Ada"}', { 'x-op': 'request', 'x-probe': 'probe value' });
    expect(reply.status, reply.text).toBe(200);
    const seen = report(reply.text);
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/request/7?q=search&q=second',
      body: '{"name":"Ada"}',
      bodyField: 'Ada',
      header: 'probe value',
      urlParam: '7',
      queryParam: 'search',
      state: 'hello {"name":"Ada"}',
      stateBytes: String('hello {"name":"Ada"}'.length),
    });
    expect(seen['id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('go sdk - req setters change the request (read back in the same call), and resp sets the response headers', async () => {
    const set = report((await op('set', '{"name":"Ada"}')).text);
    expect(set).toEqual({
      SetState: 'ok',
      SetStateBytes: 'ok',
      SetHeader: 'ok',
      SetURLParam: 'ok',
      SetMethod: 'ok',
      SetURL: 'ok',
      SetBodyField: 'ok',
      after: 'PATCH /changed?q=2 yes 99 hello from go Grace',
      SetBody: 'ok',
      body: 'raw body',
    });
    const reply = await op('resp');
    expect(reply.headers.get('x-from')).toBe('capabilities');
    expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('go sdk - cache.Set then cache.Get on the in-memory cache, and ErrNotFound for a missing key', async () => {
    expect(report((await op('cache go-mem-key cached-value')).text)).toEqual({ set: 'ok', get: 'cached-value', missing: 'true' });
  });

  it('go sdk - http.Do reaches the loopback server with its method, headers and body', async () => {
    const seen = report((await op(`http POST ${server.origin}/echo/go`)).text);
    expect(JSON.parse(seen['body'] ?? '')).toMatchObject({ method: 'POST', url: '/echo/go', body: 'go body', headers: { 'x-from': 'go' } });
    const got = JSON.parse(report((await op(`http GET ${server.origin}/echo/get`)).text)['body'] ?? '') as { method: string };
    expect(got.method).toBe('GET');
    expect(server.receivedAt('/echo/go')[0]?.headers['content-type']).toBe('application/octet-stream');
  });

  it('go sdk - http.Do: a 404 is a StatusError with the status and body; a refused connection a host error', async () => {
    expect(report((await op(`http GET ${server.origin}/status/404`)).text)).toEqual({ status: '404 status 404 body' });
    const refused = report((await op('http GET http://127.0.0.1:1/nothing')).text);
    expect(refused['body']).toMatch(/^error http\.Do: .*127\.0\.0\.1:1/);
  });

  it('go sdk - graphql.Query returns the data, or the GraphQL error', async () => {
    expect(JSON.parse(report((await op(`graphql ${server.origin}/graphql { hello }`)).text)['graphql'] ?? '')).toMatchObject({ data: { hello: 'world' } });
    expect(report((await op(`graphql ${server.origin}/graphql { boom }`)).text)['graphql']).toBe(
      'error graphql.Query: graphQL error; path: user.friends.0.name, message: boom happened',
    );
  });

  it('go sdk - file.Get reads static files, and says when one does not exist', async () => {
    expect(report((await op('file hello.txt')).text)).toEqual({ file: 'static hello' });
    expect(report((await op('file nested/a.json')).text)).toEqual({ file: '{"a":1}' });
    expect(report((await op('file missing.txt')).text)).toEqual({ file: 'error file.Get: file does not exist' });
  });

  it('go sdk - secrets.Get reads an allowed secret and nothing else', async () => {
    expect(report((await op('secret E2RX_GO_SPEC_TOKEN')).text)).toEqual({ secret: 'token-from-env' });
    expect(report((await op('secret PATH')).text)).toEqual({ secret: '' });
  });

  it('go sdk - db without a database is the host error capability is not enabled', async () => {
    expect(report((await op('db select SelectUsers')).text)).toEqual({ rows: 'error db.Query: capability is not enabled' });
  });

  it('go sdk - log writes at each level with the function, the request id and the ident', async () => {
    await op('log');
    const fn = app.logs.find((line) => line.msg === 'info from go')?.fn ?? '';
    expect(fn).toMatch(/::capabilities@v0\.1\.0$/);
    const lines = guestLines(app.logs, fn).filter((line) => line.msg.endsWith(' from go'));
    expect(lines.map((line) => [line.level, line.msg])).toEqual(
      expect.arrayContaining([
        [LEVEL.debug, 'debug from go'],
        [LEVEL.info, 'info from go'],
        [LEVEL.warn, 'warn from go'],
        [LEVEL.error, 'error from go'],
      ]),
    );
    expect(lines[0]?.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('go sdk - errors: a RunError is its status and message, a plain error and a host error are 500', async () => {
    const notFound = await op('fail 404 no user 2');
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.text)).toEqual({ status: 404, message: 'no user 2' });
    expect(await op('fail-plain it broke')).toMatchObject({ status: 500, message: 'it broke' });
    expect(await op('fail-host')).toMatchObject({ status: 500, message: 'cache: key not found' });
  });
});
