/**
 * What the specs of `examples/*` share: reading a README's shell commands (and the `# ` lines under each, which say
 * what it prints), replaying its `curl`s against a running app, running its scripts, copying an app to a temp
 * directory, and checking that the committed `.wasm` files are what their sources build to today.
 *
 * @example
 * ```ts
 * const commands = shellCommands(await readExample('counter', 'README.md'), 'Run it');
 * for (const curl of commands.flatMap((command) => toCurl(command) ?? [])) await expectCurl(port, curl);
 * await expectCommittedWasm('counter');
 * ```
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { loadApp } from '../../src/app/load-app.js';
import { buildApp } from '../../src/build/build-app.js';
import { runCaseFile } from '../../src/testing/cases/run-cases.js';
import { makeTempDir } from '../support/apps.js';
import { httpRequest } from '../engine/support/engine.js';

/** The root of the repository. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The directory of `examples/<name>`. */
export function examplePath(name: string, ...parts: string[]): string {
  return join(ROOT, 'examples', name, ...parts);
}

/** A file of `examples/<name>`, as text. */
export function readExample(name: string, file: string): Promise<string> {
  return readFile(examplePath(name, file), 'utf8');
}

/** A name unique to this run (for subjects, topics, tables, counters), made of `[a-z0-9_]`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;
}

/** Splits a shell command into words (single quotes only, which is all the READMEs use). */
export function shellWords(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

/** One command of a README's ```sh blocks, with what the README says it prints. */
export interface ShellCommand {
  /** The line as written. */
  readonly line: string;
  /** Leading `NAME=value` assignments. */
  readonly env: Readonly<Record<string, string>>;
  /** The command's words, after the assignments. */
  readonly words: readonly string[];
  /** The `# ` lines right under it, without the `# `. */
  readonly expected: readonly string[];
}

/** The part of `markdown` under the heading `## <heading>`, up to the next `## ` heading. */
export function markdownSection(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no section "## ${heading}"`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** The contents of the ```<lang> blocks of `markdown` (of one section when given), in order. */
export function codeBlocks(markdown: string, lang: string, section?: string): string[] {
  const text = section === undefined ? markdown : markdownSection(markdown, section);
  return [...text.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((match) => match[1] ?? '');
}

/**
 * The commands of every ```sh block of `markdown`, in order; only those under the `## <section>` heading when a
 * section is given. A line starting with `#` is the output of the command above it.
 */
export function shellCommands(markdown: string, section?: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const block of codeBlocks(markdown, 'sh', section)) {
    const lines = block.split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      const line = (lines[index] ?? '').trim();
      if (line === '' || line.startsWith('#')) continue;
      const all = shellWords(line.replace(/\s+#\s.*$/, ''));
      const env: Record<string, string> = {};
      while (/^[A-Z_][A-Z0-9_]*=/.test(all[0] ?? '')) {
        const [name = '', ...value] = (all.shift() ?? '').split('=');
        env[name] = value.join('=');
      }
      const expected: string[] = [];
      while ((lines[index + 1] ?? '').startsWith('# ')) expected.push((lines[++index] ?? '').slice(2));
      commands.push({ line, env, words: all, expected });
    }
  }
  return commands;
}

/** A `curl` of a README. */
export interface CurlCall {
  readonly line: string;
  readonly method: string;
  /** The URL's path and query. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** `-i`: the README shows the status line and headers first. */
  readonly includeHeaders: boolean;
  readonly expected: readonly string[];
}

/** The `curl` of a command, or `undefined` for another command. Knows `-X`, `-d`, `-H`, `-i` and `-s`. */
export function toCurl(command: ShellCommand): CurlCall | undefined {
  if (command.words[0] !== 'curl') return undefined;
  const args = command.words.slice(1);
  let method: string | undefined;
  let body: string | undefined;
  let includeHeaders = false;
  let url = '';
  const headers: Record<string, string> = {};
  for (let index = 0; index < args.length; index += 1) {
    const word = args[index] ?? '';
    if (word === '-d') body = args[++index];
    else if (word === '-X') method = args[++index];
    else if (word === '-H') {
      const [name = '', ...value] = (args[++index] ?? '').split(':');
      headers[name.trim().toLowerCase()] = value.join(':').trim();
    } else if (word === '-i') includeHeaders = true;
    else if (word === '-s') continue;
    else if (word.startsWith('-')) throw new Error(`${command.line}: the spec does not know ${word}`);
    else url = word;
  }
  const parsed = new URL(url);
  return {
    line: command.line,
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    path: parsed.pathname + parsed.search,
    headers,
    body,
    includeHeaders,
    expected: command.expected,
  };
}

/** The `curl`s among `commands`. */
export function curls(commands: readonly ShellCommand[]): CurlCall[] {
  return commands.flatMap((command) => toCurl(command) ?? []);
}

/** Options of {@link expectCurl}. */
export interface ExpectCurlOptions {
  /** Changes the path before the request (a unique counter name, …). */
  readonly path?: (path: string) => string;
  /** Compares the body with the README's lines (default: equal to them joined with newlines). */
  readonly body?: (actual: string, expected: string) => void;
}

/**
 * Sends `curl` to the app on `port` and checks the reply against the README: the body, and with `-i` the status line
 * and each header shown (without `-i` the status must be 200).
 */
export async function expectCurl(port: number, curl: CurlCall, options: ExpectCurlOptions = {}): Promise<void> {
  const path = options.path ? options.path(curl.path) : curl.path;
  const reply = await httpRequest(port, { method: curl.method, path, headers: { ...curl.headers }, ...(curl.body !== undefined ? { body: curl.body } : {}) });
  const expected = [...curl.expected];
  let status = 200;
  if (curl.includeHeaders) {
    const statusLine = /^HTTP\/1\.1 (\d{3}) (.+)$/.exec(expected.shift() ?? '');
    expect(statusLine, `${curl.line}: a status line`).not.toBeNull();
    status = Number(statusLine?.[1]);
    expect(statusLine?.[2], curl.line).toBe(STATUS_CODES[status]);
    while (/^[A-Za-z-]+: /.test(expected[0] ?? '')) {
      const [name, ...value] = (expected.shift() ?? '').split(': ');
      expect(reply.headers[(name ?? '').toLowerCase()], `${curl.line}: ${name}`).toBe(value.join(': '));
    }
  }
  expect(reply.status, `${curl.line}: ${reply.body}`).toBe(status);
  if (options.body) options.body(reply.body, expected.join('\n'));
  else expect(reply.body, curl.line).toBe(expected.join('\n'));
}

/** Runs `node <script> ...args` from the repository root with extra environment variables; resolves with stdout. */
export async function runNode(script: string, args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs = 60_000): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    timeout: timeoutMs,
  });
  return stdout;
}

