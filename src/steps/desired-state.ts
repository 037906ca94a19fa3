/**
 * Desired state (docs/reference/directive.md#steps step 1): the state a call sees when its step has `with`.
 *
 * @module
 */
import { E2rxError } from '../errors.js';

/**
 * Builds the desired state: each `alias: key` copies `state[key]` under `alias`; every other existing key is copied
 * unchanged, except the keys that were aliased (they appear only under their alias).
 *
 * @throws {@link E2rxError} `E2RX_DESIRED_STATE` when a key does not exist, with the original's text.
 *
 * @example
 * ```ts
 * desiredState({ a: x, b: y }, { input: 'a' }); // { input: x, b: y }
 * ```
 */
export function desiredState(
  state: Readonly<Record<string, Uint8Array>>,
  aliases: Readonly<Record<string, string>>,
): Record<string, Uint8Array> {
  const entries = Object.entries(aliases);
  if (entries.length === 0) return { ...state };
  const result: Record<string, Uint8Array> = {};
  const aliased = new Set<string>();
  for (const [alias, key] of entries) {
    const value = state[key];
    if (value === undefined) {
      throw new E2rxError('E2RX_DESIRED_STATE', `failed to build desired state, ${key} does not exists in handler state`);
    }
    result[alias] = value;
    aliased.add(key);
  }
  for (const [key, value] of Object.entries(state)) {
    if (!aliased.has(key) && !(key in result)) result[key] = value;
  }
  return result;
}
