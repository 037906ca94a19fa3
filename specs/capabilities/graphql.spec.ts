import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/directive/capability-config.js';
import { createGraphqlCapability, formatGraphqlPath, parseGraphqlResponse } from '../../src/capabilities/graphql.js';
import type { OutboundHttpClient, OutboundRequest } from '../../src/capabilities/outbound-http.js';

const logger = pino({ level: 'silent' });
const context = { fn: 'spec', requestId: 'r1' };

function fakeClient(status: number, body: string): OutboundHttpClient & { sent: OutboundRequest[] } {
  const sent: OutboundRequest[] = [];
  return {
    sent,
    send(request) {
      sent.push(request);
      return Promise.resolve({ status, headers: {}, body: new TextEncoder().encode(body), url: request.url });
    },
    close() {},
  };
}

describe('graphql', () => {
  it('formatGraphqlPath - strings as they are, arrays joined with dots', () => {
    expect(formatGraphqlPath('user.name')).toBe('user.name');
    expect(formatGraphqlPath(['user', 'friends', 0, 'name'])).toBe('user.friends.0.name');
    expect(formatGraphqlPath(undefined)).toBe('');
  });

  it('parseGraphqlResponse - reads data and errors, refuses what is not a JSON object', () => {
    expect(parseGraphqlResponse('{"data":{"a":1}}')).toEqual({ data: { a: 1 }, errors: [] });
    expect(parseGraphqlResponse('{"errors":[{"message":"boom","path":["a"]}]}')).toEqual({
      data: null,
      errors: [{ message: 'boom', path: 'a' }],
    });
    expect(() => parseGraphqlResponse('not json')).toThrow(/^failed to Unmarshal response/);
    expect(() => parseGraphqlResponse('[1]')).toThrow(/not a JSON object/);
  });

  it('createGraphqlCapability - posts the query as JSON and re-encodes the data', async () => {
    const client = fakeClient(200, '{"data":{"hello":"world"},"extensions":{"cost":1}}');
    const gql = createGraphqlCapability(DEFAULT_CAPABILITIES, { client, logger });
    const result = await gql.graphqlQuery('https://api.example.com/graphql', '{ hello }', context);
    expect(result.kind === 'data' && new TextDecoder().decode(result.data)).toBe('{"data":{"hello":"world"}}');
    expect(client.sent[0]).toMatchObject({ method: 'POST', url: 'https://api.example.com/graphql', headers: [['Content-Type', 'application/json']] });
    expect(JSON.parse(new TextDecoder().decode(client.sent[0]?.body))).toEqual({ query: '{ hello }', variables: {} });
  });

  it('createGraphqlCapability - a non-2xx status and GraphQL errors give the original texts', async () => {
    const failing = createGraphqlCapability(DEFAULT_CAPABILITIES, { client: fakeClient(500, 'oops'), logger });
    expect(await failing.graphqlQuery('https://x/graphql', '{ a }', context)).toEqual({
      kind: 'error',
      message: 'non-200 HTTP response code; oops',
    });
    const erroring = createGraphqlCapability(DEFAULT_CAPABILITIES, {
      client: fakeClient(200, '{"data":null,"errors":[{"message":"no field b","path":["a","b"]},{"message":"second"}]}'),
      logger,
    });
    expect(await erroring.graphqlQuery('https://x/graphql', '{ a { b } }', context)).toEqual({
      kind: 'error',
      message: 'graphQL error; path: a.b, message: no field b',
    });
  });

  it('createGraphqlCapability - a disabled capability gives the original error', async () => {
    const gql = createGraphqlCapability(
      { ...DEFAULT_CAPABILITIES, graphql: { ...DEFAULT_CAPABILITIES.graphql, enabled: false } },
      { client: fakeClient(200, '{}'), logger },
    );
    expect(await gql.graphqlQuery('https://x/graphql', '{ a }', context)).toEqual({ kind: 'error', message: 'capability is not enabled' });
  });
});
