/**
 * The field builders of the Directive's schema: a string, a boolean, a count and a string map, each with the
 * description the JSON Schema and the docs show.
 *
 * @module
 */
import { z } from 'zod';

/** A string field. */
export const text = (description: string) => z.string().describe(description);
/** A boolean field. */
export const flag = (description: string) => z.boolean().describe(description);
/** A non-negative integer field. */
export const count = (description: string) => z.number().int().min(0).describe(description);
/** A mapping of strings to strings. */
export const stringMap = (description: string) => z.record(z.string(), z.string()).describe(description);
