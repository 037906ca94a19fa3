/**
 * A response header value set by a function, as Atmo's Go server wrote it.
 *
 * @module
 */

/**
 * The value to hand to `ServerResponse.setHeader` so that the bytes on the wire are the ones Go's server wrote for
 * it, or `undefined` when it cannot be sent:
 * - CR and LF become spaces, then spaces and tabs at either end are trimmed (Go's `Header.Write`), so a value never
 *   splits into another header line;
 * - characters from U+0080 are sent as their UTF-8 bytes (Node writes a header string as Latin-1, one byte per
 *   character, so the value is handed over as the Latin-1 reading of its UTF-8 bytes);
 * - a value still holding a control character other than tab (NUL, DEL, …) is dropped: Go sent those bytes as they
 *   were, which HTTP clients refuse (docs/deviations.md).
 *
 * The common value (printable ASCII, nothing to trim) is returned as it is after one scan.
 *
 * @example
 * ```ts
 * wireHeaderValue('two\nlines'); // 'two lines'
 * wireHeaderValue('café'); // 'cafÃ©': the bytes 63 61 66 c3 a9 on the wire
 * wireHeaderValue('a\u0000b'); // undefined
 * ```
 */
export function wireHeaderValue(value: string): string | undefined {
  const last = value.length - 1;
  let plain = last < 0 || (!isBlank(value.charCodeAt(0)) && !isBlank(value.charCodeAt(last)));
  for (let i = 0; plain && i <= last; i += 1) {
    const c = value.charCodeAt(i);
    plain = (c >= 0x20 && c < 0x7f) || c === 0x09;
  }
  if (plain) return value;
  const folded = value.replace(/[\r\n]/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '');
  let ascii = true;
  for (let i = 0; i < folded.length; i += 1) {
    const c = folded.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return undefined;
    if (c > 0x7f) ascii = false;
  }
  return ascii ? folded : Buffer.from(folded, 'utf8').toString('latin1');
}

/** Space, tab, CR or LF: what Go trims from a header value's ends (after folding CR and LF). */
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
