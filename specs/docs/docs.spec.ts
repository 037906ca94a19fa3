/**
 * Doc tests: README.md and every page of docs/ is run, so that the documentation cannot drift from e2rx.
 *
 * - `sh` blocks run in order, one session per document, in a sandbox next to a stand-in of the checkout
 *   (support/sandbox.ts): every command must succeed, a server command (`e2rx start`, `npm start`) runs in the
 *   background until `/health` answers, and a `curl` must print what the doc shows (its `# ` comment, on its line
 *   or on the lines under it; with `-i`, the status line and the headers shown).
 * - `text` blocks that are transcripts (lines starting with `$ `) run the same way, and each command must print
 *   exactly the lines under it (stdout and stderr together).
 * - AssemblyScript blocks compile with the compiler of `e2rx build`; YAML blocks that are whole Directives validate.
 * - TypeScript for Node runs from an outside project: specs/package/outside-project.spec.ts. This spec checks that
 *   every TypeScript block is one kind or another, or is annotated.
 *
 * A block that cannot run carries an annotation with its reason (support/markdown.ts lists them; the decision is
 * docs/decisions/0005-doc-tests.md).
 */
import { readFile, writeFile, mkdir, cp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type BuildReport } from '../../src/build/build-app.js';
import { parseDirective } from '../../src/directive/index.js';
import { cleanupApps, makeTempDir } from '../support/apps.js';
import { type DocBlock, documents, isAssemblyScript, isProjectSample, isTypeScript, readDocBlocks, replayedBy, ROOT, where } from './support/markdown.js';
import { openSandbox, type Sandbox } from './support/sandbox.js';

const SHELL = new Set(['sh', 'bash', 'shell']);

/** A `text` block that is a transcript: its first line is a `$ ` command. */
const isTranscript = (block: DocBlock): boolean => block.lang === 'text' && block.code.startsWith('$ ');

/**
 * Whether the sandbox runs the block (or uses it: a `file` block is written there, except in a guide with install
 * commands, whose files belong to the outside project).
 */
function runsInSandbox(block: DocBlock, blocks: readonly DocBlock[]): boolean {
  const kind = block.annotation?.kind;
  if (kind === 'skip' || kind === 'install' || kind === 'compile-only') return false;
  if (kind === 'file') return !blocks.some((other) => other.annotation?.kind === 'install');
  return SHELL.has(block.lang) || isTranscript(block);
}

/** A whole Directive (not a fragment of one), to validate. */
const isDirective = (block: DocBlock): boolean =>
  (block.lang === 'yaml' || block.lang === 'yml') && block.annotation === undefined && /^identifier:/m.test(block.code) && /^(handlers|schedules):/m.test(block.code);

/** One command of an `sh` block, with the output the doc shows for it (for a curl). */
interface ShellLine {
  readonly line: string;
  readonly expected: readonly string[] | undefined;
}

/** The commands of an `sh` block: `#` lines are comments, or the output of the curl above them. */
function shellLines(code: string): ShellLine[] {
  const lines = code.split('\n');
  const commands: ShellLine[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    let line = (lines[index] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && index + 1 < lines.length) line = `${line.slice(0, -1)} ${(lines[++index] ?? '').trim()}`;
    const curl = /^curl\s/.test(line);
    const inline = /\s#\s(.*)$/.exec(line);
    const under: string[] = [];
    while (curl && (lines[index + 1] ?? '').startsWith('# ')) under.push((lines[++index] ?? '').slice(2));
    const expected = curl ? (under.length > 0 ? under : inline ? [inline[1] ?? ''] : undefined) : undefined;
    commands.push({ line, expected });
  }
  return commands;
}

