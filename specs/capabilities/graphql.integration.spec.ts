import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_STATIC_FILES } from '../../src/app/static-files.js';
import { DEFAULT_CAPABILITIES, type CapabilityConfig, type HttpRules } from '../../src/directive/capability-config.js';
import { createHostServices, type CapabilityHostServices } from '../../src/capabilities/host-services-impl.js';
import { startServer, type TestServer } from './support/http-server.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };

describe('graphql_query against a real server', () => {
  let server: TestServer;
  let services: CapabilityHostServices;

  beforeAll(async () => {
    // A GraphQL-ish endpoint: answers a few known queries.
    server = await startServer((request, response) => {
      if (request.url === '/broken') {
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end('bad gateway');
        return;
      }
      let query = '';
      try {
        ({ query } = JSON.parse(request.body) as { query: string });
      } catch {
        // not a GraphQL request: answered below as "not json"
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      if (query.includes('hello')) {
        response.end(JSON.stringify({ data: { hello: 'world', viewer: request.headers.authorization ?? null } }));
      } else if (query.includes('fail')) {
        response.end(JSON.stringify({ data: null, errors: [{ message: 'Cannot query field "fail"', path: ['fail', 0] }] }));
      } else {
        response.end('not json');
      }
    });
    const config: CapabilityConfig = {
      ...DEFAULT_CAPABILITIES,
      auth: { enabled: true, headers: { [`127.0.0.1:${server.port}`]: { headerType: 'bearer', value: 'gql-token' } } },
    };
    services = createHostServices(config, { staticFiles: NO_STATIC_FILES, logger });
  });

  afterAll(async () => {
    await services?.close();
    await server?.close();
  });

  it('graphqlQuery - posts {"query","variables":{}} as JSON with the auth header and re-encodes the data', async () => {
    const result = await services.graphqlQuery(`${server.origin}/graphql`, '{ hello }', context);
    expect(result.kind === 'data' && JSON.parse(new TextDecoder().decode(result.data))).toEqual({
      data: { hello: 'world', viewer: 'bearer gql-token' },
    });
    const seen = server.seen.at(-1);
    if (!seen) throw new Error('the server saw no request');
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen.body)).toEqual({ query: '{ hello }', variables: {} });
  });

  it('graphqlQuery - GraphQL errors give "graphQL error; path: …, message: …"', async () => {
    expect(await services.graphqlQuery(`${server.origin}/graphql`, '{ fail }', context)).toEqual({
      kind: 'error',
      message: 'graphQL error; path: fail.0, message: Cannot query field "fail"',
    });
  });

  it('graphqlQuery - a non-2xx status gives "non-200 HTTP response code; <body>"', async () => {
    expect(await services.graphqlQuery(`${server.origin}/broken`, '{ hello }', context)).toEqual({
      kind: 'error',
      message: 'non-200 HTTP response code; bad gateway',
    });
  });

  it('graphqlQuery - a body that is not JSON is an error', async () => {
    const result = await services.graphqlQuery(`${server.origin}/graphql`, '{ other }', context);
    expect(result.kind === 'error' && result.message).toMatch(/^failed to Unmarshal response: /);
  });

  it('graphqlQuery - an endpoint Go\'s url.Parse refused is "failed to Parse endpoint: …", as in Atmo', async () => {
    expect(await services.graphqlQuery(`${server.origin}/%zz`, '{ hello }', context)).toEqual({
      kind: 'error',
      message: `failed to Parse endpoint: parse "${server.origin}/%zz": invalid URL escape "%zz"`,
    });
  });

  it('graphqlQuery - the graphql rules apply (not the http ones)', async () => {
    const rules: HttpRules = { ...DEFAULT_CAPABILITIES.graphql.rules, allowPrivate: false };
    const restricted = createHostServices(
      { ...DEFAULT_CAPABILITIES, graphql: { ...DEFAULT_CAPABILITIES.graphql, rules } },
      { staticFiles: NO_STATIC_FILES, logger },
    );
    try {
      expect(await restricted.graphqlQuery(`${server.origin}/graphql`, '{ hello }', context)).toEqual({
        kind: 'error',
        message: 'requests to private IP address ranges are disallowed',
      });
      // The http capability keeps its own (default) rules and reaches the same server.
      expect(await restricted.fetchUrl(0, `${server.origin}/broken`, new Uint8Array(), context)).toEqual({
        kind: 'error',
        message: '502: bad gateway',
      });
    } finally {
      await restricted.close();
    }
  });
});
