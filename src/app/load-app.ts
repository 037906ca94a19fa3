/**
 * Loading an app: a directory (`Directive.yaml` plus `<name>.wasm` or `<name>/<name>.wasm` per runnable and an
 * optional `static/` folder) or a `runnables.wasm.zip` bundle (docs/reference/directive.md#where-the-directive-lives).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { E2rxError } from '../errors.js';
import { formatProblems, hasErrors, MAX_DIRECTIVE_LENGTH, parseDirective, type Directive, type Problem, type Runnable, type RunnableEntry } from '../directive/index.js';
import { DEFAULT_BUNDLE_LIMITS, readBundleEntries, type BundleLimits } from './bundle-entries.js';
import { checkModule, type ModuleCheck } from './module-file.js';
import { staticFilesFromDirectory, staticFilesFromEntries } from './static-dir.js';
import type { StaticFiles } from './static-files.js';

/** The Directive file names looked for in an app directory, in order. */
export const DIRECTIVE_FILE_NAMES = ['Directive.yaml', 'directive.yaml', 'Directive.yml', 'directive.yml'] as const;

/** The default bundle name. */
export const BUNDLE_FILE_NAME = 'runnables.wasm.zip';

/** One function of a loaded app. */
export interface AppFunction {
  readonly runnable: Runnable;
  /** Where its module came from (a path, or `<bundle>/<name>.wasm`). */
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly module: WebAssembly.Module;
  /** Its source map (`<file>.map` beside a module of a directory, as `e2rx build` writes it), when there is one. */
  readonly sourceMap?: string;
}

/** A loaded, validated app. */
export interface App {
  /** The app directory, or the bundle's path. */
  readonly path: string;
  readonly kind: 'directory' | 'bundle';
  /** The Directive file as named in problems. */
  readonly directiveFile: string;
  readonly directive: Directive;
  /** Warnings found while validating (errors make loading fail). */
  readonly warnings: readonly Problem[];
  /** The functions by FQFN. */
  readonly functions: ReadonlyMap<string, AppFunction>;
  readonly staticFiles: StaticFiles;
}

/** Options of {@link loadApp}. */
export interface LoadAppOptions {
  /** The directory relative paths are resolved against (default: the process's). */
  readonly cwd?: string;
  /** How much a bundle may inflate to (default {@link DEFAULT_BUNDLE_LIMITS}: 64 MiB per entry, 256 MiB in all). */
  readonly bundleLimits?: BundleLimits;
}

/** The files of an app, wherever they come from. */
interface AppFiles {
  readonly kind: App['kind'];
  readonly path: string;
  readonly directiveFile: string;
  readonly directiveText: string;
  /** `.wasm` candidates by file stem. */
  readonly modules: ReadonlyMap<string, { readonly file: string; read(): Promise<Uint8Array>; sourceMap?(): Promise<string | undefined> }>;
  readonly staticFiles: StaticFiles;
}

/**
 * Loads and validates an app. `path` may be an app directory, a bundle, or omitted: then `./runnables.wasm.zip`
 * when it exists, else the current directory.
 *
 * @throws {@link E2rxError} with a message naming the file and how to fix it: `E2RX_APP_NOT_FOUND`,
 *   `E2RX_DIRECTIVE_NOT_FOUND`, `E2RX_DIRECTIVE_GENERATION`, `E2RX_DIRECTIVE_INVALID` (details.problems holds every
 *   problem), `E2RX_BUNDLE_CORRUPT`, `E2RX_BUNDLE_TOO_LARGE` (a bundle past `options.bundleLimits`),
 *   `E2RX_BUNDLE_DUPLICATE_ENTRY`, `E2RX_MODULE_MISSING`, `E2RX_MODULE_INVALID`, `E2RX_MODULE_NOT_RUNNABLE`.
 *
 * @example
 * ```ts
 * import { loadApp } from 'e2rx';
 * const app = await loadApp('examples/hello');
 * console.log(app.directive.identifier, [...app.functions.keys()]);
 * ```
 */
