import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblems, hasErrors, parseDirective, type Problem } from '../../src/directive/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/directives/', import.meta.url));
const INVALID = `${FIXTURES}invalid/`;
const VALID = `${FIXTURES}valid/`;

const yamlFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort();
const read = (path: string): string => readFileSync(path, 'utf8');
const errors = (problems: readonly Problem[]): Problem[] => problems.filter((problem) => problem.severity === 'error');
const messages = (problems: readonly Problem[]): string[] => problems.map((problem) => problem.message);

describe('parseDirective - golden fixtures', () => {
  const invalid = yamlFiles(INVALID);
  const valid = yamlFiles(VALID);

  it('parseDirective - every invalid fixture has an expected file and every expected file a fixture', () => {
    const expected = readdirSync(INVALID).filter((name) => name.endsWith('.expected.txt'));
    expect(expected.map((name) => name.replace(/\.expected\.txt$/, '.yaml')).sort()).toEqual(invalid);
    expect(invalid.length).toBeGreaterThan(60);
    expect(valid.length).toBeGreaterThanOrEqual(4);
  });

  it.each(invalid)('parseDirective - invalid/%s gives exactly its expected problems', (name) => {
    const { problems } = parseDirective(read(`${INVALID}${name}`), { file: name });
    const expected = read(`${INVALID}${name.replace(/\.yaml$/, '.expected.txt')}`).replace(/\n$/, '');
    expect(formatProblems(problems)).toBe(expected);
  });

  it.each(invalid)('parseDirective - invalid/%s gives a directive exactly when it has no error', (name) => {
    const { directive, problems } = parseDirective(read(`${INVALID}${name}`), { file: name });
    expect(problems.length).toBeGreaterThan(0);
    expect(directive === undefined).toBe(hasErrors(problems));
  });

  it.each(valid)('parseDirective - valid/%s gives a directive and no problem', (name) => {
    const { directive, problems } = parseDirective(read(`${VALID}${name}`), { file: name });
    expect(formatProblems(problems)).toBe('');
    expect(directive).toBeDefined();
  });
});

