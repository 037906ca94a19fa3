/**
 * Reading a zip archive entry by entry, from its file: the central directory first (names, methods and declared
 * sizes, ZIP64 included), then only the entries asked for, each read at its offset and inflated with a bound on its
 * output. Nothing is inflated that was not asked for, and an entry never inflates past the size it declares, so a
 * caller that checks the declared sizes bounds the memory spent before any is spent.
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { E2rxError } from '../errors.js';

const inflate = promisify(inflateRaw);

/** One entry of the central directory, as declared. */
export interface ZipEntry {
  /** The entry's name as written (`static/logo.png`); UTF-8, or Latin-1 when the archive says it is not UTF-8. */
  readonly name: string;
  /** 0 (stored) or 8 (deflate); other methods are refused when read. */
  readonly method: number;
  /** General-purpose flags (bit 0: encrypted). */
  readonly flags: number;
  /** Bytes stored in the archive. */
  readonly compressedSize: number;
  /** Bytes once inflated, as declared: {@link ZipArchive.read} refuses an entry that inflates to anything else. */
  readonly size: number;
  /** Where its local header starts. */
  readonly localHeaderOffset: number;
}

/** An open zip archive. */
export interface ZipArchive {
  /** Every entry of the central directory, in its order (duplicates included). */
  readonly entries: readonly ZipEntry[];
  /**
   * The bytes of one entry, inflated. Reads only that entry's bytes from the file; never holds more than its
   * declared size (plus one chunk of the inflater) of output.
   *
   * @throws {@link E2rxError} `E2RX_BUNDLE_CORRUPT` when the entry is encrypted, uses another method than stored or
   *   deflate, is not valid deflate data, or inflates to another size than it declares.
   */
  read(entry: ZipEntry): Promise<Uint8Array>;
  /** Closes the file. */
  close(): Promise<void>;
}

