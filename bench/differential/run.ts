/**
 * The differential run of issue 15: the same bundle (Suborbital's test modules, bench/differential/bundle.ts) served
 * by the original Atmo v0.4.7 and by e2rx, the same seeded requests sent byte for byte to both, the answers compared
 * on status, body and headers, each difference classified by the rule table (rules.ts).
 *
 *   npm run differential [-- --seed 15 --count 4000 --json <file> --write-docs]
 *
 * (`npm run build`, then `node --import tsx bench/differential/run.ts` with the same arguments.)
 *
 * Needs the Atmo peer (../shared/tools/atmo-peer/build.sh; `ATMO_PEER`) and a mirror of suborbital/reactr
 * (`E2RX_SUBORBITAL_MIRRORS`, default /work/.mirror). Prints the agreement figure and the grouped differences; writes
 * the JSON result; `--write-docs` regenerates the tables of docs/compatibility.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isStaleBuild } from '../../specs/support/dist.js';
import { ATMO_BIN } from '../echo-app.js';
import { startServer, type ServerProcess } from '../load.js';
import { buildBundle, bundleRoutes, DEFAULT_MIRRORS, mirrorGitDir, REACTR_REF } from './bundle.js';
import { compareResponses } from './compare.js';
import { buildCorpus, coveredRoutes, type CorpusRequest } from './corpus.js';
import { startFetchTarget } from './fetch-target.js';
import { exchange } from './raw-http.js';
import { consoleSummary, markdownSection, replaceSection, summarise, type DifferentialResult } from './report.js';
import type { Pair } from './rules.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The seed and size of the run that docs/compatibility.md records. */
export const DEFAULT_SEED = 15;
export const DEFAULT_COUNT = 4_000;

