import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { main } from '../../src/cli/main.js';
import { E2rxError } from '../../src/errors.js';
import { captureIo } from '../support/apps.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('main - help and version', () => {
  it.each([['--help'], ['-h'], ['help']])('main - %s prints the global help on stdout and exits 0', async (flag) => {
    const io = captureIo();
    expect(await main([flag], io)).toBe(0);
    expect(io.out()).toContain('Usage: e2rx <command> [options]');
    for (const command of COMMANDS) expect(io.out()).toMatch(new RegExp(`^  ${command.name} +${command.summary.replace(/[()]/g, '\\$&')}$`, 'm'));
    expect(io.out()).toContain('-v, --version');
    expect(io.err()).toBe('');
  });

  it.each(COMMANDS.map((command) => [command.name]))('main - %s --help prints the command help and exits 0', async (name) => {
    const command = COMMANDS.find((candidate) => candidate.name === name) as Command;
    const io = captureIo();
    expect(await main([name, '--help'], io)).toBe(0);
    expect(io.out()).toContain(`e2rx ${name}: ${command.summary}`);
    expect(io.out()).toContain(`Usage: e2rx ${name}`);
    expect(io.out()).toContain('-h, --help');
    for (const option of Object.keys(command.options)) expect(io.out()).toContain(`--${option}`);
    for (const example of command.examples) expect(io.out()).toContain(example);
    expect(io.err()).toBe('');
  });

  it.each(COMMANDS.map((command) => [command.name]))('main - help %s prints the help of that command, as %s --help', async (name) => {
    const viaHelp = captureIo();
    const viaFlag = captureIo();
    expect(await main(['help', name], viaHelp)).toBe(0);
    await main([name, '--help'], viaFlag);
    expect(viaHelp.out()).toBe(viaFlag.out());
    expect(viaHelp.out()).toContain(`Usage: e2rx ${name}`);
  });

  it('main - help <unknown> is a usage error with a suggestion', async () => {
    const io = captureIo();
    expect(await main(['help', 'strat'], io)).toBe(2);
    expect(io.err()).toBe("e2rx: unknown command 'strat'; did you mean 'start'?\nUsage: e2rx <command> [options] (see e2rx --help)\n");
    expect(io.out()).toBe('');
  });

  it('main - <cmd> -h is the same as --help', async () => {
    const long = captureIo();
    const short = captureIo();
    await main(['start', '--help'], long);
    expect(await main(['start', '-h'], short)).toBe(0);
    expect(short.out()).toBe(long.out());
  });

  it('main - --help wins over other arguments of a command', async () => {
    const io = captureIo();
    expect(await main(['validate', 'some/app', '--help'], io)).toBe(0);
    expect(io.out()).toContain('Usage: e2rx validate');
  });

  it.each([['--version'], ['-v'], ['version']])('main - %s prints the package version and exits 0', async (flag) => {
    const io = captureIo();
    expect(await main([flag], io)).toBe(0);
    expect(io.out()).toBe(`${VERSION}\n`);
  });
});

