/**
 * The http capability end to end: a Wasm function (specs/fixtures/functions/fetch-probe) calls `fetch_url` through
 * the engine against a node:http server on 127.0.0.1: methods, headers, bodies, statuses, the `authentication`
 * header (seen by the server, never by the function), every rule of `capabilities.http.rules`, and redirects that are
 * checked again on each hop.
 *
 * A redirect to loopback with `allowPrivate: false` needs a first hop that is allowed, that is a public address: that
 * case runs through `createRuntime` + `createHostServices` with an injected resolver (a fake public name) and the
 * `dial` test seam, which sends every connection to 127.0.0.1 — no traffic leaves the machine.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_STATIC_FILES } from '../../src/app/static-files.js';
import { DEFAULT_CAPABILITIES, DEFAULT_HTTP_RULES, type CapabilityConfig } from '../../src/directive/capability-config.js';
import { createHostServices, type CapabilityHostServices } from '../../src/capabilities/host-services-impl.js';
import { createRuntime, type Runtime } from '../../src/runtime/runtime.js';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions, functionWasm } from './support/functions.js';
import { startTargetServer, type TargetServer } from './support/target-server.js';

const FN = 'fetch-probe';
const TOKEN = 'e2rx-it-token-9f2c';
const METHOD = { GET: '0', HEAD: '1', OPTIONS: '2', POST: '3', PUT: '4', PATCH: '5', DELETE: '6' } as const;

let server: TargetServer;
const apps: StartedApp[] = [];

/** A fetch-probe body. */
const fetchBody = (method: string, url: string, extra: { body?: string; headers?: string } = {}): Record<string, string> => ({
  method,
  url,
  body: extra.body ?? '',
  headers: extra.headers ?? '',
});

const start = async (rules?: string, extra?: string, functions: string[] = [FN]): Promise<StartedApp> => {
  const app = await startApp({
    functions,
    ...(rules === undefined ? {} : { capabilities: rules }),
    ...(extra === undefined ? {} : { extra }),
    env: { E2RX_IT_TOKEN: TOKEN },
  });
  apps.push(app);
  return app;
};

beforeAll(async () => {
  await builtFunctions();
  server = await startTargetServer();
});

afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()));
  await server.close();
});

