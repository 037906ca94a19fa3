/**
 * Output streams whose reader may go away: `e2rx build | head -1` closes the pipe after one line, and the next write
 * fails with EPIPE, which Node emits as an `'error'` event that, unhandled, kills the process with a stack trace.
 *
 * @module
 */

/** The streams already guarded, so that a listener is added once however often the IO is created. */
const guarded = new WeakSet<NodeJS.EventEmitter>();

/**
 * Makes `stream` outlive its reader: a write error (EPIPE when the reader closed the pipe, or the error of a write
 * after that) is swallowed, so the command goes on to its end (a build builds every function) and exits with its
 * own code. What is written after the reader left is lost, which is what the reader asked for.
 *
 * @returns `stream` itself.
 *
 * @example
 * ```ts
 * const stdout = survivingClosedReader(process.stdout);
 * ```
 */
export function survivingClosedReader<T extends NodeJS.WritableStream>(stream: T): T {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on('error', () => {
      // The reader is gone (EPIPE, or ERR_STREAM_DESTROYED for a write after that): there is no one to tell.
    });
  }
  return stream;
}
