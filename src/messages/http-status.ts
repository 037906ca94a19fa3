/**
 * The HTTP status of a run's outcome: what the HTTP reply sends, and what a trace records for it.
 *
 * @module
 */
import { E2rxError } from '../errors.js';

/** The HTTP status of a Runnable error: its code when it is 200..599, else 500. */
export function statusOfRunError(code: number): number {
  return code >= 200 && code <= 599 ? code : 500;
}

/** The status of a failure that is not a Runnable error: 503 overloaded, 504 past the request's time limit, else 500. */
export function failureStatus(error: Error): number {
  if (E2rxError.is(error, 'E2RX_OVERLOADED')) return 503;
  if (E2rxError.is(error, 'E2RX_REQUEST_TIMEOUT')) return 504;
  return 500;
}
