/**
 * Byte strings, as the port of Go's `net/url` works on them (`go-url.ts`): one character per byte, as Latin-1 decodes
 * them, so that an escape such as `%C3` keeps the lone byte Go keeps; and Go's `%q` quoting of them, which its error
 * texts use.
 *
 * @module
 */

/**
 * The UTF-8 bytes of a string, as a byte string.
 *
 * @example
 * ```ts
 * toByteString('é'); // '\u00c3\u00a9'
 * ```
 */
export function toByteString(text: string): string {
  // Plain ASCII (the common case) is its own byte string.
  for (let i = 0; i < text.length; i += 1) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, 'utf8').toString('latin1');
  }
  return text;
}

/** The bytes of a byte string. */
export function fromByteString(bytes: string): Uint8Array {
  return new Uint8Array(Buffer.from(bytes, 'latin1'));
}

/**
 * Go's `%q` (strconv.Quote) of a byte string: valid UTF-8 kept (printable) or `\u` escaped, other bytes as `\xNN`.
 *
 * @example
 * ```ts
 * goQuote('a\tb\u00ff'); // '"a\\tb\\xff"'
 * ```
 */
export function goQuote(bytes: string): string {
  const short: Readonly<Record<string, string>> = { '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
  let quoted = '"';
  for (let i = 0; i < bytes.length; ) {
    const c = bytes.charCodeAt(i);
    const length = c < 0x80 ? 1 : utf8Length(bytes, i);
    if (length === 0) {
      quoted += `\\x${c.toString(16).padStart(2, '0')}`;
      i += 1;
      continue;
    }
    const char = length === 1 ? (bytes[i] as string) : Buffer.from(bytes.slice(i, i + length), 'latin1').toString('utf8');
    const code = char.codePointAt(0) ?? 0;
    if (short[char] !== undefined) quoted += short[char];
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) quoted += `\\u${code.toString(16).padStart(4, '0')}`;
    else quoted += char;
    i += length;
  }
  return `${quoted}"`;
}

/** The length of the valid UTF-8 sequence starting at `i` (a byte from 0x80), or 0 when it is not one. */
function utf8Length(bytes: string, i: number): number {
  const c = bytes.charCodeAt(i);
  const length = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? (c <= 0xef ? 3 : 0) : c >= 0xc2 ? 2 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  for (let k = 1; k < length; k += 1) if ((bytes.charCodeAt(i + k) & 0xc0) !== 0x80) return 0;
  const decoded = Buffer.from(bytes.slice(i, i + length), 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? 0 : length;
}
