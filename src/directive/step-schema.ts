/**
 * The steps of a handler or a schedule as written: a function call, a `group` of concurrent calls, or a `forEach`
 * (part of the Directive's schema, schema.ts).
 *
 * @see docs/reference/directive.md#steps
 * @module
 */
import { z } from 'zod';
import { stringMap, text } from './schema-fields.js';

/** The error policy of one call (docs/reference/directive.md#onerr). */
export const OnErrSchema = z
  .object({
    code: z
      .record(z.string(), z.string())
      .describe("Per error code: 'return' or 'continue'. Keys are the integer codes a function returns.")
      .optional(),
    any: text("'return' or 'continue' for every error; only when `code` is empty.").optional(),
    other: text("'return' or 'continue' for codes not listed in `code`; only with `code`.").optional(),
  })
  .describe('What to do when the function returns an error (docs/reference/directive.md#onerr). Without it the error is returned.');

const callFields = {
  fn: text('The function: a bare name (default namespace), `namespace::name`, or a full FQFN.').optional(),
  as: text('The state key under which the output is stored (default: the `fn` string as written).').optional(),
  with: stringMap('Desired state: `alias: existingStateKey` pairs passed to the function as its state.').optional(),
  onErr: OnErrSchema.optional(),
};

/** One concurrent call of a `group` step. */
export const CallSchema = z.object(callFields).describe('A function call.');

/** The historical `forEach` step (Atmo v0.3.x), restored by e2rx. */
export const ForEachSchema = z
  .object({
    in: text('The state key that holds a JSON array; the function runs once per element.').optional(),
    fn: callFields.fn,
    as: text('The state key that receives the JSON array of outputs, in input order.').optional(),
    onErr: OnErrSchema.optional(),
    concurrency: z.number().int().min(1).describe('(e2rx) At most this many elements run at once (default 8).').optional(),
  })
  .describe('Runs `fn` once per element of the JSON array in state key `in` (each element is its input).');

/** A step: exactly one of a function call, a `group`, or a `forEach`. */
export const StepSchema = z
  .object({
    ...callFields,
    group: z.array(CallSchema).describe('Calls run concurrently on the same state snapshot.').optional(),
    forEach: ForEachSchema.optional(),
  })
  .describe('A step: a function call (`fn`), a `group` of concurrent calls, or a `forEach`.');