describe('http capability, requests', () => {
  let app: StartedApp;
  beforeAll(async () => {
    process.env['E2RX_IT_TOKEN'] = TOKEN;
    app = await start(
      undefined,
      `authentication:\n  domains:\n    "127.0.0.1:${server.port}":\n      headerType: bearer\n      value: env(E2RX_IT_TOKEN)`,
      [FN, 'secret-probe'],
    );
  });
  afterAll(() => {
    delete process.env['E2RX_IT_TOKEN'];
  });

  it('fetch_url GET - sends the headers from the URL segments and returns the body', async () => {
    const reply = await app.call(FN, fetchBody(METHOD.GET, `${server.origin}/echo/get?x=1`, { headers: 'x-probe=one;accept=application/json' }));
    expect(reply.status, reply.text).toBe(200);
    const echoed = JSON.parse(reply.text) as { method: string; url: string; headers: Record<string, string> };
    expect(echoed).toMatchObject({ method: 'GET', url: '/echo/get?x=1' });
    expect(echoed.headers).toMatchObject({ 'x-probe': 'one', accept: 'application/json' });
  });

  it('fetch_url - every ABI method reaches the server as that method, with its body', async () => {
    const sends = [
      ['HEAD', METHOD.HEAD, ''],
      ['OPTIONS', METHOD.OPTIONS, ''],
      ['POST', METHOD.POST, 'posted body'],
      ['PUT', METHOD.PUT, 'put body'],
      ['PATCH', METHOD.PATCH, 'patch body'],
      ['DELETE', METHOD.DELETE, ''],
    ] as const;
    for (const [name, number, body] of sends) {
      const path = `/echo/method-${name.toLowerCase()}`;
      const reply = await app.call(FN, fetchBody(number, `${server.origin}${path}`, { body }));
      expect(reply.status, `${name}: ${reply.text}`).toBe(200);
      const seen = server.receivedAt(path);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ method: name, body });
      if (name === 'HEAD') expect(reply.text).toBe('');
      else expect(JSON.parse(reply.text)).toMatchObject({ method: name, body });
    }
  });

  it('fetch_url POST - a body without Content-Type is sent as application/octet-stream; a given one is kept', async () => {
    await app.call(FN, fetchBody(METHOD.POST, `${server.origin}/echo/ct-default`, { body: 'bytes' }));
    await app.call(FN, fetchBody(METHOD.POST, `${server.origin}/echo/ct-json`, { body: '{"a":1}', headers: 'content-type=application/json' }));
    expect(server.receivedAt('/echo/ct-default')[0]?.headers['content-type']).toBe('application/octet-stream');
    expect(server.receivedAt('/echo/ct-json')[0]?.headers['content-type']).toBe('application/json');
  });

  it('fetch_url - a status above 299 is the error "<status>: <body>"', async () => {
    expect(await app.call(FN, fetchBody(METHOD.GET, `${server.origin}/status/404`))).toMatchObject({ status: 500, message: '404: status 404 body' });
    expect(await app.call(FN, fetchBody(METHOD.POST, `${server.origin}/status/503`, { body: 'x' }))).toMatchObject({
      status: 500,
      message: '503: status 503 body',
    });
    expect(await app.call(FN, fetchBody(METHOD.GET, `${server.origin}/status/204`))).toMatchObject({ status: 200, text: '' });
  });

  it('fetch_url - a redirect on loopback is followed when the rules allow it', async () => {
    const target = `${server.origin}/echo/after-redirect`;
    const reply = await app.call(FN, fetchBody(METHOD.GET, `${server.origin}/redirect?to=${encodeURIComponent(target)}`));
    expect(reply.status, reply.text).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ url: '/echo/after-redirect' });
  });

  it('authentication - the server gets the configured Authorization header; the function never sees it', async () => {
    const reply = await app.call(FN, fetchBody(METHOD.GET, `${server.origin}/echo/auth`));
    expect(reply.status).toBe(200);
    expect(server.receivedAt('/echo/auth')[0]?.headers.authorization).toBe(`bearer ${TOKEN}`);
    expect(reply.text).not.toContain(TOKEN);
    // The credential is an env(VAR) of the Directive; the function cannot read that variable as a secret either.
    expect(await app.call('secret-probe', 'E2RX_IT_TOKEN')).toMatchObject({ status: 200, text: '[]' });
  });

  it('authentication - replaces an Authorization header the function set, and is only sent to its host', async () => {
    await app.call(FN, fetchBody(METHOD.GET, `${server.origin}/echo/auth-replaced`, { headers: 'authorization=bearer from-the-guest' }));
    expect(server.receivedAt('/echo/auth-replaced')[0]?.headers.authorization).toBe(`bearer ${TOKEN}`);
    await app.call(FN, fetchBody(METHOD.GET, `http://localhost:${server.port}/echo/other-host`));
    expect(server.receivedAt('/echo/other-host')[0]?.headers.authorization).toBeUndefined();
  });

  it('auth disabled - the configured header is not sent, the one the function set is', async () => {
    const noAuth = await start(
      'auth:\n  enabled: false',
      `authentication:\n  domains:\n    "127.0.0.1:${server.port}": { headerType: bearer, value: env(E2RX_IT_TOKEN) }`,
    );
    await noAuth.call(FN, fetchBody(METHOD.GET, `${server.origin}/echo/auth-off`));
    await noAuth.call(FN, fetchBody(METHOD.GET, `${server.origin}/echo/auth-off-own`, { headers: 'authorization=bearer from-the-guest' }));
    expect(server.receivedAt('/echo/auth-off')[0]?.headers.authorization).toBeUndefined();
    expect(server.receivedAt('/echo/auth-off-own')[0]?.headers.authorization).toBe('bearer from-the-guest');
  });

  it('fetch_url - an unknown method number or a malformed header segment returns -2 (nothing stored)', async () => {
    const before = server.received.length;
    expect(await app.call(FN, fetchBody('9', `${server.origin}/echo/never`))).toMatchObject({ status: 500, message: 'unknown error returned from host' });
    expect(await app.call(FN, fetchBody(METHOD.GET, `${server.origin}/echo/never::no-colon-here`))).toMatchObject({
      status: 500,
      message: 'unknown error returned from host',
    });
    expect(server.received.length).toBe(before);
  });

  it('fetch_url - a transport failure names the request and the socket error, in Go\'s words (as Atmo)', async () => {
    expect(await app.call(FN, fetchBody(METHOD.GET, 'http://127.0.0.1:1/'))).toMatchObject({
      status: 500,
      message: 'Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused',
    });
  });
});

