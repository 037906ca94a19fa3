/**
 * The entries of a `runnables.wasm.zip` bundle that an app needs (docs/reference/directive.md#where-the-directive-lives): `Directive.yaml`, the `.wasm` modules
 * at its root and the files under `static/`, read within {@link BundleLimits}. Every bound is checked on the sizes the
 * archive declares before anything is inflated, and no entry inflates past its declared size, so a zip bomb costs
 * no memory: it is refused.
 *
 * @module
 */
import { E2rxError } from '../errors.js';
import { openZipArchive, type ZipEntry } from './zip-archive.js';

/** How much a bundle may inflate to. */
export interface BundleLimits {
  /** The most bytes one entry may inflate to (and the largest central directory read). */
  readonly maxEntryBytes: number;
  /** The most bytes the entries an app needs may inflate to together (they stay in memory while it runs). */
  readonly maxTotalBytes: number;
}

/**
 * The default bounds: 64 MiB per entry, 256 MiB for the whole bundle. A WebAssembly module of a few MiB and some
 * static files fit many times over.
 */
export const DEFAULT_BUNDLE_LIMITS: BundleLimits = { maxEntryBytes: 64 * 1024 * 1024, maxTotalBytes: 256 * 1024 * 1024 };

/** What an app needs from its bundle. */
export interface BundleEntries {
  /** `Directive.yaml` at the root. */
  readonly directive: Uint8Array | undefined;
  /** Whether the bundle holds an E2 Core `tenant.json` at its root. */
  readonly hasTenantConfig: boolean;
  /** The `.wasm` modules at the root, by file name (`hello.wasm`). */
  readonly modules: ReadonlyMap<string, Uint8Array>;
  /** The files under `static/`, by entry name (`static/logo.png`). */
  readonly statics: ReadonlyMap<string, Uint8Array>;
}

function isNeeded(entry: ZipEntry): boolean {
  if (entry.name === 'Directive.yaml') return true;
  if (entry.name.startsWith('static/')) return !entry.name.endsWith('/');
  return !entry.name.includes('/') && entry.name.endsWith('.wasm');
}

/**
 * Reads the entries an app needs from the bundle at `path` (named `name` in errors).
 *
 * @throws {@link E2rxError} `E2RX_BUNDLE_DUPLICATE_ENTRY` when two entries have the same name (which one would run?),
 *   `E2RX_BUNDLE_TOO_LARGE` when an entry or the whole declares more than `limits`, `E2RX_BUNDLE_CORRUPT` when the
 *   archive is damaged or an entry inflates to another size than it declares, `E2RX_APP_READ` when the file cannot
 *   be read.
 *
 * @example
 * ```ts
 * const entries = await readBundleEntries('app/runnables.wasm.zip', 'runnables.wasm.zip', DEFAULT_BUNDLE_LIMITS);
 * console.log([...entries.modules.keys()]);
 * ```
 */
export async function readBundleEntries(path: string, name: string, limits: BundleLimits = DEFAULT_BUNDLE_LIMITS): Promise<BundleEntries> {
  const archive = await openZipArchive(path, { name, maxDirectoryBytes: limits.maxEntryBytes });
  try {
    refuseDuplicates(archive.entries, name);
    const needed = archive.entries.filter(isNeeded);
    checkLimits(needed, name, limits);
    const modules = new Map<string, Uint8Array>();
    const statics = new Map<string, Uint8Array>();
    let directive: Uint8Array | undefined;
    for (const entry of needed) {
      const bytes = await archive.read(entry);
      if (entry.name === 'Directive.yaml') directive = bytes;
      else if (entry.name.startsWith('static/')) statics.set(entry.name, bytes);
      else modules.set(entry.name, bytes);
    }
    return { directive, hasTenantConfig: archive.entries.some((entry) => entry.name === 'tenant.json'), modules, statics };
  } finally {
    await archive.close();
  }
}

function refuseDuplicates(entries: readonly ZipEntry[], name: string): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(entry.name)) {
      const count = entries.filter((other) => other.name === entry.name).length;
      throw new E2rxError('E2RX_BUNDLE_DUPLICATE_ENTRY', `${name} holds ${count} entries named ${entry.name}: a bundle has each entry once`, {
        details: { entry: entry.name, count },
      });
    }
    seen.add(entry.name);
  }
}

function checkLimits(needed: readonly ZipEntry[], name: string, limits: BundleLimits): void {
  let total = 0;
  for (const entry of needed) {
    const largest = Math.max(entry.size, entry.compressedSize);
    if (largest > limits.maxEntryBytes) {
      throw new E2rxError(
        'E2RX_BUNDLE_TOO_LARGE',
        `${name}/${entry.name} declares ${largest} bytes, more than the ${limits.maxEntryBytes} a bundle entry may have (maxEntryBytes)`,
        { details: { entry: entry.name, bytes: largest, limit: limits.maxEntryBytes } },
      );
    }
    total += largest;
  }
  if (total > limits.maxTotalBytes) {
    throw new E2rxError(
      'E2RX_BUNDLE_TOO_LARGE',
      `the entries of ${name} declare ${total} bytes together, more than the ${limits.maxTotalBytes} a bundle may have (maxTotalBytes)`,
      { details: { bytes: total, limit: limits.maxTotalBytes } },
    );
  }
}
