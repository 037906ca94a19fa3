/**
 * Go for specs: whether a Go toolchain (1.24 or later) is installed, suites that are skipped with the reason when it
 * is not, and the Go fixtures of `specs/fixtures/go/` built with `compileGo` into `node_modules/.cache/e2rx-spec-go/`
 * (outside the tracked files; Go's own build cache makes a rebuild of unchanged sources cheap).
 *
 * @example
 * ```ts
 * describeWithGo('hello on the runtime', () => {
 *   it('hello - answers', async () => {
 *     const bytes = await goFixture('hello');
 *   });
 * });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { compileGo } from '../../src/build/go.js';
import { findGoToolchain, type GoToolchain } from '../../src/build/go-toolchain.js';
import { errorMessage } from '../../src/errors.js';

/** The repository's root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The Go SDK. */
export const GO_SDK_DIR = join(ROOT, 'sdk', 'go');

/** The Go fixtures (one module). */
export const GO_FIXTURES_DIR = join(ROOT, 'specs', 'fixtures', 'go');

/** Where the fixtures are built. */
export const GO_BUILD_DIR = join(ROOT, 'node_modules', '.cache', 'e2rx-spec-go');

/** The installed toolchain, or why the Go specs are skipped. */
export type GoAvailability = { readonly ok: true; readonly go: GoToolchain } | { readonly ok: false; readonly reason: string };

/** Whether Go is installed, found as `e2rx build` finds it (with this process's environment). */
export const GO: GoAvailability = await findGoToolchain({ cwd: ROOT, env: process.env }).then(
  (go): GoAvailability => ({ ok: true, go }),
  (error: unknown): GoAvailability => ({ ok: false, reason: `skipped, Go is not available: ${errorMessage(error)}` }),
);

/** The toolchain; throws when there is none (only call it inside {@link describeWithGo}). */
export function goToolchain(): GoToolchain {
  if (!GO.ok) throw new Error(GO.reason);
  return GO.go;
}

/**
 * A suite that needs Go: when Go is missing, one test `<name> - skipped, Go is not available: <why>` is reported as
 * skipped instead (so the reason is in the test report), and the suite's own tests are not registered.
 */
export function describeWithGo(name: string, body: () => void): void {
  if (GO.ok) {
    describe(name, body);
    return;
  }
  const reason = GO.reason;
  describe(name, () => {
    it(`${name} - ${reason}`, (context) => {
      context.skip(reason);
    });
  });
}

const built = new Map<string, Promise<Uint8Array>>();

async function build(name: string): Promise<Uint8Array> {
  await mkdir(GO_BUILD_DIR, { recursive: true });
  // A file per build: spec files run in parallel, and may build the same fixture at once.
  const output = join(GO_BUILD_DIR, `${name}.${randomUUID()}.wasm`);
  try {
    const outcome = await compileGo({ moduleDir: GO_FIXTURES_DIR, dir: join(GO_FIXTURES_DIR, name), output, baseDir: GO_FIXTURES_DIR, go: goToolchain() });
    if (!outcome.ok) throw new Error(`the Go fixture ${name} did not build:\n${JSON.stringify(outcome.diagnostics, null, 2)}`);
    return new Uint8Array(await readFile(output));
  } finally {
    await rm(output, { force: true });
  }
}

/** The module of `specs/fixtures/go/<name>`, built once per process. */
export function goFixture(name: string): Promise<Uint8Array> {
  let pending = built.get(name);
  if (pending === undefined) {
    pending = build(name);
    built.set(name, pending);
  }
  return pending;
}
