/**
 * The keys of the `websocket` handler kind (`type: stream`, source `server`; handlers/websocket.ts).
 *
 * @module
 */
import { defineHandlerKeys } from './define.js';
import { HANDLER_FIELDS } from './shared.js';

const { type, resource, source, steps, response, limits, auth } = HANDLER_FIELDS;

/** The keys a websocket handler reads. */
export const websocketKeys = defineHandlerKeys('websocket', { type, resource, source, steps, response, limits, auth });
