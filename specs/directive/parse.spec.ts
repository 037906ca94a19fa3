import { describe, expect, it, vi } from 'vitest';
import { MAX_DIRECTIVE_DEPTH, MAX_DIRECTIVE_LENGTH, parseYaml, type ParsedYaml } from '../../src/directive/parse.js';
import type { Problem } from '../../src/directive/problem.js';

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

  it('parseYaml - refuses a text longer than MAX_DIRECTIVE_LENGTH at 1:1, without parsing it', () => {
    const text = `identifier: ${'a'.repeat(MAX_DIRECTIVE_LENGTH)}\n`;
    const started = performance.now();
    const outcome = parseYaml(text, 'big.yaml');
    expect(performance.now() - started).toBeLessThan(500);
    expect(outcome.ok ? [] : outcome.problems).toEqual([
      {
        severity: 'error',
        message: `the Directive is ${text.length} characters long, more than the 1048576 a Directive may have (is this the right file?)`,
        path: [],
        file: 'big.yaml',
        line: 1,
        column: 1,
      },
    ]);
    expect(parseYaml(`identifier: ${'a'.repeat(MAX_DIRECTIVE_LENGTH - 20)}\n`, 'd.yaml').ok).toBe(true);
  });

  const only = (text: string): Problem[] => {
    const outcome = parseYaml(text, 'deep.yaml');
    return outcome.ok ? [] : [...outcome.problems];
  };

  it.each([
    ['flow sequences', '[', ']'],
    ['flow mappings', '{a: ', '}'],
  ])('parseYaml - refuses %s nested 200,000 deep at the first level past the bound, in bounded time', (_, open, close) => {
    const depth = 200_000;
    const text = `identifier: ${open.repeat(depth)}x${close.repeat(depth)}\n`;
    const started = performance.now();
    const problems = only(text);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toBe(
      'invalid YAML: mappings and lists nest more than 64 levels deep here (a Directive needs about eight; check the brackets and the indentation)',
    );
    // Refused from the lexemes: at the 65th bracket.
    expect(problems[0]).toMatchObject({ line: 1, column: 13 + open.length * MAX_DIRECTIVE_DEPTH });
  });

  it('parseYaml - counts the mapping that holds a value as a level: 63 lists inside it are kept, 64 refused', () => {
    const nested = (depth: number): string => `identifier: ${'['.repeat(depth)}x${']'.repeat(depth)}\n`;
    expect(parseYaml(nested(MAX_DIRECTIVE_DEPTH - 1), 'd.yaml').ok).toBe(true);
    expect(only(nested(MAX_DIRECTIVE_DEPTH))).toMatchObject([{ line: 1, column: 13 + MAX_DIRECTIVE_DEPTH - 1 }]);
  });

  it('parseYaml - refuses block nesting past the bound where it goes too deep', () => {
    const lines = ['identifier: x', 'handlers:'];
    for (let level = 0; level < 100; level += 1) lines.push(`${' '.repeat(level + 1)}- `);
    const problems = only(`${lines.join('\n')}x\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/^invalid YAML: mappings and lists nest more than 64 levels deep here/);
    expect(problems[0]?.line).toBe(2 + MAX_DIRECTIVE_DEPTH);
  });

  it('parseYaml - refuses block and flow nesting mixed past the bound', () => {
    const text = `handlers:\n${Array.from({ length: 40 }, (_, level) => `${' '.repeat(level + 1)}- `).join('\n')}${'['.repeat(40)}${']'.repeat(40)}\n`;
    expect(only(text)[0]?.message).toMatch(/nest more than 64 levels deep/);
  });

  it('parseYaml - refuses a billion-laughs alias bomb in bounded time, with a hint', () => {
    const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let level = 1; level <= 30; level += 1) {
      const previous = `*l${level - 1}`.replace('*l0', '*a');
      lines.push(`l${level}: &l${level} [${Array.from({ length: 9 }, () => previous).join(', ')}]`);
    }
    lines.push('handlers: *l30');
    const started = performance.now();
    const problems = only(lines.join('\n'));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(problems.map((problem) => [problem.line, problem.column, problem.message])).toEqual([
      [
        1,
        1,
        'invalid YAML: Excessive alias count indicates a resource exhaustion attack (its aliases expand to more than 100 nodes; write the values out or use fewer anchors)',
      ],
    ]);
  });

  it('parseYaml - refuses merge keys that multiply, like aliases', () => {
    const lines = ['m0: &m0 {a: 1, b: 2, c: 3}'];
    for (let level = 1; level <= 20; level += 1) lines.push(`m${level}: &m${level} {<<: [*m${level - 1}, *m${level - 1}, *m${level - 1}], k${level}: v}`);
    lines.push(...Array.from({ length: 30 }, (_, index) => `c${index}: *m20`));
    const started = performance.now();
    const problems = only(lines.join('\n'));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(problems[0]?.message).toMatch(/^invalid YAML: .*aliases expand to more than 100 nodes/);
  });

  it('parseYaml - refuses a key that is a list or a mapping, where it is, and warns nothing on the process', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      const problems = only('identifier: x\n? [a, b]\n: c\nhandlers:\n  - { {x: 1}: y }\n');
      expect(problems.map((problem) => [problem.line, problem.column, problem.message])).toEqual([
        [2, 3, 'invalid YAML: a key that is a list or a mapping has no meaning in a Directive (write a plain name before the colon)'],
        [5, 7, 'invalid YAML: a key that is a list or a mapping has no meaning in a Directive (write a plain name before the colon)'],
      ]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('parseYaml - keeps NUL bytes, unicode and a byte-order mark without failing', () => {
    const yaml = parsed('\ufeffidentifier: "a\\0b"\nname: \u202eevil \u{1f600}\n');
    expect(yaml.value).toEqual({ identifier: 'a\0b', name: '\u202eevil \u{1f600}' });
    expect(yaml.locate(['name'])).toEqual({ line: 2, column: 7 });
  });
});