export async function loadApp(path?: string, options: LoadAppOptions = {}): Promise<App> {
  const cwd = options.cwd ?? process.cwd();
  const files = await readAppFiles(path, cwd, options.bundleLimits ?? DEFAULT_BUNDLE_LIMITS);
  const checks = new Map<string, ModuleCheck & { readonly file: string; readonly bytes: Uint8Array; readonly sourceMap: string | undefined }>();
  for (const [stem, candidate] of files.modules) {
    const bytes = await candidate.read();
    const sourceMap = await candidate.sourceMap?.();
    checks.set(stem, { ...(await checkModule(bytes, candidate.file)), file: candidate.file, bytes, sourceMap });
  }
  const inferred: RunnableEntry[] = [...checks.entries()]
    .filter(([stem, check]) => check.isRunnable && !stem.endsWith('.gr'))
    .map(([stem]) => ({ name: stem, namespace: 'default' }));
  const { directive, problems } = parseDirective(files.directiveText, { file: files.directiveFile, inferredRunnables: inferred });
  if (!directive || hasErrors(problems)) {
    throw new E2rxError('E2RX_DIRECTIVE_INVALID', formatProblems(problems), { details: { problems } });
  }
  const functions = new Map<string, AppFunction>();
  for (const runnable of directive.runnables) {
    const check = checks.get(runnable.name);
    if (!check) {
      const expected = files.kind === 'bundle' ? `${runnable.name}.wasm at the root of ${files.path}` : `${runnable.name}.wasm or ${runnable.name}/${runnable.name}.wasm in ${files.path}`;
      throw new E2rxError('E2RX_MODULE_MISSING', `function ${runnable.fqfn} has no module: expected ${expected}`, {
        details: { function: runnable.fqfn },
      });
    }
    if (!check.isRunnable) {
      throw new E2rxError(
        'E2RX_MODULE_NOT_RUNNABLE',
        `${check.file} is not a Runnable: it does not export ${check.missingExports.join(', ')}`,
        { details: { function: runnable.fqfn, file: check.file } },
      );
    }
    const { file, bytes, module, sourceMap } = check;
    functions.set(runnable.fqfn, { runnable, file, bytes, module, ...(sourceMap === undefined ? {} : { sourceMap }) });
  }
  return {
    path: files.path,
    kind: files.kind,
    directiveFile: files.directiveFile,
    directive,
    warnings: problems.filter((problem) => problem.severity === 'warning'),
    functions,
    staticFiles: files.staticFiles,
  };
}

async function readAppFiles(path: string | undefined, cwd: string, limits: BundleLimits): Promise<AppFiles> {
  const display = (absolute: string): string => {
    const shown = relative(cwd, absolute);
    return shown === '' ? '.' : shown.startsWith('..') ? absolute : shown;
  };
  const target = path === undefined ? (existsSync(resolve(cwd, BUNDLE_FILE_NAME)) ? resolve(cwd, BUNDLE_FILE_NAME) : cwd) : resolve(cwd, path);
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new E2rxError('E2RX_APP_NOT_FOUND', `${display(target)} does not exist`, {
      hint: 'pass an app directory holding a Directive.yaml, or a runnables.wasm.zip bundle',
    });
  }
  if (info.isFile()) {
    if (basename(target) === 'tenant.json') throw generationError(display(target));
    const named = DIRECTIVE_FILE_NAMES.find((name) => name === basename(target));
    if (named) return readDirectory(resolve(target, '..'), display, named);
    if (!target.endsWith('.zip')) {
      throw new E2rxError('E2RX_APP_NOT_FOUND', `${display(target)} is neither an app directory, a Directive.yaml, nor a .zip bundle`, {
        hint: 'pass an app directory holding a Directive.yaml, or a runnables.wasm.zip bundle',
      });
    }
    return readBundle(target, display, limits);
  }
  const directiveName = DIRECTIVE_FILE_NAMES.find((name) => existsSync(join(target, name)));
  if (directiveName) return readDirectory(target, display);
  if (existsSync(join(target, BUNDLE_FILE_NAME))) return readBundle(join(target, BUNDLE_FILE_NAME), display, limits);
  if (existsSync(join(target, 'tenant.json'))) throw generationError(display(join(target, 'tenant.json')));
  throw new E2rxError('E2RX_DIRECTIVE_NOT_FOUND', `no Directive.yaml and no ${BUNDLE_FILE_NAME} in ${display(target)}`, {
    hint: 'create one with `e2rx init <dir>`, or pass the path of an app',
  });
}