describe('main - usage errors exit 2', () => {
  it('main - no arguments prints the help on stderr and exits 2', async () => {
    const io = captureIo();
    expect(await main([], io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('Usage: e2rx <command> [options]');
  });

  it('main - an unknown command is one line, the usage, and exit 2', async () => {
    const io = captureIo();
    expect(await main(['deploy'], io)).toBe(2);
    expect(io.err()).toBe("e2rx: unknown command 'deploy'\nUsage: e2rx <command> [options] (see e2rx --help)\n");
    expect(io.out()).toBe('');
  });

  it('main - an unknown command close to a known one suggests it', async () => {
    const io = captureIo();
    expect(await main(['strat', 'app'], io)).toBe(2);
    expect(io.err().split('\n')[0]).toBe("e2rx: unknown command 'strat'; did you mean 'start'?");
  });

  it('main - a misspelt validate suggests validate', async () => {
    const io = captureIo();
    expect(await main(['valdiate'], io)).toBe(2);
    expect(io.err()).toContain("did you mean 'validate'?");
  });

  it('main - an unknown global option exits 2', async () => {
    const io = captureIo();
    expect(await main(['--verbose'], io)).toBe(2);
    expect(io.err().split('\n')[0]).toBe("e2rx: unknown option '--verbose'");
  });

  it('main - an unknown option of a command exits 2 with the command usage', async () => {
    const io = captureIo();
    expect(await main(['validate', '--strict'], io)).toBe(2);
    const lines = io.err().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^e2rx validate: .*'--strict'/);
    expect(lines[1]).toBe('Usage: e2rx validate [app] (see e2rx validate --help)');
    expect(lines).toHaveLength(2);
  });

  it('main - a string option without its value exits 2', async () => {
    const io = captureIo();
    expect(await main(['start', '--port'], io)).toBe(2);
    expect(io.err()).toMatch(/^e2rx start: .*--port/);
  });

  it('main - too many positionals exit 2 and name the extra one', async () => {
    const io = captureIo();
    expect(await main(['validate', 'a', 'b'], io)).toBe(2);
    expect(io.err()).toBe("e2rx validate: unexpected argument 'b'\nUsage: e2rx validate [app] (see e2rx validate --help)\n");
  });

  it('main - schema takes no positional', async () => {
    const io = captureIo();
    expect(await main(['schema', 'out.json'], io)).toBe(2);
    expect(io.err()).toContain("unexpected argument 'out.json'");
    expect(io.out()).toBe('');
  });
});

describe('main - failures of a command', () => {
  const failing = (error: unknown): Command => ({
    name: 'boom',
    summary: 'fails',
    usage: '',
    options: {},
    maxPositionals: 0,
    examples: [],
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- these tests reject with non-Error values on purpose (e.g. a plain string)
    run: () => Promise.reject(error),
  });

  it('main - an E2rxError is printed as message and hint, exit 1, no stack', async () => {
    const io = captureIo();
    const error = new E2rxError('E2RX_APP_NOT_FOUND', 'app does not exist', { hint: 'pass a path' });
    expect(await main(['boom'], io, [failing(error)])).toBe(1);
    expect(io.err()).toBe('e2rx: app does not exist\nhint: pass a path\n');
  });

  it('main - any other error is an internal error: one message and a hint to report it, exit 70, no stack', async () => {
    const io = captureIo();
    expect(await main(['boom'], io, [failing(new TypeError('cannot read x of undefined'))])).toBe(70);
    expect(io.err()).toBe(
      'e2rx: internal error: cannot read x of undefined\nhint: this is a bug of e2rx: please report it with the log lines around it\n',
    );
    expect(io.err()).not.toMatch(/^ {4}at /m);
  });

  it('main - an E2RX_INTERNAL error exits 70', async () => {
    const io = captureIo();
    expect(await main(['boom'], io, [failing(new E2rxError('E2RX_INTERNAL', 'the app template is missing'))])).toBe(70);
    expect(io.err().split('\n')[0]).toBe('e2rx: internal error: the app template is missing');
  });

  it('main - an operating-system error (a file that cannot be written) is a failure, exit 1', async () => {
    const io = captureIo();
    const error = Object.assign(new Error("EACCES: permission denied, open '/app/x.wasm'"), { code: 'EACCES', syscall: 'open', errno: -13 });
    expect(await main(['boom'], io, [failing(error)])).toBe(1);
    expect(io.err()).toBe("e2rx: EACCES: permission denied, open '/app/x.wasm'\n");
  });

  it('main - a thrown non-Error value is an internal error too', async () => {
    const io = captureIo();
    expect(await main(['boom'], io, [failing('plain text')])).toBe(70);
    expect(io.err().split('\n')[0]).toBe('e2rx: internal error: plain text');
  });

  it('main - the exit code of the command is returned', async () => {
    const io = captureIo();
    const command: Command = { name: 'three', summary: 's', usage: '', options: {}, maxPositionals: 0, examples: [], run: () => Promise.resolve(3) };
    expect(await main(['three'], io, [command])).toBe(3);
  });
});
