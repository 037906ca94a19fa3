/**
 * The public API is a curated facade (src/index.ts, and src/testing/index.ts for `e2rx/testing`), documented export
 * by export in docs/reference/api.md. This spec keeps the three in step:
 *
 * - `e2rx` has at most {@link MAX_RUNTIME_EXPORTS} runtime exports (values; types are free): growing the facade is a
 *   decision, taken by raising this number in review;
 * - the names each entry point exports (values and types, read by the TypeScript compiler) are exactly the names its
 *   section of api.md documents (`#### \`name\`` headings for values, `| \`Name\` |` rows of the type tables);
 * - every runtime export has its own heading with a sample that imports it (the samples run in the outside project:
 *   specs/package/outside-project.spec.ts);
 * - the package exposes only these two entry points, and no module under src/ imports the facade.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { docBlocks, isTypeScript, ROOT } from './docs/support/markdown.js';

/** The most runtime exports `e2rx` may have. */
const MAX_RUNTIME_EXPORTS = 60;

const API_DOC = 'docs/reference/api.md';

/** An entry point: its package specifier, its source, and the heading of its section in api.md. */
const ENTRY_POINTS = [
  { specifier: 'e2rx', source: 'src/index.ts', section: '## `e2rx`' },
  { specifier: 'e2rx/testing', source: 'src/testing/index.ts', section: '## `e2rx/testing`' },
] as const;

/** Every name an entry point exports, values and types, as the TypeScript compiler sees them. */
function exportedNames(sources: readonly string[]): Map<string, { value: string[]; type: string[] }> {
  const program = ts.createProgram(
    sources.map((source) => join(ROOT, source)),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
  );
  const checker = program.getTypeChecker();
  const result = new Map<string, { value: string[]; type: string[] }>();
  for (const source of sources) {
    const file = program.getSourceFile(join(ROOT, source));
    const module = file && checker.getSymbolAtLocation(file);
    if (!module) throw new Error(`the TypeScript compiler did not read ${source}`);
    const names = { value: [] as string[], type: [] as string[] };
    for (const symbol of checker.getExportsOfModule(module)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      (target.flags & ts.SymbolFlags.Value ? names.value : names.type).push(symbol.name);
    }
    result.set(source, { value: names.value.sort(), type: names.type.sort() });
  }
  return result;
}

/** One entry point's section of api.md: the documented values (headings) and types (table rows), with line numbers. */
interface DocumentedSection {
  readonly values: Map<string, { readonly line: number; readonly text: string }>;
  readonly types: Map<string, number>;
}

/** The sections of api.md, by heading (`## \`e2rx\``). */
function documentedSections(markdown: string): Map<string, DocumentedSection> {
  const sections = new Map<string, DocumentedSection>();
  const lines = markdown.split('\n');
  let current: DocumentedSection | undefined;
  let heading: { name: string; line: number; start: number } | undefined;
  const closeHeading = (end: number): void => {
    if (current && heading) current.values.set(heading.name, { line: heading.line, text: lines.slice(heading.start, end).join('\n') });
    heading = undefined;
  };
  let fenced = false;
  lines.forEach((line, index) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) return;
    if (/^## /.test(line)) {
      closeHeading(index);
      current = { values: new Map(), types: new Map() };
      sections.set(line.trim(), current);
      return;
    }
    if (/^#{1,3} /.test(line)) closeHeading(index);
    const value = /^#### `(\w+)`\s*$/.exec(line);
    if (value?.[1]) {
      closeHeading(index);
      if (current?.values.has(value[1])) throw new Error(`${API_DOC}:${index + 1}: ${value[1]} is documented twice`);
      heading = { name: value[1], line: index + 1, start: index };
      return;
    }
    const type = /^\|\s*`(\w+)`\s*\|/.exec(line);
    if (type?.[1] && current) {
      if (current.types.has(type[1])) throw new Error(`${API_DOC}:${index + 1}: ${type[1]} is documented twice`);
      current.types.set(type[1], index + 1);
    }
  });
  closeHeading(lines.length);
  return sections;
}

