/**
 * Zip archives crafted byte by byte for the bundle specs: what `e2rx build --bundle` never writes (duplicate names,
 * sizes that lie, zip bombs, data descriptors as Go's archive/zip writes them, encrypted or unknown methods).
 *
 * @example
 * ```ts
 * const bomb = writeZip([{ name: 'static/big.bin', ...zeroBomb(1024 * 1024 * 1024) }]);
 * ```
 */
import { constants, deflateRawSync } from 'node:zlib';

/** One entry as it is written: its name, its stored bytes, and what its headers claim. */
export interface CraftedEntry {
  readonly name: string;
  /** The bytes stored in the archive (raw deflate for method 8). */
  readonly data: Uint8Array;
  /** 0 (stored) or 8 (deflate); anything else to test refusal. */
  readonly method?: number;
  /** The uncompressed size written in the headers (default: `data.length` for stored entries). */
  readonly size?: number;
  /** The CRC-32 written in the headers (default 0: the reader does not check it). */
  readonly crc?: number;
  /** General-purpose flags (bit 0 encrypted, bit 3 data descriptor). */
  readonly flags?: number;
}

/** A deflated entry: the raw deflate stream of `bytes` and its size. */
export function deflated(bytes: Uint8Array): Pick<CraftedEntry, 'data' | 'method' | 'size'> {
  return { data: new Uint8Array(deflateRawSync(bytes)), method: 8, size: bytes.length };
}

/**
 * A deflate stream of `size` zero bytes (a multiple of 1 MiB) made without holding them: one MiB compressed with a
 * full flush (byte-aligned, no reference to earlier data) repeated, then an empty final block. About 1 KiB per MiB.
 */
export function zeroBomb(size: number, claimedSize = size): Pick<CraftedEntry, 'data' | 'method' | 'size'> {
  const mebibyte = 1024 * 1024;
  if (size % mebibyte !== 0) throw new Error('zeroBomb: size must be a multiple of 1 MiB');
  const block = deflateRawSync(new Uint8Array(mebibyte), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const end = deflateRawSync(new Uint8Array(0));
  const count = size / mebibyte;
  const data = new Uint8Array(block.length * count + end.length);
  for (let index = 0; index < count; index += 1) data.set(block, index * block.length);
  data.set(end, block.length * count);
  return { data, method: 8, size: claimedSize };
}

/**
 * A zip archive of `entries`, in order, with a central directory. With `zip64`, every size and offset of the central
 * directory is written in ZIP64 extra fields (0xffffffff in the 32-bit fields) and a ZIP64 end of central directory
 * record and locator are added, as writers do for archives past 4 GiB.
 */
export function writeZip(entries: readonly CraftedEntry[], options: { readonly zip64?: boolean } = {}): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.name);
    const method = entry.method ?? 0;
    const size = entry.size ?? entry.data.length;
    const flags = (entry.flags ?? 0) | 0x0800; // UTF-8 names
    const descriptor = (flags & 0x08) !== 0;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, flags, true);
    local.setUint16(8, method, true);
    local.setUint32(14, descriptor ? 0 : (entry.crc ?? 0), true);
    local.setUint32(18, descriptor ? 0 : entry.data.length, true);
    local.setUint32(22, descriptor ? 0 : size, true);
    local.setUint16(26, name.length, true);
    parts.push(new Uint8Array(local.buffer), name, entry.data);
    let length = 30 + name.length + entry.data.length;
    if (descriptor) {
      const trailer = new DataView(new ArrayBuffer(16));
      trailer.setUint32(0, 0x08074b50, true);
      trailer.setUint32(4, entry.crc ?? 0, true);
      trailer.setUint32(8, entry.data.length, true);
      trailer.setUint32(12, size, true);
      parts.push(new Uint8Array(trailer.buffer));
      length += 16;
    }
    const header = new DataView(new ArrayBuffer(46));
    header.setUint32(0, 0x02014b50, true);
    header.setUint16(4, 45, true);
    header.setUint16(6, 45, true);
    header.setUint16(8, flags, true);
    header.setUint16(10, method, true);
    header.setUint32(16, entry.crc ?? 0, true);
    header.setUint32(20, options.zip64 ? 0xffffffff : entry.data.length, true);
    header.setUint32(24, options.zip64 ? 0xffffffff : size, true);
    header.setUint16(28, name.length, true);
    header.setUint32(42, options.zip64 ? 0xffffffff : offset, true);
    const extra = new DataView(new ArrayBuffer(options.zip64 ? 28 : 0));
    if (options.zip64) {
      header.setUint16(30, 28, true);
      extra.setUint16(0, 0x0001, true);
      extra.setUint16(2, 24, true);
      extra.setBigUint64(4, BigInt(size), true);
      extra.setBigUint64(12, BigInt(entry.data.length), true);
      extra.setBigUint64(20, BigInt(offset), true);
    }
    central.push(new Uint8Array(header.buffer), name, new Uint8Array(extra.buffer));
    offset += length;
  }
  const directorySize = central.reduce((sum, part) => sum + part.length, 0);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, directorySize, true);
  end.setUint32(16, offset, true);
  const tail: Uint8Array[] = [];
  if (options.zip64) {
    const record = new DataView(new ArrayBuffer(56));
    record.setUint32(0, 0x06064b50, true);
    record.setBigUint64(4, 44n, true);
    record.setUint16(12, 45, true);
    record.setUint16(14, 45, true);
    record.setBigUint64(24, BigInt(entries.length), true);
    record.setBigUint64(32, BigInt(entries.length), true);
    record.setBigUint64(40, BigInt(directorySize), true);
    record.setBigUint64(48, BigInt(offset), true);
    const locator = new DataView(new ArrayBuffer(20));
    locator.setUint32(0, 0x07064b50, true);
    locator.setBigUint64(8, BigInt(offset + directorySize), true);
    locator.setUint32(16, 1, true);
    tail.push(new Uint8Array(record.buffer), new Uint8Array(locator.buffer));
    end.setUint16(8, 0xffff, true);
    end.setUint16(10, 0xffff, true);
    end.setUint32(12, 0xffffffff, true);
    end.setUint32(16, 0xffffffff, true);
  }
  const all = [...parts, ...central, ...tail, new Uint8Array(end.buffer)];
  const result = new Uint8Array(all.reduce((sum, part) => sum + part.length, 0));
  let position = 0;
  for (const part of all) {
    result.set(part, position);
    position += part.length;
  }
  return result;
}
