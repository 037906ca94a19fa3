/**
 * What a handler kind declares of the Directive: the keys of a handler it reads, with their schema (one file per kind
 * in this folder; the kind's module in handlers/ refers to it). The handler schema is their union
 * (handler-schema.ts), so a new kind brings its keys with it.
 *
 * @module
 */
import type { z } from 'zod';
import { E2rxError } from '../../errors.js';

/** The keys one handler kind reads, with their schema. */
export interface HandlerKeys<N extends string = string, S extends z.ZodRawShape = z.ZodRawShape> {
  /** The kind (`http`, `websocket`, `nats`, …), as handlers/registry.ts names it. */
  readonly kind: N;
  /** Each key's schema, in the order the kind's docs list them. A key several kinds read is one shared schema. */
  readonly shape: S;
  /** The keys, in that order. */
  readonly names: readonly (keyof S & string)[];
}

/** Any kind's keys (what {@link mergeHandlerKeys} takes). */
export interface SomeHandlerKeys {
  readonly kind: string;
  readonly shape: z.ZodRawShape;
  readonly names: readonly string[];
}

/**
 * Declares the keys of a handler kind.
 *
 * @example
 * ```ts
 * export const httpKeys = defineHandlerKeys('http', { type, resource, method: text('The HTTP method.').optional(), steps });
 * httpKeys.names; // ['type', 'resource', 'method', 'steps']
 * ```
 */
export function defineHandlerKeys<const N extends string, S extends z.ZodRawShape>(kind: N, shape: S): HandlerKeys<N, S> {
  return { kind, shape, names: Object.keys(shape) };
}

type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (intersection: infer I) => void ? I : never;

/** The keys of every kind together. */
export type MergedShape<K extends readonly SomeHandlerKeys[]> = UnionToIntersection<K[number]['shape']>;

/**
 * The keys of all kinds as one shape, each key once. The order keeps each kind's: a key first seen in a kind is placed
 * right before the next key of that kind already placed, else right after the previous one (so a kind's own keys sit
 * beside the shared keys they follow). Two kinds that declare the same key must share its schema.
 *
 * @throws {@link E2rxError} `E2RX_INTERNAL` when two kinds declare one key with different schemas.
 * @example
 * ```ts
 * Object.keys(mergeHandlerKeys([httpKeys, websocketKeys])); // ['type', 'resource', 'method', 'source', 'steps', …]
 * ```
 */
export function mergeHandlerKeys<const K extends readonly SomeHandlerKeys[]>(kinds: K): MergedShape<K> {
  const order: string[] = [];
  const fields = new Map<string, { readonly schema: unknown; readonly kind: string }>();
  for (const { kind, shape, names } of kinds) {
    names.forEach((name, index) => {
      const schema = shape[name];
      const known = fields.get(name);
      if (known !== undefined) {
        if (known.schema !== schema) throw new E2rxError('E2RX_INTERNAL', `handler key ${name} is declared by ${known.kind} and ${kind} with different schemas: share one`);
        return;
      }
      fields.set(name, { schema, kind });
      const next = names.slice(index + 1).find((other) => fields.has(other) && order.includes(other));
      if (next !== undefined) {
        order.splice(order.indexOf(next), 0, name);
        return;
      }
      const previous = names
        .slice(0, index)
        .reverse()
        .find((other) => order.includes(other));
      order.splice(previous === undefined ? order.length : order.indexOf(previous) + 1, 0, name);
    });
  }
  return Object.fromEntries(order.map((name) => [name, fields.get(name)?.schema])) as MergedShape<K>;
}
