/**
 * (e2rx) The allow-list of `capabilities.publish`: which subjects and topics functions may publish to. Patterns use
 * NATS wildcards on `.`-separated tokens, for NATS subjects and Kafka topics alike: `*` matches one token, `>` (last
 * token only) matches one or more; any other token matches itself.
 *
 * @module
 */

/**
 * Whether `target` matches `pattern`.
 *
 * @example
 * ```ts
 * targetMatches('orders.*.created', 'orders.eu.created'); // true
 * targetMatches('audit.>', 'audit'); // false: `>` needs at least one token
 * ```
 */
export function targetMatches(pattern: string, target: string): boolean {
  if (pattern === target) return true;
  const want = pattern.split('.');
  const have = target.split('.');
  for (let index = 0; index < want.length; index += 1) {
    const token = want[index] as string;
    if (token === '>' && index === want.length - 1) return have.length > index;
    const actual = have[index];
    if (actual === undefined || actual === '') return false;
    if (token !== '*' && token !== actual) return false;
  }
  return want.length === have.length;
}

/**
 * Whether any pattern of `allow` matches `target`.
 *
 * @example
 * ```ts
 * targetAllowed(['orders.>', 'audit'], 'orders.eu.created'); // true
 * ```
 */
export function targetAllowed(allow: readonly string[], target: string): boolean {
  return allow.some((pattern) => targetMatches(pattern, target));
}

/**
 * What is wrong with an allow-list pattern, or `undefined` when it is well-formed: no empty token, `>` only as the
 * last token, no whitespace.
 *
 * @example
 * ```ts
 * patternProblem('orders.>.created'); // "'>' must be the last token"
 * ```
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'it is empty';
  if (/\s/.test(pattern)) return 'it contains whitespace';
  const tokens = pattern.split('.');
  if (tokens.some((token) => token === '')) return 'it has an empty token (two dots, or a dot at an end)';
  if (tokens.slice(0, -1).includes('>')) return "'>' must be the last token";
  return undefined;
}
