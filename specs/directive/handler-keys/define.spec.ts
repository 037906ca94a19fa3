/**
 * Handler keys (src/directive/handler-keys/define.ts): each kind declares the keys it reads; the handler schema is
 * their union, in an order that keeps each kind's.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { HANDLER_KEYS, HandlerSchema } from '../../../src/directive/handler-schema.js';
import { defineHandlerKeys, mergeHandlerKeys } from '../../../src/directive/handler-keys/define.js';
import { HANDLER_FIELDS } from '../../../src/directive/handler-keys/shared.js';
import { E2rxError } from '../../../src/errors.js';

const { type, resource, source, steps, limits } = HANDLER_FIELDS;

describe('handler keys', () => {
  it('defineHandlerKeys - names the keys in the order they are declared', () => {
    expect(defineHandlerKeys('probe', { type, resource, steps }).names).toEqual(['type', 'resource', 'steps']);
  });

  it('mergeHandlerKeys - a key first seen in a kind goes before the next key of that kind already placed, else after the previous one', () => {
    const a = defineHandlerKeys('a', { type, resource, steps, limits });
    const b = defineHandlerKeys('b', { type, source, steps, extra: z.string().optional(), limits, last: z.string().optional() });
    expect(Object.keys(mergeHandlerKeys([a, b]))).toEqual(['type', 'resource', 'source', 'steps', 'extra', 'limits', 'last']);
  });

  it('mergeHandlerKeys - two kinds that declare one key with different schemas is a mistake, named', () => {
    const a = defineHandlerKeys('a', { type });
    const b = defineHandlerKeys('b', { type: z.string().optional() });
    expect(() => mergeHandlerKeys([a, b])).toThrow(E2rxError);
    expect(() => mergeHandlerKeys([a, b])).toThrow('handler key type is declared by a and b with different schemas');
  });

  it("HandlerSchema - the union of the kinds' keys, in the order the Directive reference lists them", () => {
    expect(HANDLER_KEYS.map((keys) => keys.kind)).toEqual(['http', 'websocket', 'nats', 'kafka', 'jetstream']);
    expect(Object.keys(HandlerSchema.shape)).toEqual([
      'type',
      'resource',
      'method',
      'source',
      'steps',
      'response',
      'respondTo',
      'limits',
      'queueGroup',
      'consumerGroup',
      'ordering',
      'delivery',
      'jetstream',
      'deadLetter',
      'retries',
      'auth',
    ]);
  });

  it('HandlerSchema - a new kind is its keys and one line: its own key joins the schema right before the next key it lists', () => {
    const probe = defineHandlerKeys('probe', { type, resource, source, steps, probeInterval: z.number().int().describe('(e2rx) Probe.').optional(), limits });
    const keys = Object.keys(mergeHandlerKeys([...HANDLER_KEYS, probe]));
    expect(keys.indexOf('probeInterval')).toBe(keys.indexOf('limits') - 1);
    expect(keys.filter((key) => key !== 'probeInterval')).toEqual(Object.keys(HandlerSchema.shape));
  });
});
