/**
 * The `file` capability: the host side of `get_static_file` (docs/reference/host-abi.md §5).
 *
 * Reads go through the app's {@link StaticFiles}, which normalises names as the original did (a leading `static/`,
 * `/` and `./` are stripped). This capability refuses, before any read, a name that could leave `static/` whatever the
 * reader does: a `..` segment (with `/` or `\` separators), a name still absolute after the original's normalisation
 * (`//etc/passwd`), a Windows drive or UNC path, or a NUL byte.
 *
 * @module
 */

import type { Logger } from 'pino';
import type { StaticFiles } from '../app/static-files.js';
import { errorMessage } from '../errors.js';
import type { CapabilityConfig } from '../directive/capability-config.js';
import type { HostCallContext, HostCallResult } from './host-services.js';
import { CAPABILITY_NOT_ENABLED, errorResult } from './results.js';

/** The error for a file that is not in `static/`. */
export const FILE_DOES_NOT_EXIST = 'file does not exist';

/** The error for a name that tries to leave `static/`. */
export const FILE_NAME_REFUSED = 'invalid static file name: path traversal is not allowed';

/**
 * Whether a static file name must be refused because it could escape `static/`.
 *
 * @example
 * ```ts
 * isUnsafeStaticFileName('css/site.css'); // false
 * isUnsafeStaticFileName('/index.html'); // false (the original strips one leading slash)
 * isUnsafeStaticFileName('../Directive.yaml'); // true
 * isUnsafeStaticFileName('//etc/passwd'); // true
 * ```
 */
export function isUnsafeStaticFileName(name: string): boolean {
  if (name.includes('\0')) return true;
  if (/^[a-zA-Z]:/.test(name) || name.startsWith('\\')) return true;
  // The original's normalisation: strip `static/`, then `/`, then `./`, once each.
  let rest = name;
  if (rest.startsWith('static/')) rest = rest.slice('static/'.length);
  if (rest.startsWith('/')) rest = rest.slice(1);
  if (rest.startsWith('./')) rest = rest.slice(2);
  if (rest.startsWith('/') || rest.startsWith('\\')) return true;
  return rest.split(/[/\\]/).some((segment) => segment === '..');
}

/** The `get_static_file` host service. */
export interface FileCapability {
  getStaticFile(name: string, context: HostCallContext): Promise<HostCallResult>;
}

/**
 * Creates the `file` capability over an app's static files.
 *
 * @example
 * ```ts
 * const files = createFileCapability(DEFAULT_CAPABILITIES.file, staticFiles, logger);
 * await files.getStaticFile('index.html', context);
 * ```
 */
export function createFileCapability(
  config: CapabilityConfig['file'],
  staticFiles: StaticFiles,
  logger: Logger,
): FileCapability {
  const log = logger.child({ capability: 'file' });
  return {
    async getStaticFile(name, context) {
      if (!config.enabled) return errorResult(CAPABILITY_NOT_ENABLED);
      if (isUnsafeStaticFileName(name)) {
        log.warn({ fn: context.fn, request_id: context.requestId, file: name }, 'static file name refused');
        return errorResult(FILE_NAME_REFUSED);
      }
      try {
        const data = await staticFiles.read(name);
        return data === undefined ? errorResult(FILE_DOES_NOT_EXIST) : { kind: 'data', data };
      } catch (error) {
        log.error({ fn: context.fn, request_id: context.requestId, file: name, err: error }, 'static file read failed');
        return errorResult(errorMessage(error));
      }
    },
  };
}