/** Options of {@link runDifferential}. */
export interface DifferentialOptions {
  readonly seed: number;
  readonly count: number;
  /** Where the Suborbital mirrors are. */
  readonly mirrors?: string;
  /** Called after each request (progress). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Why a differential run cannot happen here (no peer, no mirror, no build), or undefined when it can. */
export function missingPrerequisite(mirrors = DEFAULT_MIRRORS): string | undefined {
  if (!existsSync(ATMO_BIN)) return `the Atmo peer is not built (${ATMO_BIN}; see ../shared/tools/atmo-peer/README.md)`;
  if (mirrorGitDir(mirrors, 'suborbital+reactr') === undefined) return `no mirror of suborbital/reactr under ${mirrors} (E2RX_SUBORBITAL_MIRRORS)`;
  if (isStaleBuild(join(ROOT, 'dist', 'cli', 'main.js'))) return 'dist/ is missing or older than src/: run npm run build';
  return undefined;
}

/** A free loopback port (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Waits until `GET /health` answers 200 (e2rx listens before its app is ready, and answers 503 until then). */
async function untilHealthy(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reply = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    await reply?.arrayBuffer();
    if (reply?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`the server on :${port} did not become healthy`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts both servers on the bundle, sends the corpus to both, and returns the pairs with the corpus. */
export async function collectPairs(options: DifferentialOptions): Promise<{ pairs: Pair[]; corpus: CorpusRequest[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'e2rx-differential-'));
  const target = await startFetchTarget();
  const servers: ServerProcess[] = [];
  try {
    const bundle = await buildBundle(dir, options.mirrors);
    const corpus = buildCorpus(options.seed, options.count, target.ports);
    const atmoPort = await freePort();
    servers.push(await startServer([ATMO_BIN, '--httpPort', String(atmoPort), bundle], atmoPort, '/health', { ATMO_LOG_LEVEL: 'warn' }));
    const e2rxPort = await freePort();
    servers.push(
      await startServer([process.execPath, join(ROOT, 'bin', 'e2rx.js'), 'start', bundle, '--port', String(e2rxPort), '--host', '127.0.0.1', '--log-level', 'warn'], e2rxPort, '/health', {
        E2RX_ACCESS_LOG: 'false',
      }),
    );
    await Promise.all([untilHealthy(atmoPort), untilHealthy(e2rxPort)]);
    const pairs: Pair[] = [];
    for (const request of corpus) {
      const bytes = Buffer.from(request.raw, 'latin1');
      const [atmo, e2rx] = await Promise.all([exchange(atmoPort, bytes, request.head), exchange(e2rxPort, bytes, request.head)]);
      pairs.push({ request, atmo, e2rx, difference: compareResponses(atmo, e2rx) });
      options.onProgress?.(pairs.length, corpus.length);
    }
    for (const [name, server] of [['Atmo', servers[0]], ['e2rx', servers[1]]] as const) {
      if (server?.child.exitCode !== null) throw new Error(`${name} exited during the run (code ${String(server?.child.exitCode)}): its answers after that are not comparable`);
    }
    return { pairs, corpus };
  } finally {
    for (const server of servers) await server.stop();
    await target.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the comparison and summarises it. */
export async function runDifferential(options: DifferentialOptions): Promise<DifferentialResult> {
  const { pairs, corpus } = await collectPairs(options);
  const covered = coveredRoutes(corpus);
  const missed = bundleRoutes().map(([method, resource]) => `${method} ${resource}`).filter((route) => !covered.has(route));
  return summarise(pairs, options.seed, {
    date: new Date().toISOString().slice(0, 10),
    commit: gitCommit(),
    atmo: 'v0.4.7',
    modules: `suborbital/reactr ${REACTR_REF} engine/testdata`,
    ...(missed.length > 0 ? { routesNotReached: missed.join(', ') } : {}),
  });
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** The command line of the run. */
export interface DifferentialArguments {
  readonly seed: number;
  readonly count: number;
  /** Where the JSON result goes (default: the system's temporary directory). */
  readonly json: string | undefined;
  readonly writeDocs: boolean;
}

/** Parses `--seed N --count N --json <file> --write-docs`; throws on anything else. */
export function parseArguments(argv: readonly string[]): DifferentialArguments {
  const parsed = { seed: DEFAULT_SEED, count: DEFAULT_COUNT, json: undefined as string | undefined, writeDocs: false };
  for (let at = 0; at < argv.length; at += 1) {
    const flag = argv[at];
    const value = argv[at + 1];
    if (flag === '--write-docs') parsed.writeDocs = true;
    else if ((flag === '--seed' || flag === '--count') && value !== undefined && /^\d+$/.test(value)) {
      parsed[flag === '--seed' ? 'seed' : 'count'] = Number(value);
      at += 1;
    } else if (flag === '--json' && value !== undefined) {
      parsed.json = value;
      at += 1;
    } else throw new Error(`unknown or incomplete argument ${JSON.stringify(flag)} (use --seed <n> --count <n> --json <file> --write-docs)`);
  }
  return parsed;
}

async function main(): Promise<void> {
  let args: DifferentialArguments;
  try {
    args = parseArguments(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`differential: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const { seed, count } = args;
  const missing = missingPrerequisite();
  if (missing !== undefined) {
    process.stderr.write(`differential: cannot run: ${missing}\n`);
    process.exitCode = 1;
    return;
  }
  const started = Date.now();
  const result = await runDifferential({
    seed,
    count,
    onProgress: (done, total) => {
      if (done % 500 === 0 || done === total) process.stderr.write(`differential: ${done}/${total} requests\n`);
    },
  });
  const json = args.json ?? join(tmpdir(), `e2rx-differential-${seed}.json`);
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${consoleSummary(result)}\n`);
  process.stdout.write(`differential: ${((Date.now() - started) / 1000).toFixed(0)} s; result in ${json}\n`);
  if (args.writeDocs) {
    const doc = join(ROOT, 'docs', 'compatibility.md');
    await writeFile(doc, replaceSection(await readFile(doc, 'utf8'), markdownSection(result)));
    process.stdout.write(`differential: ${doc} updated\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
