/**
 * Boolean settings from environment variables, read as Atmo read them (Go's `strconv.ParseBool`).
 *
 * @module
 */
import { E2rxError } from '../errors.js';

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

/**
 * Parses the value of a boolean variable: `true`, `false`, `1`, `0` (and `t`, `f`, `TRUE`, `FALSE`, `True`,
 * `False`, as Go's `strconv.ParseBool`, which Atmo used).
 *
 * @throws {@link E2rxError} `E2RX_CLI_USAGE` naming the variable for anything else (`yes`, `on`, …), as for a bad port:
 *   a setting that is silently ignored is worse than one that stops the start.
 *
 * @example
 * ```ts
 * parseBooleanSetting('E2RX_HEADLESS', 'true'); // true
 * parseBooleanSetting('E2RX_HEADLESS', 'yes');  // throws: E2RX_HEADLESS 'yes' is not a boolean
 * ```
 */
export function parseBooleanSetting(name: string, value: string): boolean {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new E2rxError('E2RX_CLI_USAGE', `${name} '${value}' is not a boolean`, { hint: `set ${name} to true or false (or 1 or 0)` });
}
