/**
 * A small bounded HTTP load generator for the benchmarks: `connections` keep-alive connections (a node:http Agent
 * with that many sockets), each sending one request at a time, back to back, for `durationMs` (closed loop: at most
 * `connections` requests are ever outstanding). Loopback only. Records the status of every reply and the latency of
 * each request.
 *
 * As a module: `await generateLoad(options)`. As a process (so that the server under test does not share its CPU
 * and memory with the generator): `node --import tsx bench/http-load.ts '<options as JSON>'` prints the
 * {@link LoadReport} as JSON on stdout.
 */
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';

/** Options of {@link generateLoad}. */
export interface LoadOptions {
  /** Loopback only: the generator refuses any other host. */
  readonly host: '127.0.0.1' | 'localhost' | '::1';
  readonly port: number;
  readonly method: string;
  readonly path: string;
  /** The request body (UTF-8). */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Concurrent connections, each with one request in flight (1..1024). */
  readonly connections: number;
  /** How long to send (ms, 100..120000). */
  readonly durationMs: number;
  /** Requests whose replies are not counted, sent first on every connection. */
  readonly warmupMs?: number;
}

/** What a run measured. */
export interface LoadReport {
  readonly requests: number;
  readonly seconds: number;
  /** All replies per second. */
  readonly rps: number;
  /** Replies by status (`0` for a connection error). */
  readonly statuses: Readonly<Record<string, number>>;
  /** 200 replies per second. */
  readonly okRps: number;
  /** Latency percentiles of every reply, in ms. */
  readonly p50: number;
  readonly p99: number;
  /** Latency percentiles of the 200 replies only, in ms. */
  readonly okP50: number;
  readonly okP99: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs the load and reports it. */
export async function generateLoad(options: LoadOptions): Promise<LoadReport> {
  if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) throw new Error('the load generator only targets loopback');
  const connections = Math.min(1024, Math.max(1, Math.floor(options.connections)));
  const durationMs = Math.min(120_000, Math.max(100, options.durationMs));
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const body = Buffer.from(options.body);
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(body.length), ...options.headers };
  const send = (): Promise<number> =>
    new Promise((resolve) => {
      const req = request({ host: options.host, port: options.port, method: options.method, path: options.path, agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });

  const lane = async (until: number, record: boolean, sink: { latencies: number[]; oks: number[]; statuses: Map<number, number> }): Promise<void> => {
    while (performance.now() < until) {
      const started = performance.now();
      const status = await send();
      if (!record) continue;
      const latency = performance.now() - started;
      sink.latencies.push(latency);
      if (status === 200) sink.oks.push(latency);
      sink.statuses.set(status, (sink.statuses.get(status) ?? 0) + 1);
    }
  };

  const warmup = { latencies: [] as number[], oks: [] as number[], statuses: new Map<number, number>() };
  if ((options.warmupMs ?? 0) > 0) {
    const until = performance.now() + (options.warmupMs ?? 0);
    await Promise.all(Array.from({ length: connections }, () => lane(until, false, warmup)));
  }
  const sink = { latencies: [] as number[], oks: [] as number[], statuses: new Map<number, number>() };
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(Array.from({ length: connections }, () => lane(until, true, sink)));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();

  const all = Float64Array.from(sink.latencies).sort();
  const oks = Float64Array.from(sink.oks).sort();
  return {
    requests: all.length,
    seconds,
    rps: all.length / seconds,
    statuses: Object.fromEntries([...sink.statuses.entries()].map(([status, count]) => [String(status), count])),
    okRps: oks.length / seconds,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    okP50: percentile(oks, 50),
    okP99: percentile(oks, 99),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  process.stdout.write(`${JSON.stringify(await generateLoad(options))}\n`);
}
