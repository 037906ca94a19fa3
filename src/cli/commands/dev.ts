/**
 * `e2rx dev [app]`: the development loop. Builds the app's functions, serves the app directory, and on every save
 * rebuilds the functions whose sources changed (only those) and reloads the app; a change of the Directive or a
 * static file reloads it. What runs is always what was just built: the app directory, never a bundle beside it, and
 * a function that fails to build is reported while the previous build of it keeps serving.
 *
 * @module
 */
import { relative, resolve } from 'node:path';
import type { FunctionSource } from '../../build/build-app.js';
import type { Command, CommandIo } from '../command.js';
import { progressPrinter } from './build.js';
import { resolveStartSettings, serveApp, type ServingContext } from './start.js';

/** What dev writes itself, never a reason to rebuild or reload: build outputs, the manifest, temporary files. */
function isDevOutput(path: string, functions: readonly FunctionSource[]): boolean {
  const name = path.split('/').pop() ?? '';
  if (name === '.e2rx-build.json' || name === 'runnables.wasm.zip' || name.endsWith('.tmp')) return true;
  return functions.some((fn) => path === `${fn.name}.wasm` || path === `${fn.name}.wasm.map`);
}

/** Paths no dev loop looks at: dependencies, version control, hidden files and directories. */
function isIgnored(path: string): boolean {
  return path.split('/').some((part) => part.startsWith('.') || part === 'node_modules') && !path.endsWith('.runnable.yaml');
}

/**
 * Builds the functions named (all when `only` is undefined), printing one line per function; resolves with whether
 * every one built or was unchanged.
 */
async function buildFunctions(root: string, io: CommandIo, functions: readonly FunctionSource[], only: readonly string[] | undefined): Promise<boolean> {
  if (functions.length === 0) return true;
  const [{ buildApp }, { formatDiagnostic }] = await Promise.all([import('../../build/build-app.js'), import('../../build/diagnostics.js')]);
  const width = Math.max(...functions.map((fn) => fn.name.length));
  const report = await buildApp(root, {
    env: io.env,
    onProgress: progressPrinter(io, root, width, formatDiagnostic),
    ...(only === undefined ? {} : { only }),
  });
  return report.ok;
}

/** The lines dev prints once the app serves: where to call each handler. */
function describeRoutes(context: ServingContext, cwd: string): string {
  const plan = context.engine.current?.plan;
  const lines = [`e2rx dev: serving ${relative(cwd, context.app) || '.'} at ${context.url}`];
  for (const handler of plan?.requests ?? []) lines.push(`  ${handler.handler.method.padEnd(6)} ${context.url}${handler.handler.resource}`);
  for (const handler of plan?.websockets ?? []) lines.push(`  WS     ${context.url.replace(/^http/, 'ws')}${handler.handler.resource}`);
  for (const route of plan?.headlessRoutes ?? []) lines.push(`  POST   ${context.url}${route.path}`);
  lines.push('editing a function rebuilds it and reloads the app; editing the Directive or a static file reloads it (Ctrl-C stops)');
  return `${lines.join('\n')}\n`;
}

/** The dev command. */
export const devCommand: Command = {
  name: 'dev',
  summary: 'build, serve and watch an app: rebuilds a changed function and reloads on every save',
  usage: '[app] [options]',
  description: [
    'app is the app directory (default: the current directory). dev builds every function (as e2rx build, skipping unchanged ones),',
    'serves the app directory (a runnables.wasm.zip beside it is not used) and watches it: saving a function source rebuilds that',
    'function only and reloads the app; saving the Directive or a static file reloads it. A reload swaps the app without closing the',
    'port (as e2rx start --watch). A compile error or an invalid Directive is printed and the previous version keeps serving.',
    'Logs are pretty by default.',
  ].join('\n'),
  options: {
    port: { type: 'string', short: 'p', description: 'HTTP port (default 8080)', placeholder: '<port>' },
    host: { type: 'string', description: 'address to listen on (default: all interfaces)', placeholder: '<address>' },
    'log-level': { type: 'string', description: 'as e2rx start (default info)', placeholder: '<level>' },
    'log-format': { type: 'string', description: 'pretty or json (default pretty)', placeholder: '<format>' },
  },
  maxPositionals: 1,
  examples: ['e2rx dev', 'e2rx dev my-app --port 3000'],
  async run({ values, positionals }, io) {
    const settings = resolveStartSettings({ ...values, 'log-format': values['log-format'] ?? 'pretty' }, positionals, io.env);
    const root = resolve(io.cwd, settings.app ?? '.');
    const { findFunctions } = await import('../../build/build-app.js');
    let functions = await findFunctions(root);
    if (functions.length > 0) io.stdout.write(`building ${functions.length === 1 ? '1 function' : `${functions.length} functions`} in ${relative(io.cwd, root) || '.'}\n`);
    if (!(await buildFunctions(root, io, functions, undefined))) {
      io.stderr.write('e2rx dev: fix the compile errors shown, then run e2rx dev again\n');
      return 1;
    }
    return serveApp({ ...settings, app: relative(io.cwd, root) || '.' }, io, {
      directoryOnly: true,
      serving: async (context) => {
        const { watchFiles } = await import('../../app/watch.js');
        io.stdout.write(describeRoutes(context, io.cwd));
        // One change at a time: a save during a build is handled once the build and its reload are over.
        let busy: Promise<void> = Promise.resolve();
        const handle = async (paths: readonly string[]): Promise<void> => {
          functions = await findFunctions(root);
          const changed = paths.filter((path) => !isDevOutput(path, functions));
          if (changed.length === 0) return;
          const rebuilt = functions.filter((fn) => changed.some((path) => path.startsWith(`${fn.name}/`) || (fn.lang === 'go' && path === 'go.mod')));
          context.logger.info({ files: changed }, `changed: ${changed.join(', ')}`);
          if (rebuilt.length > 0) {
            const ok = await buildFunctions(
              root,
              io,
              functions,
              rebuilt.map((fn) => fn.name),
            );
            if (!ok) {
              context.logger.error('build failed: the previous build keeps serving; fix the errors above and save again');
              return;
            }
          }
          await context.reload();
        };
        return watchFiles(root, {
          filter: (path) => !isIgnored(path),
          onChange: (paths) => {
            busy = busy.then(() => handle(paths)).catch((error: unknown) => context.logger.error({ err: error }, 'e2rx dev: the rebuild failed'));
          },
          onError: (error) => context.logger.error({ code: error.code }, error.message),
        });
      },
    });
  },
};
