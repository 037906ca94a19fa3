/**
 * The format of a case file (`Directive.test.yaml`, beside the Directive): the one schema that gives the TypeScript
 * types and the structural checks of `e2rx test`. Unknown keys are errors, not warnings: a misspelt expectation that
 * were ignored would make a test that cannot fail.
 *
 * @see ../../../docs/guides/testing.md#directive-level-tests-e2rx-test
 * @module
 */
import { z } from 'zod';

const text = (description: string) => z.string().describe(description);
const headers = (description: string) => z.record(z.string(), z.string()).describe(description);
/** A header expectation: the exact value, or `null` for a header that must be absent. */
const expectedHeaders = z
  .record(z.string(), z.string().nullable())
  .describe('Headers by name (case-insensitive): the exact value, or null for a header that must be absent.');

/** The body of an input: text, or a value sent as JSON. */
const inputBody = {
  body: text('The body, as text.').optional(),
  json: z.unknown().describe('The body, as JSON (written as YAML).').optional(),
};

/** What a body must be: exactly this text, a JSON value containing this one, or text matching a regex. */
const bodyExpectations = {
  body: text('The body must be exactly this text.').optional(),
  json: z.unknown().describe('The body must be JSON containing this value (objects may have more keys; arrays match item by item).').optional(),
  match: text('The body must match this regular expression (JavaScript syntax).').optional(),
};

/** An HTTP request to a request handler. */
export const RequestInputSchema = z
  .object({
    method: text('The HTTP method (default GET).').optional(),
    path: text('The path and query, as a client sends it: /users/42?verbose=1.'),
    headers: headers('Request headers.').optional(),
    ...inputBody,
  })
  .strict();

/** A message to a NATS or Kafka stream handler. */
export const MessageInputSchema = z
  .object({
    handler: text(
      'The stream handler: its resource (a subject or topic), or its id (`nats orders.new`, `kafka orders`). Optional when the app has one stream handler.',
    ).optional(),
    key: text('The record key (Kafka); the published result keeps it.').optional(),
    headers: headers('Message headers.').optional(),
    ...inputBody,
  })
  .strict();

/** A message that a run published: to `respondTo`, or to the `deadLetter`. */
export const MessageExpectationSchema = z
  .object({
    to: text('The subject or topic it was published to.').optional(),
    key: text('Kafka: its key.').optional(),
    headers: expectedHeaders.optional(),
    ...bodyExpectations,
  })
  .strict();

/** A log line that must have been written during the run. */
export const LogExpectationSchema = z
  .object({
    level: z.enum(['debug', 'info', 'warn', 'error']).describe('Its level.').optional(),
    message: text('Its message contains this text.').optional(),
    match: text('Its message matches this regular expression.').optional(),
    fn: text('The function that wrote it.').optional(),
  })
  .strict();

/** The expectations of one case. Every key is optional; a case must have at least one. */
export const ExpectationsSchema = z
  .object({
    status: z.number().int().min(100).max(599).describe('Request cases: the HTTP status.').optional(),
    headers: expectedHeaders.optional(),
    ...bodyExpectations,
    published: z
      .union([MessageExpectationSchema, z.literal(false)])
      .describe('Message cases: the result published to respondTo, or false for none.')
      .optional(),
    deadLetter: z
      .union([MessageExpectationSchema, z.literal(false)])
      .describe('Message cases: the message sent to the dead letter, or false for none.')
      .optional(),
    publishes: z
      .union([z.array(MessageExpectationSchema), z.literal(false)])
      .describe('(e2rx) The messages the functions published with e2rx.publish and the run sends, in order (each matched by the one at its index; as many as listed), or false for none.')
      .optional(),
    logs: z.array(LogExpectationSchema).describe('Log lines that must have been written, each matched by one line.').optional(),
    cache: z
      .record(z.string(), z.string().nullable())
      .describe('The stubbed cache after the run: each key with this value, or null for a key that must be absent.')
      .optional(),
  })
  .strict();

/** An outbound HTTP or GraphQL response of a stub. */
export const HttpStubSchema = z
  .object({
    status: z.number().int().min(100).max(599).describe('Its status (default 200); above 299 the function gets the error `<status>: <body>`.').optional(),
    ...inputBody,
  })
  .strict();

/** Capabilities answered from the case instead of the real thing. */
export const StubsSchema = z
  .object({
    cache: z.record(z.string(), z.string()).describe('The cache contents before the run.').optional(),
    http: z.record(z.string(), HttpStubSchema).describe('Responses of fetch_url by URL, or by `METHOD URL`.').optional(),
    graphql: z.record(z.string(), HttpStubSchema).describe('Responses of graphql_query by endpoint URL.').optional(),
    db: z
      .record(z.string(), z.unknown())
      .describe('Results by query name: a list of rows for a select, an object for the others, or { error: text }.')
      .optional(),
    secrets: z.record(z.string(), z.string()).describe('Secret values by key (capabilities.secrets.env.allowedKeys).').optional(),
  })
  .strict();

/** The capabilities a case may use for real. */
export const REAL_CAPABILITIES = ['cache', 'http', 'graphql', 'db'] as const;

/** A capability a case may use for real. */
export type RealCapability = (typeof REAL_CAPABILITIES)[number];

/** One case: one input, its stubs, and what must come of it. */
export const CaseSchema = z
  .object({
    name: text('What the case shows; printed on its line.'),
    request: RequestInputSchema.describe('An HTTP request.').optional(),
    message: MessageInputSchema.describe('A NATS or Kafka message.').optional(),
    tick: text('A tick of the schedule of this name.').optional(),
    stubs: StubsSchema.optional(),
    real: z
      .array(z.enum(REAL_CAPABILITIES))
      .describe('Capabilities used for real (the Directive connections, the environment) instead of stubbed; the run is then in real time.')
      .optional(),
    expect: ExpectationsSchema,
  })
  .strict();

/** A case file. */
export const CaseFileSchema = z
  .object({
    stubs: StubsSchema.describe('Stubs every case starts from (a case adds its own, key by key).').optional(),
    cases: z.array(CaseSchema).min(1).describe('The cases, run in order.'),
  })
  .strict();

/** A case file as written. */
export type CaseFileInput = z.infer<typeof CaseFileSchema>;
/** One case as written. */
export type CaseInput = z.infer<typeof CaseSchema>;
/** The stubs of a case. */
export type Stubs = z.infer<typeof StubsSchema>;
/** The expectations of a case. */
export type Expectations = z.infer<typeof ExpectationsSchema>;
/** An expectation on a published message. */
export type MessageExpectation = z.infer<typeof MessageExpectationSchema>;
/** An expectation on a log line. */
export type LogExpectation = z.infer<typeof LogExpectationSchema>;
/** A stubbed HTTP response. */
export type HttpStub = z.infer<typeof HttpStubSchema>;

/**
 * The case file's JSON Schema (draft 2020-12), for editors: `e2rx schema --cases`.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(caseFileJsonSchema(), null, 2));
 * ```
 */
export function caseFileJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(CaseFileSchema), title: 'e2rx test cases (Directive.test.yaml)' };
}
