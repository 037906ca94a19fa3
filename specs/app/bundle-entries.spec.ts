import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE_LIMITS, readBundleEntries, type BundleEntries, type BundleLimits } from '../../src/app/bundle-entries.js';
import { E2rxError } from '../../src/errors.js';
import { cleanupApps, makeTempDir } from '../support/apps.js';
import { deflated, writeZip, zeroBomb, type CraftedEntry } from './support/zip-writer.js';

afterAll(cleanupApps);

const MIB = 1024 * 1024;
const text = (value: string): Uint8Array => new TextEncoder().encode(value);
const DIRECTIVE: CraftedEntry = { name: 'Directive.yaml', data: text('identifier: com.example.spec\n') };
const WASM: CraftedEntry = { name: 'hello.wasm', data: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) };

async function entriesOf(entries: readonly CraftedEntry[], limits?: BundleLimits): Promise<BundleEntries> {
  const dir = await makeTempDir('e2rx-bundle-entries-');
  const path = join(dir, 'runnables.wasm.zip');
  await writeFile(path, writeZip(entries));
  return readBundleEntries(path, 'runnables.wasm.zip', limits);
}

async function failure(promise: Promise<unknown>): Promise<E2rxError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof E2rxError) return error;
    throw error;
  }
  throw new Error('expected an E2rxError');
}

describe('readBundleEntries', () => {
  it('readBundleEntries - reads the Directive, the root modules and the static files, and nothing else', async () => {
    const entries = await entriesOf([
      DIRECTIVE,
      WASM,
      { name: 'static/', data: new Uint8Array(0) },
      { name: 'static/css/site.css', ...deflated(text('body {}')) },
      { name: 'nested/other.wasm', data: text('not read') },
      // Never inflated, so never a cost: an entry the app does not need may be anything, a bomb included.
      { name: 'docs/huge.bin', ...zeroBomb(1024 * MIB) },
      { name: 'tenant.json', data: text('{}') },
    ]);
    expect(new TextDecoder().decode(entries.directive)).toBe('identifier: com.example.spec\n');
    expect([...entries.modules.keys()]).toEqual(['hello.wasm']);
    expect([...entries.statics.entries()].map(([name, bytes]) => [name, new TextDecoder().decode(bytes)])).toEqual([['static/css/site.css', 'body {}']]);
    expect(entries.hasTenantConfig).toBe(true);
  });

  it('readBundleEntries - the default limits are 64 MiB per entry and 256 MiB in all', () => {
    expect(DEFAULT_BUNDLE_LIMITS).toEqual({ maxEntryBytes: 64 * MIB, maxTotalBytes: 256 * MIB });
  });

  it.each(['Directive.yaml', 'hello.wasm', 'static/a.txt', 'README.md'])(
    'readBundleEntries - two entries named %s are E2RX_BUNDLE_DUPLICATE_ENTRY',
    async (name) => {
      const error = await failure(entriesOf([DIRECTIVE, WASM, { name, data: text('first') }, { name: 'static/b.txt', data: text('b') }, { name, data: text('second') }]));
      expect(error.code).toBe('E2RX_BUNDLE_DUPLICATE_ENTRY');
      const count = name === 'Directive.yaml' || name === 'hello.wasm' ? 3 : 2;
      expect(error.message).toBe(`runnables.wasm.zip holds ${count} entries named ${name}: a bundle has each entry once`);
      expect(error.details).toEqual({ entry: name, count });
    },
  );

  it('readBundleEntries - a static entry that inflates to 1 GiB is E2RX_BUNDLE_TOO_LARGE with the default limits, before any memory is spent', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const error = await failure(entriesOf([DIRECTIVE, WASM, { name: 'static/big.bin', ...zeroBomb(1024 * MIB) }]));
    expect(error.code).toBe('E2RX_BUNDLE_TOO_LARGE');
    expect(error.message).toBe('runnables.wasm.zip/static/big.bin declares 1073741824 bytes, more than the 67108864 a bundle entry may have (maxEntryBytes)');
    expect(error.details).toEqual({ entry: 'static/big.bin', bytes: 1024 * MIB, limit: 64 * MIB });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * MIB);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('readBundleEntries - a Directive.yaml bomb is refused the same way', async () => {
    const error = await failure(entriesOf([{ name: 'Directive.yaml', ...zeroBomb(128 * MIB) }, WASM]));
    expect(error.code).toBe('E2RX_BUNDLE_TOO_LARGE');
    expect(error.message).toMatch(/^runnables\.wasm\.zip\/Directive\.yaml declares 134217728 bytes/);
  });

  it('readBundleEntries - entries within the per-entry bound but past the total are E2RX_BUNDLE_TOO_LARGE', async () => {
    const limits = { maxEntryBytes: 2 * MIB, maxTotalBytes: 5 * MIB };
    const statics = [1, 2, 3].map((index) => ({ name: `static/${index}.bin`, ...zeroBomb(2 * MIB) }));
    const error = await failure(entriesOf([DIRECTIVE, WASM, ...statics], limits));
    expect(error.code).toBe('E2RX_BUNDLE_TOO_LARGE');
    expect(error.message).toMatch(/^the entries of runnables\.wasm\.zip declare \d+ bytes together, more than the 5242880 a bundle may have \(maxTotalBytes\)$/);
    const fits = await entriesOf([DIRECTIVE, WASM, ...statics.slice(0, 2)], limits);
    expect(fits.statics.get('static/1.bin')?.length).toBe(2 * MIB);
  });

  it('readBundleEntries - limits can be raised: a 72 MiB static file loads with maxEntryBytes 128 MiB', async () => {
    const entries = await entriesOf([DIRECTIVE, WASM, { name: 'static/big.bin', ...zeroBomb(72 * MIB) }], { maxEntryBytes: 128 * MIB, maxTotalBytes: 256 * MIB });
    expect(entries.statics.get('static/big.bin')?.length).toBe(72 * MIB);
  });

  it('readBundleEntries - an entry that lies about its size is E2RX_BUNDLE_CORRUPT, having inflated no more than it declared', async () => {
    const error = await failure(entriesOf([DIRECTIVE, WASM, { name: 'static/liar.bin', ...zeroBomb(1024 * MIB, 1_000) }]));
    expect(error.code).toBe('E2RX_BUNDLE_CORRUPT');
    expect(error.message).toBe('runnables.wasm.zip is not a readable zip archive: static/liar.bin inflates past the 1000 bytes its header declares');
  });
});
