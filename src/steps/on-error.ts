/**
 * The `onErr` decision table (docs/reference/directive.md#onerr).
 *
 * @module
 */
import type { ErrorDirective, OnErr } from '../directive/model.js';

/**
 * What to do with a Runnable error of code `code`:
 * 1. no `onErr`: return;
 * 2. `code` listed: its directive; not listed: `other` (return when absent);
 * 3. no codes: `any` (return when absent).
 *
 * @example
 * ```ts
 * decideOnError({ code: new Map([[404, 'continue']]), other: 'return' }, 404); // 'continue'
 * ```
 */
export function decideOnError(onErr: OnErr | undefined, code: number): ErrorDirective {
  if (!onErr) return 'return';
  if (onErr.code.size > 0) return onErr.code.get(code) ?? (onErr.other === 'continue' ? 'continue' : 'return');
  return onErr.any === 'continue' ? 'continue' : 'return';
}
