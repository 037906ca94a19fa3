/**
 * `e2rx --version` and `e2rx --help` load no driver: the modules `src/cli/main.ts` imports statically (and those
 * they import, transitively) use no npm package. Each command loads what it needs (the engine, the compiler, zod…)
 * with `await import()` when it runs. Measured on the 2-core machine: `--version` went from about 590 ms to about
 * 80 ms (node alone: about 65 ms).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI_LOG_LEVELS } from '../../src/cli/log-levels.js';
import { LOG_LEVELS } from '../../src/logging/logger.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The specifiers a TypeScript source loads when it runs: every `import`/`export … from` that is not `import type`. */
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s*from\s+'([^']+)';?/gms)) {
    if (match[2] !== undefined) continue; // `import type …` / `export type …` are erased
    specifiers.push(match[4] ?? '');
  }
  for (const match of source.matchAll(/^import\s+'([^']+)';/gm)) specifiers.push(match[1] ?? '');
  return specifiers;
}

/** Every source file reached from `entry` through runtime imports, and every package specifier met on the way. */
function staticClosure(entry: string): { files: string[]; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:')) packages.set(specifier, relative(ROOT, file));
    }
  };
  visit(join(ROOT, entry));
  return { files: [...files].map((file) => relative(ROOT, file)).sort(), packages };
}

describe('the CLI loads per command', () => {
  it('lazy loading - runtimeImports skips type-only imports and keeps the rest', () => {
    const source = "import type { A } from 'a';\nimport { type B, c } from 'b';\nexport { d } from './d.js';\nimport 'side';\nimport {\n  e,\n} from 'e';\n";
    expect(runtimeImports(source)).toEqual(['b', './d.js', 'e', 'side']);
  });

  it('lazy loading - src/cli/main.ts and what it imports statically use no npm package', () => {
    const { files, packages } = staticClosure('src/cli/main.ts');
    expect(files).toContain('src/cli/commands/start.ts');
    expect(Object.fromEntries(packages), 'load these with await import() where the command runs').toEqual({});
  });

  it("lazy loading - the CLI's log levels are the logger's", () => {
    expect([...CLI_LOG_LEVELS]).toEqual([...LOG_LEVELS]);
  });

  it('lazy loading - bin/e2rx.js --version and --help work as a process', async () => {
    const run = promisify(execFile);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect((await run(process.execPath, ['bin/e2rx.js', '--version'], { cwd: ROOT })).stdout).toBe(`${version}\n`);
    expect((await run(process.execPath, ['bin/e2rx.js', '--help'], { cwd: ROOT })).stdout).toContain('Usage: e2rx <command> [options]');
  });
});