const markdown = readFileSync(join(ROOT, API_DOC), 'utf8');
const sections = documentedSections(markdown);
const exported = exportedNames(ENTRY_POINTS.map((entry) => entry.source));

describe('the public API: src/index.ts, src/testing/index.ts and docs/reference/api.md', () => {
  it(`index - e2rx has at most ${MAX_RUNTIME_EXPORTS} runtime exports`, async () => {
    const facade = (await import('../src/index.js')) as Record<string, unknown>;
    const runtime = Object.keys(facade);
    expect(runtime.length, `e2rx exports ${runtime.length} values: ${runtime.sort().join(', ')}`).toBeLessThanOrEqual(MAX_RUNTIME_EXPORTS);
    // What the compiler calls values is what the module really exports at run time.
    expect(runtime.sort()).toEqual(exported.get('src/index.ts')?.value);
  });

  it('index - e2rx/testing exports at run time what the compiler sees', async () => {
    const kit = (await import('../src/testing/index.js')) as Record<string, unknown>;
    expect(Object.keys(kit).sort()).toEqual(exported.get('src/testing/index.ts')?.value);
  });

  for (const entry of ENTRY_POINTS) {
    it(`index - every value ${entry.specifier} exports has a heading in ${API_DOC}, and every heading an export`, () => {
      const section = sections.get(entry.section);
      expect(section, `${API_DOC} has no section "${entry.section}"`).toBeDefined();
      const documented = [...(section?.values.keys() ?? [])].sort();
      const names = exported.get(entry.source)?.value ?? [];
      expect(names.filter((name) => !documented.includes(name)), `exported by ${entry.source} but not documented: add a #### heading`).toEqual([]);
      expect(documented.filter((name) => !names.includes(name)), `documented but not a value exported by ${entry.source}`).toEqual([]);
    });

    it(`index - every type ${entry.specifier} exports has a row in a type table of ${API_DOC}, and every row an export`, () => {
      const documented = [...(sections.get(entry.section)?.types.keys() ?? [])].sort();
      const names = exported.get(entry.source)?.type ?? [];
      expect(names.filter((name) => !documented.includes(name)), `exported by ${entry.source} but not documented: add a row`).toEqual([]);
      expect(documented.filter((name) => !names.includes(name)), `documented but not a type exported by ${entry.source}`).toEqual([]);
    });

    it(`index - every value ${entry.specifier} exports has a sample that imports it from ${entry.specifier}`, () => {
      const missing: string[] = [];
      for (const [name, { line, text }] of sections.get(entry.section)?.values ?? []) {
        const samples = docBlocks(API_DOC, text).filter(isTypeScript);
        const imports = new RegExp(`import\\s*\\{[^}]*\\b${name}\\b[^}]*\\}\\s*from\\s*'${entry.specifier}'`);
        if (!samples.some((block) => imports.test(block.code))) missing.push(`${API_DOC}:${line}: ${name}`);
      }
      expect(missing, 'each needs a ```ts sample under its heading').toEqual([]);
    });
  }

  it('index - the package exposes only e2rx and e2rx/testing (and package.json)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports)).toEqual(['.', './testing', './package.json']);
  });

  it('index - no module under src/ imports the facade (src/index.ts)', () => {
    const importers: string[] = [];
    for (const file of readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file === 'index.ts') continue;
      const source = readFileSync(join(ROOT, 'src', file), 'utf8');
      const depth = file.split('/').length - 1;
      const facade = depth === 0 ? './index.js' : `${'../'.repeat(depth)}index.js`;
      if (new RegExp(`^(import|export)[^;]*from\\s+'${facade.replace(/\./g, '\\.')}'`, 'm').test(source)) importers.push(`src/${file}`);
    }
    expect(importers).toEqual([]);
  });
});
