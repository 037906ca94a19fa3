/**
 * Runs the case file of an app: reads it (every problem at once, located), resolves each case against the app, runs
 * them in order and reports each as passed or failed.
 *
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { App } from '../../app/load-app.js';
import { formatProblems, type Problem } from '../../directive/problem.js';
import { compileDirective } from '../../engine/compile.js';
import { E2rxError, errorMessage } from '../../errors.js';
import { CASE_FILE_NAME, parseCaseFile } from './case-file.js';
import { resolveCases, type ResolvedCase } from './case-targets.js';
import { checkExpectations } from './check-expectations.js';
import { runCase } from './run-case.js';

/** How one case ended. */
export interface CaseResult {
  readonly name: string;
  /** What it ran: `POST /hello`, `nats orders.new`, `schedule heartbeat`. */
  readonly target: string;
  readonly passed: boolean;
  /** The expectations not met, or the error that stopped the run. */
  readonly failures: readonly string[];
  readonly durationMs: number;
  /** Whether it ran in virtual time. */
  readonly virtual: boolean;
}

/** How a case file ended. */
export interface CasesReport {
  /** The case file, as shown (relative to the working directory). */
  readonly file: string;
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
}

/** Options of {@link runCaseFile}. */
export interface RunCaseFileOptions {
  /** The directory paths are shown relative to, and `app.path` (as `loadApp` shows it) is relative to. */
  readonly cwd: string;
  /** The app directory, when `app.path` is not relative to `cwd` (default: `app.path` resolved against `cwd`). */
  readonly appDir?: string;
  /** The environment of real capabilities and secrets. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Hears each case as it ends. */
  readonly onCase?: (result: CaseResult) => void;
}

/**
 * Runs `Directive.test.yaml` of an app directory.
 *
 * @throws {@link E2rxError} `E2RX_TEST_CASES_NOT_FOUND` when the app has none; `E2RX_TEST_CASES_INVALID` with every
 *   problem (`details.problems`) when it cannot run.
 *
 * @example
 * ```ts
 * const app = await loadApp('examples/hello');
 * const report = await runCaseFile(app, { cwd: process.cwd(), env: process.env });
 * console.log(`${report.passed} passed, ${report.failed} failed`);
 * ```
 */
export async function runCaseFile(app: App, options: RunCaseFileOptions): Promise<CasesReport> {
  const dir = options.appDir ?? resolve(options.cwd, app.path);
  const path = join(dir, CASE_FILE_NAME);
  const shown = relative(options.cwd, path) || path;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
    throw new E2rxError('E2RX_TEST_CASES_NOT_FOUND', `${shown} does not exist`);
  }
  const parsed = parseCaseFile(text, shown);
  if (!parsed.ok) throw invalid(parsed.problems);
  const { cases, problems } = resolveCases(parsed.cases, parsed.yaml, compileDirective(app.directive), app.directive);
  if (problems.length > 0) throw invalid(problems);
  const staticFiles = app.kind === 'directory' ? await readStaticFiles(join(dir, 'static')) : new Map<string, Uint8Array>();
  const results: CaseResult[] = [];
  for (const resolved of cases) {
    const result = await runOne(resolved, app, parsed.cases.stubs, options, staticFiles);
    options.onCase?.(result);
    results.push(result);
  }
  const passed = results.filter((result) => result.passed).length;
  return { file: shown, results, passed, failed: results.length - passed };
}

async function runOne(
  resolved: ResolvedCase,
  app: App,
  fileStubs: Parameters<typeof runCase>[1]['fileStubs'],
  options: RunCaseFileOptions,
  staticFiles: ReadonlyMap<string, Uint8Array>,
): Promise<CaseResult> {
  const started = performance.now();
  const target = resolved.target.kind === 'tick' ? resolved.target.schedule.id : resolved.target.handler.id;
  const base = { name: resolved.input.name, target };
  try {
    const outcome = await runCase(resolved, { app, fileStubs, env: options.env, staticFiles });
    const failures = checkExpectations(resolved.input.expect, outcome);
    return { ...base, passed: failures.length === 0, failures, durationMs: performance.now() - started, virtual: outcome.virtual };
  } catch (error) {
    return { ...base, passed: false, failures: [`the case could not run: ${errorMessage(error)}`], durationMs: performance.now() - started, virtual: false };
  }
}

function invalid(problems: readonly Problem[]): E2rxError {
  return new E2rxError('E2RX_TEST_CASES_INVALID', formatProblems(problems), { details: { problems } });
}

/** Every file under `dir`, by its name relative to it; empty when there is no such directory. */
async function readStaticFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (prefix: string): Promise<void> => {
    const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(name);
      else if (entry.isFile()) files.set(name, new Uint8Array(await readFile(join(dir, name))));
    }
  };
  await walk('');
  return files;
}
