/**
 * Finding the AssemblyScript SDK (`@e2rx/sdk-assemblyscript`) that functions are compiled against.
 *
 * @module
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2rxError } from '../errors.js';

/** The npm name of the AssemblyScript SDK. */
export const SDK_PACKAGE_NAME = '@e2rx/sdk-assemblyscript';

/** Where the SDK is and which version it is. */
export interface SdkLocation {
  /** The SDK's package directory (holding `package.json`, `index.ts` and `assembly/`). */
  readonly dir: string;
  /** Its `version` from `package.json`. */
  readonly version: string;
}

function fromPackageJson(packageJson: string): SdkLocation | undefined {
  try {
    const parsed = JSON.parse(readFileSync(packageJson, 'utf8')) as { name?: unknown; version?: unknown };
    if (parsed.name !== SDK_PACKAGE_NAME) return undefined;
    return { dir: dirname(packageJson), version: typeof parsed.version === 'string' ? parsed.version : '0.0.0' };
  } catch {
    return undefined;
  }
}

function resolveFrom(base: string): SdkLocation | undefined {
  try {
    return fromPackageJson(createRequire(base).resolve(`${SDK_PACKAGE_NAME}/package.json`));
  } catch {
    return undefined;
  }
}

/**
 * Finds the SDK to compile an app's functions with, in this order: `explicitDir` when given; the SDK installed in the
 * app (`<app>/node_modules/@e2rx/sdk-assemblyscript`, or in a parent's `node_modules`); the SDK that e2rx itself depends
 * on; the `sdk/assemblyscript` folder of the e2rx source tree.
 *
 * @throws {@link E2rxError} `E2RX_BUILD_FAILED` when none is found.
 *
 * @example
 * ```ts
 * import { resolveSdk } from './sdk.js'; // internal
 * const sdk = resolveSdk('./my-app');
 * console.log(sdk.dir, sdk.version);
 * ```
 */
export function resolveSdk(appDir: string, explicitDir?: string): SdkLocation {
  if (explicitDir !== undefined) {
    const found = fromPackageJson(join(resolve(explicitDir), 'package.json'));
    if (found !== undefined) return found;
    throw new E2rxError('E2RX_BUILD_FAILED', `no ${SDK_PACKAGE_NAME} package in ${explicitDir}`);
  }
  const found =
    resolveFrom(join(resolve(appDir), 'package.json')) ?? resolveFrom(import.meta.url) ?? fromSourceTree();
  if (found !== undefined) return found;
  throw new E2rxError('E2RX_BUILD_FAILED', `the AssemblyScript SDK (${SDK_PACKAGE_NAME}) was not found`, {
    hint: `install it in the app (npm install --save-dev ${SDK_PACKAGE_NAME}) or pass its directory`,
  });
}

function fromSourceTree(): SdkLocation | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'sdk', 'assemblyscript', 'package.json');
    if (existsSync(candidate)) return fromPackageJson(candidate);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
