/**
 * `e2rx init <dir> [--lang go]`: scaffolds a new app from `templates/app/` (AssemblyScript) or `templates/app-go/`
 * (Go).
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
  /** Where a Go function's `go.mod` finds the Go SDK (see {@link goSdkReplacement}). */
  readonly goSdk: string;
}

/** The languages `e2rx init` scaffolds an app in. */
export const INIT_LANGUAGES = ['assemblyscript', 'go'] as const;

/** A language of {@link INIT_LANGUAGES}. */
export type InitLanguage = (typeof INIT_LANGUAGES)[number];

/** The template directory of each language, under `templates/`. */
const TEMPLATES: Readonly<Record<InitLanguage, string>> = { assemblyscript: 'app', go: 'app-go' };

/**
 * The directory of the app template of a language (`templates/app`, `templates/app-go` of the e2rx package), found
 * by walking up from this file.
 *
 * @throws {@link E2rxError} `E2RX_INTERNAL` when it is missing from the installation.
 */
export function appTemplateDir(lang: InitLanguage = 'assemblyscript'): string {
  const name = TEMPLATES[lang];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'templates', name);
    if (existsSync(join(candidate, 'Directive.yaml'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new E2rxError('E2RX_INTERNAL', `the app template (templates/${name}) is missing from e2rx`);
    dir = parent;
  }
}

/**
 * The language named by `--lang`: `assemblyscript` when absent.
 *
 * @throws {@link E2rxError} `E2RX_CLI_USAGE` for any other value.
 *
 * @example
 * ```ts
 * initLanguage('go'); // 'go'
 * initLanguage(undefined); // 'assemblyscript'
 * ```
 */
export function initLanguage(value: string | undefined): InitLanguage {
  if (value === undefined) return 'assemblyscript';
  const found = INIT_LANGUAGES.find((lang) => lang === value.toLowerCase());
  if (found !== undefined) return found;
  throw new E2rxError('E2RX_CLI_USAGE', `language '${value}' is not one init knows`, { hint: `use --lang ${INIT_LANGUAGES.join(' or --lang ')}` });
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
 * The `replace` target of the Go SDK (module `e2rx`) in the `go.mod` of a new app's function (one directory below the
 * app). From a checkout, the SDK of that checkout, `<checkout>/sdk/go`; from an e2rx installed in a `node_modules`
 * directory, the one the app's `npm install` puts in the app, `../node_modules/e2rx/sdk/go`. The Go SDK is not
 * published anywhere else, so the Go toolchain never downloads it.
 *
 * @example
 * ```ts
 * goSdkReplacement('/home/ada/e2rx'); // '/home/ada/e2rx/sdk/go'
 * goSdkReplacement('/home/ada/app/node_modules/e2rx'); // '../node_modules/e2rx/sdk/go'
 * ```
 */
export function goSdkReplacement(packageDir: string = e2rxPackageDir()): string {
  const installed = resolve(packageDir).split(/[\\/]/).includes('node_modules');
  return installed ? '../node_modules/e2rx/sdk/go' : join(resolve(packageDir), 'sdk', 'go').split('\\').join('/');
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
    goSdk: goSdkReplacement(),
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

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /** The language of the app's function (default `assemblyscript`). */
  readonly lang?: InitLanguage;
  /** The template to copy instead of the language's. */
  readonly templateDir?: string;
}

/**
 * Creates an app in `dir` (created when missing) from the template of its language: `Directive.yaml`, the `hello`
 * function (AssemblyScript: `hello/index.ts`; Go: `hello/main.go` with its `go.mod` and a Go test), an end-to-end
 * test, `package.json`, `README.md` and `.gitignore`.
 *
 * @throws {@link E2rxError} `E2RX_CLI_USAGE` when `dir` is a file or a directory that is not empty.
 * @returns the files written, relative to `dir`, sorted.
 *
 * @example
 * ```ts
 * import { createApp } from './init.js'; // internal: users run `e2rx init`
 * const files = await createApp('./my-app');
 * const goFiles = await createApp('./my-go-app', { lang: 'go' });
 * ```
 */
export async function createApp(dir: string, options: CreateAppOptions = {}): Promise<string[]> {
  const templateDir = options.templateDir ?? appTemplateDir(options.lang);
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

/** The next steps printed after the files, per language. */
function nextSteps(lang: InitLanguage, shown: string, dependency: string): string[] {
  const linked = dependency.startsWith('file:') ? `linked from ${dependency.slice('file:'.length)}` : dependency;
  const common = ['npm start            # exec e2rx start: serves http://localhost:8080 until SIGTERM or Ctrl-C', "curl -d 'world' http://localhost:8080/hello"];
  if (lang === 'go') {
    return [
      `cd ${shown}`,
      `npm install          # e2rx (${linked}), vitest`,
      'npm run build        # e2rx build: hello/ (Go) -> hello.wasm, with your Go (1.24 or later)',
      ...common,
      'npm test             # go test in hello/, then vitest: builds the app, starts it, calls POST /hello',
    ];
  }
  return [
    `cd ${shown}`,
    `npm install          # e2rx (${linked}), assemblyscript, vitest`,
    'npm run build        # e2rx build: hello/index.ts -> hello.wasm',
    ...common,
    'npm test             # vitest: builds the app, starts it, calls POST /hello',
  ];
}

/** The init command: `e2rx init <dir> [--lang go]` scaffolds an app with one function. */
export const initCommand: Command = {
  name: 'init',
  summary: 'create a new app with one function (AssemblyScript, or Go with --lang go), ready to build, run and test',
  usage: '<dir> [options]',
  description:
    'dir must be new or empty. The app has a Directive.yaml (POST /hello calls the function hello), the function (hello/index.ts, or with --lang go hello/main.go, its go.mod and a Go test), an end-to-end test in tests/, a case of e2rx test in Directive.test.yaml, a package.json and a README. e2rx build and e2rx start work at once (a Go app needs Go 1.24 or later); npm install gets what the scripts and the test use (an e2rx run from a checkout is linked as a file: dependency, since e2rx is not on npm).',
  options: {
    lang: { type: 'string', short: 'l', placeholder: '<language>', description: 'the language of the function: assemblyscript (default) or go' },
  },
  maxPositionals: 1,
  examples: ['e2rx init my-app', 'e2rx init my-go-app --lang go', 'cd my-app && npm install && npm run build && npm start'],
  async run({ values, positionals }, io) {
    const dir = positionals[0];
    if (dir === undefined || dir === '') {
      io.stderr.write('e2rx init: missing the app directory\nUsage: e2rx init <dir> [options] (see e2rx init --help)\n');
      return 2;
    }
    try {
      const lang = initLanguage(values['lang'] as string | undefined);
      const target = resolve(io.cwd, dir);
      const files = await createApp(target, { lang });
      const shown = relative(io.cwd, target) || '.';
      io.stdout.write(`created ${shown}:\n`);
      for (const file of files) io.stdout.write(`  ${file}\n`);
      io.stdout.write(['', 'next:', ...nextSteps(lang, shown, e2rxDependency()).map((line) => `  ${line}`), ''].join('\n'));
      return 0;
    } catch (error) {
      return printError(io, error);
    }
  },
};