describe('parseDirective - behaviour', () => {
  it('parseDirective - collects every problem at once, in every section', () => {
    const text = [
      'appVersion: "1.0"',
      'atmoVersion: v0.4.7',
      'connections:',
      '  nats: { serverAddress: "" }',
      'handlers:',
      '  - type: request',
      '    resource: hello',
      '    steps:',
      '      - fn: missing',
      '  - type: request',
      '    resource: /a',
      '    method: GET',
      '    steps:',
      '      - fn: hello',
      '        with: { x: nowhere }',
      'schedules:',
      '  - name: tick',
      '    steps: [ { fn: hello } ]',
      'queries:',
      '  - name: q',
      'runnables:',
      '  - { name: hello, namespace: default }',
    ].join('\n');
    const { directive, problems } = parseDirective(text, { file: 'many.yaml' });
    expect(directive).toBeUndefined();
    expect(messages(errors(problems))).toEqual([
      'identifier is missing',
      'app version is not a valid semantic version',
      'serverAddress is empty',
      'handler resource must begin with leading slash \'/\': hello',
      "handler for resource hello has type 'request', but does not specify a method",
      'handler for hello lists fn at step 0 that does not exist: missing (did you forget a namespace?)',
      "handler for GET /a has 'with' value at step 0 referencing a key that is not yet available in the handler's state: nowhere",
      "schedule tick has no 'every' values",
      'query at position 0 has no query value',
    ]);
    expect(formatProblems(problems).split('\n')[0]).toBe('found 9 problems:');
  });

  it('parseDirective - uses inferredRunnables when the Directive has no runnables list', () => {
    const text = [
      'identifier: com.example.app',
      'appVersion: v0.1.0',
      'atmoVersion: v0.4.7',
      'handlers:',
      '  - type: request',
      '    resource: /hello',
      '    method: GET',
      '    steps:',
      '      - fn: hello',
      '      - fn: users::get',
    ].join('\n');
    const without = parseDirective(text);
    expect(messages(errors(without.problems))).toEqual([
      'no functions listed',
      'handler for GET /hello lists fn at step 0 that does not exist: hello (did you forget a namespace?)',
      'handler for GET /hello lists fn at step 1 that does not exist: users::get (did you forget a namespace?)',
    ]);
    const inferredRunnables = [
      { name: 'hello', namespace: 'default' },
      { name: 'get', namespace: 'users' },
    ];
    const { directive, problems } = parseDirective(text, { inferredRunnables });
    expect(problems).toEqual([]);
    expect(directive?.runnables.map((runnable) => runnable.fqfn)).toEqual([
      'com.example.app#default::hello@v0.1.0',
      'com.example.app#users::get@v0.1.0',
    ]);
    const step = directive?.handlers[0]?.steps[1];
    expect(step?.kind === 'fn' ? step.call.fqfn : undefined).toBe('com.example.app#users::get@v0.1.0');
  });

  it('parseDirective - a listed runnables list wins over inferredRunnables', () => {
    const text = [
      'identifier: com.example.app',
      'appVersion: v0.1.0',
      'atmoVersion: v0.4.7',
      'handlers:',
      '  - { type: request, resource: /hello, method: GET, steps: [ { fn: other } ] }',
      'runnables:',
      '  - { name: hello, namespace: default }',
    ].join('\n');
    const { problems } = parseDirective(text, { inferredRunnables: [{ name: 'other', namespace: 'default' }] });
    expect(messages(errors(problems))).toEqual([
      'handler for GET /hello lists fn at step 0 that does not exist: other (did you forget a namespace?)',
    ]);
  });

  it('parseDirective - a valid original Atmo Directive stays valid, with warnings only for unknown keys', () => {
    // As subo v0.5.4 bundles it: runnables with their computed fields, headless, and two keys Atmo never read.
    const text = [
      'identifier: com.suborbital.guide',
      'appVersion: v0.1.0',
      'atmoVersion: v0.4.7',
      'headless: false',
      'description: my guide app',
      'handlers:',
      '  - type: request',
      '    resource: /hello',
      '    method: POST',
      '    steps:',
      '      - group:',
      '          - fn: helloworld',
      '          - fn: users::get-user',
      '            as: user',
      '            with: {}',
      '      - fn: helloworld',
      '        as: again',
      '        with: { name: user }',
      '        onErr: { any: continue }',
      '    response: again',
      'runnables:',
      '  - name: helloworld',
      '    namespace: default',
      '    lang: rust',
      '    version: v0.1.0',
      '    draftVersion: ""',
      '    apiVersion: 0.15.1',
      '    fqfn: com.suborbital.guide#default::helloworld@v0.1.0',
      '    fqfnUri: ""',
      '  - name: get-user',
      '    namespace: users',
      '    lang: tinygo',
      '    fqfn: com.suborbital.guide#users::get-user@v0.1.0',
      '    runtime: wasmtime',
    ].join('\n');
    const { directive, problems } = parseDirective(text);
    expect(directive).toBeDefined();
    expect(problems.every((problem) => problem.severity === 'warning')).toBe(true);
    expect(problems.map((problem) => problem.path)).toEqual([['description'], ['runnables', 1, 'runtime']]);
    expect(formatProblems(problems)).toBe(
      [
        "Directive.yaml:5:1: warning: unknown key 'description' at the top level is ignored; known keys: identifier, appVersion, atmoVersion, headless, connections, authentication, capabilities, handlers, schedules, queries, runnables, limits, runtime, auth",
        "Directive.yaml:34:5: warning: unknown key 'runtime' in runnables[1] is ignored; known keys: name, namespace, lang, version, draftVersion, apiVersion, fqfn, fqfnUri",
      ].join('\n'),
    );
  });

  it('parseDirective - names the file Directive.yaml by default', () => {
    const { problems } = parseDirective('identifier: com.example.app\n');
    expect(problems[0]?.file).toBe('Directive.yaml');
  });

  it('parseDirective - a tenant config gets one error, not every Atmo rule it breaks', () => {
    const { directive, problems } = parseDirective('{"identifier":"com.suborbital.app","specVersion":1,"tenantVersion":16}');
    expect(directive).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^this looks like an E2 Core tenant config \(it has 'specVersion', 'tenantVersion'\)/);
  });

  it('parseDirective - a value of the wrong type is reported once, not again by the rules', () => {
    const text = [
      'identifier: com.example.app',
      'appVersion: v0.1.0',
      'atmoVersion: v0.4.7',
      'handlers:',
      '  - type: request',
      '    resource: 5',
      '    method: GET',
      '    steps: hello',
      'schedules:',
      '  - name: tick',
      '    every: hourly',
      '    steps: [ { fn: hello } ]',
      'runnables:',
      '  - { name: hello, namespace: default }',
    ].join('\n');
    expect(messages(parseDirective(text).problems)).toEqual([
      'handlers[0].resource: must be a string (quote the value if YAML reads it as another type)',
      'handlers[0].steps: must be a list',
      'schedules[0].every: must be a mapping',
    ]);
  });

  it.each([
    ['handlers: abc', 'handlers: must be a list', 4, 11],
    ['handlers: { a: 1 }', 'handlers: must be a list', 4, 11],
    ['runnables: { a: 1 }', 'runnables: must be a list', 4, 12],
    ['schedules: abc', 'schedules: must be a list', 4, 12],
    ['queries: abc', 'queries: must be a list', 4, 10],
    ['connections: 5', 'connections: must be a mapping', 4, 14],
    ['authentication: [a]', 'authentication: must be a mapping', 4, 17],
    ['capabilities: abc', 'capabilities: must be a mapping', 4, 15],
  ])('parseDirective - a top-level key of the wrong type (%s) is a located problem, not a crash', (line, message, row, column) => {
    const runnables = line.startsWith('runnables') ? [] : ['runnables: [ { name: hello, namespace: default } ]'];
    const text = ['identifier: com.example.app', 'appVersion: v0.1.0', 'atmoVersion: v0.4.7', line, ...runnables].join('\n');
    const { directive, problems } = parseDirective(text, { file: 'wrong.yaml' });
    expect(directive).toBeUndefined();
    expect(errors(problems)).toEqual([{ severity: 'error', message, path: [line.split(':')[0] ?? ''], file: 'wrong.yaml', line: row, column }]);
  });

  it('parseDirective - a handler without a resource still has its steps checked', () => {
    const text = [
      'identifier: com.example.app',
      'appVersion: v0.1.0',
      'atmoVersion: v0.4.7',
      'handlers:',
      '  - type: request',
      '    method: GET',
      '    steps: [ { fn: nothing } ]',
      'runnables:',
      '  - { name: hello, namespace: default }',
    ].join('\n');
    expect(messages(parseDirective(text).problems)).toEqual([
      'handler at position 0 missing resource',
      'handler for GET  lists fn at step 0 that does not exist: nothing (did you forget a namespace?)',
    ]);
  });

  it('parseDirective - warnings alone leave the Directive valid', () => {
    const text = [
      'identifier: com.example.app',
      'appVersion: v0.1.0',
      'atmoVersion: v0.4.7',
      'handlers:',
      '  - { type: request, resource: /hello, method: get, steps: [ { fn: hello } ] }',
      'runnables:',
      '  - { name: hello, namespace: default }',
    ].join('\n');
    const { directive, problems } = parseDirective(text);
    expect(problems.map((problem) => problem.severity)).toEqual(['warning']);
    expect(directive?.handlers[0]?.method).toBe('GET');
  });

  it('parseDirective - accepts bare host:port addresses for NATS, Kafka and Redis, as Atmo Directives carry them', () => {
    for (const address of ['127.0.0.1:6379', 'localhost:9092', '[::1]:4222', 'redis:6379']) {
      const text = [
        'identifier: com.example.app',
        'appVersion: v0.1.0',
        'atmoVersion: v0.4.7',
        'connections:',
        `  nats: { serverAddress: "${address}" }`,
        `  kafka: { brokerAddress: "${address}" }`,
        `  redis: { serverAddress: "${address}" }`,
        'runnables:',
        '  - { name: hello, namespace: default }',
      ].join('\n');
      expect(parseDirective(text).problems, address).toEqual([]);
    }
  });
});
