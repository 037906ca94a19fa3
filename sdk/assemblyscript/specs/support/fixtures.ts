/**
 * Builds the SDK's AssemblyScript fixtures (`specs/fixtures/<name>.ts`) with e2rx's compiler, once per run.
 *
 * @module
 */

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CompileAssemblyScriptOutcome, compileAssemblyScript } from '../../../../src/build/assemblyscript.js';
import { resolveSdk } from '../../../../src/build/sdk.js';
import { type MiniHost, type MiniHostOptions, createMiniHost } from './mini-host.js';

/** The fixtures directory. */
export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** The SDK under test: this package. */
export const SDK = resolveSdk(FIXTURES_DIR, join(FIXTURES_DIR, '..', '..'));

const outcomes = new Map<string, Promise<CompileAssemblyScriptOutcome>>();

/** Compiles `fixtures/<name>.ts` (memoised). */
export function compileFixture(name: string): Promise<CompileAssemblyScriptOutcome> {
  let outcome = outcomes.get(name);
  if (outcome === undefined) {
    outcome = compileAssemblyScript({ source: join(FIXTURES_DIR, `${name}.ts`), baseDir: FIXTURES_DIR, sdk: SDK });
    outcomes.set(name, outcome);
  }
  return outcome;
}

/** The module of `fixtures/<name>.ts`; fails when it does not compile. */
export async function fixtureBinary(name: string): Promise<Uint8Array> {
  const outcome = await compileFixture(name);
  if (!outcome.ok) throw new Error(`${name} did not compile:\n${JSON.stringify(outcome.diagnostics, null, 2)}`);
  return outcome.binary;
}

/** A mini host around a fresh instance of `fixtures/<name>.ts`. */
export async function hostFor(name: string, options: MiniHostOptions = {}): Promise<MiniHost> {
  return createMiniHost(await fixtureBinary(name), options);
}
