import { describe, expect, it } from 'vitest';
import { parseYaml, type ParsedYaml } from '../../src/directive/parse.js';

const TEXT = [
  'identifier: com.example.app', // 1
  'handlers:', // 2
  '  - type: request', // 3
  '    resource: /hello', // 4
  '    steps:', // 5
  '      - fn: hello', // 6
  '        with: { name: input }', // 7
  'queries: []', // 8
  '', // 9
].join('\n');

function parsed(text: string): ParsedYaml {
  const outcome = parseYaml(text, 'Directive.yaml');
  if (!outcome.ok) throw new Error(outcome.problems.map((problem) => problem.message).join('\n'));
  return outcome.yaml;
}

describe('parseYaml', () => {
  it('parseYaml - gives the plain value and the file name', () => {
    const yaml = parsed(TEXT);
    expect(yaml.file).toBe('Directive.yaml');
    expect(yaml.value).toEqual({
      identifier: 'com.example.app',
      handlers: [{ type: 'request', resource: '/hello', steps: [{ fn: 'hello', with: { name: 'input' } }] }],
      queries: [],
    });
  });

  it('parseYaml - locates the value of a path by default', () => {
    const yaml = parsed(TEXT);
    expect(yaml.locate(['identifier'])).toEqual({ line: 1, column: 13 });
    expect(yaml.locate(['handlers', 0, 'resource'])).toEqual({ line: 4, column: 15 });
    expect(yaml.locate(['handlers', 0, 'steps', 0, 'with', 'name'])).toEqual({ line: 7, column: 23 });
    expect(yaml.locate(['queries'])).toEqual({ line: 8, column: 10 });
  });

  it('parseYaml - locates the key of a path when asked', () => {
    const yaml = parsed(TEXT);
    expect(yaml.locate(['identifier'], 'key')).toEqual({ line: 1, column: 1 });
    expect(yaml.locate(['handlers', 0, 'resource'], 'key')).toEqual({ line: 4, column: 5 });
    expect(yaml.locate(['handlers', 0, 'steps', 0, 'with', 'name'], 'key')).toEqual({ line: 7, column: 17 });
  });

  it('parseYaml - locates list items and mappings at their first token', () => {
    const yaml = parsed(TEXT);
    expect(yaml.locate(['handlers'])).toEqual({ line: 3, column: 3 });
    expect(yaml.locate(['handlers', 0])).toEqual({ line: 3, column: 5 });
    expect(yaml.locate(['handlers', 0, 'steps', 0])).toEqual({ line: 6, column: 9 });
    expect(yaml.locate([])).toEqual({ line: 1, column: 1 });
  });

  it('parseYaml - points a missing path at its deepest existing ancestor', () => {
    const yaml = parsed(TEXT);
    expect(yaml.locate(['handlers', 0, 'method'])).toEqual({ line: 3, column: 5 });
    expect(yaml.locate(['handlers', 0, 'method'], 'key')).toEqual({ line: 3, column: 5 });
    expect(yaml.locate(['handlers', 5, 'type'])).toEqual({ line: 3, column: 3 });
    expect(yaml.locate(['appVersion'])).toEqual({ line: 1, column: 1 });
    expect(yaml.locate(['identifier', 'deeper'])).toEqual({ line: 1, column: 13 });
  });

  it('parseYaml - finds keys that YAML reads as numbers', () => {
    const yaml = parsed('onErr:\n  code:\n    404: continue\n');
    expect(yaml.locate(['onErr', 'code', '404'])).toEqual({ line: 3, column: 10 });
    expect(yaml.locate(['onErr', 'code', '404'], 'key')).toEqual({ line: 3, column: 5 });
  });

  it('parseYaml - builds located problems, errors at the value by default', () => {
    const yaml = parsed(TEXT);
    expect(yaml.problem(['handlers', 0, 'resource'], 'bad')).toEqual({
      severity: 'error',
      message: 'bad',
      path: ['handlers', 0, 'resource'],
      file: 'Directive.yaml',
      line: 4,
      column: 15,
    });
    expect(yaml.problem(['identifier'], 'odd', 'warning', 'key')).toMatchObject({ severity: 'warning', line: 1, column: 1 });
  });

  it('parseYaml - reports a syntax error with its position', () => {
    const outcome = parseYaml('identifier: com.example.app\nhandlers: [ { type: request }\nqueries: []\n', 'Directive.yaml');
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.problems).toEqual([
      {
        severity: 'error',
        message:
          'invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] (check the indentation and the closing brackets around this line)',
        path: [],
        file: 'Directive.yaml',
        line: 3,
        column: 1,
      },
    ]);
  });

  it('parseYaml - reports an unclosed quote where YAML finds it', () => {
    const outcome = parseYaml('identifier: "com.example.app\nappVersion: v0.1.0\n', 'd.yaml');
    expect(outcome.ok ? [] : outcome.problems.map((problem) => [problem.line, problem.column, problem.message])).toEqual([
      [3, 1, 'invalid YAML: Missing closing "quote (check the indentation and the closing brackets around this line)'],
    ]);
  });

  it('parseYaml - reports a duplicate key at the duplicate', () => {
    const outcome = parseYaml('identifier: a\nappVersion: v1\nidentifier: b\n', 'd.yaml');
    expect(outcome.ok ? [] : outcome.problems.map((problem) => [problem.line, problem.column, problem.message])).toEqual([
      [3, 1, 'invalid YAML: Map keys must be unique (each key may appear once in a mapping; remove or rename the duplicate)'],
    ]);
  });

  it('parseYaml - reports tabs used as indentation', () => {
    const outcome = parseYaml('handlers:\n\t- type: request\n', 'd.yaml');
    expect(outcome.ok ? [] : outcome.problems[0]).toMatchObject({ line: 2, column: 1, message: 'invalid YAML: Tabs are not allowed as indentation (indent with spaces, not tabs)' });
  });

  it('parseYaml - refuses more than one document', () => {
    const outcome = parseYaml('identifier: a\n---\nidentifier: b\n', 'd.yaml');
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : outcome.problems[0]?.message).toMatch(/remove the `---` separator/);
  });

  it('parseYaml - resolves anchors, aliases and merge keys', () => {
    const yaml = parsed('base: &base { type: request, method: GET }\nhandler:\n  <<: *base\n  resource: /a\ncopy: *base\n');
    expect(yaml.value).toEqual({
      base: { type: 'request', method: 'GET' },
      handler: { type: 'request', method: 'GET', resource: '/a' },
      copy: { type: 'request', method: 'GET' },
    });
  });

  it('parseYaml - gives null for an empty document (the structural checks call it empty)', () => {
    expect(parsed('').value).toBeNull();
    expect(parsed('# only a comment\n').value).toBeNull();
    expect(parsed('~\n').value).toBeNull();
  });

  it('parseYaml - refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let index = 0; index < 8; index += 1) {
      const previous = String.fromCharCode(97 + index);
      const next = String.fromCharCode(98 + index);
      lines.push(`${next}: &${next} [*${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}, *${previous}]`);
    }
    const outcome = parseYaml(lines.join('\n'), 'bomb.yaml');
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? '' : outcome.problems[0]?.message).toMatch(/^invalid YAML: /);
  });
});
