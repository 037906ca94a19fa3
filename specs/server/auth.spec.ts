/**
 * Inbound authentication end to end (src/server/auth.ts): an app served by the engine over real HTTP and websockets,
 * whose handlers run a real Wasm function (specs/fixtures/functions/request-probe) that reads state key `auth` and the
 * request headers: the 401/400/403/503 answers with their `WWW-Authenticate` challenges, the verified identity the
 * function sees, the credential header it does not see, API keys, websocket upgrades, and a JWKS served on loopback.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { E2rxError } from '../../src/errors.js';
import { startApp, type Reply, type StartedApp } from '../integration/support/app.js';
import { builtFunctions } from '../integration/support/functions.js';
import { keyPair, SECRET, sign, startJwksServer, unsignedToken, type JwksServer, type KeyPair } from './support/tokens.js';

const FN = 'request-probe';
const REALM = 'com.e2rx.integration';
const AUDIENCE = 'orders-api';
const ENV = { JWT_SECRET: SECRET, CI_API_KEY: 'ci-key-5f2b7c0e9a', PARTNER_API_KEY: 'partner-key-77d1' };

const handlers = (jwks: string, down = 'http://127.0.0.1:9/.well-known/jwks.json'): string => `
- type: request
  resource: /orders
  method: POST
  steps:
    - fn: ${FN}
- type: request
  resource: /orders/write
  method: POST
  auth: { scopes: [orders:write] }
  steps:
    - fn: ${FN}
- type: request
  resource: /admin
  method: POST
  auth: { claims: { role: admin } }
  steps:
    - fn: ${FN}
- type: request
  resource: /raw
  method: POST
  auth: { keepCredentials: true }
  steps:
    - fn: ${FN}
- type: request
  resource: /public
  method: POST
  auth: { enabled: false }
  steps:
    - fn: ${FN}
- type: request
  resource: /aliased
  method: POST
  steps:
    - fn: ${FN}
      with: { caller: auth }
- type: request
  resource: /keys
  method: POST
  auth:
    jwt: { jwksUrl: "${jwks}", audience: ${AUDIENCE}, jwksCooldownMs: 0 }
    apiKeys: { keys: { ci: env(CI_API_KEY), partner: env(PARTNER_API_KEY) } }
  steps:
    - fn: ${FN}
- type: stream
  resource: /live
  steps:
    - fn: ${FN}
- type: request
  resource: /down
  method: POST
  auth:
    jwt: { jwksUrl: "${down}", audience: ${AUDIENCE}, jwksTimeoutMs: 500 }
  steps:
    - fn: ${FN}
`;

const APP_AUTH = `auth:
  jwt: { secret: env(JWT_SECRET), issuer: https://issuer.example, audience: ${AUDIENCE} }`;

const claims = { iss: 'https://issuer.example', aud: AUDIENCE, sub: 'ada' };
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

let app: StartedApp;
let jwks: JwksServer;
let rsa: KeyPair;

beforeAll(async () => {
  rsa = await keyPair('RS256', 'rsa-1');
  jwks = await startJwksServer([rsa]);
  await builtFunctions();
  app = await startApp({ functions: [FN], handlers: handlers(jwks.url), extra: APP_AUTH, env: ENV });
});

afterAll(async () => {
  await app?.stop();
  await jwks?.close();
});

/** Runs the probe's plain-text ops at `path` with `headers`. */
const probe = (path: string, ops: readonly string[], headers: Record<string, string> = {}): Promise<Reply> => app.call(path, ops.join('|'), headers);
const challenge = (reply: Reply): string | null => reply.headers.get('www-authenticate');

