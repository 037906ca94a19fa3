import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { directiveJsonSchema } from '../../../src/directive/index.js';
import { captureIo } from '../../support/apps.js';

interface SchemaNode {
  readonly $schema?: string;
  readonly title?: string;
  readonly type?: string;
  readonly description?: string;
  readonly additionalProperties?: unknown;
  readonly properties?: Record<string, SchemaNode>;
  readonly items?: SchemaNode;
}

async function printedSchema(): Promise<SchemaNode> {
  const io = captureIo();
  expect(await main(['schema'], io)).toBe(0);
  expect(io.err()).toBe('');
  expect(io.out().endsWith('}\n')).toBe(true);
  return JSON.parse(io.out()) as SchemaNode;
}

describe('schema', () => {
  it('schema - prints a parseable draft 2020-12 JSON Schema of the Directive and exits 0', async () => {
    const schema = await printedSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toBe('e2rx Directive');
    expect(schema.type).toBe('object');
  });

  it('schema - prints the same schema as directiveJsonSchema()', async () => {
    expect(await printedSchema()).toEqual(directiveJsonSchema());
  });

  it('schema - lists every Atmo top-level key and the e2rx ones', async () => {
    const schema = await printedSchema();
    expect(Object.keys(schema.properties ?? {})).toEqual([
      'identifier',
      'appVersion',
      'atmoVersion',
      'headless',
      'connections',
      'authentication',
      'capabilities',
      'handlers',
      'schedules',
      'queries',
      'runnables',
      'limits',
      'runtime',
      'auth',
    ]);
  });

  it('schema - marks the e2rx extensions (e2rx) in their descriptions', async () => {
    const schema = await printedSchema();
    const properties = schema.properties ?? {};
    expect(properties['limits']?.description).toMatch(/^\(e2rx\)/);
    expect(properties['runtime']?.description).toMatch(/^\(e2rx\)/);
    const handler = properties['handlers']?.items?.properties ?? {};
    for (const key of ['limits', 'queueGroup', 'consumerGroup', 'jetstream', 'deadLetter', 'retries']) {
      expect(handler[key]?.description, key).toMatch(/^\(e2rx\)/);
    }
    for (const key of ['type', 'resource', 'method', 'source', 'steps', 'response', 'respondTo']) {
      expect(handler[key]?.description ?? '', key).not.toMatch(/\(e2rx\)/);
    }
  });

  it('schema - describes the steps: fn, as, with, onErr, group and forEach', async () => {
    const schema = await printedSchema();
    const step = schema.properties?.['handlers']?.items?.properties?.['steps']?.items?.properties ?? {};
    expect(Object.keys(step)).toEqual(['fn', 'as', 'with', 'onErr', 'group', 'forEach']);
    expect(Object.keys(step['onErr']?.properties ?? {})).toEqual(['code', 'any', 'other']);
  });

  it('schema - refuses unknown keys so that editors flag typos', async () => {
    const schema = await printedSchema();
    expect(schema.additionalProperties).toBe(false);
  });

  it('schema - takes no argument', async () => {
    const io = captureIo();
    expect(await main(['schema', 'extra'], io)).toBe(2);
    expect(io.out()).toBe('');
  });

  it('schema --cases - prints the JSON Schema of the case files of e2rx test: unknown keys refused', async () => {
    const io = captureIo();
    expect(await main(['schema', '--cases'], io)).toBe(0);
    const schema = JSON.parse(io.out()) as SchemaNode;
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'e2rx test cases (Directive.test.yaml)', additionalProperties: false });
    expect(Object.keys(schema.properties ?? {})).toEqual(['stubs', 'cases']);
    const item = schema.properties?.['cases']?.items;
    expect(Object.keys(item?.properties ?? {})).toEqual(['name', 'request', 'message', 'tick', 'stubs', 'real', 'expect']);
    expect(item?.additionalProperties).toBe(false);
  });
});
