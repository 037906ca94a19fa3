/**
 * Finding the Go toolchain that builds Go functions, and checking that it is recent enough (Go 1.24 added
 * `//go:wasmexport`, which the Go SDK needs to export the Runnable ABI).
 *
 * @module
 */

import { execFile } from 'node:child_process';
import { E2rxError } from '../errors.js';

/** The oldest Go that builds Go functions: `[major, minor]`. */
export const MIN_GO_VERSION: readonly [number, number] = [1, 24];

/** The environment variable naming the `go` command to use instead of the `go` found on `PATH`. */
export const GO_COMMAND_VARIABLE = 'E2RX_GO';

/** The Go toolchain a build uses. */
export interface GoToolchain {
  /** The command that was run (`go`, or the value of `E2RX_GO`). */
  readonly command: string;
  /** What `go env GOVERSION` printed, for example `go1.26.8`. */
  readonly version: string;
  /** The environment every `go` command of the build runs with. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What {@link runGo} gives back. */
export interface GoRun {
  /** The exit code (0 on success). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a `go` command in `cwd`; resolves with its exit code and output, rejects only when it could not be started
 * (with the spawn error, whose `code` is `ENOENT` when the command does not exist).
 */
export function runGo(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: Readonly<Record<string, string | undefined>> },
): Promise<GoRun> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ code: 0, stdout, stderr });
        return;
      }
      if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
      else reject(error instanceof Error ? error : new Error(error.message));
    });
  });
}

/**
 * The `[major, minor]` of a Go version string (`go1.26.8`, `go1.24rc1`, `go1.25`); `undefined` for anything else.
 * A development build (`devel go1.27-abcdef`) counts as its base version.
 *
 * @example
 * ```ts
 * parseGoVersion('go1.26.8'); // [1, 26]
 * parseGoVersion('devel go1.27-1b2c3d Fri Jan 2'); // [1, 27]
 * ```
 */
export function parseGoVersion(version: string): [number, number] | undefined {
  const match = /\bgo(\d+)\.(\d+)/.exec(version);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2])];
}

/** Whether a Go version (as `go env GOVERSION` prints it) is at least {@link MIN_GO_VERSION}. */
export function isSupportedGoVersion(version: string): boolean {
  const parsed = parseGoVersion(version);
  if (parsed === undefined) return false;
  const [major, minor] = parsed;
  return major > MIN_GO_VERSION[0] || (major === MIN_GO_VERSION[0] && minor >= MIN_GO_VERSION[1]);
}

const MINIMUM = `Go ${MIN_GO_VERSION.join('.')}`;
const HINT = `install ${MINIMUM} or later (https://go.dev/dl/) and put its go command on PATH, or set ${GO_COMMAND_VARIABLE} to the go command to use`;

/**
 * Finds the Go toolchain for a build: the command named by `E2RX_GO` in `env`, else `go` on `env.PATH`; runs
 * `go env GOVERSION` in `cwd` and checks the version.
 *
 * @throws {@link E2rxError} `E2RX_TOOLCHAIN_MISSING` when there is no such command, it fails, or it is older than Go
 * 1.24; the message says which, and `why` (what needs Go: "hello is a Go function").
 *
 * @example
 * ```ts
 * import { findGoToolchain } from './go-toolchain.js'; // internal
 * const go = await findGoToolchain({ cwd: './my-app', env: process.env });
 * console.log(go.version); // go1.26.8
 * ```
 */
export async function findGoToolchain(options: {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly why?: string;
}): Promise<GoToolchain> {
  const env = options.env ?? process.env;
  const named = env[GO_COMMAND_VARIABLE];
  const command = named === undefined || named === '' ? 'go' : named;
  const where = command === 'go' ? 'no go command was found on PATH' : `${GO_COMMAND_VARIABLE}=${command} does not exist`;
  const why = options.why === undefined ? '' : `${options.why}; `;
  const needs = `${why}${MINIMUM} or later is needed`;
  let run: GoRun;
  try {
    run = await runGo(command, ['env', 'GOVERSION'], { cwd: options.cwd, env });
  } catch (cause) {
    const missing = (cause as { code?: unknown }).code === 'ENOENT';
    throw new E2rxError(
      'E2RX_TOOLCHAIN_MISSING',
      `${needs}, and ${missing ? where : `${command} could not be run: ${(cause as Error).message}`}`,
      { cause, hint: HINT, details: { command } },
    );
  }
  const version = run.stdout.trim();
  if (run.code !== 0) {
    throw new E2rxError('E2RX_TOOLCHAIN_MISSING', `${why}\`${command} env GOVERSION\` failed: ${(run.stderr.trim() || `exit code ${run.code}`).split('\n')[0] ?? ''}`, {
      hint: HINT,
      details: { command },
    });
  }
  if (!isSupportedGoVersion(version)) {
    throw new E2rxError('E2RX_TOOLCHAIN_MISSING', `${needs}, and ${command} is ${version || 'of an unknown version'}`, {
      hint: HINT,
      details: { command, version },
    });
  }
  return { command, version, env };
}
