/**
 * Helpers of the HTTP benchmarks: autocannon in a child process (so that the load generator never shares a thread
 * with a server under test), servers started as child processes, and their memory read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const AUTOCANNON = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));

/** What one autocannon run measured. */
export interface LoadResult {
  /** 2xx responses per second. */
  readonly ok: number;
  /** Every response per second. */
  readonly all: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Latency percentiles of every response (ms). */
  readonly p50: number;
  readonly p99: number;
}

/** Options of {@link autocannon}. */
export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  /** How long to run (s); ignored when `amount` is given. */
  readonly seconds: number;
  /** Send this many requests in all, then stop (instead of running for `seconds`). */
  readonly amount?: number;
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Requests outstanding per connection (default 1). */
  readonly pipelining?: number;
}

/** Runs autocannon (keep-alive connections, closed loop) in a child process and returns its figures. */
export function autocannon(options: LoadOptions): Promise<LoadResult> {
  const args = [AUTOCANNON, '-j', '-c', String(options.connections), '-m', options.method ?? 'POST'];
  if (options.amount !== undefined) args.push('-a', String(options.amount));
  else args.push('-d', String(options.seconds));
  if (options.body !== undefined) args.push('-b', options.body);
  if (options.pipelining !== undefined) args.push('-p', String(options.pipelining));
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`);
  args.push(options.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`autocannon exited with ${code}`));
        return;
      }
      const report = JSON.parse(out) as {
        requests: { total: number };
        duration: number;
        '2xx': number;
        non2xx: number;
        errors: number;
        timeouts: number;
        latency: { p50: number; p99: number };
      };
      const seconds = report.duration;
      resolve({
        ok: report['2xx'] / seconds,
        all: report.requests.total / seconds,
        non2xx: report.non2xx,
        errors: report.errors,
        timeouts: report.timeouts,
        p50: report.latency.p50,
        p99: report.latency.p99,
      });
    });
  });
}

/** A server started as a child process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Resident memory of the process (bytes), read from /proc. */
  rss(): number;
  stop(): Promise<void>;
}

/**
 * Starts a server process and waits until `ready(port)` answers (polling `GET url`). `command` gets the port to use
 * as its last argument.
 */
export async function startServer(command: readonly string[], port: number, readyPath: string, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const [bin, ...rest] = command;
  if (bin === undefined) throw new Error('no command');
  const child = spawn(bin, [...rest], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited with ${child.exitCode}: ${stderr}`);
    try {
      const reply = await fetch(`http://127.0.0.1:${port}${readyPath}`, { method: 'GET' });
      await reply.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${command.join(' ')} did not answer on :${port}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    child,
    port,
    rss: () => rssOf(child.pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

/** The resident memory of a process (bytes), from /proc/<pid>/status; 0 when unknown. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of a process (bytes): in all, and split into anonymous (its own heap and code) and file-backed. */
export interface ResidentMemory {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
}

/** The resident memory of a process, from /proc/<pid>/status; zeros when unknown. */
export function memoryOf(pid: number | undefined): ResidentMemory {
  if (pid === undefined) return { rss: 0, anon: 0, file: 0 };
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
  } catch {
    return { rss: 0, anon: 0, file: 0 };
  }
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
