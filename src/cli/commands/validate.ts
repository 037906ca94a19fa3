/**
 * `e2rx validate [app]`: checks a Directive and its modules without starting anything.
 *
 * @module
 */
import { E2rxError } from '../../errors.js';
import type { Command } from '../command.js';
import { printError } from '../io.js';
import { formatProblemReport, problemsOf } from '../problem-report.js';

/**
 * The validate command: prints `found N problems:` (`found 1 problem:`) and one line per problem (exit 1), or
 * `valid` (exit 0).
 */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check an app: its Directive (every problem at once) and its modules',
  usage: '[app]',
  description: 'app is a directory with a Directive.yaml, or a runnables.wasm.zip bundle (default: ./runnables.wasm.zip, else the current directory).',
  options: {},
  maxPositionals: 1,
  examples: ['e2rx validate examples/hello', 'e2rx validate runnables.wasm.zip'],
  async run({ positionals }, io) {
    try {
      const [{ loadApp }, { chooseApp }] = await Promise.all([import('../../app/load-app.js'), import('../app-choice.js')]);
      // The app start would serve: without a path, a bundle older than the app directory does not win.
      const choice = await chooseApp(io.cwd, positionals[0]);
      if (choice.notice !== undefined) io.stderr.write(`warning: ${choice.notice}\n`);
      const app = await loadApp(choice.app, { cwd: io.cwd });
      if (app.warnings.length > 0) io.stdout.write(`${formatProblemReport(app.warnings)}\n`);
      io.stdout.write('valid\n');
      return 0;
    } catch (error) {
      const problems = E2rxError.is(error, 'E2RX_DIRECTIVE_INVALID') ? problemsOf(error.details) : undefined;
      if (problems) {
        io.stdout.write(`${formatProblemReport(problems)}\n`);
        return 1;
      }
      return printError(io, error);
    }
  },
};
