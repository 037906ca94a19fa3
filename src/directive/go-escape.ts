/**
 * Go's escaping rules for the parts of a URL (Go 1.18's `shouldEscape`, `escape`, `unescape` and `validEncoded`),
 * over byte strings (`go-bytes.ts`).
 *
 * @module
 */
import { goQuote } from './go-bytes.js';

/** The outcome of {@link goUnescape}: the unescaped byte string, or Go's error text. */
export type GoUnescaped = { readonly value: string; readonly error?: undefined } | { readonly value?: undefined; readonly error: string };

/** The sections Go escapes and unescapes differently. */
export type EscapeMode = 'host' | 'zone' | 'path' | 'userinfo' | 'query' | 'fragment';

/**
 * Go's `unescape`: well-formed `%XX` escapes (in a host, only for bytes from 0x80, or `%25`), and in a host only the
 * characters a host may hold; `+` is a space in a query component.
 */
export function goUnescape(text: string, mode: EscapeMode): GoUnescaped {
  const isHost = mode === 'host' || mode === 'zone';
  let escapes = 0;
  let plus = false;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      escapes += 1;
      if (i + 2 >= text.length || !isHex(text.charCodeAt(i + 1)) || !isHex(text.charCodeAt(i + 2))) {
        return { error: `invalid URL escape ${goQuote(text.slice(i, i + 3))}` };
      }
      const escape = text.slice(i, i + 3);
      const byte = Number.parseInt(text.slice(i + 1, i + 3), 16);
      if (mode === 'host' && byte < 0x80 && escape !== '%25') return { error: `invalid URL escape ${goQuote(escape)}` };
      if (mode === 'zone' && escape !== '%25' && byte !== 0x20 && shouldEscape(byte, 'host')) return { error: `invalid URL escape ${goQuote(escape)}` };
      i += 3;
    } else {
      if (c === 0x2b) plus = mode === 'query';
      else if (isHost && c < 0x80 && shouldEscape(c, mode)) return { error: `invalid character ${goQuote(text[i] as string)} in host name` };
      i += 1;
    }
  }
  if (escapes === 0 && !plus) return { value: text };
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      out += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out += c === 0x2b && mode === 'query' ? ' ' : (text[i] as string);
  }
  return { value: out };
}

/** Go's `shouldEscape` (Go 1.18) for one byte. */
export function shouldEscape(c: number, mode: EscapeMode): boolean {
  if (isLetter(c) || isDigit(c)) return false;
  if ((mode === 'host' || mode === 'zone') && HOST_EXTRA.includes(String.fromCharCode(c))) return false;
  const char = String.fromCharCode(c);
  if ('-_.~'.includes(char)) return false;
  if ('$&+,/:;=?@'.includes(char)) {
    switch (mode) {
      case 'path':
        return c === 0x3f;
      case 'userinfo':
        return '@/?:'.includes(char);
      case 'query':
        return true;
      case 'fragment':
        return false;
      default:
        return true;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(char)) return false;
  return true;
}

/** The ASCII characters Go leaves unescaped in a host besides the unreserved ones. */
const HOST_EXTRA = `!$&'()*+,;=:[]<>"`;

/** Go's `escape`: every byte `shouldEscape` names as `%XX` (upper-case hex). */
export function goEscape(text: string, mode: EscapeMode): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    out += shouldEscape(c, mode) ? `%${HEX[c >> 4] as string}${HEX[c & 15] as string}` : (text[i] as string);
  }
  return out;
}

const HEX = '0123456789ABCDEF';

/** Go's `validEncoded`: no byte that escaping would change, besides sub-delims, `:@[]` and escapes. */
export function validEncoded(text: string, mode: EscapeMode): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (!"!$&'()*+,;=:@[]%".includes(text[i] as string) && shouldEscape(c, mode)) return false;
  }
  return true;
}

/** Whether a byte is an ASCII letter. */
export function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Whether a byte is an ASCII digit. */
export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Whether a byte is a hexadecimal digit. */
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