/**
 * Copies `examples/<name>` to a fresh temp directory (removed by `cleanupApps`), then applies `edit` to the text of
 * each file named in it (`Directive.yaml`, `schema.sql`, …).
 *
 * @returns the copy's path.
 */
export async function copyExample(
  name: string,
  edit: Readonly<Record<string, (text: string) => string>> = {},
): Promise<string> {
  const copy = join(await makeTempDir(`e2rx-example-${name}-`), name);
  await cp(examplePath(name), copy, { recursive: true });
  for (const [file, change] of Object.entries(edit)) {
    const path = join(copy, file);
    const before = await readFile(path, 'utf8');
    const after = change(before);
    if (after === before) throw new Error(`copyExample: the edit of ${name}/${file} changed nothing`);
    await writeFile(path, after);
  }
  return copy;
}

/**
 * Checks that the `.wasm` files committed in `examples/<name>` are exactly what their sources build to today, and
 * that each of them has a source. The whole `examples/` tree is copied without its modules and build manifests
 * (an example may import another's sources), and the copy of the app is built from scratch.
 */
export async function expectCommittedWasm(name: string): Promise<void> {
  const copy = join(await makeTempDir(`e2rx-wasm-${name}-`), 'examples');
  await cp(join(ROOT, 'examples'), copy, {
    recursive: true,
    filter: (source) => !source.endsWith('.wasm') && !source.endsWith('.e2rx-build.json') && !source.includes('node_modules'),
  });
  const report = await buildApp(join(copy, name), { force: true });
  expect(report.ok, JSON.stringify(report.functions, null, 2)).toBe(true);
  const built = report.functions.map((fn) => fn.name);
  const committed = (await readdir(examplePath(name))).filter((file) => file.endsWith('.wasm')).map((file) => file.slice(0, -'.wasm'.length));
  expect(committed.sort(), `examples/${name}: a .wasm for each function, and no other`).toEqual([...built].sort());
  for (const fn of built) {
    const fresh = await readFile(join(copy, name, `${fn}.wasm`));
    const kept = await readFile(examplePath(name, `${fn}.wasm`));
    expect(Buffer.compare(fresh, kept), `examples/${name}/${fn}.wasm is stale: run npx e2rx build examples/${name} and commit it`).toBe(0);
  }
}

/**
 * Runs the cases of `examples/<name>/Directive.test.yaml` (what `e2rx test examples/<name>` runs, on the committed
 * modules) and expects every one to pass; returns how many ran.
 */
export async function expectCasesPass(name: string): Promise<number> {
  const report = await runCaseFile(await loadApp(examplePath(name)), { cwd: ROOT, appDir: examplePath(name), env: {} });
  const failed = report.results.filter((result) => !result.passed).map((result) => `${result.name}: ${result.failures.join('; ')}`);
  expect(failed, `examples/${name}: e2rx test`).toEqual([]);
  expect(report.passed).toBeGreaterThan(0);
  return report.passed;
}
