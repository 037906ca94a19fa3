/**
 * Help texts, generated from the commands' own definitions.
 *
 * @module
 */
import type { Command } from './command.js';

/** `e2rx --help`. */
export function globalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'e2rx: a WebAssembly function server for event-driven apps (Atmo-compatible Directives on RxJS)',
    '',
    'Usage: e2rx <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: e2rx help <command>, e2rx <command> --help)',
    '  -v, --version  print the version',
    '',
    'Examples:',
    ...commands.flatMap((command) => command.examples.slice(0, 1).map((example) => `  ${example}`)),
    '',
  ].join('\n');
}

/** The one-line usage of a command. */
export function usageLine(command: Command): string {
  return `Usage: e2rx ${command.name} ${command.usage}`.trimEnd();
}

/** `e2rx <command> --help`. */
export function commandHelp(command: Command): string {
  const options = Object.entries(command.options).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` ${option.placeholder ?? '<value>'}` : ''}`;
    return { flag, description: option.description };
  });
  options.push({ flag: '-h, --help', description: 'show this help' });
  const width = Math.max(...options.map((option) => option.flag.length));
  const environment = (command.environment ?? []).map((setting) => ({ names: setting.names.join(', '), description: setting.description }));
  const environmentWidth = Math.max(0, ...environment.map((setting) => setting.names.length));
  return [
    `e2rx ${command.name}: ${command.summary}`,
    '',
    usageLine(command),
    ...(command.description ? ['', command.description] : []),
    '',
    'Options:',
    ...options.map((option) => `  ${option.flag.padEnd(width)}  ${option.description}`),
    '',
    ...(environment.length > 0
      ? ['Environment (a flag wins; an empty variable counts as unset):', ...environment.map((setting) => `  ${setting.names.padEnd(environmentWidth)}  ${setting.description}`), '']
      : []),
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
    '',
  ].join('\n');
}