/** The commands of a transcript and the lines each prints. */
function transcriptLines(code: string): { readonly line: string; readonly expected: string }[] {
  const steps: { line: string; output: string[] }[] = [];
  for (const text of code.split('\n')) {
    if (text.startsWith('$ ')) steps.push({ line: text.slice(2), output: [] });
    else steps.at(-1)?.output.push(text);
  }
  return steps.map((step) => ({ line: step.line, expected: step.output.join('\n').trimEnd() }));
}

/** Checks a curl's output against what the doc shows. */
function expectCurlOutput(block: DocBlock, line: string, output: string, expected: readonly string[]): void {
  const what = `${where(block)}: ${line}`;
  if (!/\s-i\b/.test(line)) {
    expect(output.replace(/\n$/, ''), what).toBe(expected.join('\n'));
    return;
  }
  const split = output.indexOf('\r\n\r\n');
  const head = output.slice(0, split).split('\r\n');
  const body = output.slice(split + 4);
  const rest = [...expected];
  expect(head[0], `${what}: the status line`).toBe(rest.shift());
  while (/^[A-Za-z-]+: /.test(rest[0] ?? '')) {
    const header = rest.shift() ?? '';
    expect(head.map((text) => text.toLowerCase()), `${what}: ${header}`).toContain(header.toLowerCase());
  }
  expect(body.replace(/\n$/, ''), `${what}: the body`).toBe(rest.join('\n'));
}

/** Runs a document's sandboxed blocks in order; fails at the first command that does not do what the doc says. */
async function runDocument(blocks: readonly DocBlock[], sandbox: Sandbox): Promise<number> {
  let commands = 0;
  for (const block of blocks.filter((candidate) => runsInSandbox(candidate, blocks))) {
    const annotation = block.annotation;
    if (annotation?.kind === 'file') {
      await sandbox.writeFile(annotation.path, `${block.code}\n`);
      continue;
    }
    if (isTranscript(block)) {
      for (const step of transcriptLines(block.code)) {
        const result = await sandbox.run(step.line, { foreground: true });
        commands += 1;
        expect(result.output.trimEnd(), `${where(block)}: $ ${step.line}`).toBe(step.expected);
      }
      continue;
    }
    for (const { line, expected } of shellLines(block.code)) {
      const curl = /^curl\s/.test(line);
      const result = await sandbox.run(curl ? `${line.replace(/\s#\s.*$/, '')} 2>/dev/null` : line);
      commands += 1;
      expect(result.code, `${where(block)}: \`${line}\` exited ${result.code} in ${sandbox.cwd}:\n${result.output}`).toBe(0);
      if (expected !== undefined) expectCurlOutput(block, line, result.output, expected);
    }
  }
  return commands;
}

const DOCS = documents().map((doc) => ({ doc, blocks: readDocBlocks(doc), replayedBy: undefined as string | undefined }));
for (const entry of DOCS) entry.replayedBy = replayedBy(await readFile(join(ROOT, entry.doc), 'utf8'));

afterAll(cleanupApps);

describe('every block of the docs is run, or annotated', () => {
  it('docs - README.md and the pages of docs/ are all here', () => {
    expect(DOCS.map((entry) => entry.doc)).toEqual(expect.arrayContaining(['README.md', 'docs/reference/cli.md', 'docs/guides/testing.md']));
  });

  it('docs - a TypeScript block is a sample for Node, AssemblyScript, or annotated', () => {
    const orphans = DOCS.filter((entry) => entry.replayedBy === undefined)
      .flatMap((entry) => entry.blocks)
      .filter((block) => isTypeScript(block) && !isAssemblyScript(block) && block.annotation?.kind !== 'skip')
      .filter((block) => !/^\s*(import|export)\s/m.test(block.code))
      .map(where);
    expect(orphans, 'a sample without imports cannot run on its own: add them, or annotate it').toEqual([]);
    expect(DOCS.flatMap((entry) => entry.blocks).filter(isProjectSample).length).toBeGreaterThan(0);
  });

  it('docs - a document replayed by a spec of its own names a spec that reads it', async () => {
    for (const entry of DOCS.filter((candidate) => candidate.replayedBy !== undefined)) {
      const spec = join(ROOT, entry.replayedBy ?? '');
      expect(existsSync(spec), `${entry.doc}: ${entry.replayedBy} does not exist`).toBe(true);
      expect(await readFile(spec, 'utf8'), `${entry.replayedBy} does not read ${entry.doc}`).toContain(entry.doc);
    }
  });

  it('docs - skips are rare and say why', () => {
    const skips = DOCS.flatMap((entry) => entry.blocks).filter((block) => block.annotation?.kind === 'skip');
    for (const block of skips) expect(block.annotation?.kind === 'skip' && block.annotation.reason.length, where(block)).toBeGreaterThan(10);
    // Raising this number is a decision: most blocks can run, with a fixture (`file`) or a line split in two.
    expect(skips.length).toBeLessThanOrEqual(14);
  });
});

