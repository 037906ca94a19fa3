/**
 * e2rx's own work per HTTP request, without the kernel: the CPU time per request of `e2rx start`'s HTTP path and of
 * the bare node:http + inline Wasm baseline, both in this process, both fed through in-memory connections.
 *
 * bench/http.ts measures what users see (sockets, autocannon in another process), but on a small shared machine its
 * rates move by tens of percent between runs, and both servers spend most of their time in the kernel's `writev`.
 * Here each server's node:http server gets 32 fake connections (a `Duplex` that counts the responses written to it;
 * Node parses the requests from it as from a socket), closed loop: each answer sends the next request on its
 * connection, the requests of one turn being sent together as a poll would hand them over. The CPU time of the process
 * over 100,000 requests, per request, the two servers alternated round by round; what is printed is each one's median
 * and the difference, e2rx's own work (routing, admission, the run, the reply, the access log and metrics), with the
 * difference of each round.
 *
 * The engine is the one `e2rx start` builds (`createEngine` on the echo app of bench/http.ts, log level warn, its
 * metrics and access log on), routed on a server made here so that its node:http server can be fed.
 *
 * Run: npm run build && npm run bench -- http-engine-cost   (about a minute; E2RX_BENCH_ROUNDS, default 5)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createEngine, createHttpServer, createMetrics, type Engine } from '../dist/index.js';
import { inlineFunction } from './_inline-wasm.js';
import { ECHO_BODY, writeEchoApp } from './echo-app.js';
import { median } from './load.js';

const ROUNDS = Number(process.env['E2RX_BENCH_ROUNDS'] ?? 5);
const REQUESTS = 100_000;
const CONNECTIONS = 32;

/** A connection whose writes are counted as responses (each starts with `HTTP/1.1 `; every one must be a 200). */
class FakeConnection extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 40_000;

  constructor(private readonly answered: (connection: FakeConnection) => void) {
    super();
  }

  override _read(): void {
    // Requests are pushed by the driver.
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#count(chunk);
    callback();
  }

  override _writev(chunks: Array<{ chunk: Buffer | string }>, callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) this.#count(chunk);
    callback();
  }

  setTimeout(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  address(): { port: number; address: string; family: string } {
    return { port: 1, address: '127.0.0.1', family: 'IPv4' };
  }

  #count(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (let at = text.indexOf('HTTP/1.1 '); at >= 0; at = text.indexOf('HTTP/1.1 ', at + 1)) {
      if (!text.startsWith('HTTP/1.1 200', at)) throw new Error(`not a 200: ${text.slice(at, at + 200)}`);
      this.answered(this);
    }
  }
}

/** Sends `total` requests to `server` over {@link CONNECTIONS} fake connections, closed loop; resolves when all are answered. */
function drive(server: { emit(event: string, ...args: unknown[]): boolean }, path: string, total: number): Promise<void> {
  const request = Buffer.from(`POST ${path} HTTP/1.1\r\nhost: localhost\r\ncontent-length: ${ECHO_BODY.length}\r\n\r\n${ECHO_BODY}`);
  let sent = 0;
  let answered = 0;
  const due: FakeConnection[] = [];
  let scheduled = false;
  return new Promise((resolve) => {
    const flush = (): void => {
      scheduled = false;
      for (const connection of due.splice(0)) {
        if (sent === total) break;
        sent += 1;
        connection.push(request);
      }
    };
    const onAnswer = (connection: FakeConnection): void => {
      answered += 1;
      if (answered === total) {
        setImmediate(resolve);
        return;
      }
      due.push(connection);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    };
    for (let index = 0; index < CONNECTIONS; index += 1) {
      const connection = new FakeConnection(onAnswer);
      server.emit('connection', connection);
      sent += 1;
      connection.push(request);
    }
  });
}

/** CPU microseconds per request of `total` requests. */
async function cpuPerRequest(server: { emit(event: string, ...args: unknown[]): boolean }, path: string, total: number): Promise<number> {
  const before = process.cpuUsage();
  await drive(server, path, total);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / total;
}

/** The benchmark (see the module comment). */
export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-bench-engine-cost-'));
  let engine: Engine | undefined;
  try {
    await writeEchoApp(dir);
    const echo = inlineFunction(await readFile(join(dir, 'echo.wasm')));
    const bare = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const output = echo(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': output.length });
        response.end(output);
      });
    });
    const logger = pino({ level: 'warn' });
    const metrics = createMetrics();
    const http = createHttpServer({ logger, metrics, health: () => engine?.health() ?? { healthy: false } });
    engine = createEngine({ app: dir, port: 0, host: '127.0.0.1', logger, http, metrics });
    await engine.start();

    await cpuPerRequest(bare, '/', REQUESTS);
    await cpuPerRequest(http.server, '/echo', REQUESTS);
    const bareUs: number[] = [];
    const e2rxUs: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      bareUs.push(await cpuPerRequest(bare, '/', REQUESTS));
      e2rxUs.push(await cpuPerRequest(http.server, '/echo', REQUESTS));
    }
    const differences = e2rxUs.map((us, index) => us - (bareUs[index] as number));
    console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${availableParallelism()} CPUs, ${new Date().toISOString()}; ${ROUNDS} rounds of ${REQUESTS} requests, ${CONNECTIONS} in-memory connections`);
    console.log(`bare node:http + inline Wasm: ${median(bareUs).toFixed(2)} µs of CPU per request (${bareUs.map((us) => us.toFixed(2)).join(', ')})`);
    console.log(`e2rx (the engine of e2rx start): ${median(e2rxUs).toFixed(2)} µs (${e2rxUs.map((us) => us.toFixed(2)).join(', ')})`);
    console.log(`e2rx's own work: ${median(differences).toFixed(2)} µs per request (by round: ${differences.map((us) => us.toFixed(2)).join(', ')}); ratio x${(median(bareUs) / median(e2rxUs)).toFixed(2)}`);
  } finally {
    await engine?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
