/**
 * An HTTP request as the pipelines see it: admitted by `fromHttpRoute` (sources/http.ts), holding an in-flight slot.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { FunctionRequest } from '../runtime/request.js';

/** One HTTP request holding an in-flight slot, waiting to be run. */
export interface HttpJob {
  readonly request: FunctionRequest;
  readonly response: ServerResponse;
  /**
   * When the request arrived (`performance.now()`: its body had been read), when known: its time limit counts from
   * there, so that a request that waited for a slot is answered within it all the same.
   */
  readonly arrivedAt?: number | undefined;
  /** Whether the client went away before the reply. */
  readonly aborted: boolean;
  /**
   * Calls `listener` once when the client goes away before the reply (at once if it already has). One listener per
   * job: a later call replaces an earlier one.
   */
  onAbort(listener: () => void): void;
  /** Frees the in-flight slot; call once the reply is written (idempotent). A plain function: may be passed on. */
  readonly release: () => void;
}
