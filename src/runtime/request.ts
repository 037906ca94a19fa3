/**
 * The request object handed to every function invocation (spec §2.1, "CoordinatedRequest").
 *
 * @module
 */

/**
 * One invocation's request: HTTP request, websocket message, bus message or schedule tick, normalised.
 * Functions read and mutate it through the host ABI (`request_get_field`, `request_set_field`, `resp_set_header`).
 */
export interface FunctionRequest {
  /** HTTP method; `SCHED` for schedules; `STREAM` for NATS/Kafka messages; `GET` for websocket messages. */
  method: string;
  /** Request URI (path and query) for HTTP; the schedule name; the handler resource for bus streams. */
  url: string;
  /** A UUID per request. */
  readonly id: string;
  /** The raw request body or message payload. */
  body: Uint8Array;
  /** Request headers, keys lower-cased, first value only. */
  headers: Record<string, string>;
  /** Router path parameters. */
  params: Record<string, string>;
  /** The workflow state. */
  state: Record<string, Uint8Array>;
  /** Response headers accumulated from functions. */
  respHeaders: Record<string, string>;
}
