/**
 * JSON subset matching for `json:` expectations.
 *
 * @module
 */

/**
 * Where `actual` does not contain `expected`, as `path: what` (`undefined` when it does): an object must have every
 * key of the expected one (more keys are fine), an array must have the expected length and each item must contain
 * the expected item, anything else must be equal.
 *
 * @example
 * ```ts
 * jsonMismatch({ id: 1, name: 'Ada' }, { name: 'Ada' }); // undefined
 * jsonMismatch({ id: 1, tags: ['a'] }, { tags: ['b'] }); // 'tags[0]: expected "b", got "a"'
 * ```
 */
export function jsonMismatch(actual: unknown, expected: unknown, path = ''): string | undefined {
  const here = path === '' ? 'the value' : path;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${here}: expected a list, got ${show(actual)}`;
    if (actual.length !== expected.length) return `${here}: expected ${expected.length} items, got ${actual.length}`;
    for (let index = 0; index < expected.length; index += 1) {
      const mismatch = jsonMismatch(actual[index], expected[index], `${path}[${index}]`);
      if (mismatch !== undefined) return mismatch;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${here}: expected an object, got ${show(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const child = path === '' ? key : `${path}.${key}`;
      if (!Object.hasOwn(actual, key)) return `${child}: missing (expected ${show(value)})`;
      const mismatch = jsonMismatch((actual as Record<string, unknown>)[key], value, child);
      if (mismatch !== undefined) return mismatch;
    }
    return undefined;
  }
  return Object.is(actual, expected) ? undefined : `${here}: expected ${show(expected)}, got ${show(actual)}`;
}

/** A value as JSON, shortened. */
export function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
