/**
 * Read access to an app's `static/` folder, from a directory or a bundle.
 *
 * @module
 */

/**
 * The static files of an app. Names are normalised as the original did (docs/reference/directive.md#where-the-directive-lives): a leading `static/`, then `/`,
 * then `./` are stripped; the result must stay inside `static/` (no `..` segments, no absolute paths).
 */
export interface StaticFiles {
  /** The bytes of the file, or `undefined` when it does not exist or the name escapes `static/`. */
  read(name: string): Promise<Uint8Array | undefined>;
}

/** Static files of an app without any. */
export const NO_STATIC_FILES: StaticFiles = {
  read: () => Promise.resolve(undefined),
};
