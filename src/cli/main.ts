/**
 * The `e2rx` command line: picks the command, parses its options, runs it, and turns every failure into a clear
 * message and an exit code (0 success, 1 failure, 2 usage error, 70 internal error). Never a stack trace.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { closestMatch } from '../directive/suggest.js';
import type { Command, CommandIo } from './command.js';
import { COMMANDS } from './commands/index.js';
import { commandHelp, globalHelp, usageLine } from './help.js';
import { packageVersion, printError, processIo } from './io.js';

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves to the exit code.
 *
 * @example
 * ```ts
 * import { main } from 'e2rx/cli';
 * process.exitCode = await main(['validate', 'examples/hello']);
 * ```
 */
export async function main(argv: readonly string[], io: CommandIo = processIo(), commands: readonly Command[] = COMMANDS): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(globalHelp(commands));
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    // `e2rx help start` is `e2rx start --help`.
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      io.stdout.write(globalHelp(commands));
      return 0;
    }
    const command = commands.find((candidate) => candidate.name === topic);
    if (!command) return unknownCommand(io, commands, topic);
    io.stdout.write(commandHelp(command));
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === first);
  if (!command) return unknownCommand(io, commands, first);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    const result = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    parsed = { values: result.values, positionals: result.positionals };
  } catch (error) {
    io.stderr.write(`e2rx ${command.name}: ${usageErrorText(error)}\n${usageLine(command)} (see e2rx ${command.name} --help)\n`);
    return 2;
  }
  if (parsed.values['help']) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  if (parsed.positionals.length > command.maxPositionals) {
    const extra = parsed.positionals.slice(command.maxPositionals).join(' ');
    io.stderr.write(`e2rx ${command.name}: unexpected argument '${extra}'\n${usageLine(command)} (see e2rx ${command.name} --help)\n`);
    return 2;
  }
  try {
    return await command.run(parsed, io);
  } catch (error) {
    return printError(io, error);
  }
}

/** Says that `name` is no command (suggesting the closest one); the exit code of a usage error, 2. */
function unknownCommand(io: CommandIo, commands: readonly Command[], name: string): number {
  const suggestion = closestMatch(name, commands.map((candidate) => candidate.name));
  const what = name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`;
  io.stderr.write(`e2rx: ${what}${suggestion ? `; did you mean '${suggestion}'?` : ''}\nUsage: e2rx <command> [options] (see e2rx --help)\n`);
  return 2;
}

function usageErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.replace(/\. To specify a positional argument.*$/, '') ?? message;
}