/** Options of {@link openZipArchive}. */
export interface ZipArchiveOptions {
  /** The archive's name in error messages (default: its path). */
  readonly name?: string;
  /** The largest central directory read, in bytes; a larger one is `E2RX_BUNDLE_TOO_LARGE`. */
  readonly maxDirectoryBytes: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const END_RECORD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/**
 * Opens a zip archive and reads its central directory.
 *
 * @throws {@link E2rxError} `E2RX_APP_READ` when the file cannot be read, `E2RX_BUNDLE_CORRUPT` when it is not a zip
 *   archive (or a damaged one), `E2RX_BUNDLE_TOO_LARGE` when its central directory is larger than
 *   `maxDirectoryBytes`.
 *
 * @example
 * ```ts
 * const archive = await openZipArchive('runnables.wasm.zip', { maxDirectoryBytes: 16 * 1024 * 1024 });
 * try {
 *   const directive = archive.entries.find((entry) => entry.name === 'Directive.yaml');
 *   if (directive) console.log(new TextDecoder().decode(await archive.read(directive)));
 * } finally {
 *   await archive.close();
 * }
 * ```
 */
export async function openZipArchive(path: string, options: ZipArchiveOptions): Promise<ZipArchive> {
  const name = options.name ?? path;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new E2rxError('E2RX_APP_READ', `cannot read ${name}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const size = (await handle.stat()).size;
    const reader = createReader(handle, size, name);
    const entries = await readDirectory(reader, size, name, options.maxDirectoryBytes);
    return {
      entries,
      read: (entry) => readEntry(reader, entry, name),
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

type Reader = (position: number, length: number, what: string) => Promise<DataView>;

function corrupt(name: string, what: string): E2rxError {
  return new E2rxError('E2RX_BUNDLE_CORRUPT', `${name} is not a readable zip archive: ${what}`);
}

function createReader(handle: FileHandle, size: number, name: string): Reader {
  return async (position, length, what) => {
    if (position < 0 || length < 0 || position + length > size) throw corrupt(name, `${what} lies past the end of the file`);
    const buffer = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, filled, length - filled, position + filled));
      } catch (error) {
        throw new E2rxError('E2RX_APP_READ', `cannot read ${name}: ${(error as Error).message}`, { cause: error });
      }
      if (bytesRead === 0) throw corrupt(name, `the file ends inside ${what}`);
      filled += bytesRead;
    }
    return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  };
}

const u64 = (view: DataView, offset: number): number => Number(view.getBigUint64(offset, true));

async function readDirectory(read: Reader, size: number, name: string, maxDirectoryBytes: number): Promise<ZipEntry[]> {
  if (size < END_RECORD_SIZE) throw corrupt(name, 'it is too short to hold an end of central directory record');
  const tailLength = Math.min(size, END_RECORD_SIZE + MAX_COMMENT + 20);
  const tail = await read(size - tailLength, tailLength, 'the end of the archive');
  let end = -1;
  for (let offset = tailLength - END_RECORD_SIZE; offset >= 0; offset -= 1) {
    if (tail.getUint32(offset, true) === END_OF_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw corrupt(name, 'no end of central directory record (is it a zip file?)');
  let count = tail.getUint16(end + 10, true);
  let directorySize = tail.getUint32(end + 12, true);
  let directoryOffset = tail.getUint32(end + 16, true);
  if (end >= 20 && tail.getUint32(end - 20, true) === ZIP64_LOCATOR) {
    const record = await read(u64(tail, end - 12), 56, 'the ZIP64 end of central directory record');
    if (record.getUint32(0, true) !== ZIP64_END_OF_DIRECTORY) throw corrupt(name, 'a damaged ZIP64 end of central directory record');
    count = u64(record, 32);
    directorySize = u64(record, 40);
    directoryOffset = u64(record, 48);
  }
  if (directorySize > maxDirectoryBytes) {
    throw new E2rxError('E2RX_BUNDLE_TOO_LARGE', `the central directory of ${name} is ${directorySize} bytes, more than the ${maxDirectoryBytes} read`);
  }
  const directory = await read(directoryOffset, directorySize, 'the central directory');
  const entries: ZipEntry[] = [];
  const decoder = { utf8: new TextDecoder('utf-8'), latin1: new TextDecoder('latin1') };
  let offset = 0;
  for (let index = 0; index < count; index += 1) {
    if (offset + 46 > directorySize || directory.getUint32(offset, true) !== DIRECTORY_HEADER) {
      throw corrupt(name, `the central directory ends before its entry ${index + 1} of ${count}`);
    }
    const flags = directory.getUint16(offset + 8, true);
    const nameLength = directory.getUint16(offset + 28, true);
    const extraLength = directory.getUint16(offset + 30, true);
    const commentLength = directory.getUint16(offset + 32, true);
    const next = offset + 46 + nameLength + extraLength + commentLength;
    if (next > directorySize) throw corrupt(name, `the central directory ends inside its entry ${index + 1}`);
    const nameBytes = new Uint8Array(directory.buffer, directory.byteOffset + offset + 46, nameLength);
    const sizes = {
      size: directory.getUint32(offset + 24, true),
      compressedSize: directory.getUint32(offset + 20, true),
      localHeaderOffset: directory.getUint32(offset + 42, true),
    };
    readZip64Extra(new DataView(directory.buffer, directory.byteOffset + offset + 46 + nameLength, extraLength), sizes);
    entries.push({
      name: ((flags & 0x0800) !== 0 ? decoder.utf8 : decoder.latin1).decode(nameBytes),
      method: directory.getUint16(offset + 10, true),
      flags,
      ...sizes,
    });
    offset = next;
  }
  return entries;
}

/** Replaces the 32-bit fields that are 0xffffffff by their ZIP64 values (extra field 0x0001), in APPNOTE's order. */
function readZip64Extra(extra: DataView, sizes: { size: number; compressedSize: number; localHeaderOffset: number }): void {
  for (let offset = 0; offset + 4 <= extra.byteLength; ) {
    const id = extra.getUint16(offset, true);
    const length = extra.getUint16(offset + 2, true);
    if (id === 0x0001) {
      let field = offset + 4;
      const end = Math.min(field + length, extra.byteLength);
      for (const key of ['size', 'compressedSize', 'localHeaderOffset'] as const) {
        if (sizes[key] !== 0xffffffff) continue;
        if (field + 8 > end) return;
        sizes[key] = u64(extra, field);
        field += 8;
      }
      return;
    }
    offset += 4 + length;
  }
}

async function readEntry(read: Reader, entry: ZipEntry, name: string): Promise<Uint8Array> {
  if ((entry.flags & 0x0001) !== 0) throw corrupt(name, `${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw corrupt(name, `${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) entries are read`);
  }
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    throw corrupt(name, `${entry.name} is stored but declares ${entry.size} bytes for ${entry.compressedSize} stored`);
  }
  const local = await read(entry.localHeaderOffset, 30, `the local header of ${entry.name}`);
  if (local.getUint32(0, true) !== LOCAL_HEADER) throw corrupt(name, `the local header of ${entry.name} is missing`);
  const start = entry.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  const stored = await read(start, entry.compressedSize, `the data of ${entry.name}`);
  const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
  if (entry.method === 0) return bytes;
  let inflated: Uint8Array;
  try {
    // The bound: never more output than declared (the inflater stops one chunk past it at most).
    inflated = new Uint8Array(await inflate(bytes, { maxOutputLength: Math.max(1, entry.size) }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw corrupt(name, `${entry.name} inflates past the ${entry.size} bytes its header declares`);
    }
    throw corrupt(name, `${entry.name} is not valid deflate data (${(error as Error).message})`);
  }
  if (inflated.length !== entry.size) throw corrupt(name, `${entry.name} inflates to ${inflated.length} bytes, not the ${entry.size} its header declares`);
  return inflated;
}
