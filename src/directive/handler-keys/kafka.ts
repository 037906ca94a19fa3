/**
 * The keys of the `kafka` handler kind (`type: stream`, source `kafka`; handlers/kafka.ts).
 *
 * @module
 */
import { z } from 'zod';
import { text } from '../schema-fields.js';
import { defineHandlerKeys } from './define.js';
import { BROKER_FIELDS, GIVE_UP_FIELDS } from './shared.js';

/** The keys a Kafka handler reads. */
export const kafkaKeys = defineHandlerKeys('kafka', {
  ...BROKER_FIELDS,
  consumerGroup: text('(e2rx) Kafka consumer group (default: the identifier).').optional(),
  ordering: z
    .enum(['partition', 'key'])
    .describe('(e2rx) Kafka: `partition` (default) runs the records of a partition one at a time; `key` runs records with the same key in order and records with different keys in parallel.')
    .optional(),
  delivery: z
    .enum(['at-least-once', 'exactly-once'])
    .describe(
      '(e2rx) Kafka: `at-least-once` (default) commits a record once its outputs are acknowledged; `exactly-once` produces its results and dead letters in one Kafka transaction with its offset, read with read_committed.',
    )
    .optional(),
  ...GIVE_UP_FIELDS,
});
