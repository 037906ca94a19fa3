/**
 * Which app `e2rx start` and `e2rx validate` run, decided before anything is loaded or listens.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { E2rxError } from '../errors.js';

/** The app to hand to the engine or the loader, and a line to show the user about the choice, if any. */
export interface AppChoice {
  /** The app path (as given, or the default chosen); `undefined` leaves the default to the loader. */
  readonly app: string | undefined;
  /** Something the user should know about the choice (a stale bundle), for a warning. */
  readonly notice?: string;
}

/** The hint of a missing app: the loader's own. */
const MISSING_APP_HINT = 'pass an app directory holding a Directive.yaml, or a runnables.wasm.zip bundle';

/**
 * Checks the app path given on the command line before anything starts: a path that does not exist fails at once
 * with `E2RX_APP_NOT_FOUND` (`start` used to listen, log `serving on`, and only then say so).
 *
 * @throws {@link E2rxError} `E2RX_APP_NOT_FOUND` when `app` names nothing.
 */
export async function chooseApp(cwd: string, app: string | undefined): Promise<AppChoice> {
  if (app === undefined) return { app };
  const target = resolve(cwd, app);
  if (!(await exists(target))) {
    throw new E2rxError('E2RX_APP_NOT_FOUND', `${shown(cwd, target)} does not exist`, { hint: MISSING_APP_HINT });
  }
  return { app };
}

/** A path as the loader shows it: relative to `cwd` when inside it. */
function shown(cwd: string, path: string): string {
  const text = relative(cwd, path);
  return text === '' ? '.' : text.startsWith('..') ? path : text;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
