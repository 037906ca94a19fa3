/**
 * `e2rx build [app] [--bundle] [--force]`: compiles the app's functions (AssemblyScript, and Go with the installed Go
 * toolchain) and optionally writes its bundle.
 *
 * @module
 */

import { relative, resolve } from 'node:path';
import type { BuildEvent } from '../../build/build-app.js';
import type { BuildDiagnostic } from '../../build/diagnostics.js';
import type { Command, CommandIo } from '../command.js';
import { printError } from '../io.js';

/** `1234` → `1.2 kB`. */
function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

/** Prints each step of the build: one line per function, its diagnostics indented under it (`e2rx build`, `e2rx dev`). */
export function progressPrinter(
  io: CommandIo,
  root: string,
  width: number,
  formatDiagnostic: (diagnostic: BuildDiagnostic) => string,
): (event: BuildEvent) => void {
  const shown = (path: string): string => relative(root, path) || path;
  return (event) => {
    const name = event.name.padEnd(width);
    switch (event.type) {
      case 'start':
        return;
      case 'unchanged':
        io.stdout.write(`  ${name}  unchanged  ${shown(event.output)}\n`);
        return;
      case 'built':
        io.stdout.write(`  ${name}  built      ${shown(event.output)} (${size(event.bytes)}, ${event.durationMs} ms)\n`);
        for (const diagnostic of event.diagnostics) io.stdout.write(`    ${formatDiagnostic(diagnostic)}\n`);
        return;
      case 'failed':
        io.stdout.write(`  ${name}  failed\n`);
        for (const diagnostic of event.diagnostics) io.stderr.write(`${event.name}: ${formatDiagnostic(diagnostic)}\n`);
        return;
    }
  };
}

/**
 * The build command. Each directory of the app holding an `index.ts` is an AssemblyScript function, and each holding a
 * Go main package (with its `go.mod`, or the app's) a Go function; each is built to `<app>/<name>.wasm`; unchanged
 * functions are skipped. With `--bundle`, writes `<app>/runnables.wasm.zip` after a successful build; without it, warns
 * on stderr when a bundle beside the app is older than what was just built. Exits 1 when a
 * function fails to build (each compile error is printed as `<function>: <file>:<line>:<col> - error <code>: <message>`)
 * or when Go functions need a Go toolchain that is missing or older than 1.24.
 */
export const buildCommand: Command = {
  name: 'build',
  summary: "compile the app's functions (AssemblyScript, Go) to .wasm, and optionally bundle the app",
  usage: '[app] [options]',
  description:
    'app is the app directory (default: the current directory). Each directory of the app holding an index.ts (AssemblyScript) or a Go main package with its go.mod (Go, built with the installed Go 1.24+, or the go command E2RX_GO names) is a function, compiled to <app>/<name>.wasm; functions whose sources did not change are skipped (see .e2rx-build.json).',
  options: {
    bundle: { type: 'boolean', short: 'b', description: 'also write <app>/runnables.wasm.zip (Directive, modules, static/)' },
    force: { type: 'boolean', short: 'f', description: 'rebuild every function, even unchanged ones' },
  },
  maxPositionals: 1,
  examples: ['e2rx build', 'e2rx build my-app --bundle', 'e2rx build --force'],
  async run({ values, positionals }, io) {
    const root = resolve(io.cwd, positionals[0] ?? '.');
    const shownRoot = relative(io.cwd, root) || '.';
    try {
      // Loaded here, not at the top: `e2rx --help` must not pay for the compiler (see specs/cli/lazy-loading.spec.ts).
      const [{ buildApp, findFunctions }, { writeBundle }, { formatDiagnostic }] = await Promise.all([
        import('../../build/build-app.js'),
        import('../../build/bundle.js'),
        import('../../build/diagnostics.js'),
      ]);
      const functions = await findFunctions(root);
      if (functions.length === 0 && values['bundle'] !== true) {
        io.stderr.write(`e2rx: no functions to build in ${shownRoot}\n`);
        io.stderr.write('hint: a function is a directory of the app holding an index.ts that exports run, or a Go main package that calls e2rx.Handle\n');
        return 1;
      }
      if (functions.length > 0) {
        const count = functions.length === 1 ? '1 function' : `${functions.length} functions`;
        io.stdout.write(`building ${count} in ${shownRoot}\n`);
        const width = Math.max(...functions.map((fn) => fn.name.length));
        const report = await buildApp(root, {
          force: values['force'] === true,
          env: io.env,
          onProgress: progressPrinter(io, root, width, formatDiagnostic),
        });
        const failed = report.functions.filter((fn) => fn.status === 'failed');
        if (failed.length > 0) {
          const names = failed.map((fn) => fn.name).join(', ');
          io.stderr.write(`e2rx: ${failed.length === 1 ? 'a function' : `${failed.length} functions`} failed to build: ${names}\n`);
          io.stderr.write('hint: fix the compile errors shown\n');
          return 1;
        }
      }
      if (values['bundle'] === true) {
        const bundle = await writeBundle(root);
        io.stdout.write(
          `bundle ${relative(io.cwd, bundle.path) || bundle.path} (${bundle.entries.length} entries, ${size(bundle.bytes)})\n`,
        );
      } else {
        const { staleBundle } = await import('../app-choice.js');
        const stale = await staleBundle(root);
        if (stale !== undefined) {
          io.stderr.write(
            `warning: ${stale.bundle} is older than ${stale.newer}: run e2rx build --bundle to update it, or delete it (e2rx start without an app serves the newer of the two)\n`,
          );
        }
      }
      return 0;
    } catch (error) {
      return printError(io, error);
    }
  },
};
