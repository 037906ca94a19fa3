/**
 * A websocket message as the pipelines see it: one message of a connection (`fromWebSocketRoute`,
 * sources/websocket.ts) and the socket its reply goes to.
 *
 * @module
 */
import type { WebSocket } from 'ws';
import type { FunctionRequest } from '../runtime/request.js';

/** One message of a websocket connection, waiting to be run. */
export interface WebSocketJob {
  readonly request: FunctionRequest;
  readonly socket: WebSocket;
}
