/**
 * The text of an app's Directive, read the way the loader finds it, for checks the CLI makes before it starts the
 * engine (see {@link findUnsetEnv}).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { BUNDLE_FILE_NAME, DIRECTIVE_FILE_NAMES } from '../app/load-app.js';

/** A Directive's text and its name as problems show it (`Directive.yaml`, `my-app/Directive.yaml`, `runnables.wasm.zip/Directive.yaml`). */
export interface DirectiveSource {
  readonly file: string;
  readonly text: string;
}

/**
 * Reads the Directive of the app at `app` (relative to `cwd`; `undefined`: the loader's default), from a directory,
 * a Directive file or a bundle. Resolves `undefined` when there is none to read, or when it is not a regular file
 * (a FIFO would block): the loader then reads it, or reports why not, with its own messages.
 */
export async function readDirectiveSource(cwd: string, app: string | undefined): Promise<DirectiveSource | undefined> {
  const target = app === undefined ? (existsSync(join(cwd, BUNDLE_FILE_NAME)) ? join(cwd, BUNDLE_FILE_NAME) : cwd) : resolve(cwd, app);
  const shown = (path: string): string => {
    const text = relative(cwd, path);
    return text === '' ? '.' : text.startsWith('..') ? path : text;
  };
  try {
    const info = await stat(target);
    if (info.isFile() && (DIRECTIVE_FILE_NAMES as readonly string[]).includes(basename(target))) {
      return { file: shown(target), text: await readFile(target, 'utf8') };
    }
    if (info.isFile()) return fromBundle(target, shown(target));
    const name = DIRECTIVE_FILE_NAMES.find((candidate) => existsSync(join(target, candidate)));
    if (name !== undefined) {
      // Only a regular file: reading a FIFO (or a device) here would block before anything listens; the loader reads it.
      if (!(await stat(join(target, name))).isFile()) return undefined;
      return { file: shown(join(target, name)), text: await readFile(join(target, name), 'utf8') };
    }
    if (existsSync(join(target, BUNDLE_FILE_NAME))) return fromBundle(join(target, BUNDLE_FILE_NAME), shown(join(target, BUNDLE_FILE_NAME)));
  } catch {
    // unreadable: the loader says what is wrong
  }
  return undefined;
}

async function fromBundle(path: string, shown: string): Promise<DirectiveSource | undefined> {
  const entries = unzipSync(new Uint8Array(await readFile(path)), { filter: (entry) => entry.name === 'Directive.yaml' });
  const bytes = entries['Directive.yaml'];
  return bytes === undefined ? undefined : { file: `${shown}/Directive.yaml`, text: new TextDecoder().decode(bytes) };
}