function directiveTooLarge(file: string, bytes: number): E2rxError {
  const problem: Problem = {
    severity: 'error',
    message: `the Directive is ${bytes} bytes long, more than a Directive may have (${MAX_DIRECTIVE_LENGTH} characters; is this the right file?)`,
    path: [],
    file,
    line: 1,
    column: 1,
  };
  return new E2rxError('E2RX_DIRECTIVE_INVALID', formatProblems([problem]), { details: { problems: [problem] } });
}

function generationError(file: string): E2rxError {
  return new E2rxError(
    'E2RX_DIRECTIVE_GENERATION',
    `${file} is an E2 Core tenant config (generation 2), not an Atmo Directive: e2rx runs Atmo v0.4.x apps (Directive.yaml)`,
  );
}

async function readDirectory(root: string, display: (path: string) => string, named?: string): Promise<AppFiles> {
  // A Directive file given by path is the one read, even when the directory holds another of the accepted names.
  const directiveName = named ?? DIRECTIVE_FILE_NAMES.find((name) => existsSync(join(root, name))) ?? 'Directive.yaml';
  const directivePath = join(root, directiveName);
  let directiveText: string;
  try {
    // A Directive is at most MAX_DIRECTIVE_LENGTH characters, so at most four times as many bytes: a larger file is
    // refused before it is read.
    const size = (await stat(directivePath)).size;
    if (size > 4 * MAX_DIRECTIVE_LENGTH) throw directiveTooLarge(display(directivePath), size);
    directiveText = await readFile(directivePath, 'utf8');
  } catch (error) {
    if (E2rxError.is(error)) throw error;
    throw new E2rxError('E2RX_APP_READ', `cannot read ${display(directivePath)}: ${(error as Error).message}`, { cause: error });
  }
  const modules = new Map<string, { file: string; read(): Promise<Uint8Array>; sourceMap(): Promise<string | undefined> }>();
  const entries = await readdir(root, { withFileTypes: true });
  const add = (stem: string, path: string): void => {
    if (modules.has(stem)) return;
    modules.set(stem, {
      file: display(path),
      read: async () => {
        try {
          return new Uint8Array(await readFile(path));
        } catch (error) {
          throw new E2rxError('E2RX_APP_READ', `cannot read ${display(path)}: ${(error as Error).message}`, { cause: error });
        }
      },
      // A missing or unreadable map only costs the user's frame in failure messages.
      sourceMap: () => readFile(`${path}.map`, 'utf8').catch(() => undefined),
    });
  };
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.wasm')) add(entry.name.slice(0, -'.wasm'.length), join(root, entry.name));
  }
  for (const entry of entries) {
    if (entry.isDirectory() && existsSync(join(root, entry.name, `${entry.name}.wasm`))) add(entry.name, join(root, entry.name, `${entry.name}.wasm`));
  }
  return { kind: 'directory', path: display(root), directiveFile: display(directivePath), directiveText, modules, staticFiles: staticFilesFromDirectory(root) };
}

async function readBundle(path: string, display: (path: string) => string, limits: BundleLimits): Promise<AppFiles> {
  const name = display(path);
  const entries = await readBundleEntries(path, name, limits);
  if (entries.hasTenantConfig && !entries.directive) throw generationError(`${name}/tenant.json`);
  if (!entries.directive) throw new E2rxError('E2RX_DIRECTIVE_NOT_FOUND', `bundle is missing Directive.yaml: ${name}`);
  const modules = new Map<string, { file: string; read(): Promise<Uint8Array> }>();
  for (const [entry, content] of entries.modules) {
    modules.set(entry.slice(0, -'.wasm'.length), { file: `${name}/${entry}`, read: () => Promise.resolve(content) });
  }
  return {
    kind: 'bundle',
    path: name,
    directiveFile: `${name}/Directive.yaml`,
    directiveText: new TextDecoder().decode(entries.directive),
    modules,
    staticFiles: staticFilesFromEntries(entries.statics),
  };
}
