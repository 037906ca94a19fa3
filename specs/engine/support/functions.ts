/**
 * Real functions for engine specs: AssemblyScript sources (written against e2rx's SDK) built with `buildApp`, once
 * per content. Sources are kept as strings so that `tsc` does not type-check them as TypeScript.
 *
 * The build is cached on disk under `os.tmpdir()/e2rx-spec-functions/<hash>`, keyed by the sources, the SDK's
 * sources and the compiler version, so that the spec files running in parallel (and later runs) do not recompile
 * the same modules; a change to any of them gives a new key.
 *
 * @example
 * ```ts
 * const fns = await specFunctions();
 * const dir = await makeAppDir({ directive, files: { 'echo.wasm': fns.echo } });
 * ```
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../../src/build/build-app.js';

/**
 * Sleeps with WASI `poll_oneoff` (the worker thread blocks, as a slow function would) for the milliseconds in the
 * header `x-sleep-ms`, else in the body (websocket messages), else in state key `ms` (schedules), else 300; logs `sleeping <ms>` and answers `slept <ms>`.
 */
const SLEEP = `
import { Output, req, log } from "@e2rx/sdk-assemblyscript";

@external("wasi_snapshot_preview1", "poll_oneoff")
declare function poll_oneoff(input: usize, output: usize, count: u32, events: usize): u16;

function millis(input: ArrayBuffer): i32 {
  const header = req.header("x-sleep-ms");
  if (header.length > 0) return <i32>parseInt(header);
  const body = String.UTF8.decode(input);
  if (body.length > 0 && !isNaN(parseInt(body))) return <i32>parseInt(body);
  const state = req.state("ms");
  if (state.length > 0) return <i32>parseInt(state);
  return 300;
}

export function run(input: ArrayBuffer): Output {
  const ms = millis(input);
  log.info("sleeping " + ms.toString());
  const subscription = new ArrayBuffer(48);
  const event = new ArrayBuffer(32);
  const count = new ArrayBuffer(8);
  const p = changetype<usize>(subscription);
  store<u64>(p, 7);
  store<u8>(p + 8, 0);
  store<u32>(p + 16, 1);
  store<u64>(p + 24, <u64>ms * 1000000);
  store<u64>(p + 32, 0);
  store<u16>(p + 40, 0);
  poll_oneoff(p, changetype<usize>(event), 1, changetype<usize>(count));
  return Output.ok("slept " + ms.toString());
}
`;

/** Busy-loops on the WASI monotonic clock for the milliseconds in `x-spin-ms` (default 5000), then answers `spun`. */
const SPIN = `
import { Output, req } from "@e2rx/sdk-assemblyscript";

@external("wasi_snapshot_preview1", "clock_time_get")
declare function clock_time_get(id: u32, precision: u64, time: usize): u16;

function now(cell: usize): u64 {
  clock_time_get(1, 0, cell);
  return load<u64>(cell);
}

export function run(input: ArrayBuffer): Output {
  const header = req.header("x-spin-ms");
  const ms: u64 = header.length > 0 ? <u64>parseInt(header) : 5000;
  const cell = changetype<usize>(new ArrayBuffer(8));
  const until = now(cell) + ms * 1000000;
  let turns: u64 = 0;
  while (now(cell) < until) turns += 1;
  return Output.ok("spun " + turns.toString());
}
`;

