/**
 * A burst of HTTP requests for load specs: `count` connections opened at once, each sending one request (its own
 * socket, no keep-alive), every reply read to its end. Loopback only. Run as its own process (so that the server
 * under test does not share its event loop with thousands of client sockets):
 * `node --import tsx specs/integration/support/burst.ts '<BurstOptions as JSON>'` prints a {@link BurstReport} as
 * JSON on stdout.
 *
 * @example
 * ```ts
 * const report = await runBurst({ port, path: '/sleep', count: 5_000, body: '', headers: { 'x-sleep-ms': '1' }, expect: 'slept 1' });
 * expect(report.answered).toBe(5_000);
 * ```
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/** Options of a burst. */
export interface BurstOptions {
  readonly port: number;
  readonly path: string;
  /** Requests, each on its own connection, all started at once (1..20000). */
  readonly count: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The body every 200 reply must have (default: not checked). */
  readonly expect?: string;
}

/** What a burst saw. */
export interface BurstReport {
  /** Replies read to their end. */
  readonly answered: number;
  /** Replies by status. */
  readonly statuses: Readonly<Record<string, number>>;
  /** 503 replies without a `Retry-After` header of at least 1 second. */
  readonly withoutRetryAfter: number;
  /** 200 replies whose body was not {@link BurstOptions.expect}. */
  readonly wrongBodies: number;
  /** Requests that failed without a reply, by error code. */
  readonly errors: Readonly<Record<string, number>>;
}

/** Sends the burst from this process. */
export async function burst(options: BurstOptions): Promise<BurstReport> {
  const count = Math.min(20_000, Math.max(1, Math.floor(options.count)));
  const body = Buffer.from(options.body);
  const expected = options.expect === undefined ? undefined : Buffer.from(options.expect);
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let answered = 0;
  let withoutRetryAfter = 0;
  let wrongBodies = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: options.port,
          method: 'POST',
          path: options.path,
          agent: false,
          headers: { 'content-length': String(body.length), ...options.headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            answered += 1;
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (status === 503 && !(Number(res.headers['retry-after']) >= 1)) withoutRetryAfter += 1;
            if (status === 200 && expected !== undefined && !Buffer.concat(chunks).equals(expected)) wrongBodies += 1;
            resolve();
          });
          res.on('error', (error: NodeJS.ErrnoException) => {
            errors[error.code ?? error.message] = (errors[error.code ?? error.message] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        errors[error.code ?? error.message] = (errors[error.code ?? error.message] ?? 0) + 1;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(Array.from({ length: count }, one));
  return { answered, statuses, withoutRetryAfter, wrongBodies, errors };
}

/** Runs a burst in a child process and returns its report. */
export async function runBurst(options: BurstOptions): Promise<BurstReport> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify(options)], {
    timeout: 25_000,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as BurstReport;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as BurstOptions;
  process.stdout.write(`${JSON.stringify(await burst(options))}\n`);
}
