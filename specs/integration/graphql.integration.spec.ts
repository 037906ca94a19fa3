/**
 * The graphql capability end to end: a Wasm function (specs/fixtures/functions/graphql-probe) calls `graphql_query`
 * through the engine against a GraphQL endpoint on 127.0.0.1: the request the host sends, the result, GraphQL and
 * HTTP errors, the auth header, its own rules and the capability disabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type StartedApp } from './support/app.js';
import { builtFunctions } from './support/functions.js';
import { startTargetServer, type TargetServer } from './support/target-server.js';

const FN = 'graphql-probe';
const TOKEN = 'e2rx-it-graphql-token';

let server: TargetServer;
const apps: StartedApp[] = [];
const start = async (capabilities?: string, extra?: string): Promise<StartedApp> => {
  const app = await startApp({
    functions: [FN],
    ...(capabilities === undefined ? {} : { capabilities }),
    ...(extra === undefined ? {} : { extra }),
    env: { E2RX_IT_GRAPHQL_TOKEN: TOKEN },
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

describe('graphql capability', () => {
  let app: StartedApp;
  beforeAll(async () => {
    app = await start(undefined, `authentication:\n  domains:\n    "127.0.0.1:${server.port}": { headerType: bearer, value: env(E2RX_IT_GRAPHQL_TOKEN) }`);
  });

  it('graphql_query - POSTs {query, variables} as JSON with the auth header and returns {"data": …}', async () => {
    const reply = await app.call(FN, { endpoint: `${server.origin}/graphql`, query: '{ hello }' });
    expect(reply).toMatchObject({ status: 200, text: '{"data":{"hello":"world"}}' });
    const seen = server.receivedAt('/graphql').at(-1);
    expect(seen?.method).toBe('POST');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers.authorization).toBe(`bearer ${TOKEN}`);
    expect(JSON.parse(seen?.body ?? '')).toEqual({ query: '{ hello }', variables: {} });
    expect(reply.text).not.toContain(TOKEN);
  });

  it('graphql_query - a GraphQL error is "graphQL error; path: …, message: …"', async () => {
    expect(await app.call(FN, { endpoint: `${server.origin}/graphql`, query: '{ boom }' })).toMatchObject({
      status: 500,
      message: 'graphQL error; path: user.friends.0.name, message: boom happened',
    });
  });

  it('graphql_query - a status outside 2xx is "non-200 HTTP response code; <body>"', async () => {
    expect(await app.call(FN, { endpoint: `${server.origin}/graphql`, query: '{ fail500 }' })).toMatchObject({
      status: 500,
      message: 'non-200 HTTP response code; graphql server failed',
    });
  });

  it('graphql rules - graphql has its own rules (allowIPs false refuses the IP, a name passes)', async () => {
    const strict = await start('graphql:\n  rules: { allowIPs: false }');
    expect(await strict.call(FN, { endpoint: `${server.origin}/graphql`, query: '{ hello }' })).toMatchObject({
      status: 500,
      message: 'requests to IP addresses are disallowed',
    });
    expect(await strict.call(FN, { endpoint: `http://localhost:${server.port}/graphql`, query: '{ hello }' })).toMatchObject({ status: 200 });
  });

  it('graphql disabled - graphql_query is "capability is not enabled"', async () => {
    const before = server.received.length;
    const disabled = await start('graphql:\n  enabled: false');
    expect(await disabled.call(FN, { endpoint: `${server.origin}/graphql`, query: '{ hello }' })).toMatchObject({
      status: 500,
      message: 'capability is not enabled',
    });
    expect(server.received.length).toBe(before);
  });
});
