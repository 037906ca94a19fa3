/**
 * Read access to an app's `static/` folder, from a directory or a bundle.
 *
 * @module
 */

/**
 * The static files of an app. Names are normalised as the original did (docs/reference/capabilities.md#file-get_static_file):
 * a leading `static/`, then one `/`, then one `./` are stripped; the rest names the file exactly (no empty, `.` or `..`
 * segments).
 */
export interface StaticFiles {
  /** The bytes of the file, or `undefined` when it does not exist or the name escapes `static/`. */
  read(name: string): Promise<Uint8Array | undefined>;
}

/** Static files of an app without any. */
export const NO_STATIC_FILES: StaticFiles = {
  read: () => Promise.resolve(undefined),
};
