/**
 * `npm run bench`: runs every benchmark of `bench/`, each in its own process (so that one's threads, memory and
 * leftovers do not skew the next), one after the other, and ends with a summary.
 *
 * Which modules run: those listed in {@link BENCHMARKS} (in that order; a listed file that does not exist is
 * skipped, so benchmarks can be added and removed without editing this file in lockstep), then, by name, any other
 * `bench/*.ts` that exports a `run()` function or documents itself as a script (a `Run: node --import tsx
 * bench/<name>.ts` line, the convention of this folder). A module that exports `run()` is imported and `run()` is
 * awaited; any other is executed as a script (its top-level code is the benchmark). Helpers are not benchmarks:
 * files whose name starts with `_`, ends with `.tmp.ts`, or is listed in {@link HELPERS}.
 *
 * Usage:
 *   npm run bench                 every benchmark
 *   npm run bench -- http runtime only these (by file name without .ts)
 *   npm run bench -- --list       what would run
 *
 * Every benchmark process runs with `--expose-gc` (benchmarks may measure memory after a full GC).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(BENCH_DIR, '..');

/** The benchmarks, in the order they run. Missing files are skipped. */
export const BENCHMARKS: readonly string[] = ['runtime', 'runtime-wasi', 'host-calls', 'http', 'tracing', 'streams'];

/** Modules of bench/ that are not benchmarks. */
export const HELPERS: readonly string[] = ['run', 'load', 'echo-app'];

/** One benchmark to run. */
export interface BenchModule {
  readonly name: string;
  readonly file: string;
  /** `run`: import and await `run()`; `script`: execute the file. */
  readonly mode: 'run' | 'script';
}

/** Whether a module's source exports a function named `run`. */
export function exportsRun(source: string): boolean {
  return /export\s+(async\s+)?function\s+run\s*\(/.test(source) || /export\s+(const|let)\s+run\s*[=:]/.test(source) || /export\s*\{[^}]*\brun\b[^}]*\}/.test(source);
}

/** Whether a module's comment says it is run as a script: `Run: node --import tsx bench/<name>.ts`. */
export function documentsScript(source: string, name: string): boolean {
  return new RegExp(`Run:.*node --import tsx bench/${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.ts`).test(source);
}

/** The benchmarks found in `dir`: the listed ones that exist, then the others that export `run()`. */
export function findBenchmarks(dir = BENCH_DIR): BenchModule[] {
  const found: BenchModule[] = [];
  const describe = (name: string): BenchModule => {
    const file = join(dir, `${name}.ts`);
    return { name, file, mode: exportsRun(readFileSync(file, 'utf8')) ? 'run' : 'script' };
  };
  for (const name of BENCHMARKS) if (existsSync(join(dir, `${name}.ts`))) found.push(describe(name));
  const others = readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.tmp.ts') && !file.startsWith('_'))
    .map((file) => basename(file, '.ts'))
    .filter((name) => !BENCHMARKS.includes(name) && !HELPERS.includes(name))
    .sort();
  for (const name of others) {
    const module = describe(name);
    if (module.mode === 'run' || documentsScript(readFileSync(module.file, 'utf8'), name)) found.push(module);
  }
  return found;
}

/** Runs one benchmark in a child process with inherited output; resolves with its exit code. */
function runChild(module: BenchModule): Promise<number> {
  const args =
    module.mode === 'script'
      ? ['--expose-gc', '--import', 'tsx', module.file]
      : ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', module.file];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--child') {
    const module = (await import(pathToFileURL(argv[1] ?? '').href)) as { run?: () => Promise<void> | void };
    if (typeof module.run !== 'function') throw new Error(`${argv[1]} does not export run()`);
    await module.run();
    return 0;
  }
  const all = findBenchmarks();
  const wanted = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = wanted.filter((name) => !all.some((module) => module.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`bench: no benchmark named ${unknown.join(', ')}; there are: ${all.map((module) => module.name).join(', ')}\n`);
    return 2;
  }
  const selected = wanted.length > 0 ? all.filter((module) => wanted.includes(module.name)) : all;
  if (argv.includes('--list')) {
    for (const module of selected) process.stdout.write(`${module.name}\t${module.mode}\t${module.file}\n`);
    return 0;
  }
  const results: Array<{ name: string; code: number; seconds: number }> = [];
  for (const module of selected) {
    process.stdout.write(`\n== bench/${module.name}.ts\n`);
    const started = performance.now();
    const code = await runChild(module);
    results.push({ name: module.name, code, seconds: (performance.now() - started) / 1000 });
  }
  process.stdout.write('\n== summary\n');
  for (const result of results) {
    process.stdout.write(`${result.name.padEnd(16)} ${result.code === 0 ? 'ok' : `failed (exit ${result.code})`}  ${result.seconds.toFixed(1)} s\n`);
  }
  return results.every((result) => result.code === 0) ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
