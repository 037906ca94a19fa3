import { describe, expect, it } from 'vitest';
import { compact, normalizeDirective } from '../../src/directive/normalize.js';
import type { Step } from '../../src/directive/model.js';
import type { DirectiveInput } from '../../src/directive/schema.js';

const base = {
  identifier: 'com.example.app',
  appVersion: 'v0.1.0',
  atmoVersion: 'v0.4.7',
  runnables: [
    { name: 'hello', namespace: 'default' },
    { name: 'get', namespace: 'users' },
  ],
} satisfies DirectiveInput;

const stepsOf = (handler: DirectiveInput['handlers']): readonly Step[] =>
  normalizeDirective({ ...base, handlers: handler }).handlers[0]?.steps ?? [];

describe('normalizeDirective', () => {
  it('normalizeDirective - keys a call by `as`, else by `fn` as written', () => {
    const steps = stepsOf([
      { type: 'request', resource: '/a', method: 'GET', steps: [{ fn: 'hello' }, { fn: 'users::get', as: 'user' }, { fn: 'users::get' }] },
    ]);
    expect(steps.map((step) => (step.kind === 'fn' ? step.call.key : undefined))).toEqual(['hello', 'user', 'users::get']);
  });

  it('normalizeDirective - resolves each call to its runnable and FQFN', () => {
    const [step] = stepsOf([{ type: 'request', resource: '/a', method: 'GET', steps: [{ fn: 'users::get', with: { id: 'x' } }] }]);
    expect(step).toEqual({
      kind: 'fn',
      call: { fn: 'users::get', fqfn: 'com.example.app#users::get@v0.1.0', name: 'get', key: 'users::get', with: { id: 'x' }, onErr: undefined },
    });
  });

  it('normalizeDirective - reads onErr into a code map and any/other', () => {
    const [step] = stepsOf([
      { type: 'request', resource: '/a', method: 'GET', steps: [{ fn: 'hello', onErr: { code: { '404': 'continue', '500': 'return' }, other: 'return' } }] },
    ]);
    const onErr = step?.kind === 'fn' ? step.call.onErr : undefined;
    expect(onErr?.code).toEqual(
      new Map([
        [404, 'continue'],
        [500, 'return'],
      ]),
    );
    expect(onErr?.other).toBe('return');
    expect(onErr && 'any' in onErr).toBe(false);
  });

  it('normalizeDirective - uses group-level with and onErr as defaults for members without their own', () => {
    const [step] = stepsOf([
      {
        type: 'request',
        resource: '/a',
        method: 'GET',
        response: 'hello',
        steps: [
          {
            with: { shared: 'input' },
            onErr: { any: 'continue' },
            group: [{ fn: 'hello' }, { fn: 'users::get', with: { own: 'key' }, onErr: { any: 'return' } }],
          },
        ],
      },
    ]);
    expect(step?.kind).toBe('group');
    if (step?.kind !== 'group') return;
    expect(step.with).toEqual({ shared: 'input' });
    expect(step.onErr?.any).toBe('continue');
    expect(step.calls.map((call) => call.with)).toEqual([{ shared: 'input' }, { own: 'key' }]);
    expect(step.calls.map((call) => call.onErr?.any)).toEqual(['continue', 'return']);
  });

  it('normalizeDirective - gives a group without group-level fields empty with and no onErr', () => {
    const [step] = stepsOf([{ type: 'request', resource: '/a', method: 'GET', response: 'hello', steps: [{ group: [{ fn: 'hello' }] }] }]);
    expect(step).toMatchObject({ kind: 'group', with: {}, onErr: undefined });
    expect(step?.kind === 'group' ? step.calls[0]?.with : undefined).toEqual({});
  });

  it('normalizeDirective - reads forEach with its default concurrency', () => {
    const steps = stepsOf([
      {
        type: 'request',
        resource: '/a',
        method: 'GET',
        steps: [{ fn: 'hello' }, { forEach: { in: 'hello', fn: 'users::get', as: 'users' } }, { forEach: { in: 'hello', fn: 'hello', concurrency: 2 } }],
      },
    ]);
    expect(steps[1]).toMatchObject({ kind: 'forEach', in: 'hello', concurrency: 8, call: { key: 'users', fqfn: 'com.example.app#users::get@v0.1.0' } });
    expect(steps[2]).toMatchObject({ kind: 'forEach', concurrency: 2, call: { key: 'hello' } });
  });

  it('normalizeDirective - applies handler defaults: http source, upper-case method, websocket GET, empty method for NATS', () => {
    const directive = normalizeDirective({
      ...base,
      handlers: [
        { type: 'request', resource: '/a', method: 'post', steps: [{ fn: 'hello' }] },
        { type: 'stream', resource: '/ws', steps: [{ fn: 'hello' }] },
        { type: 'stream', source: 'nats', resource: 'a.b', respondTo: 'a.c', steps: [{ fn: 'hello' }] },
        { type: 'stream', source: 'kafka', resource: 'topic', retries: {}, steps: [{ fn: 'hello' }] },
      ],
    });
    expect(directive.handlers.map((handler) => [handler.type, handler.source, handler.method])).toEqual([
      ['request', 'http', 'POST'],
      ['stream', 'server', 'GET'],
      ['stream', 'nats', ''],
      ['stream', 'kafka', ''],
    ]);
    expect(directive.handlers[0]).toMatchObject({ response: undefined, respondTo: undefined, limits: {}, retries: undefined, jetstream: undefined });
    expect(directive.handlers[2]?.respondTo).toBe('a.c');
    expect(directive.handlers[3]?.retries).toEqual({ max: 3, backoffMs: 100 });
  });

  it('normalizeDirective - applies top-level defaults', () => {
    const directive = normalizeDirective(base);
    expect(directive).toMatchObject({
      headless: false,
      connections: {},
      authentication: { domains: {} },
      capabilities: {},
      handlers: [],
      schedules: [],
      queries: [],
      limits: {},
      runtime: {},
    });
    expect(directive.runnables).toEqual([
      { name: 'hello', namespace: 'default', lang: undefined, version: 'v0.1.0', apiVersion: undefined, fqfn: 'com.example.app#default::hello@v0.1.0' },
      { name: 'get', namespace: 'users', lang: undefined, version: 'v0.1.0', apiVersion: undefined, fqfn: 'com.example.app#users::get@v0.1.0' },
    ]);
  });

  it('normalizeDirective - defaults an empty runnable namespace and authentication headerType', () => {
    const directive = normalizeDirective({
      ...base,
      runnables: [{ name: 'legacy', namespace: '', version: 'v9.9.9' }],
      authentication: { domains: { 'api.github.com': { value: 'env(TOKEN)' } } },
    });
    expect(directive.runnables[0]).toMatchObject({ namespace: 'default', version: 'v9.9.9', fqfn: 'com.example.app#default::legacy@v0.1.0' });
    expect(directive.authentication.domains).toEqual({ 'api.github.com': { headerType: 'bearer', value: 'env(TOKEN)' } });
  });

  it('normalizeDirective - uses the inferred runnables when none are listed', () => {
    const directive = normalizeDirective({ ...base, runnables: [] }, [{ name: 'found', namespace: 'default' }]);
    expect(directive.runnables.map((runnable) => runnable.fqfn)).toEqual(['com.example.app#default::found@v0.1.0']);
  });

  it('normalizeDirective - turns a schedule period into everyMs and keeps its state', () => {
    const directive = normalizeDirective({
      ...base,
      schedules: [
        { name: 'report', every: { hours: 1, minutes: 15 }, state: { repo: 'suborbital/atmo' }, steps: [{ fn: 'hello' }] },
        { name: 'all', every: { seconds: 1, minutes: 1, hours: 1, days: 1 }, steps: [{ fn: 'hello' }] },
      ],
    });
    expect(directive.schedules[0]).toMatchObject({ name: 'report', everyMs: 4_500_000, state: { repo: 'suborbital/atmo' } });
    expect(directive.schedules[1]).toMatchObject({ everyMs: (1 + 60 + 3600 + 86_400) * 1000, state: {} });
    expect(directive.schedules[0]?.steps[0]).toMatchObject({ kind: 'fn', call: { key: 'hello' } });
  });

  it('normalizeDirective - resolves query types and var counts, for PostgreSQL by default', () => {
    const directive = normalizeDirective({
      ...base,
      queries: [
        { name: 'a', query: 'SELECT * FROM t WHERE a = $1 OR b = $1' },
        { name: 'b', query: 'with x as (select 1) select * from x', type: 'select', varCount: 0 },
        { name: 'c', query: 'update t set a = $1 where b = $2', varCount: 5 },
      ],
    });
    expect(directive.queries).toEqual([
      { name: 'a', query: 'SELECT * FROM t WHERE a = $1 OR b = $1', type: 'select', varCount: 2 },
      { name: 'b', query: 'with x as (select 1) select * from x', type: 'select', varCount: 0 },
      { name: 'c', query: 'update t set a = $1 where b = $2', type: 'update', varCount: 5 },
    ]);
  });

  it('normalizeDirective - counts MySQL placeholders when the database is MySQL, and merges capabilities.db queries', () => {
    const directive = normalizeDirective({
      ...base,
      connections: { database: { type: 'mysql', connectionString: 'env(DSN)' } },
      queries: [{ name: 'ins', query: 'INSERT INTO t (a, b) VALUES (?, ?)' }],
      capabilities: { db: { queries: [{ name: 'del', query: 'DELETE FROM t WHERE a IN (?)' }] } },
    });
    expect(directive.connections.database).toEqual({ type: 'mysql', connectionString: 'env(DSN)' });
    expect(directive.queries.map((query) => [query.name, query.type, query.varCount])).toEqual([
      ['ins', 'insert', 2],
      ['del', 'delete', 1],
    ]);
  });

  it('normalizeDirective - keeps connections as written, env(VAR) unresolved, with empty defaults', () => {
    const directive = normalizeDirective({
      ...base,
      connections: { nats: { serverAddress: 'env(NATS)' }, kafka: { brokerAddress: 'k:9092' }, redis: { serverAddress: 'r:6379' } },
    });
    expect(directive.connections).toEqual({
      nats: { serverAddress: 'env(NATS)' },
      kafka: { brokerAddress: 'k:9092' },
      redis: { serverAddress: 'r:6379', username: '', password: '' },
    });
  });
});

describe('compact', () => {
  it('compact - drops undefined values only', () => {
    expect(compact({ a: 1, b: undefined, c: null, d: 0, e: '' })).toEqual({ a: 1, c: null, d: 0, e: '' });
    expect('b' in compact({ a: 1, b: undefined })).toBe(false);
  });
});
