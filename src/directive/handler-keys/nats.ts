/**
 * The keys of the `nats` handler kind (`type: stream`, source `nats`, core NATS; handlers/nats.ts).
 *
 * @module
 */
import { text } from '../schema-fields.js';
import { defineHandlerKeys } from './define.js';
import { BROKER_FIELDS, GIVE_UP_FIELDS } from './shared.js';

/** The keys a core NATS handler reads. */
export const natsKeys = defineHandlerKeys('nats', {
  ...BROKER_FIELDS,
  queueGroup: text('(e2rx) NATS queue group (default: the identifier), so instances share the load.').optional(),
  ...GIVE_UP_FIELDS,
});
