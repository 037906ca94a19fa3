/**
 * The schema of a Directive handler, built from the keys each handler kind declares (handler-keys/, one file per
 * kind): a new kind is its keys' file and one line in {@link HANDLER_KEYS}, beside its module and its line in
 * handlers/registry.ts (which refers to the same keys; a spec checks that the two lists agree).
 *
 * @see docs/reference/directive.md#handlers
 * @module
 */
import { z } from 'zod';
import { mergeHandlerKeys } from './handler-keys/define.js';
import { httpKeys } from './handler-keys/http.js';
import { jetstreamKeys } from './handler-keys/jetstream.js';
import { kafkaKeys } from './handler-keys/kafka.js';
import { natsKeys } from './handler-keys/nats.js';
import { websocketKeys } from './handler-keys/websocket.js';

/** The keys of every handler kind, in the order of handlers/registry.ts. */
export const HANDLER_KEYS = [httpKeys, websocketKeys, natsKeys, kafkaKeys, jetstreamKeys] as const;

/** A handler: an input (request, websocket, NATS or Kafka) and its steps (docs/reference/directive.md#handlers). */
export const HandlerSchema = z.object(mergeHandlerKeys(HANDLER_KEYS)).describe('A handler (docs/reference/directive.md#handlers).');
