/**
 * Fully qualified function names (docs/reference/directive.md#runnables): `<identifier>#<namespace>::<fn>@<version>`.
 *
 * @module
 */

/** The default namespace. */
export const DEFAULT_NAMESPACE = 'default';

/** A parsed FQFN; parts absent from the text are `undefined` (the namespace defaults to `default`). */
export interface Fqfn {
  readonly identifier: string | undefined;
  readonly namespace: string;
  readonly fn: string;
  readonly version: string | undefined;
}

/**
 * Parses an FQFN leniently, as the original: an optional `identifier#` prefix, an optional `namespace::` prefix
 * (default namespace `default`) and an optional `@version` suffix.
 *
 * @example
 * ```ts
 * parseFqfn('com.example#users::get@v1.0.0'); // { identifier: 'com.example', namespace: 'users', fn: 'get', version: 'v1.0.0' }
 * parseFqfn('get');                             // { identifier: undefined, namespace: 'default', fn: 'get', version: undefined }
 * ```
 */
export function parseFqfn(text: string): Fqfn {
  let rest = text;
  let identifier: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    identifier = rest.slice(0, hash);
    rest = rest.slice(hash + 1);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    version = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let namespace = DEFAULT_NAMESPACE;
  const separator = rest.indexOf('::');
  if (separator >= 0) {
    namespace = rest.slice(0, separator) || DEFAULT_NAMESPACE;
    rest = rest.slice(separator + 2);
  }
  return { identifier, namespace, fn: rest, version };
}

/** Formats the full form `identifier#namespace::fn@version`. */
export function formatFqfn(identifier: string, namespace: string, fn: string, version: string): string {
  return `${identifier}#${namespace}::${fn}@${version}`;
}

/**
 * Parses the headless URL form `/<identifier>/<namespace>/<fn>/<version>` (exactly four segments), or `undefined`.
 */
export function parseFqfnPath(path: string): Required<{ [K in keyof Fqfn]: string }> | undefined {
  const segments = path.replace(/^\//, '').split('/');
  if (segments.length !== 4 || segments.some((segment) => segment === '')) return undefined;
  const [identifier, namespace, fn, version] = segments as [string, string, string, string];
  return { identifier, namespace, fn, version };
}

/** A runnable as the lookup needs it. */
export interface RunnableRef {
  readonly name: string;
  readonly namespace: string;
}

/**
 * The original's `FindRunnable`: parse `reference`; if it names another identifier or another version than the app's,
 * nothing is found; otherwise match name and namespace.
 */
export function findRunnable<T extends RunnableRef>(
  reference: string,
  runnables: readonly T[],
  app: { readonly identifier: string; readonly appVersion: string },
): T | undefined {
  const parsed = parseFqfn(reference);
  if (parsed.identifier !== undefined && parsed.identifier !== app.identifier) return undefined;
  if (parsed.version !== undefined && parsed.version !== app.appVersion) return undefined;
  return runnables.find(
    (runnable) => runnable.name === parsed.fn && (runnable.namespace || DEFAULT_NAMESPACE) === parsed.namespace,
  );
}
