/**
 * The fenced code blocks of the documentation, with the annotations that say how the doc tests treat them.
 *
 * A block is annotated by an HTML comment on the line before its opening fence (invisible once rendered):
 *
 * | Annotation | Meaning |
 * |---|---|
 * | `<!-- doc-test: skip: <reason> -->` | Not run. The reason is required (a long-running server, a command that runs this very suite, Docker…). |
 * | `<!-- doc-test: install -->` | A guide's install commands: run (in order, across guides) to build the outside project the guide's TypeScript samples run in. |
 * | `<!-- doc-test: file <path> -->` | The block is the content of a file: written to `<path>` (in the outside project for a guide, in the sandbox for other docs). |
 * | `<!-- doc-test: compile-only: <reason> -->` | A TypeScript sample type-checked under strict settings, but not run (it needs a broker, it runs until stopped). |
 * | `<!-- doc-test: assemblyscript -->` | An AssemblyScript fragment (statements of a `run` body, or declarations), compiled inside a function with every SDK import. |
 *
 * And once per document, anywhere: `<!-- doc-test: replayed-by <spec> -->`, for a walk-through that a spec of its own
 * replays step by step (writing-functions.md: specs/examples/new-user.spec.ts); the doc tests then check only that
 * this spec exists and reads the document.
 *
 * Everything else runs: `sh` blocks and `text` transcripts (`$ ` lines) in a sandbox (specs/docs/docs.spec.ts),
 * TypeScript that imports anything but the AssemblyScript SDK in the outside project
 * (specs/package/outside-project.spec.ts), AssemblyScript (a block importing `@e2rx/sdk-assemblyscript`) with the
 * compiler of `e2rx build`. See docs/decisions/0005-doc-tests.md.
 *
 * @example
 * ```ts
 * for (const block of docBlocks('docs/guides/testing.md', await readFile('docs/guides/testing.md', 'utf8'))) {
 *   console.log(block.line, block.lang, block.annotation?.kind);
 * }
 * ```
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root of the repository. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How the doc tests treat a block, from its annotation. */
export type DocTestAnnotation =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'install' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'compile-only'; readonly reason: string }
  | { readonly kind: 'assemblyscript' };

/** One fenced code block. */
export interface DocBlock {
  /** The document, relative to the repository root (`docs/guides/testing.md`). */
  readonly doc: string;
  /** The 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word (`ts`, `sh`, `text`, …; `''` for none). */
  readonly lang: string;
  /** The content, without the fences and without the fence's indentation. */
  readonly code: string;
  readonly annotation: DocTestAnnotation | undefined;
}

/** README.md and every Markdown file under docs/, relative to the root, sorted. */
export function documents(): string[] {
  const found: string[] = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) found.push(path);
    }
  };
  walk('docs');
  return found.sort();
}

/** The blocks of a document of the repository. */
export function readDocBlocks(doc: string): DocBlock[] {
  return docBlocks(doc, readFileSync(join(ROOT, doc), 'utf8'));
}

/**
 * The fenced blocks of `markdown`. Fences may be indented (inside a list item); the indentation is removed from
 * the content.
 *
 * @throws Error for an unknown or malformed `doc-test` annotation, or a fence that is never closed.
 */
export function docBlocks(doc: string, markdown: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const open = /^(\s*)```([\w-]*)[^`]*$/.exec(lines[index] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !new RegExp(`^${indent}\`\`\`\\s*$`).test(lines[index] ?? ''); index += 1) {
      const line = lines[index] ?? '';
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    if (index >= lines.length) throw new Error(`${doc}:${start + 1}: this code fence is never closed`);
    blocks.push({ doc, line: start + 1, lang: open[2] ?? '', code: body.join('\n'), annotation: annotationBefore(doc, lines, start) });
  }
  return blocks;
}

/** The `doc-test` annotation on the last non-empty line before `fence`, if any. */
function annotationBefore(doc: string, lines: readonly string[], fence: number): DocTestAnnotation | undefined {
  let index = fence - 1;
  while (index >= 0 && (lines[index] ?? '').trim() === '') index -= 1;
  const comment = /^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$/.exec(lines[index] ?? '');
  if (!comment || comment[1]?.startsWith('replayed-by')) return undefined;
  const text = comment[1] ?? '';
  const where = `${doc}:${index + 1}`;
  const reasoned = /^(skip|compile-only):\s*(\S.*)$/.exec(text);
  if (reasoned) return { kind: reasoned[1] as 'skip' | 'compile-only', reason: reasoned[2] ?? '' };
  if (/^(skip|compile-only)\b/.test(text)) throw new Error(`${where}: "doc-test: ${text}" needs a reason: <!-- doc-test: ${text.split(/\W/)[0] ?? ''}: <why> -->`);
  if (text === 'install') return { kind: 'install' };
  if (text === 'assemblyscript') return { kind: 'assemblyscript' };
  const file = /^file\s+(\S+)$/.exec(text);
  if (file) return { kind: 'file', path: file[1] ?? '' };
  throw new Error(
    `${where}: unknown annotation "doc-test: ${text}" (skip: <reason>, install, file <path>, compile-only: <reason>, assemblyscript)`,
  );
}

/** The spec that replays a whole document (`<!-- doc-test: replayed-by <spec> -->`), if it says one does. */
export function replayedBy(markdown: string): string | undefined {
  return /^<!--\s*doc-test:\s*replayed-by\s+(\S+)\s*-->\s*$/m.exec(markdown)?.[1];
}

/** Whether a block is TypeScript (or AssemblyScript, which the docs write as `ts`). */
export function isTypeScript(block: DocBlock): boolean {
  return block.lang === 'ts' || block.lang === 'typescript';
}

/** Whether a TypeScript block is AssemblyScript: it imports the SDK, or is annotated so. */
export function isAssemblyScript(block: DocBlock): boolean {
  return isTypeScript(block) && (block.annotation?.kind === 'assemblyscript' || /from\s+["']@e2rx\/sdk-assemblyscript["']/.test(block.code));
}

/**
 * Whether a TypeScript block runs (or is type-checked) in the outside project: TypeScript for Node that is not
 * skipped and is not AssemblyScript.
 */
export function isProjectSample(block: DocBlock): boolean {
  return isTypeScript(block) && !isAssemblyScript(block) && block.annotation?.kind !== 'skip';
}

/** The packages a block imports (`rxjs`, `rxjs/testing` → `rxjs`, `@types`-less names), without `node:` builtins. */
export function importedPackages(code: string): string[] {
  const packages = new Set<string>();
  for (const match of code.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm)) {
    const specifier = match[1] ?? '';
    if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
    const parts = specifier.split('/');
    packages.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier));
  }
  return [...packages].sort();
}

/** `docs/guides/testing.md:45`, for messages. */
export function where(block: DocBlock): string {
  return `${block.doc}:${block.line}`;
}

/** A document's path relative to the root, from an absolute path. */
export function docPath(absolute: string): string {
  return relative(ROOT, absolute);
}
