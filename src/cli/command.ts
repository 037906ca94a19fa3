/**
 * The shape of one CLI command. Each command lives in `src/cli/commands/<name>.ts` and is listed in
 * `src/cli/commands/index.ts`.
 *
 * @module
 */

/** Where a command writes and what it reads: injected so that specs run commands without a child process. */
export interface CommandIo {
  /** Normal output. */
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Errors and diagnostics. */
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  /** The working directory paths are resolved against. */
  readonly cwd: string;
  /** The environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborting it stops a long-running command (start) as SIGTERM would; specs use it instead of signals. */
  readonly signal?: AbortSignal;
}

/** One option of a command, as `node:util` `parseArgs` takes it, plus its help text. */
export interface CommandOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly description: string;
  /** The value's placeholder in help, for string options (`<port>`). */
  readonly placeholder?: string;
}

/** An environment variable a command reads, listed in its help. */
export interface EnvironmentSetting {
  /** The variable, then those read when it is unset or empty (Atmo's `ATMO_*`), in that order. */
  readonly names: readonly [string, ...string[]];
  /** What it sets, and its values. */
  readonly description: string;
}

/** One CLI command. */
export interface Command {
  /** The word that selects it: `e2rx <name>`. */
  readonly name: string;
  /** One line for `e2rx --help`. */
  readonly summary: string;
  /** The usage line after `e2rx <name>`, for example `[app] [options]`. */
  readonly usage: string;
  /** Longer description for `e2rx <name> --help`. */
  readonly description?: string;
  /** The options it takes (`--help` is added for every command). */
  readonly options: Readonly<Record<string, CommandOption>>;
  /** The environment variables it reads (a flag wins over them). */
  readonly environment?: readonly EnvironmentSetting[];
  /** Whether it accepts positional arguments, and at most how many. */
  readonly maxPositionals: number;
  /** Examples shown in help, each a full command line. */
  readonly examples: readonly string[];
  /**
   * Runs the command with parsed options and positionals; resolves to the exit code.
   * A long-running command (start) resolves when the server has stopped.
   */
  run(
    args: { readonly values: Readonly<Record<string, string | boolean | undefined>>; readonly positionals: readonly string[] },
    io: CommandIo,
  ): Promise<number>;
}