export const AS_FUNCTIONS = {
  /** Answers its input. */
  echo: `
import { Output } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  return Output.ok(input);
}
`,
  /** Answers JSON describing what it was given: method, url, params, a few headers, a query value and state. */
  inspect: `
import { Output, req } from "@e2rx/sdk-assemblyscript";

function field(name: string, value: string): string {
  return '"' + name + '":"' + value + '"';
}

export function run(input: ArrayBuffer): Output {
  const parts: string[] = [
    field("method", req.method()),
    field("url", req.url()),
    field("id", req.id()),
    field("body", String.UTF8.decode(input)),
    field("param_id", req.urlParam("id")),
    field("param_path", req.urlParam("path")),
    field("header_custom", req.header("x-custom")),
    field("header_mixed", req.header("X-Mixed-Case")),
    field("query_q", req.query("q")),
    field("state_s", req.state("s")),
    field("state_t", req.state("t")),
  ];
  return Output.ok("{" + parts.join(",") + "}");
}
`,
  /** Returns the Runnable error (code from header `x-code`, default 404; message `failed with <code>`). */
  fail: `
import { Output, req } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  const header = req.header("x-code");
  const code = header.length > 0 ? <i32>parseInt(header) : 404;
  return Output.err(code, "failed with " + code.toString());
}
`,
  /** Traps (\`unreachable\`). */
  trap: `
import { Output } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  unreachable();
  return Output.ok("never");
}
`,
  /** Sets Content-Type text/plain and the header X-Fn, answers "typed". */
  typed: `
import { Output, resp } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  resp.contentType("text/plain; charset=utf-8");
  resp.setHeader("X-Fn", "typed");
  return Output.ok("typed");
}
`,
  /** Sets only the header X-Step (to its input), answers "tagged". */
  tag: `
import { Output, resp } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  resp.setHeader("X-Step", "tag");
  return Output.ok("tagged");
}
`,
  /** Answers what the earlier step `fail` left in state (its error JSON when `onErr` continued). */
  after: `
import { Output, req } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  return Output.ok("after saw " + req.state("fail"));
}
`,
  /** Increments the in-memory cache counter `ticks`, logs `tick <n>` and answers n. */
  count: `
import { Output, cache, log } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  const got = cache.get("ticks");
  let n: i32 = 0;
  if (got.isOk) n = <i32>parseInt(got.text());
  n += 1;
  cache.set("ticks", n.toString());
  log.info("tick " + n.toString());
  return Output.ok(n.toString());
}
`,
  /** Answers the cache counter \`ticks\` (0 when unset). */
  peek: `
import { Output, cache } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  const got = cache.get("ticks");
  return Output.ok(got.isOk ? got.text() : "0");
}
`,
  /** Logs and answers `<method> <url> state.ms=<ms>` (schedules have no reply to read). */
  whoami: `
import { Output, req, log } from "@e2rx/sdk-assemblyscript";

export function run(input: ArrayBuffer): Output {
  const line = req.method() + " " + req.url() + " state.ms=" + req.state("ms");
  log.info(line);
  return Output.ok(line);
}
`,
  sleep: SLEEP,
  spin: SPIN,
} as const;

/** The name of a spec function. */
export type SpecFunction = keyof typeof AS_FUNCTIONS;

/** The modules, by function name. */
export type SpecModules = Readonly<Record<SpecFunction, Uint8Array>>;

const ROOT = new URL('../../../', import.meta.url);
let pending: Promise<SpecModules> | undefined;

/** Every function of {@link AS_FUNCTIONS}, built (or taken from the cache). */
export function specFunctions(): Promise<SpecModules> {
  pending ??= buildCached();
  return pending;
}

async function cacheKey(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(AS_FUNCTIONS));
  const sdkDir = new URL('sdk/assemblyscript/assembly/', ROOT);
  for (const name of (await readdir(sdkDir)).sort()) hash.update(name).update(await readFile(new URL(name, sdkDir)));
  const require = createRequire(import.meta.url);
  hash.update(await readFile(require.resolve('assemblyscript/package.json')));
  hash.update(await readFile(new URL('src/build/assemblyscript.ts', ROOT)));
  return hash.digest('hex').slice(0, 16);
}

async function readModules(dir: string): Promise<SpecModules> {
  const modules: Partial<Record<SpecFunction, Uint8Array>> = {};
  for (const name of Object.keys(AS_FUNCTIONS) as SpecFunction[]) modules[name] = new Uint8Array(await readFile(join(dir, `${name}.wasm`)));
  return modules as SpecModules;
}

async function buildCached(): Promise<SpecModules> {
  const base = join(tmpdir(), 'e2rx-spec-functions');
  const target = join(base, await cacheKey());
  if (existsSync(join(target, 'complete'))) return readModules(target);
  await mkdir(base, { recursive: true });
  const work = await mkdtemp(join(base, 'build-'));
  try {
    for (const [name, source] of Object.entries(AS_FUNCTIONS)) {
      await mkdir(join(work, name));
      await writeFile(join(work, name, 'index.ts'), source);
    }
    const report = await buildApp(work);
    if (!report.ok) throw new Error(`spec functions failed to build: ${JSON.stringify(report.functions.filter((fn) => fn.status === 'failed'))}`);
    await writeFile(join(work, 'complete'), '');
    try {
      await rename(work, target);
    } catch {
      // Another spec file finished the same build first: use its result.
      if (!existsSync(join(target, 'complete'))) throw new Error(`could not store the spec functions in ${target}`);
    }
    return await readModules(target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
