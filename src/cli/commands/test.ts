/**
 * `e2rx test [app] [--reporter junit] [--output <file>]`: runs the cases of the app's `Directive.test.yaml` against
 * its real functions, with its capabilities stubbed (or real) per case.
 *
 * @module
 */
import { stat, writeFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { E2rxError } from '../../errors.js';
import type { Command, CommandIo } from '../command.js';
import { EXIT_CODES, printError } from '../io.js';
import { formatProblemReport, problemsOf } from '../problem-report.js';

const REPORTERS = ['lines', 'junit'] as const;

/**
 * The test command: builds the app's functions when their sources changed, runs every case, prints one line per case
 * (the unmet expectations indented under a failed one) and `N passed, N failed`. Exits 0 when every case passed, 1
 * when one failed (or the app or its build did), 2 for a usage error: a bad option, or a case file that is missing or
 * has problems (each printed as `file:line:col: message`).
 */
export const testCommand: Command = {
  name: 'test',
  summary: "run the cases of the app's Directive.test.yaml (requests, messages, schedule ticks) against its functions",
  usage: '[app] [options]',
  description:
    'app is the app directory (default: the current directory), with a Directive.test.yaml beside its Directive. Functions whose sources changed are built first, as e2rx build does. Each case runs on fresh function instances, with its capabilities stubbed (in virtual time) or real; see docs/guides/testing.md.',
  options: {
    reporter: { type: 'string', description: 'lines (default): one line per case; junit: JUnit XML for CI', placeholder: '<name>' },
    output: { type: 'string', short: 'o', description: 'write the junit report to this file (and print the lines)', placeholder: '<file>' },
  },
  maxPositionals: 1,
  examples: ['e2rx test examples/hello', 'e2rx test', 'e2rx test --reporter junit --output report.xml'],
  async run({ values, positionals }, io) {
    const reporter = values['reporter'] ?? 'lines';
    if (typeof reporter !== 'string' || !(REPORTERS as readonly string[]).includes(reporter)) {
      io.stderr.write(`e2rx test: unknown reporter '${String(reporter)}' (known: ${REPORTERS.join(', ')})\n`);
      return EXIT_CODES.usage;
    }
    const output = typeof values['output'] === 'string' ? resolve(io.cwd, values['output']) : undefined;
    if (output !== undefined && reporter !== 'junit') {
      io.stderr.write('e2rx test: --output writes the junit report: add --reporter junit\n');
      return EXIT_CODES.usage;
    }
    const root = resolve(io.cwd, positionals[0] ?? '.');
    if ((await stat(root).catch(() => undefined))?.isFile() === true) {
      io.stderr.write(`e2rx test: ${positionals[0] ?? root} is a file: give the app directory, where Directive.test.yaml sits beside the Directive\n`);
      return EXIT_CODES.usage;
    }
    try {
      if (!(await buildIfNeeded(root, io))) return EXIT_CODES.failure;
      const [{ loadApp }, { runCaseFile }, { junitXml }] = await Promise.all([
        import('../../app/load-app.js'),
        import('../../testing/cases/run-cases.js'),
        import('../../testing/cases/junit.js'),
      ]);
      const app = await loadApp(root, { cwd: io.cwd });
      const lines = reporter === 'lines' || output !== undefined;
      const report = await runCaseFile(app, {
        cwd: io.cwd,
        appDir: root,
        env: io.env,
        onCase: (result) => {
          if (!lines) return;
          io.stdout.write(`${result.passed ? 'ok  ' : 'FAIL'} ${result.name} (${result.target})\n`);
          for (const failure of result.failures) io.stdout.write(`       ${failure}\n`);
        },
      });
      if (reporter === 'junit') {
        if (output === undefined) io.stdout.write(junitXml([report]));
        else await writeFile(output, junitXml([report]));
      }
      const summary = `${report.passed} passed, ${report.failed} failed\n`;
      if (lines) io.stdout.write(summary);
      else io.stderr.write(summary);
      return report.failed === 0 ? EXIT_CODES.success : EXIT_CODES.failure;
    } catch (error) {
      if (E2rxError.is(error, 'E2RX_TEST_CASES_INVALID')) {
        io.stderr.write(`e2rx: ${formatProblemReport(problemsOf(error.details) ?? [])}\n`);
        return EXIT_CODES.usage;
      }
      if (E2rxError.is(error, 'E2RX_TEST_CASES_NOT_FOUND')) {
        printError(io, error);
        return EXIT_CODES.usage;
      }
      return printError(io, error);
    }
  },
};

/**
 * Builds the functions of `root` whose sources changed (as `e2rx build`: unchanged ones are skipped); prints what it
 * built and any compile error. Resolves false when a function failed to build.
 */
async function buildIfNeeded(root: string, io: CommandIo): Promise<boolean> {
  const [{ buildApp, findFunctions }, { formatDiagnostic }] = await Promise.all([import('../../build/build-app.js'), import('../../build/diagnostics.js')]);
  const functions = await findFunctions(root).catch(() => []);
  if (functions.length === 0) return true;
  const report = await buildApp(root, {
    env: io.env,
    onProgress: (event) => {
      if (event.type === 'built') io.stderr.write(`built ${relative(root, event.output) || event.output}\n`);
      if (event.type === 'failed') for (const diagnostic of event.diagnostics) io.stderr.write(`${event.name}: ${formatDiagnostic(diagnostic)}\n`);
    },
  });
  const failed = report.functions.filter((fn) => fn.status === 'failed').map((fn) => fn.name);
  if (failed.length === 0) return true;
  io.stderr.write(`e2rx: ${failed.length === 1 ? 'a function' : `${failed.length} functions`} failed to build: ${failed.join(', ')}\nhint: fix the compile errors shown\n`);
  return false;
}
