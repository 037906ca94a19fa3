/**
 * The handler keys several kinds read, each declared once: a kind's file (http.ts, nats.ts, …) takes the ones it
 * reads, so the schema of a shared key is one.
 *
 * @see docs/reference/directive.md#handlers
 * @module
 */
import { z } from 'zod';
import { AuthSchema } from '../auth-schema.js';
import { count, text } from '../schema-fields.js';
import { StepSchema } from '../step-schema.js';

const handlerLimits = z
  .object({
    maxInFlight: z.number().int().min(1).describe('(e2rx) Runs in flight at most (default 1024); more work waits in the queue.').optional(),
    queueSize: count('(e2rx) Work waiting for a slot at most, by count (default: no count bound); past it, 503.').optional(),
    maxQueuedBytes: z.number().int().min(0).describe('(e2rx) Bytes of waiting work at most (default 64 MiB); past it, 503.').optional(),
    requestTimeoutMs: z.number().int().min(1).describe('(e2rx) A request running longer gets 504; waiting work that could no longer finish within it gets 503.').optional(),
    maxBodyBytes: z.number().int().min(0).describe('(e2rx) A larger request body gets 413.').optional(),
    maxConnections: z.number().int().min(1).describe('(e2rx) Websocket connections at most (default 4096); past it, 503.').optional(),
  })
  .describe('(e2rx) Bounds of this handler, overriding the app-wide `limits`.');

const retryPolicy = z
  .object({
    max: count('(e2rx) Retries of a failed run before the dead letter.').optional(),
    backoffMs: count('(e2rx) The first retry delay; it doubles each time.').optional(),
  })
  .describe('(e2rx) Retries of a failed stream run.');

/** The keys several handler kinds read. */
export const HANDLER_FIELDS = {
  type: text("'request' (HTTP) or 'stream' (websocket, NATS, Kafka).").optional(),
  resource: text('The URL path (`/users/:id`) or, for NATS and Kafka, the subject or topic.').optional(),
  source: text("For `type: stream`: 'server' (websocket, the default), 'nats' or 'kafka'.").optional(),
  steps: z.array(StepSchema).describe('The steps, run in order.').optional(),
  response: text('The state key whose value is the response (required when the last step is a group).').optional(),
  respondTo: text('For NATS and Kafka streams: the subject or topic the result is published to.').optional(),
  limits: handlerLimits.optional(),
  deadLetter: text('(e2rx) Subject or topic that receives messages whose runs failed for good.').optional(),
  retries: retryPolicy.optional(),
  auth: AuthSchema.describe('(e2rx) Inbound authentication of this request or websocket handler; its keys override the app-wide `auth`.').optional(),
};

const { type, resource, source, steps, response, respondTo, limits, deadLetter, retries } = HANDLER_FIELDS;

/** The keys a broker's stream handler (NATS, JetStream, Kafka) reads before its own. */
export const BROKER_FIELDS = { type, resource, source, steps, response, respondTo, limits };

/** The keys a broker's stream handler reads after its own: how a failing message is given up. */
export const GIVE_UP_FIELDS = { deadLetter, retries };
