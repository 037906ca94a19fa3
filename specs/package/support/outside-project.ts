/**
 * A project outside the checkout that installs e2rx the way a user does, with its own rxjs, TypeScript and vitest
 * from the npm registry: the guides' install commands, run as written in a directory next to a link to the
 * checkout (`../e2rx`, as the guides say), with one substitution: `npm install ../e2rx` installs the tarball
 * `npm pack --ignore-scripts` made of the checkout instead. That is the same set of files that npm would copy with
 * `install-links=true`, but without running e2rx's `prepare` script, which would rebuild the checkout's dist/ under
 * the specs that are running (npm test builds it first).
 *
 * The project is kept between runs in `${E2RX_CACHE_DIR:-~/.cache/e2rx}/outside-project/<checkout hash>/`: it is
 * set up again when the install commands or files change, and only e2rx is reinstalled when the tarball changes.
 * A lock directory keeps two runs from using it at once.
 *
 * @example
 * ```ts
 * const project = await openOutsideProject({ commands: ['npm init -y', 'npm install ../e2rx rxjs'], files: {} });
 * try {
 *   const { code, stdout } = await project.exec(process.execPath, ['node_modules/vitest/vitest.mjs', 'run']);
 * } finally {
 *   await project.release();
 * }
 * ```
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = realpathSync(fileURLToPath(new URL('../../../', import.meta.url)));

/** What the project is made of. */
export interface ProjectSetup {
  /** Shell commands run in order in the project directory (the guides' install blocks). */
  readonly commands: readonly string[];
  /** Files written into the project before the commands run, by relative path (the guides' `tsconfig.json`). */
  readonly files: Readonly<Record<string, string>>;
}

/** The outcome of a command. */
export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The project, locked for the caller until {@link OutsideProject.release}. */
export interface OutsideProject {
  /** The directory holding `e2rx` (a link to this checkout) and the project. */
  readonly base: string;
  /** The project directory, `<base>/my-project`. */
  readonly dir: string;
  /** What setting it up took this time, for the spec's log: `reused`, `e2rx reinstalled` or `created`. */
  readonly setup: string;
  /** Runs `file args` in the project (or `cwd`), with an environment free of the calling vitest's variables. */
  exec(file: string, args: readonly string[], options?: { readonly cwd?: string; readonly timeoutMs?: number }): Promise<ExecResult>;
  /** Frees the lock. */
  release(): Promise<void>;
}

/** The environment of every command: the caller's, without what would make a nested vitest think it is a worker. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TEST$|NODE_ENV$|NODE_OPTIONS$|npm_)/.test(name)));
  return {
    ...env,
    NO_COLOR: '1',
    CI: '1',
    npm_config_prefer_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    npm_config_loglevel: 'warn',
  };
}

function run(file: string, args: readonly string[], cwd: string, timeoutMs = 180_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd, env: cleanEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function runOrThrow(what: string, file: string, args: readonly string[], cwd: string): Promise<ExecResult> {
  const result = await run(file, args, cwd);
  if (result.code !== 0) throw new Error(`outside project: ${what} failed (exit ${result.code}) in ${cwd}:\n${result.stdout}${result.stderr}`);
  return result;
}

/** A lock directory, taken over when the process that made it is gone. */
async function lock(path: string, timeoutMs = 600_000): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(path);
      await writeFile(join(path, 'pid'), String(process.pid));
      return () => rm(path, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(join(path, 'pid'), 'utf8').catch(() => '0'));
      if (holder > 0 && !alive(holder)) await rm(path, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`outside project: ${path} is still locked by process ${holder}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface State {
  readonly setupKey: string;
  readonly tarball: string;
}

/**
 * Opens (and when needed creates or updates) the outside project, and locks it. Run `npm run build` first: the
 * tarball holds this checkout's dist/.
 */
export async function openOutsideProject(setup: ProjectSetup): Promise<OutsideProject> {
  const cacheDir = process.env['E2RX_CACHE_DIR'] ?? join(homedir(), '.cache', 'e2rx');
  const base = join(cacheDir, 'outside-project', createHash('sha256').update(ROOT).digest('hex').slice(0, 12));
  const dir = join(base, 'my-project');
  await mkdir(base, { recursive: true });
  const unlock = await lock(join(base, '.lock'));
  try {
    if (!existsSync(join(base, 'e2rx'))) await symlink(ROOT, join(base, 'e2rx'), 'dir');

    // The tarball, named by its contents so that npm sees a new one as a new dependency.
    const packDir = join(base, 'pack');
    await rm(packDir, { recursive: true, force: true });
    await mkdir(packDir);
    const packed = await runOrThrow('npm pack', 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], ROOT);
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; shasum: string }];
    const tarball = `e2rx-${info.shasum.slice(0, 12)}.tgz`;
    await rename(join(packDir, info.filename), join(base, tarball));

    const setupKey = createHash('sha256').update(JSON.stringify({ setup, node: process.version })).digest('hex');
    const state = JSON.parse(await readFile(join(base, 'state.json'), 'utf8').catch(() => '{}')) as Partial<State>;
    let done: string;
    if (state.setupKey !== setupKey || !existsSync(join(dir, 'node_modules'))) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      for (const [file, text] of Object.entries(setup.files)) {
        await mkdir(dirname(join(dir, file)), { recursive: true });
        await writeFile(join(dir, file), text);
      }
      for (const command of setup.commands) {
        const substituted = /^npm (install|i|add)\b/.test(command) ? command.replace(/(\s)\.\.\/e2rx(?=\s|$)/, `$1../${tarball}`) : command;
        await runOrThrow(`"${substituted}"`, 'bash', ['-c', substituted], dir);
      }
      done = 'created';
    } else if (state.tarball !== tarball) {
      await runOrThrow('npm install of the new e2rx tarball', 'npm', ['install', `../${tarball}`], dir);
      done = 'e2rx reinstalled';
    } else {
      done = 'reused';
    }
    await writeFile(join(base, 'state.json'), JSON.stringify({ setupKey, tarball } satisfies State));
    for (const file of await readdir(base)) if (/^e2rx-[0-9a-f]{12}\.tgz$/.test(file) && file !== tarball) await rm(join(base, file), { force: true });
    return {
      base,
      dir,
      setup: done,
      exec: (file, args, options = {}) => run(file, args, options.cwd ?? dir, options.timeoutMs),
      release: unlock,
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}