describe('the shell blocks and transcripts of each document run', () => {
  for (const entry of DOCS.filter((candidate) => candidate.replayedBy === undefined)) {
    if (!entry.blocks.some((block) => runsInSandbox(block, entry.blocks) && block.annotation?.kind !== 'file')) continue;
    it(`docs - ${entry.doc}: its shell blocks and transcripts do what it says`, async () => {
      const sandbox = await openSandbox();
      try {
        expect(await runDocument(entry.blocks, sandbox)).toBeGreaterThan(0);
      } finally {
        await sandbox.close();
      }
    }, 300_000);
  }
});

describe('the AssemblyScript blocks compile', () => {
  const blocks = DOCS.filter((entry) => entry.replayedBy === undefined)
    .flatMap((entry) => entry.blocks)
    .filter((block) => isAssemblyScript(block) && block.annotation?.kind !== 'skip');
  const names = new Map(blocks.map((block, index) => [block, `block${index}`]));
  let report: BuildReport;

  beforeAll(async () => {
    const app = await makeTempDir('e2rx-doc-as-');
    for (const block of blocks) {
      const complete = /export function run(_e)?\s*\(/.test(block.code);
      const source = complete
        ? block.code
        : /^\s*import\s/m.test(block.code)
          ? `${block.code}\nexport function run(_input: ArrayBuffer): ArrayBuffer {\n  return new ArrayBuffer(0);\n}\n`
          : [
              'import { Output, Result, req, resp, log, http, cache, db, QueryArg, file, graphql, secrets, util, publish } from "@e2rx/sdk-assemblyscript";',
              '',
              'export function run(input: ArrayBuffer): Output {',
              block.code,
              '  return Output.ok(input);',
              '}',
              '',
            ].join('\n');
      await mkdir(join(app, names.get(block) ?? ''), { recursive: true });
      await writeFile(join(app, names.get(block) ?? '', 'index.ts'), source);
    }
    await cp(join(ROOT, 'examples/hello/Directive.yaml'), join(app, 'Directive.yaml'));
    report = await buildApp(app);
  }, 120_000);

  for (const block of blocks) {
    it(`docs - ${where(block)} compiles (AssemblyScript)`, () => {
      const result = report.functions.find((fn) => fn.name === names.get(block));
      expect(result?.status, JSON.stringify(result?.diagnostics, null, 2)).toBe('built');
    });
  }
});

describe('the Directives in the docs are valid', () => {
  for (const block of DOCS.flatMap((entry) => entry.blocks).filter(isDirective)) {
    it(`docs - ${where(block)} is a valid Directive`, () => {
      const fns = [...block.code.matchAll(/\bfn:\s*['"]?([A-Za-z0-9_.-]+)/g)].map((match) => match[1] ?? '');
      const { problems } = parseDirective(block.code, { file: where(block), inferredRunnables: [...new Set(fns)].map((name) => ({ name, namespace: 'default' })) });
      expect(problems.filter((problem) => problem.severity === 'error')).toEqual([]);
    });
  }
});
