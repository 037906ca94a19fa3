/**
 * Whether the built `dist/` is current: specs that run the CLI as a process, and benchmarks that measure the build,
 * check a file of it against the sources.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The newest modification time of the `.ts` files under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : entry.name.endsWith('.ts') ? statSync(path).mtimeMs : 0);
  }
  return newest;
}

/** Whether `file` (a path of the build) is missing or older than some source under src/. */
export function isStaleBuild(file: string): boolean {
  return !existsSync(file) || statSync(file).mtimeMs < newestSource(join(ROOT, 'src'));
}
