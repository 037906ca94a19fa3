/**
 * `e2rx init <dir>`: scaffolds a new app from `templates/app/`.
 *
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2rxError } from '../../errors.js';
import { resolveSdk } from '../../build/sdk.js';
import type { Command } from '../command.js';
import { packageVersion, printError } from '../io.js';

/** Template files whose name differs in the app (npm drops files named `.gitignore` from packages). */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** The values substituted for `{{key}}` in the template files. */
export interface TemplateValues {
  /** The app's name: the directory's name. */
  readonly name: string;
  /** The Directive identifier, `com.example.<name>`. */
  readonly identifier: string;
  /** The e2rx version. */
  readonly e2rxVersion: string;
  /** How the app's package.json depends on e2rx (see {@link e2rxDependency}). */
  readonly e2rxDependency: string;
  /** The AssemblyScript SDK version. */
  readonly sdkVersion: string;
  /** The AssemblyScript compiler version. */
  readonly ascVersion: string;
}

/**
 * The directory of the app template (`templates/app` of the e2rx package), found by walking up from this file.
 *
 * @throws {@link E2rxError} `E2RX_INTERNAL` when it is missing from the installation.
 */
export function appTemplateDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'templates', 'app');
    if (existsSync(join(candidate, 'Directive.yaml'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new E2rxError('E2RX_INTERNAL', 'the app template (templates/app) is missing from e2rx');
    dir = parent;
  }
}

/**
 * An app name fit for a Directive identifier: lower case, letters, digits and dashes (`My App` → `my-app`).
 *
 * @example
 * ```ts
 * appSlug('My_App 2'); // 'my-app-2'
 * ```
 */
export function appSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug === '' ? 'app' : slug;
}

/** The directory of the e2rx package this code runs from (the one holding `templates/app`). */
export function e2rxPackageDir(): string {
  return dirname(dirname(appTemplateDir()));
}

/**
 * How a new app's `package.json` depends on e2rx. An e2rx installed from a registry lives in a `node_modules`
 * directory: the app then asks for the same release, `^<version>`. Otherwise this e2rx is a checkout (e2rx is not
 * published on npm): the app gets `file:<checkout>`, so that `npm install` links it and the app's scripts and test
 * run the very e2rx that created it.
 *
 * @example
 * ```ts
 * e2rxDependency('/home/ada/e2rx', '0.1.0'); // 'file:/home/ada/e2rx'
 * e2rxDependency('/home/ada/app/node_modules/e2rx', '0.1.0'); // '^0.1.0'
 * ```
 */
export function e2rxDependency(packageDir: string = e2rxPackageDir(), version: string = packageVersion()): string {
  const installed = resolve(packageDir).split(/[\\/]/).includes('node_modules');
  return installed ? `^${version}` : `file:${resolve(packageDir).split('\\').join('/')}`;
}

/** The template values for an app created in `dir`. */
export function templateValues(dir: string): TemplateValues {
  const name = appSlug(basename(resolve(dir)));
  let sdkVersion = '0.1.0';
  try {
    sdkVersion = resolveSdk(dir).version;
  } catch {
    // the SDK is not installed next to this e2rx: keep the default
  }
  return {
    name,
    identifier: `com.example.${name}`,
    e2rxVersion: packageVersion(),
    e2rxDependency: e2rxDependency(),
    sdkVersion,
    ascVersion: ascVersion(),
  };
}

function ascVersion(): string {
  try {
    const path = createRequire(import.meta.url).resolve('assemblyscript/package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return '0.28.0';
  }
}

/** Replaces every `{{key}}` of `text` with its value. */
export function fillTemplate(text: string, values: TemplateValues): string {
  return text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) =>
    Object.hasOwn(values, key) ? String(values[key as keyof TemplateValues]) : whole,
  );
}

/**
 * Creates an app in `dir` (created when missing) from the template: `Directive.yaml`, the `hello` function,
 * a test, `package.json`, `README.md` and `.gitignore`.
 *
 * @throws {@link E2rxError} `E2RX_CLI_USAGE` when `dir` is a file or a directory that is not empty.
 * @returns the files written, relative to `dir`, sorted.
 *
 * @example
 * ```ts
 * import { createApp } from 'e2rx';
 * const files = await createApp('./my-app');
 * ```
 */
export async function createApp(dir: string, templateDir: string = appTemplateDir()): Promise<string[]> {
  const target = resolve(dir);
  let existing: string[] | undefined;
  try {
    const info = await stat(target);
    if (!info.isDirectory()) {
      throw new E2rxError('E2RX_CLI_USAGE', `${dir} exists and is not a directory`, {
        hint: 'pass the path of a new or empty directory',
      });
    }
    existing = await readdir(target);
  } catch (error) {
    if (E2rxError.is(error)) throw error;
  }
  if (existing !== undefined && existing.length > 0) {
    throw new E2rxError('E2RX_CLI_USAGE', `${dir} is not empty (it holds ${describe(existing)}); init creates an app in a new or empty directory`, {
      hint: 'choose another directory, or empty this one first',
    });
  }
  const values = templateValues(target);
  const written: string[] = [];
  for (const file of await listTemplate(templateDir)) {
    const name = file
      .split('/')
      .map((part) => RENAMED[part] ?? part)
      .join('/');
    const destination = join(target, name);
    await mkdir(dirname(destination), { recursive: true });
    await writeFile(destination, fillTemplate(await readFile(join(templateDir, file), 'utf8'), values));
    written.push(name);
  }
  return written.sort();
}

function describe(entries: readonly string[]): string {
  const shown = entries.slice(0, 3).join(', ');
  return entries.length > 3 ? `${shown} and ${entries.length - 3} more` : shown;
}

async function listTemplate(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listTemplate(dir, path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** The init command: `e2rx init <dir>` scaffolds an app with one AssemblyScript function. */
export const initCommand: Command = {
  name: 'init',
  summary: 'create a new app with one AssemblyScript function, ready to build, run and test',
  usage: '<dir>',
  description:
    'dir must be new or empty. The app has a Directive.yaml (POST /hello calls the function hello), hello/index.ts, a test in tests/, a package.json and a README. e2rx build and e2rx start work at once; npm install gets what the scripts and the test use (an e2rx run from a checkout is linked as a file: dependency, since e2rx is not on npm).',
  options: {},
  maxPositionals: 1,
  examples: ['e2rx init my-app', 'cd my-app && npm install && npm run build && npm start'],
  async run({ positionals }, io) {
    const dir = positionals[0];
    if (dir === undefined || dir === '') {
      io.stderr.write('e2rx init: missing the app directory\nUsage: e2rx init <dir> (see e2rx init --help)\n');
      return 2;
    }
    try {
      const target = resolve(io.cwd, dir);
      const files = await createApp(target);
      const shown = relative(io.cwd, target) || '.';
      const dependency = e2rxDependency();
      io.stdout.write(`created ${shown}:\n`);
      for (const file of files) io.stdout.write(`  ${file}\n`);
      io.stdout.write(
        [
          '',
          'next:',
          `  cd ${shown}`,
          `  npm install          # e2rx (${dependency.startsWith('file:') ? `linked from ${dependency.slice('file:'.length)}` : dependency}), assemblyscript, vitest`,
          '  npm run build        # e2rx build: hello/index.ts -> hello.wasm',
          '  npm start            # e2rx start: serves http://localhost:8080',
          "  curl -d 'world' http://localhost:8080/hello",
          '  npm test             # vitest: builds the app, starts it, calls POST /hello',
          '',
        ].join('\n'),
      );
      return 0;
    } catch (error) {
      return printError(io, error);
    }
  },
};