describe('http capability, rules', () => {
  const refusedWith = async (app: StartedApp, url: string, message: string): Promise<void> => {
    const before = server.received.length;
    expect(await app.call(FN, fetchBody(METHOD.GET, url)), url).toMatchObject({ status: 500, message });
    expect(server.received.length, `${url} reached the server`).toBe(before);
  };
  const allowed = async (app: StartedApp, url: string): Promise<void> => {
    const reply = await app.call(FN, fetchBody(METHOD.GET, url));
    expect(reply.status, `${url}: ${reply.text}`).toBe(200);
  };

  it('http disabled - fetch_url is "capability is not enabled"', async () => {
    const app = await start('http:\n  enabled: false');
    await refusedWith(app, `${server.origin}/echo/disabled`, 'capability is not enabled');
  });

  it('http rules - allowHTTP false refuses http:// URLs', async () => {
    const app = await start('http:\n  rules: { allowHTTP: false }');
    await refusedWith(app, `${server.origin}/echo/insecure`, 'requests to insecure HTTP endpoints is disallowed');
    await refusedWith(app, `http://localhost:${server.port}/echo/insecure`, 'requests to insecure HTTP endpoints is disallowed');
  });

  it('http rules - allowIPs false refuses IP literals (v4, v6, odd forms) and lets names through', async () => {
    const app = await start('http:\n  rules: { allowIPs: false }');
    await refusedWith(app, `${server.origin}/echo/ip`, 'requests to IP addresses are disallowed');
    await refusedWith(app, `http://[::1]:${server.port}/echo/ip`, 'requests to IP addresses are disallowed');
    await refusedWith(app, `http://2130706433:${server.port}/echo/ip`, 'requests to IP addresses are disallowed');
    await allowed(app, `http://localhost:${server.port}/echo/by-name`);
  });

  it('http rules - allowPrivate false refuses 127.0.0.1, localhost, [::1] and 169.254.169.254', async () => {
    const app = await start('http:\n  rules: { allowPrivate: false }');
    const message = 'requests to private IP address ranges are disallowed';
    await refusedWith(app, `${server.origin}/echo/private`, message);
    await refusedWith(app, `http://localhost:${server.port}/echo/private`, message);
    await refusedWith(app, `http://[::1]:${server.port}/echo/private`, message);
    await refusedWith(app, 'http://169.254.169.254/latest/meta-data/', message);
    await refusedWith(app, `http://0x7f.1:${server.port}/echo/private`, message);
  });

  it('http rules - allowedDomains is an allow-list that wins over blockedDomains', async () => {
    const app = await start('http:\n  rules: { allowedDomains: [localhost], blockedDomains: [localhost] }');
    await allowed(app, `http://localhost:${server.port}/echo/allowed`);
    await refusedWith(app, `${server.origin}/echo/not-listed`, 'requests to this domain are disallowed');
  });

  it('http rules - blockedDomains refuses a listed host, also when a redirect leads to it', async () => {
    const app = await start('http:\n  rules: { blockedDomains: ["*.localhost", localhost] }');
    await refusedWith(app, `http://localhost:${server.port}/echo/blocked`, 'requests to this domain are disallowed');
    await allowed(app, `${server.origin}/echo/not-blocked`);
    const hop = `http://localhost:${server.port}/echo/after-hop`;
    expect(await app.call(FN, fetchBody(METHOD.GET, `${server.origin}/redirect?to=${encodeURIComponent(hop)}`))).toMatchObject({
      status: 500,
      message: `Get "${hop}": requests to this domain are disallowed`,
    });
    expect(server.receivedAt('/echo/after-hop')).toHaveLength(0);
  });

  it('http rules - with port rules only 80, 443 and allowedPorts pass, and blockedPorts wins', async () => {
    const allowList = await start(`http:\n  rules: { allowedPorts: [${server.port}] }`);
    await allowed(allowList, `${server.origin}/echo/port-allowed`);
    await refusedWith(allowList, 'http://127.0.0.1:1/', 'requests to this port are disallowed');
    const blockList = await start(`http:\n  rules: { allowedPorts: [${server.port}], blockedPorts: [${server.port}] }`);
    await refusedWith(blockList, `${server.origin}/echo/port-blocked`, 'requests to this port are disallowed');
  });
});

