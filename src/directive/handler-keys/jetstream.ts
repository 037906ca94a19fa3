/**
 * The keys of the `jetstream` handler kind (`type: stream`, source `nats` with `jetstream`; handlers/jetstream.ts):
 * the NATS keys, and the consumer's settings.
 *
 * @module
 */
import { z } from 'zod';
import { count, text } from '../schema-fields.js';
import { defineHandlerKeys } from './define.js';
import { natsKeys } from './nats.js';
import { BROKER_FIELDS, GIVE_UP_FIELDS } from './shared.js';

const jetstream = z
  .object({
    stream: text('(e2rx) The JetStream stream that holds the subject (created when missing).').optional(),
    durable: text('(e2rx) The durable consumer name (default: identifier and resource).').optional(),
    ackWaitMs: z.number().int().min(1).describe('(e2rx) How long a message may run before redelivery.').optional(),
    maxDeliver: z.number().int().min(1).describe('(e2rx) Deliveries before the message goes to the dead letter.').optional(),
    nakDelayMs: count('(e2rx) Delay before a failed message is redelivered.').optional(),
  })
  .describe('(e2rx) Consume through a JetStream durable pull consumer: at-least-once, acked after the run.');

/** The keys a JetStream handler reads. */
export const jetstreamKeys = defineHandlerKeys('jetstream', {
  ...BROKER_FIELDS,
  queueGroup: natsKeys.shape.queueGroup,
  jetstream: jetstream.optional(),
  ...GIVE_UP_FIELDS,
});
