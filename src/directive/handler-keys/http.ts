/**
 * The keys of the `http` handler kind (`type: request`; handlers/http.ts).
 *
 * @module
 */
import { text } from '../schema-fields.js';
import { defineHandlerKeys } from './define.js';
import { HANDLER_FIELDS } from './shared.js';

const { type, resource, steps, response, limits, auth } = HANDLER_FIELDS;

/** The keys an HTTP request handler reads. */
export const httpKeys = defineHandlerKeys('http', {
  type,
  resource,
  method: text('The HTTP method, for `type: request`.').optional(),
  steps,
  response,
  limits,
  auth,
});