describe('http capability, redirects under allowPrivate false (fake public name, dial seam to loopback)', () => {
  const PUBLIC_NAME = 'public.e2rx.test';
  let services: CapabilityHostServices;
  let runtime: Runtime;

  const invoke = async (url: string) => {
    const body = new TextEncoder().encode(JSON.stringify(fetchBody(METHOD.GET, url)));
    return runtime.invoke(FN, {
      method: 'POST',
      url: `/${FN}`,
      id: randomUUID(),
      body,
      headers: { 'content-type': 'application/json' },
      params: {},
      state: {},
      respHeaders: {},
    });
  };

  beforeAll(async () => {
    const capabilities: CapabilityConfig = {
      ...DEFAULT_CAPABILITIES,
      http: { ...DEFAULT_CAPABILITIES.http, rules: { ...DEFAULT_HTTP_RULES, allowPrivate: false } },
    };
    const logger = pino({ level: 'silent' });
    services = createHostServices(capabilities, {
      staticFiles: NO_STATIC_FILES,
      logger,
      network: {
        resolver: {
          lookup: (name) =>
            name === PUBLIC_NAME
              ? Promise.resolve([{ address: '93.184.215.14', family: 4 }])
              : Promise.reject(new Error(`getaddrinfo ENOTFOUND ${name}`)),
        },
        // Every connection goes to the loopback server, whatever address passed the rules.
        dial: () => ({ address: '127.0.0.1', family: 4 }),
      },
    });
    await services.start();
    runtime = createRuntime({ capabilities, services, logger, workers: 1 });
    await runtime.register(FN, await functionWasm(FN));
  });

  afterAll(async () => {
    await runtime?.close();
    await services?.close();
  });

  it('http rules - a public name passes allowPrivate false', async () => {
    const result = await invoke(`http://${PUBLIC_NAME}:${server.port}/echo/public`);
    expect(result.kind).toBe('output');
    expect(server.receivedAt('/echo/public')[0]?.headers.host).toBe(`${PUBLIC_NAME}:${server.port}`);
  });

  it('http rules - a redirect from a public name to loopback or metadata is refused on the hop', async () => {
    for (const target of [`http://127.0.0.1:${server.port}/echo/loot`, `http://localhost:${server.port}/echo/loot`, 'http://169.254.169.254/latest/meta-data/']) {
      const result = await invoke(`http://${PUBLIC_NAME}:${server.port}/redirect?to=${encodeURIComponent(target)}`);
      expect(result).toMatchObject({ kind: 'runError', code: 500, message: `Get "${target}": requests to private IP address ranges are disallowed` });
    }
    expect(server.receivedAt('/echo/loot')).toHaveLength(0);
    expect(server.receivedAt('/redirect').length).toBeGreaterThanOrEqual(3);
  });
});