describe('auth - bearer JWT on request handlers', () => {
  it('auth - no credentials: 401 with a Bearer challenge and no error code (RFC 6750 §3.1)', async () => {
    const reply = await probe('/orders', ['get 4 auth']);
    expect(reply.status).toBe(401);
    expect(challenge(reply)).toBe(`Bearer realm="${REALM}"`);
    expect(JSON.parse(reply.text)).toEqual({ status: 401, message: 'a bearer token is required' });
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('auth - another scheme than Bearer counts as no credentials', async () => {
    const reply = await probe('/orders', ['get 4 auth'], { authorization: 'Basic YWRhOnB3' });
    expect(reply.status).toBe(401);
    expect(challenge(reply)).toBe(`Bearer realm="${REALM}"`);
  });

  it('auth - a malformed Authorization header: 400 invalid_request', async () => {
    for (const value of ['Bearer', 'Bearer a b', 'Bearer {json}']) {
      const reply = await probe('/orders', ['get 4 auth'], { authorization: value });
      expect(reply.status, value).toBe(400);
      expect(challenge(reply)).toBe(`Bearer realm="${REALM}", error="invalid_request", error_description="the Authorization header is not \\"Bearer <token>\\""`);
    }
  });

  it('auth - an invalid token: 401 invalid_token with the reason', async () => {
    const cases: [string, string][] = [
      [await sign({ secret: SECRET }, { ...claims, exp: Math.floor(Date.now() / 1000) - 5 }), 'the token expired'],
      [await sign({ secret: SECRET }, { ...claims, nbf: Math.floor(Date.now() / 1000) + 600 }), 'the token is not valid yet'],
      [await sign({ secret: SECRET }, { ...claims, aud: 'billing-api' }), "the token's audience is not accepted"],
      [await sign({ secret: SECRET }, { ...claims, iss: 'https://evil.example' }), "the token's issuer is not accepted"],
      [await sign({ secret: `${SECRET}!` }, claims), "the token's signature does not verify"],
      [unsignedToken(claims), "the token's algorithm is not accepted"],
      [await sign(rsa, claims), "the token's algorithm is not accepted"],
      ['not-a-jwt', 'the token is malformed'],
    ];
    for (const [token, reason] of cases) {
      const reply = await probe('/orders', ['get 4 auth'], bearer(token));
      expect(reply.status, reason).toBe(401);
      expect(challenge(reply)).toBe(`Bearer realm="${REALM}", error="invalid_token", error_description="${reason}"`);
      expect(reply.message).toBe(reason);
    }
  });

  it('auth - a valid token: the function sees the claims in state key auth, and not the Authorization header', async () => {
    const token = await sign({ secret: SECRET }, { ...claims, scope: 'orders:read' });
    const reply = await probe('/orders', ['get 4 auth', 'get 2 authorization'], bearer(token));
    expect(reply.status, reply.text).toBe(200);
    const [state, header] = reply.text.trimEnd().split('\n');
    expect(JSON.parse((state as string).replace('get 4 auth = ok:', ''))).toMatchObject({ ...claims, scope: 'orders:read' });
    expect(header).toBe('get 2 authorization = ok:');
  });

  it('auth - keepCredentials: the function sees the Authorization header as sent', async () => {
    const token = await sign({ secret: SECRET }, claims);
    const reply = await probe('/raw', ['get 2 authorization'], bearer(token));
    expect(reply.text).toBe(`get 2 authorization = ok:Bearer ${token}\n`);
  });

  it('auth - with: the identity can be passed to a function under another name', async () => {
    const reply = await probe('/aliased', ['get 4 caller', 'get 4 auth'], bearer(await sign({ secret: SECRET }, claims)));
    const [caller, auth] = reply.text.trimEnd().split('\n');
    expect(JSON.parse((caller as string).replace('get 4 caller = ok:', ''))).toMatchObject({ sub: 'ada' });
    expect(auth).toBe('get 4 auth = ok:');
  });

  it('auth - a missing required scope: 403 insufficient_scope; with it, 200', async () => {
    const reading = await probe('/orders/write', ['get 4 auth'], bearer(await sign({ secret: SECRET }, { ...claims, scope: 'orders:read' })));
    expect(reading.status).toBe(403);
    expect(challenge(reading)).toBe(`Bearer realm="${REALM}", error="insufficient_scope", scope="orders:write"`);
    expect(reading.message).toBe('the token lacks the scope orders:write');
    const writing = await probe('/orders/write', ['get 4 auth'], bearer(await sign({ secret: SECRET }, { ...claims, scp: ['orders:read', 'orders:write'] })));
    expect(writing.status).toBe(200);
  });

  it('auth - a missing required claim: 403; with it (or in a list claim), 200', async () => {
    const user = await probe('/admin', ['get 4 auth'], bearer(await sign({ secret: SECRET }, { ...claims, role: 'user' })));
    expect(user.status).toBe(403);
    expect(user.message).toBe('the credentials lack the claim role: admin');
    expect(challenge(user)).toBeNull();
    expect((await probe('/admin', ['get 4 auth'], bearer(await sign({ secret: SECRET }, { ...claims, role: 'admin' })))).status).toBe(200);
    expect((await probe('/admin', ['get 4 auth'], bearer(await sign({ secret: SECRET }, { ...claims, role: ['user', 'admin'] })))).status).toBe(200);
  });

  it('auth - enabled: false opens a handler under the app-wide auth; its functions get no auth state', async () => {
    const reply = await probe('/public', ['get 4 auth', 'get 2 authorization'], { authorization: 'Bearer whatever' });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('get 4 auth = ok:\nget 2 authorization = ok:Bearer whatever\n');
  });

  it('auth - a refused request never reaches the function and the connection stays usable', async () => {
    const body = 'x'.repeat(64 * 1024);
    const refused = await app.call('/orders', body, {});
    expect(refused.status).toBe(401);
    const accepted = await probe('/orders', ['get 0 method'], bearer(await sign({ secret: SECRET }, claims)));
    expect(accepted.text).toBe('get 0 method = ok:POST\n');
  });
});

describe('auth - API keys and JWKS on one handler', () => {
  it('auth - the right API key: 200, the function sees the key name and not the key', async () => {
    const reply = await probe('/keys', ['get 4 auth', 'get 2 x-api-key'], { 'x-api-key': ENV.CI_API_KEY });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.text).toBe('get 4 auth = ok:{"apiKey":"ci"}\nget 2 x-api-key = ok:\n');
    const partner = await probe('/keys', ['get 4 auth'], { 'X-Api-Key': ENV.PARTNER_API_KEY });
    expect(partner.text).toBe('get 4 auth = ok:{"apiKey":"partner"}\n');
  });

  it('auth - a wrong API key: 401 with both challenges, no bearer error (no token was sent)', async () => {
    for (const key of ['ci-key-5f2b7c0e9b', '', ENV.CI_API_KEY.slice(0, -1), `${ENV.CI_API_KEY}x`, ENV.CI_API_KEY.toUpperCase()]) {
      const reply = await probe('/keys', ['get 4 auth'], { 'x-api-key': key });
      expect(reply.status, key).toBe(401);
      expect(challenge(reply)).toBe(`Bearer realm="${REALM}", ApiKey realm="${REALM}", header="X-API-Key"`);
      expect(reply.message).toBe('the API key is not valid');
    }
  });

  it('auth - no credentials: 401 naming both ways', async () => {
    const reply = await probe('/keys', ['get 4 auth']);
    expect(reply.status).toBe(401);
    expect(reply.message).toBe('a bearer token or an X-API-Key header is required');
    expect(challenge(reply)).toBe(`Bearer realm="${REALM}", ApiKey realm="${REALM}", header="X-API-Key"`);
  });

  it('auth - a key sent on two header lines: 400 invalid_request', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${app.base}/keys`, { method: 'POST', headers: { 'x-api-key': [ENV.CI_API_KEY, 'other'] } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.once('error', reject);
      request.end('get 4 auth');
    });
    expect(status).toBe(400);
  });

  it('auth - a JWKS that cannot be fetched: 503 with Retry-After, the details in the log only', async () => {
    const reply = await probe('/down', ['get 4 auth'], bearer(await sign(rsa, { aud: AUDIENCE })));
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('5');
    expect(reply.message).toBe('the token cannot be verified now: the key set is unavailable; retry later');
    expect(app.logs.some((line) => line.level === 40 && line.msg.startsWith('auth of POST /down: the key set at http://127.0.0.1:9/.well-known/jwks.json is unavailable'))).toBe(true);
  });

  it('auth - a token from the JWKS: 200; an unknown kid: 401', async () => {
    const ok = await probe('/keys', ['get 4 auth'], bearer(await sign(rsa, { aud: AUDIENCE, sub: 'svc' })));
    expect(ok.status, ok.text).toBe(200);
    expect(ok.text).toContain('"sub":"svc"');
    const stranger = await keyPair('RS256', 'rsa-unknown');
    const refused = await probe('/keys', ['get 4 auth'], bearer(await sign(stranger, { aud: AUDIENCE })));
    expect(refused.status).toBe(401);
    expect(refused.message).toBe('no key of the key set matches the token');
  });
});

describe('auth - websocket upgrades', () => {
  const connect = (headers: Record<string, string>): Promise<{ status: number; challenge: string | undefined; body: string } | WebSocket> =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(`${app.base.replace('http', 'ws')}/live`, { headers });
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, challenge: response.headers['www-authenticate'], body }));
      });
      socket.once('error', reject);
    });

  it('auth - an upgrade without a token is refused with 401 and a challenge', async () => {
    const answer = await connect({});
    expect(answer).not.toBeInstanceOf(WebSocket);
    expect(answer).toEqual({ status: 401, challenge: `Bearer realm="${REALM}"`, body: '{"status":401,"message":"a bearer token is required"}' });
    const expired = await connect(bearer(await sign({ secret: SECRET }, { ...claims, exp: 1 })));
    expect(expired).toMatchObject({ status: 401, challenge: `Bearer realm="${REALM}", error="invalid_token", error_description="the token expired"` });
  });

  it('auth - an upgrade with a valid token: every message sees the claims', async () => {
    const socket = await connect(bearer(await sign({ secret: SECRET }, { ...claims, sub: 'grace' })));
    if (!(socket instanceof WebSocket)) throw new Error(`refused: ${JSON.stringify(socket)}`);
    try {
      const replies: string[] = [];
      const two = new Promise<void>((resolve) => {
        socket.on('message', (data: Buffer) => {
          replies.push(data.toString());
          if (replies.length === 2) resolve();
        });
      });
      socket.send('get 4 auth');
      socket.send('get 4 auth');
      await two;
      for (const reply of replies) expect(JSON.parse(reply.trimEnd().replace('get 4 auth = ok:', ''))).toMatchObject({ sub: 'grace', aud: AUDIENCE });
    } finally {
      socket.close();
    }
  });
});

describe('auth - websocket token expiry', () => {
  it('auth - a websocket is closed with 1008 when its token expires', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const socket = new WebSocket(`${app.base.replace('http', 'ws')}/live`, { headers: bearer(await sign({ secret: SECRET }, { ...claims, exp })) });
    const opened = Date.now();
    const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      socket.once('error', reject);
    });
    expect(closed).toEqual({ code: 1008, reason: 'the token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
    expect(Date.now() - opened).toBeLessThan(4_000);
  });
});

describe('auth - headless', () => {
  it('auth - the app-wide auth protects every function route; a forged X-Atmo-State auth key is replaced', async () => {
    const headless = await startApp({ functions: [FN], extra: APP_AUTH, env: ENV, headless: true });
    try {
      const path = `/com.e2rx.integration/default/${FN}/v0.1.0`;
      expect((await headless.call(path, 'get 4 auth')).status).toBe(401);
      const forged = JSON.stringify({ auth: '{"sub":"root"}', other: 'kept' });
      const unauthenticated = await headless.call(path, 'get 4 auth', { 'x-atmo-state': forged });
      expect(unauthenticated.status).toBe(401);
      const reply = await headless.call(path, 'get 4 auth|get 4 other', { ...bearer(await sign({ secret: SECRET }, claims)), 'x-atmo-state': forged });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.text).toContain('"sub":"ada"');
      expect(reply.text).not.toContain('root');
      expect(reply.text).toContain('get 4 other = ok:kept');
    } finally {
      await headless.stop();
    }
  });
});

describe('auth - start', () => {
  it('auth - an unset secret variable fails the start with E2RX_ENV_UNSET', async () => {
    const started = startApp({ functions: [FN], handlers: handlers(jwks.url), extra: APP_AUTH, env: { ...ENV, JWT_SECRET: undefined } });
    const error = await started.then(
      async (unexpected) => {
        await unexpected.stop();
        return undefined;
      },
      (caught: unknown) => caught,
    );
    expect(E2rxError.is(error, 'E2RX_ENV_UNSET')).toBe(true);
    expect((error as Error).message).toBe('auth.jwt.secret of POST /orders is empty: env(JWT_SECRET) is unset');
  });
});
