/**
 * Runs the TypeScript examples of a guide, so that the docs cannot drift from the code: every ```ts block that
 * imports something is written to `.cache/doc-examples/` with `e2rx`, `e2rx/testing` and `vitest` pointed at the
 * sources (and at a vitest shim that collects `it` blocks), then imported; the `it` blocks it declared are run.
 *
 * @example
 * ```ts
 * for (const block of codeBlocks(await readFile('docs/guides/testing.md', 'utf8'))) {
 *   it(`testing.md:${block.line}`, () => runExample(block, 'testing'));
 * }
 * ```
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { takeCollected } from './vitest-shim.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OUT = join(ROOT, '.cache', 'doc-examples');

/** One fenced code block. */
export interface CodeBlock {
  /** The 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts blocks of a Markdown text that import something (fragments without imports are not runnable). */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    if (!/^```(ts|typescript)\s*$/.test(lines[index] ?? '')) continue;
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !/^```\s*$/.test(lines[index] ?? ''); index += 1) body.push(lines[index] ?? '');
    const code = body.join('\n');
    if (/^import\s/m.test(code)) blocks.push({ line: start + 1, code });
  }
  return blocks;
}

/** The block with its package imports pointed at the sources. */
export function rewriteImports(code: string): string {
  return code
    .replace(/from '(e2rx)'/g, "from '../../src/index.js'")
    .replace(/from 'e2rx\/testing'/g, "from '../../src/testing/index.js'")
    .replace(/from 'vitest'/g, "from '../../specs/testing/support/vitest-shim.js'");
}

const ENTRY_POINTS: Readonly<Record<string, string>> = { e2rx: 'src/index.ts', 'e2rx/testing': 'src/testing/index.ts' };

/**
 * Checks that every name the block imports from `e2rx` or `e2rx/testing` is exported there: values by the module's
 * runtime exports, types (`type X`) by name in the entry file's export lists.
 */
export async function assertPublicImports(code: string): Promise<void> {
  for (const match of code.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'(e2rx(?:\/testing)?)'/g)) {
    const entry = ENTRY_POINTS[match[3] ?? ''] as string;
    const module = (await import(pathToFileURL(join(ROOT, entry)).href)) as Record<string, unknown>;
    const source = await readFile(join(ROOT, entry), 'utf8');
    for (const raw of (match[2] ?? '').split(',')) {
      const spec = raw.trim();
      if (spec === '') continue;
      const isType = match[1] !== undefined || spec.startsWith('type ');
      const name = spec.replace(/^type\s+/, '').split(/\s+as\s+/)[0]?.trim() ?? '';
      const exported = isType ? new RegExp(`\\b${name}\\b`).test(source) : name in module;
      if (!exported) throw new Error(`the example imports ${isType ? 'type ' : ''}${name} from '${match[3]}', which ${entry} does not export`);
    }
  }
}

let counter = 0;

/** Imports the block (its top-level code runs) and then runs the `it` blocks it declared, in order. */
export async function runExample(block: CodeBlock, guide: string): Promise<void> {
  await assertPublicImports(block.code);
  await mkdir(OUT, { recursive: true });
  counter += 1;
  const file = join(OUT, `${guide}-${block.line}-${process.pid}-${counter}.ts`);
  await writeFile(file, `${rewriteImports(block.code)}\n`);
  takeCollected();
  try {
    await import(pathToFileURL(file).href);
    for (const test of takeCollected()) {
      try {
        await test.fn();
      } catch (error) {
        throw new Error(`${guide}.md line ${block.line}, it('${test.name}'): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
  } finally {
    await rm(file, { force: true });
  }
}
