import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openZipArchive, type ZipArchive } from '../../src/app/zip-archive.js';
import { E2rxError } from '../../src/errors.js';
import { cleanupApps, makeTempDir, zipBytes } from '../support/apps.js';
import { deflated, writeZip, zeroBomb, type CraftedEntry } from './support/zip-writer.js';

afterAll(cleanupApps);

const MIB = 1024 * 1024;
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

async function archiveOf(bytes: Uint8Array, maxDirectoryBytes = MIB): Promise<ZipArchive> {
  const dir = await makeTempDir('e2rx-zip-');
  const path = join(dir, 'app.zip');
  await writeFile(path, bytes);
  return openZipArchive(path, { name: 'app.zip', maxDirectoryBytes });
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

async function readAll(entries: readonly CraftedEntry[], options: { readonly zip64?: boolean } = {}): Promise<Record<string, string>> {
  const archive = await archiveOf(writeZip(entries, options));
  try {
    const result: Record<string, string> = {};
    for (const entry of archive.entries) result[entry.name] = new TextDecoder().decode(await archive.read(entry));
    return result;
  } finally {
    await archive.close();
  }
}

describe('openZipArchive - reading', () => {
  it('openZipArchive - lists the entries of an archive written by fflate (e2rx build --bundle) and reads them', async () => {
    const archive = await archiveOf(zipBytes({ 'Directive.yaml': 'identifier: x\n', 'static/a.txt': 'a'.repeat(10_000), 'hello.wasm': 'wasm' }));
    try {
      expect(archive.entries.map((entry) => [entry.name, entry.size])).toEqual([
        ['Directive.yaml', 14],
        ['static/a.txt', 10_000],
        ['hello.wasm', 4],
      ]);
      const entry = archive.entries[1];
      expect(entry?.method).toBe(8);
      expect(entry === undefined ? '' : new TextDecoder().decode(await archive.read(entry))).toBe('a'.repeat(10_000));
    } finally {
      await archive.close();
    }
  });

  it('openZipArchive - reads stored and deflated entries with data descriptors, as Go archive/zip writes them (Atmo bundles)', async () => {
    expect(
      await readAll([
        { name: 'Directive.yaml', ...deflated(text('identifier: go\n')), flags: 0x08 },
        { name: 'static/raw.txt', data: text('PK\u0003\u0004 looks like a header'), flags: 0x08 },
      ]),
    ).toEqual({ 'Directive.yaml': 'identifier: go\n', 'static/raw.txt': 'PK\u0003\u0004 looks like a header' });
  });

  it('openZipArchive - reads ZIP64 sizes and offsets', async () => {
    expect(await readAll([{ name: 'a.txt', data: text('first') }, { name: 'b.txt', ...deflated(text('second')) }], { zip64: true })).toEqual({
      'a.txt': 'first',
      'b.txt': 'second',
    });
  });

  it('openZipArchive - keeps duplicate names (the caller decides) and an empty archive', async () => {
    const archive = await archiveOf(writeZip([{ name: 'x', data: text('1') }, { name: 'x', data: text('2') }]));
    expect(archive.entries.map((entry) => entry.name)).toEqual(['x', 'x']);
    await archive.close();
    const empty = await archiveOf(writeZip([]));
    expect(empty.entries).toEqual([]);
    await empty.close();
  });
});

describe('openZipArchive - refusals', () => {
  it.each([
    ['a short file', text('not a zip'), 'it is too short to hold an end of central directory record'],
    ['text', text('this is not a zip archive, just some text that is long enough\n'.repeat(3)), 'no end of central directory record (is it a zip file?)'],
  ])('openZipArchive - %s is E2RX_BUNDLE_CORRUPT', async (_, bytes, what) => {
    const error = await failure(archiveOf(bytes));
    expect(error.code).toBe('E2RX_BUNDLE_CORRUPT');
    expect(error.message).toBe(`app.zip is not a readable zip archive: ${what}`);
  });

  it('openZipArchive - a central directory past the end of the file is E2RX_BUNDLE_CORRUPT', async () => {
    const bytes = writeZip([{ name: 'a', data: text('a') }]);
    new DataView(bytes.buffer).setUint32(bytes.length - 6, 1_000_000, true);
    const error = await failure(archiveOf(bytes));
    expect(error.message).toBe('app.zip is not a readable zip archive: the central directory lies past the end of the file');
  });

  it('openZipArchive - a central directory larger than maxDirectoryBytes is E2RX_BUNDLE_TOO_LARGE, before it is read', async () => {
    const entries = Array.from({ length: 100 }, (_, index) => ({ name: `static/file-${index}.txt`, data: text('x') }));
    const error = await failure(archiveOf(writeZip(entries), 1_000));
    expect(error.code).toBe('E2RX_BUNDLE_TOO_LARGE');
    expect(error.message).toMatch(/^the central directory of app\.zip is \d+ bytes, more than the 1000 read$/);
  });

  it.each([
    ['an encrypted entry', { name: 'e.bin', data: text('xxxx'), flags: 0x01 }, 'e.bin is encrypted'],
    ['another method', { name: 'b.bin', data: text('xxxx'), method: 12 }, 'b.bin uses compression method 12; only stored (0) and deflate (8) entries are read'],
    ['a stored entry whose sizes differ', { name: 's.bin', data: text('xxxx'), size: 9 }, 's.bin is stored but declares 9 bytes for 4 stored'],
    ['data that is not deflate', { name: 'd.bin', data: new Uint8Array([0xff, 0xff, 0xff, 0xff]), method: 8, size: 4 }, /^d\.bin is not valid deflate data \(/],
    ['an entry that inflates short of its size', { name: 'short.bin', ...deflated(text('abc')), size: 10 }, 'short.bin inflates to 3 bytes, not the 10 its header declares'],
  ] satisfies [string, CraftedEntry, string | RegExp][])('openZipArchive - %s is E2RX_BUNDLE_CORRUPT when read', async (_, entry, what) => {
    const archive = await archiveOf(writeZip([entry]));
    try {
      const error = await failure(archive.read(archive.entries[0] as (typeof archive.entries)[number]));
      expect(error.code).toBe('E2RX_BUNDLE_CORRUPT');
      const said = error.message.replace(/^app\.zip is not a readable zip archive: /, '');
      if (typeof what === 'string') expect(said).toBe(what);
      else expect(said).toMatch(what);
    } finally {
      await archive.close();
    }
  });

  it('openZipArchive - an entry that lies about its size (1 GiB declared as 1 KiB) stops inflating at its declared size', async () => {
    const archive = await archiveOf(writeZip([{ name: 'static/bomb.bin', ...zeroBomb(1024 * MIB, 1024) }]));
    try {
      const started = performance.now();
      const before = process.memoryUsage().arrayBuffers;
      const error = await failure(archive.read(archive.entries[0] as (typeof archive.entries)[number]));
      expect(error.message).toBe('app.zip is not a readable zip archive: static/bomb.bin inflates past the 1024 bytes its header declares');
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * MIB);
      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      await archive.close();
    }
  });
});
