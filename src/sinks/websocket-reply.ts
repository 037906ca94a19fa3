/**
 * The websocket reply of a run: one text frame per message (docs/guides/streams.md).
 *
 * @module
 */
import type { WebSocket } from 'ws';
import type { RunResult } from '../steps/steps.js';
import { failureStatus, statusOfRunError } from './http-reply.js';

/**
 * Sends a run's result on its connection as one text frame: the output on success; on an error, the JSON
 * `{"status","message"}` of an HTTP error (one frame; the original sent two, see docs/deviations.md). The connection
 * stays open either way.
 */
export function replyWebSocket(socket: WebSocket, result: RunResult): void {
  if (socket.readyState !== socket.OPEN) return;
  if (result.kind === 'ok') {
    socket.send(Buffer.from(result.body).toString('utf8'));
    return;
  }
  const status = result.kind === 'runError' ? statusOfRunError(result.error.code) : failureStatus(result.error);
  socket.send(JSON.stringify({ status, message: result.error.message }));
}
