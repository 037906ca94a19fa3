/**
 * The `env(VAR)` rule (docs/reference/directive.md#the-envvar-rule): a string value that in its entirety has the form `env(NAME)` is replaced by the
 * environment variable `NAME`, or the empty string when it is unset. There is no partial interpolation.
 *
 * @module
 */

const ENV_REFERENCE = /^env\(([^()]*)\)$/;

/** The variable name when `value` is an `env(NAME)` reference, else `undefined`. */
export function envReference(value: string): string | undefined {
  return ENV_REFERENCE.exec(value)?.[1];
}

/**
 * Resolves one value by the `env(VAR)` rule.
 *
 * @example
 * ```ts
 * resolveEnv('env(DATABASE_URL)', { DATABASE_URL: 'postgresql://…' }); // 'postgresql://…'
 * resolveEnv('prefix-env(X)', { X: 'y' });                            // 'prefix-env(X)': only whole values
 * ```
 */
export function resolveEnv(value: string, env: Readonly<Record<string, string | undefined>>): string;
export function resolveEnv(value: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined;
export function resolveEnv(value: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (value === undefined) return undefined;
  const name = envReference(value);
  return name === undefined ? value : (env[name] ?? '');
}
